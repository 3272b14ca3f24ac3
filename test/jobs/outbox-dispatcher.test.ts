// The outbox dispatcher on PGlite and PostgreSQL: real SMTP delivery with its headers, SMTP outages and refusals,
// backoff, dead rows, per-ticket order, kick/poll/stop, exactly-once claiming by two processes, and `deskbot outbox`.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { DeskbotError } from '../../src/errors.ts';
import { HealthRegistry } from '../../src/health.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import { defaultPolicy, severityTargets } from '../../src/domain/policy.ts';
import type { OutgoingMailInput } from '../../src/app/outbox-messages.ts';
import { newMessageId } from '../../src/domain/mail/message-id.ts';
import { createEmailOutboxHandler, createSmtpSender, type MailSender } from '../../src/channels/email/smtp-sender.ts';
import { renderTemplate } from '../../src/channels/email/templates.ts';
import { createOutboxDispatcher, retryDelayMs, type OutboxDispatcherOptions, type OutboxHandler, type OutboxItem } from '../../src/jobs/outbox-dispatcher.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createOutboxRepository, enqueueOutboxRow as enqueueOutbox, type OutboxRowInput as OutboxItemInput } from '../../src/store/outbox-repository.ts';
import { createRateLimiterFactory, type RateLimiterFactory } from '../../src/rate-limiter.ts';
import { metrics } from '../../src/metrics.ts';
import { backends } from '../helpers/backends.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { capturedLogger } from '../helpers/captured-logger.ts';

const from = { name: 'Acme Support', address: 'support@acme.example' };
const bodyMarker = 'BODY-MARKER-never-logged';

function testClock(start = '2026-11-23T15:00:00.000Z') {
  let current = new Date(start).getTime();
  return {
    now: () => new Date(current),
    advance(ms: number) {
      current += ms;
    },
  };
}

/** An acknowledgement as the inbound side queues it: rendered from the template, Message-ID assigned up front. */
function acknowledgement(requestId: string): OutgoingMailInput {
  const policy = defaultPolicy();
  const rendered = renderTemplate('acknowledgement', 'en', {
    supportName: from.name,
    supportAddress: from.address,
    recipientName: 'Jane Doe',
    requestId,
    subject: 'VPN drops every 5 minutes',
    summary: `The tunnel drops. ${bodyMarker}`,
    severity: 4,
    severityName: 'Major',
    targets: severityTargets(policy, 4),
    due: null,
    timeZone: 'America/New_York',
    missing: ['version'],
  });
  return {
    template: 'acknowledgement',
    to: [{ address: 'jane@customer.example', name: 'Jane Doe' }],
    subject: rendered.subject.replace(` [${requestId}]`, ''),
    text: rendered.text,
    html: rendered.html,
    messageId: newMessageId(from.address, randomUUID()),
    inReplyTo: '<first.1@customer.example>',
    references: ['<first.1@customer.example>'],
    autoSubmitted: 'auto-replied',
    requestId,
  };
}

function row(overrides: Partial<OutboxItemInput> & { idempotencyKey: string }): OutboxItemInput {
  return { channel: 'email', kind: 'acknowledgement', payload: { note: bodyMarker }, ticketId: null, ...overrides };
}

/** A handler that records deliveries and fails as `behaviour` says. */
function recordingHandler(behaviour: (item: OutboxItem, call: number) => void | Promise<void> = () => undefined) {
  const delivered: OutboxItem[] = [];
  let calls = 0;
  const handler: OutboxHandler = {
    healthPart: 'test-out',
    async deliver(item) {
      calls += 1;
      await behaviour(item, calls);
      delivered.push(item);
    },
  };
  return { handler, delivered, calls: () => calls };
}

/** The dispatcher's counters in the process-wide registry (tests compare before and after). */
async function metricSnapshot() {
  const value = async (
    metric: { get(): Promise<{ values: Array<{ labels: Partial<Record<string, string | number>>; value: number; metricName?: string }> }> },
    labels: Record<string, string>,
    name?: string,
  ) =>
    (await metric.get()).values
      .filter(
        (entry) => (name === undefined || entry.metricName === name) && Object.entries(labels).every(([key, wanted]) => String(entry.labels[key]) === wanted),
      )
      .reduce((sum, entry) => sum + entry.value, 0);
  return {
    smtpTransient: await value(metrics.smtpErrors, { code: 'SMTP_TRANSIENT' }),
    failuresRetryable: await value(metrics.outboxFailures, { channel: 'email', retryable: 'true' }),
    acknowledgementsDelivered: await value(metrics.outboxDelivered, { channel: 'email', kind: 'acknowledgement' }),
    latencyCount: await value(metrics.acknowledgementLatency, {}, 'deskbot_acknowledgement_latency_seconds_count'),
    latencySum: await value(metrics.acknowledgementLatency, {}, 'deskbot_acknowledgement_latency_seconds_sum'),
    duplicates: await value(metrics.duplicateAcknowledgements, {}),
  };
}

describe.each(backends)('outbox dispatcher on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let clock: ReturnType<typeof testClock>;
  let health: HealthRegistry;
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    if (!backend.available) return;
    ({ database, dispose } = await backend.open());
    clock = testClock();
    health = new HealthRegistry();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await dispose?.();
  });

  const enqueue = (item: OutboxItemInput) => enqueueOutbox(database.prisma, item, clock.now());
  const rows = () => database.prisma.outbox.findMany({ orderBy: { id: 'asc' } });
  const dispatcherWith = (options: Partial<OutboxDispatcherOptions> & Pick<OutboxDispatcherOptions, 'handlers'>) => {
    const dispatcher = createOutboxDispatcher({
      outbox: createOutboxRepository(database.prisma),
      logger: createSilentLogger(),
      clock,
      health,
      pollIntervalMs: 3_600_000,
      random: () => 0.5,
      ...options,
    });
    cleanups.push(() => dispatcher.stop());
    return dispatcher;
  };
  const smtp = async (): Promise<{ capture: SmtpCapture; sender: MailSender }> => {
    const capture = await startSmtpCapture();
    const sender = createSmtpSender({ smtpUrl: capture.url, from, logger: createSilentLogger(), connectionTimeoutMs: 1_000, greetingTimeoutMs: 1_000 });
    cleanups.push(() => capture.close());
    return { capture, sender };
  };

  describe('over SMTP', () => {
    it.skipIf(!backend.available)(
      'delivers a queued acknowledgement with its Message-ID, In-Reply-To, References, [SR-...] tag and Auto-Submitted',
      async () => {
        const { capture, sender } = await smtp();
        const payload = acknowledgement('SR-2026-000123');
        await enqueue(row({ idempotencyKey: 'ack:SR-2026-000123', payload, ticketId: 1 }));
        await dispatcherWith({ handlers: { email: createEmailOutboxHandler(sender) } }).drain();

        const [captured] = await capture.waitForMessages(1);
        const parsed = await simpleParser(captured!.raw);
        expect(parsed.messageId).toBe(payload.messageId);
        expect(parsed.inReplyTo).toBe('<first.1@customer.example>');
        expect(parsed.references).toBe('<first.1@customer.example>');
        expect(parsed.subject).toBe('Re: VPN drops every 5 minutes [SR-2026-000123]');
        expect(parsed.headers.get('auto-submitted')).toBe('auto-replied');
        expect(parsed.headers.get('x-deskbot-request-id')).toBe('SR-2026-000123');
        expect(parsed.text).toContain('opened service request SR-2026-000123');
        const [stored] = await rows();
        expect(stored).toMatchObject({ status: 'sent', attempts: 1, lockedUntil: null, lastError: null, sentAt: clock.now() });
        expect(health.get('email-out')?.state).toBe('ok');
      },
    );

    it.skipIf(!backend.available)('loses nothing while SMTP is down and delivers each mail exactly once when it is back', async () => {
      const { capture, sender } = await smtp();
      const dispatcher = dispatcherWith({ handlers: { email: createEmailOutboxHandler(sender) } });
      await capture.stop();
      for (const sequence of [1, 2, 3])
        await enqueue(row({ idempotencyKey: `ack:${sequence}`, payload: acknowledgement(`SR-2026-00000${sequence}`), ticketId: sequence }));

      await dispatcher.drain();
      const failed = await rows();
      expect(failed).toHaveLength(3);
      for (const stored of failed) {
        expect(stored).toMatchObject({ status: 'pending', attempts: 1, lockedUntil: null, sentAt: null });
        expect(stored.lastError).toMatch(/^SMTP_TRANSIENT: /);
        // 10 s base, equal jitter at random 0.5: 7.5 s.
        expect(stored.nextAttemptAt.getTime()).toBe(clock.now().getTime() + 7_500);
      }
      expect(health.get('email-out')?.state).toBe('degraded');

      await dispatcher.drain();
      expect((await rows()).map((stored) => stored.attempts)).toEqual([1, 1, 1]);

      await capture.start();
      clock.advance(7_500);
      await dispatcher.drain();
      await dispatcher.drain();
      expect((await rows()).map((stored) => stored.status)).toEqual(['sent', 'sent', 'sent']);
      const received = await Promise.all(capture.messages.map(async (message) => (await simpleParser(message.raw)).messageId));
      expect(received.sort()).toEqual(failed.map((stored) => (stored.payload as { messageId: string }).messageId).sort());
      expect(health.get('email-out')?.state).toBe('ok');
    });

    it.skipIf(!backend.available)('retries after a 421 and delivers once', async () => {
      const { capture, sender } = await smtp();
      const dispatcher = dispatcherWith({ handlers: { email: createEmailOutboxHandler(sender) } });
      capture.refuse(421, { stage: 'connect', times: 1 });
      await enqueue(row({ idempotencyKey: 'ack:421', payload: acknowledgement('SR-2026-000421'), ticketId: 5 }));

      await dispatcher.drain();
      const [afterRefusal] = await rows();
      expect(afterRefusal).toMatchObject({ status: 'pending', attempts: 1 });
      expect(afterRefusal!.lastError).toMatch(/^SMTP_TRANSIENT: .*421/);
      expect(capture.messages).toHaveLength(0);

      clock.advance(60_000);
      await dispatcher.drain();
      expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 2 });
      expect(capture.messages).toHaveLength(1);
      expect(capture.refusals).toBe(1);
    });

    it.skipIf(!backend.available)(
      'counts deliveries, SMTP errors, acknowledgement latency and acknowledgements sent again after a lost lease in /metrics',
      async () => {
        const { capture, sender } = await smtp();
        const before = await metricSnapshot();
        const dispatcher = dispatcherWith({ handlers: { email: createEmailOutboxHandler(sender) } });
        capture.refuse(421, { stage: 'connect', times: 1 });
        await enqueue(row({ idempotencyKey: 'ack:m1', payload: acknowledgement('SR-2026-000701'), ticketId: 7 }));
        await dispatcher.drain();
        clock.advance(60_000);
        await dispatcher.drain();
        // A second acknowledgement whose first claim died with its process (lease set, never finished).
        await enqueue(row({ idempotencyKey: 'ack:m2', payload: acknowledgement('SR-2026-000702'), ticketId: 8 }));
        const outbox = createOutboxRepository(database.prisma);
        await outbox.claimDue({ channel: 'email', limit: 1, now: clock.now(), leaseUntil: new Date(clock.now().getTime() + 1_000) });
        clock.advance(2_000);
        await dispatcher.drain();
        expect(capture.messages).toHaveLength(2);

        const after = await metricSnapshot();
        expect(after.smtpTransient - before.smtpTransient).toBe(1);
        expect(after.failuresRetryable - before.failuresRetryable).toBe(1);
        expect(after.acknowledgementsDelivered - before.acknowledgementsDelivered).toBe(2);
        expect(after.latencyCount - before.latencyCount).toBe(2);
        // Wall time from each row's creation to SMTP acceptance: real, and short on loopback.
        expect(after.latencySum - before.latencySum).toBeGreaterThan(0);
        expect(after.latencySum - before.latencySum).toBeLessThan(30);
        expect(after.duplicates - before.duplicates).toBe(1);
      },
    );

    it.skipIf(!backend.available)('marks a 550 dead at once, never retries it, and logs the row without its body', async () => {
      const { capture, sender } = await smtp();
      const { logger, lines } = capturedLogger();
      const dispatcher = dispatcherWith({ logger, handlers: { email: createEmailOutboxHandler(sender) } });
      capture.refuse(550, { stage: 'rcpt' });
      await enqueue(row({ idempotencyKey: 'ack:550', payload: acknowledgement('SR-2026-000550'), ticketId: 42 }));

      await dispatcher.drain();
      clock.advance(24 * 3_600_000);
      await dispatcher.drain();
      const [dead] = await rows();
      expect(dead).toMatchObject({ status: 'dead', attempts: 1, lockedUntil: null, sentAt: null });
      expect(dead!.lastError).toMatch(/^SMTP_PERMANENT: .*550/);
      expect(capture.refusals).toBe(1);
      const logged = lines.find((line) => line.event === 'outbox-dead');
      expect(logged).toMatchObject({
        outboxId: dead!.id.toString(),
        channel: 'email',
        kind: 'acknowledgement',
        ticketId: 42,
        code: 'SMTP_PERMANENT',
        reason: 'permanent',
      });
      expect(JSON.stringify(lines)).not.toContain(bodyMarker);
      expect(health.get('email-out')?.state).toBe('ok');
    });
  });

  describe('retry policy', () => {
    it.skipIf(!backend.available)('gives up on a retryable failure after maxAttempts', async () => {
      const { handler } = recordingHandler(() => {
        throw new DeskbotError('SMTP_TRANSIENT', 'try later', { retryable: true });
      });
      const { logger, lines } = capturedLogger();
      const dispatcher = dispatcherWith({ logger, maxAttempts: 3, handlers: { email: handler } });
      await enqueue(row({ idempotencyKey: 'k' }));
      for (let attempt = 0; attempt < 5; attempt += 1) {
        await dispatcher.drain();
        clock.advance(3_600_000);
      }
      expect((await rows())[0]).toMatchObject({ status: 'dead', attempts: 3 });
      expect(lines.filter((line) => line.event === 'outbox-retry')).toHaveLength(2);
      expect(lines.find((line) => line.event === 'outbox-dead')).toMatchObject({ reason: 'max-attempts' });
    });

    it.skipIf(!backend.available)('treats an unknown error as retryable and honours retryAfterMs', async () => {
      const { handler } = recordingHandler((_item, call) => {
        if (call === 1) throw new Error('socket hang up');
        if (call === 2) throw new DeskbotError('SLACK_RATE_LIMITED', '429', { retryable: true, retryAfterMs: 120_000 });
      });
      const dispatcher = dispatcherWith({ handlers: { email: recordingHandler().handler, slack: handler } });
      await enqueue(row({ idempotencyKey: 's', channel: 'slack', kind: 'ticket-opened' }));
      await dispatcher.drain();
      expect((await rows())[0]).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastError: 'INTERNAL: socket hang up',
        nextAttemptAt: new Date(clock.now().getTime() + 7_500),
      });
      clock.advance(7_500);
      await dispatcher.drain();
      expect((await rows())[0]).toMatchObject({ status: 'pending', attempts: 2, nextAttemptAt: new Date(clock.now().getTime() + 120_000) });
      clock.advance(120_000);
      await dispatcher.drain();
      expect((await rows())[0]).toMatchObject({ status: 'sent', attempts: 3 });
    });

    it('backs off exponentially with jitter up to the cap', () => {
      const options = { baseMs: 10_000, maxMs: 3_600_000 };
      expect(retryDelayMs(1, { ...options, random: () => 0 })).toBe(5_000);
      expect(retryDelayMs(1, { ...options, random: () => 0.999999 })).toBe(10_000);
      expect(retryDelayMs(4, { ...options, random: () => 0.5 })).toBe(60_000);
      expect(retryDelayMs(30, { ...options, random: () => 1 })).toBe(3_600_000);
      expect(retryDelayMs(1, { ...options, random: () => 0.5, retryAfterMs: 30_000 })).toBe(30_000);
    });
  });

  describe('channels and order', () => {
    it.skipIf(!backend.available)('logs slack rows and marks them sent when no Slack handler is registered', async () => {
      const { logger, lines } = capturedLogger();
      const email = recordingHandler();
      const dispatcher = dispatcherWith({ logger, handlers: { email: email.handler } });
      await enqueue(row({ idempotencyKey: 'slack:1', channel: 'slack', kind: 'ticket-opened', ticketId: 9 }));
      await dispatcher.drain();
      expect((await rows())[0]).toMatchObject({ status: 'sent' });
      expect(lines.find((line) => line.event === 'slack-disabled')).toMatchObject({ kind: 'ticket-opened', ticketId: 9 });
      expect(email.delivered).toHaveLength(0);
    });

    it.skipIf(!backend.available)('keeps enqueue order per ticket: a later mail waits while an earlier one is retried', async () => {
      const email = recordingHandler((item, call) => {
        // A 451 to this message (not an outage of the server: a later success elsewhere does not make it due early).
        if (call === 1 && item.kind === 'acknowledgement') {
          throw new DeskbotError('SMTP_TRANSIENT', 'later', { retryable: true, details: { responseCode: 451 } });
        }
      });
      const dispatcher = dispatcherWith({ handlers: { email: email.handler } });
      await enqueue(row({ idempotencyKey: 'ack:7', kind: 'acknowledgement', ticketId: 7 }));
      await enqueue(row({ idempotencyKey: 'closure:7', kind: 'closure', ticketId: 7 }));
      await enqueue(row({ idempotencyKey: 'ack:8', kind: 'other-ticket', ticketId: 8 }));

      await dispatcher.drain();
      expect(email.delivered.map((item) => item.kind)).toEqual(['other-ticket']);
      expect((await rows()).map((stored) => [stored.kind, stored.status, stored.attempts])).toEqual([
        ['acknowledgement', 'pending', 1],
        ['closure', 'pending', 0],
        ['other-ticket', 'sent', 1],
      ]);

      clock.advance(60_000);
      await dispatcher.drain();
      expect(email.delivered.map((item) => item.kind)).toEqual(['other-ticket', 'acknowledgement', 'closure']);
    });

    it.skipIf(!backend.available)('does not let a row scheduled for later hold back a newer row of the same ticket', async () => {
      const email = recordingHandler();
      const dispatcher = dispatcherWith({ handlers: { email: email.handler } });
      await enqueue(row({ idempotencyKey: 'reminder:3', kind: 'reminder', ticketId: 3, notBefore: new Date(clock.now().getTime() + 86_400_000) }));
      await enqueue(row({ idempotencyKey: 'reply:3', kind: 'engineer-reply', ticketId: 3 }));
      await dispatcher.drain();
      expect(email.delivered.map((item) => item.kind)).toEqual(['engineer-reply']);
    });
  });

  describe('service lifecycle', () => {
    it.skipIf(!backend.available)('kick() sends at once, without waiting for the poll interval', async () => {
      const email = recordingHandler();
      const dispatcher = dispatcherWith({ pollIntervalMs: 3_600_000, handlers: { email: email.handler } });
      await dispatcher.start();
      await enqueue(row({ idempotencyKey: 'kick' }));
      dispatcher.kick();
      await vi.waitFor(() => expect(email.delivered).toHaveLength(1), { timeout: 5_000 });
    });

    it.skipIf(!backend.available)('polls every interval without a kick', async () => {
      const email = recordingHandler();
      const dispatcher = dispatcherWith({ pollIntervalMs: 50, handlers: { email: email.handler } });
      await dispatcher.start();
      await enqueue(row({ idempotencyKey: 'poll' }));
      await vi.waitFor(() => expect(email.delivered).toHaveLength(1), { timeout: 5_000 });
    });

    it.skipIf(!backend.available)('stop() waits for the delivery in flight and hands back claimed rows not yet started', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const email = recordingHandler(() => gate);
      const dispatcher = dispatcherWith({ limits: { email: { maxConcurrent: 2, perSecond: 0.2 } }, handlers: { email: email.handler } });
      await enqueue(row({ idempotencyKey: 'first' }));
      await enqueue(row({ idempotencyKey: 'second' }));
      await dispatcher.start();
      await vi.waitFor(() => expect(email.calls()).toBe(1), { timeout: 5_000 });
      expect((await rows()).map((stored) => stored.attempts)).toEqual([1, 1]);

      let stopped = false;
      const stopping = dispatcher.stop().then(() => {
        stopped = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(stopped).toBe(false);
      release();
      await stopping;

      const [first, second] = await rows();
      expect(first).toMatchObject({ status: 'sent', attempts: 1 });
      expect(second).toMatchObject({ status: 'pending', attempts: 0, lockedUntil: null });
      expect(email.calls()).toBe(1);
    });
  });

  describe('recovery from a stale back-off (issue 16)', () => {
    const waitFiveMinutes = async (idempotencyKey: string, attempts: number) => {
      const stored = await database.prisma.outbox.findUniqueOrThrow({ where: { idempotencyKey } });
      await database.prisma.outbox.update({ where: { id: stored.id }, data: { attempts, nextAttemptAt: new Date(clock.now().getTime() + 5 * 60_000) } });
    };

    it.skipIf(!backend.available)('at start-up, rows waiting out a failure back-off are due at once; rows never tried keep their time', async () => {
      const email = recordingHandler();
      await enqueue(row({ idempotencyKey: 'waited' }));
      await waitFiveMinutes('waited', 1);
      await enqueue(row({ idempotencyKey: 'scheduled', notBefore: new Date(clock.now().getTime() + 5 * 60_000) }));
      const dispatcher = dispatcherWith({ handlers: { email: email.handler } });
      await dispatcher.start();
      await vi.waitFor(() => expect(email.delivered).toHaveLength(1), { timeout: 5_000 });
      await dispatcher.drain();
      const byKey = new Map((await rows()).map((stored) => [stored.idempotencyKey, stored]));
      expect(byKey.get('waited')).toMatchObject({ status: 'sent' });
      expect(byKey.get('scheduled')).toMatchObject({ status: 'pending', attempts: 0 });
    });

    it.skipIf(!backend.available)('the only process (embedded) ends the leases a crashed run left at start-up; the rows still count as tried', async () => {
      const email = recordingHandler();
      await enqueue(row({ idempotencyKey: 'claimed-by-crashed-run' }));
      const stored = await database.prisma.outbox.findUniqueOrThrow({ where: { idempotencyKey: 'claimed-by-crashed-run' } });
      await database.prisma.outbox.update({ where: { id: stored.id }, data: { attempts: 1, lockedUntil: new Date(clock.now().getTime() + 60_000) } });
      const shared = dispatcherWith({ handlers: { email: email.handler } });
      await shared.start();
      await shared.drain();
      // Several processes (PostgreSQL): another may still hold the lease, so the row waits it out.
      expect(email.delivered).toHaveLength(0);
      await shared.stop();
      const only = dispatcherWith({ handlers: { email: email.handler }, expireLeasesAtStart: true });
      await only.start();
      await vi.waitFor(() => expect(email.delivered).toHaveLength(1), { timeout: 5_000 });
      await only.drain();
      expect(email.delivered[0]!.attempts).toBe(2);
      expect((await rows()).find((one) => one.idempotencyKey === 'claimed-by-crashed-run')).toMatchObject({ status: 'sent', attempts: 2 });
    });

    it.skipIf(!backend.available)('a delivery that succeeds after failures makes the rows waiting on that transport due at once', async () => {
      // The first delivery fails like an SMTP authentication failure: retryable, with a 5-minute pause.
      const email = recordingHandler((_item, call) => {
        if (call === 1) throw new DeskbotError('SMTP_TRANSIENT', 'SMTP authentication failed', { retryable: true, retryAfterMs: 5 * 60_000 });
      });
      const slack = recordingHandler();
      const dispatcher = dispatcherWith({ handlers: { email: email.handler, slack: slack.handler } });
      await enqueue(row({ idempotencyKey: 'first' }));
      await enqueue(row({ idempotencyKey: 'slack-waiting', channel: 'slack', kind: 'ticket-event' }));
      await waitFiveMinutes('slack-waiting', 2);
      await dispatcher.drain();
      expect((await rows()).map((stored) => [stored.idempotencyKey, stored.status])).toEqual([
        ['first', 'pending'],
        ['slack-waiting', 'pending'],
      ]);
      await enqueue(row({ idempotencyKey: 'second' }));
      await dispatcher.drain();
      await dispatcher.drain();
      // No clock advance: 'first' went out because 'second' succeeded; Slack's own back-off is untouched.
      expect(email.delivered.map((item) => item.id).length).toBe(2);
      const byKey = new Map((await rows()).map((stored) => [stored.idempotencyKey, stored]));
      expect(byKey.get('first')).toMatchObject({ status: 'sent', attempts: 2 });
      expect(byKey.get('slack-waiting')).toMatchObject({ status: 'pending' });
      expect(slack.delivered).toHaveLength(0);
    });
  });

  describe('repository', () => {
    it.skipIf(!backend.available)('claims a row once per live lease and takes it over after the lease expires; stale finishes are refused', async () => {
      const outbox = createOutboxRepository(database.prisma);
      await enqueue(row({ idempotencyKey: 'lease', payload: { nested: { ok: true } }, ticketId: 4 }));
      const now = clock.now();
      const [first] = await outbox.claimDue({ channel: 'email', limit: 10, now, leaseUntil: new Date(now.getTime() + 60_000) });
      expect(first).toMatchObject({ channel: 'email', kind: 'acknowledgement', payload: { nested: { ok: true } }, ticketId: 4, attempts: 1 });
      expect(await outbox.claimDue({ channel: 'email', limit: 10, now, leaseUntil: new Date(now.getTime() + 60_000) })).toEqual([]);
      expect(
        await outbox.claimDue({ channel: 'slack', limit: 10, now: new Date(now.getTime() + 61_000), leaseUntil: new Date(now.getTime() + 121_000) }),
      ).toEqual([]);

      const later = new Date(now.getTime() + 61_000);
      const [second] = await outbox.claimDue({ channel: 'email', limit: 10, now: later, leaseUntil: new Date(later.getTime() + 60_000) });
      expect(first!.redelivery).toBe(false);
      // The first claim's lease ran out unfinished: the receiver may already have it.
      expect(second).toMatchObject({ id: first!.id, attempts: 2, redelivery: true });
      expect(await outbox.markSent(first!, later)).toBe(false);
      expect(await outbox.markSent(second!, later)).toBe(true);
    });

    it.skipIf(!backend.available)('summarises pending rows, lists undelivered ones and retries a dead one', async () => {
      const outbox = createOutboxRepository(database.prisma);
      await enqueue(row({ idempotencyKey: 'a', kind: 'acknowledgement' }));
      await enqueue(row({ idempotencyKey: 'b', kind: 'acknowledgement' }));
      await enqueue(row({ idempotencyKey: 'c', channel: 'slack', kind: 'ticket-opened' }));
      await enqueue(row({ idempotencyKey: 'd', kind: 'closure' }));
      await enqueue(row({ idempotencyKey: 'e', kind: 'closure' }));
      const [d, e] = (await rows()).slice(3);
      await database.prisma.outbox.update({ where: { id: d!.id }, data: { status: 'dead', attempts: 1, lastError: 'SMTP_PERMANENT: 550' } });
      await database.prisma.outbox.update({ where: { id: e!.id }, data: { status: 'sent', sentAt: clock.now() } });

      const later = new Date(Date.now() + 60_000);
      const summary = await outbox.pendingSummary(later);
      expect(summary.map(({ channel, kind, count }) => ({ channel, kind, count }))).toEqual([
        { channel: 'email', kind: 'acknowledgement', count: 2 },
        { channel: 'slack', kind: 'ticket-opened', count: 1 },
      ]);
      expect(summary[0]!.oldestAgeMs).toBeGreaterThan(0);

      const undelivered = await outbox.listPending(10);
      expect(undelivered.map((item) => item.status).sort()).toEqual(['dead', 'pending', 'pending', 'pending']);
      expect((await outbox.listPending(10, { all: true })).map((item) => item.id)).toEqual((await rows()).map((stored) => stored.id.toString()).reverse());
      expect(await outbox.listPending(2)).toHaveLength(2);

      const retried = await outbox.retryDead(d!.id.toString(), clock.now());
      expect(retried).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: clock.now(), lastError: 'SMTP_PERMANENT: 550' });
      await expect(outbox.retryDead(d!.id.toString(), clock.now())).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(outbox.retryDead('999999', clock.now())).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});

const pgAvailable = await postgresAvailable();

describe('two dispatchers on one PostgreSQL database', () => {
  it.skipIf(!pgAvailable)('deliver 200 rows between them, each exactly once', async () => {
    const testDatabase = await createTestDatabase();
    const logger = createSilentLogger();
    const first = await openDatabase({ databaseUrl: testDatabase.url, logger });
    const second = await openDatabase({ databaseUrl: testDatabase.url, logger });
    try {
      const { migrate } = await import('../../src/store/migrate.ts');
      await migrate(first, { logger });
      const now = new Date();
      await first.prisma.outbox.createMany({
        data: Array.from({ length: 200 }, (_unused, index) => ({
          idempotencyKey: `bulk:${index}`,
          channel: 'email',
          kind: 'acknowledgement',
          payload: { index },
          ticketId: index % 3 === 0 ? null : index,
          nextAttemptAt: now,
        })),
      });
      const deliveries = new Map<string, string[]>();
      const handlerFor = (name: string): OutboxHandler => ({
        async deliver(item) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
          deliveries.set(item.id, [...(deliveries.get(item.id) ?? []), name]);
        },
      });
      const dispatchers = [
        createOutboxDispatcher({
          outbox: createOutboxRepository(first.prisma),
          logger,
          pollIntervalMs: 60_000,
          limits: { email: { maxConcurrent: 10 } },
          handlers: { email: handlerFor('first') },
        }),
        createOutboxDispatcher({
          outbox: createOutboxRepository(second.prisma),
          logger,
          pollIntervalMs: 60_000,
          limits: { email: { maxConcurrent: 10 } },
          handlers: { email: handlerFor('second') },
        }),
      ];
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()));

      expect(deliveries.size).toBe(200);
      expect([...deliveries.values()].filter((names) => names.length !== 1)).toEqual([]);
      const byDispatcher = [...deliveries.values()].flat();
      expect(byDispatcher.filter((name) => name === 'first').length).toBeGreaterThan(0);
      expect(byDispatcher.filter((name) => name === 'second').length).toBeGreaterThan(0);
      const statuses = await first.prisma.outbox.groupBy({ by: ['status', 'attempts'], _count: { _all: true } });
      expect(statuses).toEqual([{ status: 'sent', attempts: 1, _count: { _all: 200 } }]);
    } finally {
      await first.close();
      await second.close();
      await testDatabase.drop();
    }
  });
});

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisAvailable = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(redisUrl);
  const socket = net.connect(Number(port), hostname, () => {
    socket.end();
    resolve(true);
  });
  socket.on('error', () => resolve(false));
}).then((up) => {
  if (!up && process.env.CI === 'true') throw new Error(`Redis is required under CI=true (${redisUrl})`);
  return up;
});

describe('two dispatchers sharing the e-mail limit over Redis (REDIS_URL)', () => {
  it.skipIf(!pgAvailable || !redisAvailable)('never have more than maxConcurrent e-mails in flight between them, and deliver each once', async () => {
    const testDatabase = await createTestDatabase();
    const logger = createSilentLogger();
    const first = await openDatabase({ databaseUrl: testDatabase.url, logger });
    const second = await openDatabase({ databaseUrl: testDatabase.url, logger });
    const health = new HealthRegistry();
    const factories = [createRateLimiterFactory({ redisUrl, logger, health }), createRateLimiterFactory({ redisUrl, logger })];
    try {
      const { migrate } = await import('../../src/store/migrate.ts');
      await migrate(first, { logger });
      const now = new Date();
      await first.prisma.outbox.createMany({
        data: Array.from({ length: 40 }, (_unused, index) => ({
          idempotencyKey: `shared:${index}`,
          channel: 'email',
          kind: 'acknowledgement',
          payload: { index },
          nextAttemptAt: now,
        })),
      });
      let inFlight = 0;
      let maxInFlight = 0;
      const deliveries = new Map<string, number>();
      const handler: OutboxHandler = {
        async deliver(item) {
          inFlight += 1;
          maxInFlight = Math.max(maxInFlight, inFlight);
          await new Promise((resolve) => setTimeout(resolve, 20));
          inFlight -= 1;
          deliveries.set(item.id, (deliveries.get(item.id) ?? 0) + 1);
        },
      };
      // A fresh limiter name per run: each test database starts with no shared state in Redis.
      const limits = { email: { maxConcurrent: 3 } };
      const name = `${path.basename(new URL(testDatabase.url).pathname)}`;
      const dispatchers = [first, second].map((database, index) =>
        createOutboxDispatcher({
          outbox: createOutboxRepository(database.prisma),
          logger,
          pollIntervalMs: 60_000,
          limits,
          limiterFactory: scoped(factories[index]!, name),
          handlers: { email: handler },
        }),
      );
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.drain()));
      await Promise.all(dispatchers.map((dispatcher) => dispatcher.stop()));
      expect(deliveries.size).toBe(40);
      expect([...deliveries.values()].every((count) => count === 1)).toBe(true);
      expect(maxInFlight).toBeLessThanOrEqual(3);
      expect(health.get('redis')?.state).toBe('ok');
    } finally {
      await Promise.all(factories.map((factory) => factory.close()));
      await first.close();
      await second.close();
      await testDatabase.drop();
    }
  });
});

/** The same factory with limiter names prefixed, so concurrent test runs do not share Redis state. */
function scoped(factory: RateLimiterFactory, prefix: string): RateLimiterFactory {
  return { ...factory, create: (options) => factory.create({ ...options, name: `${prefix}:${options.name}` }) };
}

describe.each(backends)('deskbot outbox on $name', (backend) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-outbox-cli-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function environment(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
    if (backend.name === 'postgres') {
      const testDatabase = await createTestDatabase();
      return { env: { LOG_LEVEL: 'silent', DATA_DIR: tmp, DATABASE_URL: testDatabase.url }, drop: () => testDatabase.drop() };
    }
    return { env: { LOG_LEVEL: 'silent', DATA_DIR: fs.mkdtempSync(path.join(tmp, 'data-')) }, drop: async () => undefined };
  }

  async function run(args: string[], env: Record<string, string>) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
    return { code, stdout, stderr };
  }

  it.skipIf(!backend.available)('lists pending and dead rows as a table or JSON, and retries a dead row', async () => {
    const { env, drop } = await environment();
    try {
      const runtime = await openRuntime(loadConfig(env), { logger: createSilentLogger() });
      const now = runtime.clock.now();
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'ack:1', ticketId: 17 }), now);
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'slack:1', channel: 'slack', kind: 'ticket-opened', ticketId: 17 }), now);
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'closure:1', kind: 'closure', ticketId: 18 }), now);
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'sent:1', kind: 'needs-info', ticketId: 19 }), now);
      const stored = await runtime.database.prisma.outbox.findMany({ orderBy: { id: 'asc' } });
      await runtime.database.prisma.outbox.update({
        where: { id: stored[0]!.id },
        data: { attempts: 3, lastError: 'SMTP_TRANSIENT: connect ECONNREFUSED 127.0.0.1:25' },
      });
      await runtime.database.prisma.outbox.update({
        where: { id: stored[2]!.id },
        data: { status: 'dead', attempts: 1, lastError: 'SMTP_PERMANENT: 550 5.1.1 no such user' },
      });
      await runtime.database.prisma.outbox.update({ where: { id: stored[3]!.id }, data: { status: 'sent', sentAt: now } });
      await runtime.close();

      const table = await run(['outbox'], env);
      expect(table.code).toBe(0);
      expect(table.stdout).toMatch(/^pending email\/acknowledgement: 1 \(oldest waiting (?:\d+|< 1) min\)$/m);
      expect(table.stdout).toMatch(/^pending slack\/ticket-opened: 1 /m);
      expect(table.stdout).toMatch(/^ID\s+CHANNEL\s+KIND\s+TICKET\s+STATUS\s+ATTEMPTS\s+NEXT ATTEMPT\s+LAST ERROR$/m);
      expect(table.stdout).toMatch(
        new RegExp(`^${stored[0]!.id}\\s+email\\s+acknowledgement\\s+17\\s+pending\\s+3\\s+\\S+Z\\s+SMTP_TRANSIENT: connect ECONNREFUSED`, 'm'),
      );
      expect(table.stdout).toMatch(new RegExp(`^${stored[2]!.id}\\s+email\\s+closure\\s+18\\s+dead\\s+1\\s+-\\s+SMTP_PERMANENT: 550`, 'm'));
      expect(table.stdout).not.toContain('needs-info');

      const all = await run(['outbox', '--all', '--json'], env);
      expect(all.code).toBe(0);
      const listed = JSON.parse(all.stdout) as { summary: unknown[]; items: Array<{ id: string; status: string }> };
      expect(listed.items.map((item) => item.status)).toEqual(['sent', 'dead', 'pending', 'pending']);
      expect(listed.summary).toHaveLength(2);

      const retried = await run(['outbox', '--retry', stored[2]!.id.toString()], env);
      expect(retried).toMatchObject({ code: 0, stdout: `outbox ${stored[2]!.id} (email/closure) is pending again\n` });
      const again = await run(['outbox', '--retry', stored[2]!.id.toString()], env);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('only dead rows can be retried');
      expect((await run(['outbox', '--retry', 'abc'], env)).code).toBe(2);
    } finally {
      await drop();
    }
  });

  it.skipIf(!backend.available)('`outbox retry --pending` makes rows waiting on a back-off due now; `outbox retry <id>` requeues a dead row', async () => {
    const { env, drop } = await environment();
    try {
      const runtime = await openRuntime(loadConfig(env), { logger: createSilentLogger() });
      const now = runtime.clock.now();
      const later = new Date(now.getTime() + 4 * 60_000 + 37_000);
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'ack:waiting' }), now);
      await enqueueOutbox(runtime.database.prisma, row({ idempotencyKey: 'ack:dead', kind: 'closure' }), now);
      const [waiting, dead] = await runtime.database.prisma.outbox.findMany({ orderBy: { id: 'asc' } });
      await runtime.database.prisma.outbox.update({
        where: { id: waiting!.id },
        data: { attempts: 1, nextAttemptAt: later, lastError: 'SMTP_TRANSIENT: SMTP authentication failed' },
      });
      await runtime.database.prisma.outbox.update({ where: { id: dead!.id }, data: { status: 'dead', attempts: 1 } });
      await runtime.close();

      const forced = await run(['outbox', 'retry', '--pending'], env);
      expect(forced).toMatchObject({ code: 0, stdout: '1 pending row(s) waiting on a back-off are due now\n' });
      const requeued = await run(['outbox', 'retry', dead!.id.toString(), '--json'], env);
      expect(requeued.code).toBe(0);
      expect(JSON.parse(requeued.stdout)).toMatchObject({ retried: { id: dead!.id.toString(), status: 'pending' } });
      const usage = await run(['outbox', 'retry'], env);
      expect(usage.code).toBe(2);
      expect(usage.stderr).toContain('either a dead row ID or --pending');

      const after = await openRuntime(loadConfig(env), { logger: createSilentLogger() });
      try {
        const stored = await after.database.prisma.outbox.findUniqueOrThrow({ where: { id: waiting!.id } });
        expect(stored.nextAttemptAt.getTime()).toBeLessThan(later.getTime());
        expect(stored.nextAttemptAt.getTime()).toBeLessThanOrEqual(Date.now());
      } finally {
        await after.close();
      }
    } finally {
      await drop();
    }
  });
});
