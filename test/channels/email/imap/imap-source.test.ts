// IMAP intake against a real Dovecot: IDLE push, UID order, exactly-once across restarts, flag/move only after
// the handler committed, retry and poison handling, UIDVALIDITY change, reconnects. Handlers are recording fakes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OversizedMailHandler } from '../../../../src/channels/email/imap/batch.ts';
import { createImapSource, type ImapSource, type ImapSourceStatus } from '../../../../src/channels/email/imap/imap-source.ts';
import type { ImapSettings, ImapTimings } from '../../../../src/channels/email/imap/settings.ts';
import { DeskbotError } from '../../../../src/errors.ts';
import { HealthRegistry } from '../../../../src/health.ts';
import { createSilentLogger, type Logger } from '../../../../src/logger.ts';
import { metrics } from '../../../../src/metrics.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../../../../src/app/ports.ts';
import { openDatabase, type Database } from '../../../../src/store/database.ts';
import { createMailboxStateRepository, type MailboxStateRepository } from '../../../../src/store/mailbox-state-repository.ts';
import { migrate } from '../../../../src/store/migrate.ts';
import { dovecotAvailable, startDovecot, type Dovecot } from '../../../helpers/dovecot.ts';
import { capturedLogger } from '../../../helpers/captured-logger.ts';
import { createLargeMailTurn, type LargeMailTurn } from '../../../../src/large-mail-turn.ts';

const available = dovecotAvailable();
const FLAG = '$DeskbotProcessed';

/** A message from its own sender (`<id>@customer.example`) unless `from` says otherwise. */
function mail(id: string, options: { body?: string; from?: string; inReplyTo?: string } = {}): string {
  return [
    `From: ${options.from ?? `Caller ${id} <${id}@customer.example>`}`,
    ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`] : []),
    'To: support@deskbot.local',
    `Subject: Test ${id}`,
    `Message-ID: <${id}@test.example>`,
    'Date: Mon, 23 Nov 2026 10:00:00 +0000',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    options.body ?? `Body of ${id}.`,
    '',
  ].join('\r\n');
}

const messageIdOf = (raw: Buffer) => /^Message-ID:\s*(\S+)/im.exec(raw.toString('latin1'))?.[1] ?? '?';

interface Call {
  messageId: string;
  uid: bigint | undefined;
  outcome?: InboundResult['outcome'];
}

/** A handler fake honouring the contract: idempotent per Message-ID ('duplicate' on a second delivery). */
function recorder(committed: Set<string> = new Set()) {
  const calls: Call[] = [];
  let behaviour: (call: Call, raw: Buffer, source: InboundSource) => Promise<void> | void = () => undefined;
  const handler: InboundMailHandler = async (raw, source) => {
    const call: Call = { messageId: messageIdOf(raw), uid: source.kind === 'imap' ? source.uid : undefined };
    calls.push(call);
    await behaviour(call, raw, source);
    call.outcome = committed.has(call.messageId) ? 'duplicate' : 'ticket';
    committed.add(call.messageId);
    return { outcome: call.outcome };
  };
  return {
    calls,
    committed,
    handler,
    set behave(next: typeof behaviour) {
      behaviour = next;
    },
    handled: () => calls.filter((call) => call.outcome !== undefined),
  };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.skipIf(!available)('IMAP source on Dovecot', () => {
  let dovecot: Dovecot;
  let database: Database;
  let state: MailboxStateRepository;
  const running: ImapSource[] = [];

  beforeAll(async () => {
    dovecot = await startDovecot();
    database = await openDatabase({ logger: createSilentLogger() });
    await migrate(database, { logger: createSilentLogger() });
    state = createMailboxStateRepository(database.prisma);
  });

  afterAll(async () => {
    for (const source of running) await source.stop();
    await database?.close();
    await dovecot?.stop();
  });

  const createMailbox = (name: string) => dovecot.withClient((client) => client.mailboxCreate(name));

  function settings(mailbox: string, overrides: Partial<ImapSettings> = {}): ImapSettings {
    return {
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      rejectUnauthorized: true,
      user: dovecot.user,
      password: dovecot.password,
      mailbox,
      processedAction: 'flag',
      processedFlag: FLAG,
      processedFolder: 'Processed',
      maxBytes: 25 * 1024 * 1024,
      ...overrides,
    };
  }

  const noOversized: OversizedMailHandler = async () => {
    throw new Error('unexpected oversized message');
  };

  function source(
    mailbox: string,
    handler: InboundMailHandler,
    extra: {
      settings?: Partial<ImapSettings>;
      timings?: Partial<ImapTimings>;
      oversized?: OversizedMailHandler;
      logger?: Logger;
      health?: HealthRegistry;
      largeMail?: LargeMailTurn;
    } = {},
  ) {
    const statuses: ImapSourceStatus[] = [];
    const created = createImapSource({
      settings: settings(mailbox, extra.settings),
      handler,
      oversizedHandler: extra.oversized ?? noOversized,
      state,
      logger: extra.logger ?? createSilentLogger(),
      ...(extra.health ? { health: extra.health } : {}),
      ...(extra.largeMail ? { largeMail: extra.largeMail, storesInOrder: true } : {}),
      timings: { reconnect: { initialMs: 100, maxMs: 1_000 }, retry: { initialMs: 50, maxMs: 200 }, ...extra.timings },
      random: () => 0.5,
      onStatus: (status) => statuses.push(status),
    });
    running.push(created);
    return { source: created, statuses };
  }

  const flagsOf = async (mailbox: string) => dovecot.flags(mailbox);

  it('processes the messages present before start in UID order, flags each and stores the resume point', async () => {
    await createMailbox('Order');
    const uids: number[] = [];
    for (let n = 1; n <= 5; n++) uids.push(await dovecot.append(mail(`order-${n}`), [], 'Order'));
    const fake = recorder();
    const { source: intake } = source('Order', fake.handler);
    await intake.start();
    await waitFor(() => fake.handled().length === 5, 10_000, '5 messages');
    const connected = async () => (await metrics.imapConnected.get()).values[0]?.value;
    expect(await connected()).toBe(1);
    await intake.stop();
    expect(await connected()).toBe(0);

    expect(fake.calls.map((call) => call.messageId)).toEqual([1, 2, 3, 4, 5].map((n) => `<order-${n}@test.example>`));
    expect(fake.calls.map((call) => Number(call.uid))).toEqual(uids);
    const flags = await flagsOf('Order');
    for (const uid of uids) expect(flags.get(uid)?.has(FLAG)).toBe(true);
    const position = await state.get('Order');
    expect(position?.lastUid).toBe(BigInt(uids[4]!));
    const uidValidity = await dovecot.withClient(async (client) => (await client.status('Order', { uidValidity: true })) || undefined);
    expect(position?.uidValidity).toBe(uidValidity?.uidValidity);
  });

  it('fetches a large message only in the large-mail turn it shares with the worker, the ones before it meanwhile', async () => {
    await createMailbox('Large');
    // 2 KB threshold: the 20 KB message is large, the others are not.
    const turn = createLargeMailTurn(2_048);
    const workerTurn = await turn.take();
    await dovecot.append(mail('large-1'), [], 'Large');
    await dovecot.append(mail('large-2', { body: 'x'.repeat(20_000) }), [], 'Large');
    await dovecot.append(mail('large-3'), [], 'Large');
    const fake = recorder();
    const { source: intake } = source('Large', fake.handler, { largeMail: turn });
    await intake.start();
    await waitFor(() => fake.handled().length === 1, 10_000, 'the message before the large one');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The large one waits for the turn, and the one after it waits behind it (the leader stores in UID order).
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<large-1@test.example>']);
    workerTurn();
    await waitFor(() => fake.handled().length === 3, 10_000, 'all three');
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<large-1@test.example>', '<large-2@test.example>', '<large-3@test.example>']);
    // The leader passed the turn on once the large message was handled.
    (await turn.take())();
    await intake.stop();
  });

  it('hands a message appended while idling to the handler within 2 s, with no polling configured', async () => {
    await createMailbox('Push');
    const fake = recorder();
    const { source: intake, statuses } = source('Push', fake.handler, { timings: {} });
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    for (let n = 1; n <= 3; n++) {
      const appendedAt = Date.now();
      await dovecot.append(mail(`push-${n}`), [], 'Push');
      await waitFor(() => fake.handled().length === n, 2_000, `push-${n} within 2 s`);
      expect(Date.now() - appendedAt).toBeLessThan(2_000);
      await waitFor(() => intake.status === 'idle', 2_000, 'IDLE again');
    }
    // Nothing but IDLE brought the mail: the watchdog and rescan timers are a minute and more away.
    expect(statuses.filter((status) => status === 'connecting')).toHaveLength(1);
    await intake.stop();
  });

  it('handles a burst appended while idling completely and in UID order', async () => {
    await createMailbox('Burst');
    const fake = recorder();
    const { source: intake } = source('Burst', fake.handler);
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    const uids = await dovecot.withClient(async (client) => {
      const appended: number[] = [];
      for (let n = 1; n <= 100; n++) {
        const result = await client.append('Burst', mail(`burst-${n}`));
        if (result && result.uid !== undefined) appended.push(result.uid);
      }
      return appended;
    });
    await waitFor(() => fake.handled().length === 100, 20_000, '100 messages');
    await intake.stop();
    expect(fake.calls.map((call) => Number(call.uid))).toEqual(uids);
    expect((await state.get('Burst'))?.lastUid).toBe(BigInt(uids[99]!));
  });

  it('survives a stop in the middle of a batch: every message handled exactly once, none missed', async () => {
    await createMailbox('Batch');
    for (let n = 1; n <= 10; n++) await dovecot.append(mail(`batch-${n}`), [], 'Batch');
    const committed = new Set<string>();
    const first = recorder(committed);
    const { source: intakeA } = source('Batch', first.handler);
    let stopping: Promise<void> | undefined;
    first.behave = async () => {
      if (first.calls.length === 4) {
        stopping = intakeA.stop();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await intakeA.start();
    await waitFor(() => stopping !== undefined, 10_000, 'the 4th message');
    await stopping;
    expect(intakeA.status).toBe('stopped');
    expect(first.handled()).toHaveLength(4);
    expect((await state.get('Batch'))?.lastUid).toBe(4n);

    const second = recorder(committed);
    const { source: intakeB } = source('Batch', second.handler);
    await intakeB.start();
    await waitFor(() => second.handled().length === 6, 10_000, 'the remaining 6');
    await intakeB.stop();

    const all = [...first.calls, ...second.calls];
    expect(all.map((call) => call.messageId)).toEqual(Array.from({ length: 10 }, (_, index) => `<batch-${index + 1}@test.example>`));
    expect(all.every((call) => call.outcome === 'ticket')).toBe(true);
    expect((await state.get('Batch'))?.lastUid).toBe(10n);
  });

  it('marks a message processed only after the handler resolved; a retryable rejection leaves it unflagged and retries it', async () => {
    await createMailbox('Retry');
    const uid1 = await dovecot.append(mail('retry-1'), [], 'Retry');
    const uid2 = await dovecot.append(mail('retry-2'), [], 'Retry');
    const fake = recorder();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let attempts = 0;
    fake.behave = async (call) => {
      if (call.messageId !== '<retry-1@test.example>') return;
      attempts += 1;
      if (attempts <= 2) throw new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true });
      await gate;
    };
    const health = new HealthRegistry();
    const { source: intake } = source('Retry', fake.handler, { health });
    await intake.start();
    await waitFor(() => attempts === 3, 10_000, 'the third attempt');
    // The handler is still working on the third attempt: nothing is flagged, the resume point has not moved,
    // and the later message waits its turn.
    expect((await flagsOf('Retry')).get(uid1)?.has(FLAG)).toBe(false);
    expect((await state.get('Retry'))?.lastUid).toBe(0n);
    expect(fake.calls.map((call) => call.messageId)).toEqual(Array(3).fill('<retry-1@test.example>'));
    expect(health.get('imap')?.state).toBe('degraded');
    release();
    await waitFor(() => fake.handled().length === 2, 10_000, 'both handled');
    await waitFor(async () => (await flagsOf('Retry')).get(uid2)?.has(FLAG) === true, 5_000, 'flag on the second');
    expect((await flagsOf('Retry')).get(uid1)?.has(FLAG)).toBe(true);
    expect((await state.get('Retry'))?.lastUid).toBe(BigInt(uid2));
    expect(intake.stats()).toMatchObject({ handled: 2, retried: 2, failed: 0 });
    expect(health.get('imap')?.state).toBe('ok');
    await intake.stop();
    expect(health.get('imap')?.state).toBe('off');
  });

  it('logs and skips a message whose handler fails with a bug, moves on, and retries it after a reconnect', async () => {
    await createMailbox('Poison');
    const uids = [];
    for (let n = 1; n <= 3; n++) uids.push(await dovecot.append(mail(`poison-${n}`, { body: `secret body ${n}` }), [], 'Poison'));
    const committed = new Set<string>();
    const fake = recorder(committed);
    fake.behave = (call) => {
      if (call.messageId === '<poison-2@test.example>') throw new TypeError('cannot read properties of undefined');
    };
    const { logger, lines } = capturedLogger();
    const { source: intake } = source('Poison', fake.handler, { logger });
    await intake.start();
    await waitFor(() => fake.handled().length === 2, 10_000, 'messages 1 and 3');
    await intake.stop();

    expect(fake.handled().map((call) => call.messageId)).toEqual(['<poison-1@test.example>', '<poison-3@test.example>']);
    expect(intake.stats()).toMatchObject({ handled: 2, failed: 1 });
    const flags = await flagsOf('Poison');
    expect(uids.map((uid) => flags.get(uid)?.has(FLAG))).toEqual([true, false, true]);
    // The resume point stops before the failed message so a restart sees it again.
    expect((await state.get('Poison'))?.lastUid).toBe(BigInt(uids[0]!));
    const failure = lines.find((line) => line.event === 'handler-failed');
    expect(failure).toMatchObject({ component: 'imap', uid: uids[1], messageId: '<poison-2@test.example>', level: 50 });
    expect(JSON.stringify(lines)).not.toContain('secret body');

    const retry = recorder(committed);
    const { source: again } = source('Poison', retry.handler);
    await again.start();
    await waitFor(() => retry.handled().length === 1, 10_000, 'the retried message');
    await again.stop();
    expect(retry.calls.map((call) => [call.messageId, call.outcome])).toEqual([['<poison-2@test.example>', 'ticket']]);
    expect((await flagsOf('Poison')).get(uids[1]!)?.has(FLAG)).toBe(true);
  });

  it('falls back to Message-ID de-duplication when UIDVALIDITY changes (mailbox re-created)', async () => {
    await createMailbox('Recreate');
    for (let n = 1; n <= 3; n++) await dovecot.append(mail(`recreate-${n}`), [], 'Recreate');
    const committed = new Set<string>();
    const before = recorder(committed);
    const { source: first } = source('Recreate', before.handler);
    await first.start();
    await waitFor(() => before.handled().length === 3, 10_000, 'first pass');
    await first.stop();
    const oldPosition = await state.get('Recreate');

    await dovecot.withClient(async (client) => {
      await client.mailboxDelete('Recreate');
      await client.mailboxCreate('Recreate');
    });
    // The same three messages restored without our flag, one already marked processed, one new.
    for (let n = 1; n <= 3; n++) await dovecot.append(mail(`recreate-${n}`), [], 'Recreate');
    await dovecot.append(mail('recreate-flagged'), [FLAG], 'Recreate');
    const newUid = await dovecot.append(mail('recreate-new'), [], 'Recreate');

    const after = recorder(committed);
    const { logger, lines } = capturedLogger();
    const { source: second } = source('Recreate', after.handler, { logger });
    await second.start();
    await waitFor(() => after.handled().length === 4, 10_000, 'the re-scan');
    await second.stop();

    expect(after.calls.map((call) => [call.messageId, call.outcome])).toEqual([
      ['<recreate-1@test.example>', 'duplicate'],
      ['<recreate-2@test.example>', 'duplicate'],
      ['<recreate-3@test.example>', 'duplicate'],
      ['<recreate-new@test.example>', 'ticket'],
    ]);
    const position = await state.get('Recreate');
    expect(position?.uidValidity).not.toBe(oldPosition?.uidValidity);
    expect(position?.lastUid).toBe(BigInt(newUid));
    expect(lines.some((line) => line.event === 'uidvalidity-changed')).toBe(true);
    expect([...(await flagsOf('Recreate')).values()].every((flags) => flags.has(FLAG))).toBe(true);
  });

  it('moves handled messages to the processed folder, creating it when missing', async () => {
    await createMailbox('MoveIn');
    for (let n = 1; n <= 2; n++) await dovecot.append(mail(`move-${n}`), [], 'MoveIn');
    const fake = recorder();
    const { source: intake } = source('MoveIn', fake.handler, { settings: { processedAction: 'move', processedFolder: 'MoveDone' } });
    await intake.start();
    // stats().handled counts a message once its MOVE completed. Reading the folders while a MOVE runs can race
    // Dovecot's Maildir sync (the reader's session may still list the moved file), so look only afterwards.
    await waitFor(() => intake.stats().handled === 2, 10_000, 'both moved');
    expect((await flagsOf('MoveIn')).size).toBe(0);
    await intake.stop();
    expect((await flagsOf('MoveDone')).size).toBe(2);
  });

  it('passes only the headers and the size of a message above MAIL_MAX_BYTES to the oversized handler', async () => {
    await createMailbox('Big');
    const raw = mail('big-1', { body: 'x'.repeat(5_000) });
    await dovecot.append(raw, [], 'Big');
    const fake = recorder();
    const oversizedCalls: { headers: string; size: number; source: InboundSource }[] = [];
    const oversized: OversizedMailHandler = async (headers, size, from) => {
      oversizedCalls.push({ headers: headers.toString(), size, source: from });
      return { outcome: 'quarantined', reason: 'too-large' };
    };
    const { source: intake } = source('Big', fake.handler, { settings: { maxBytes: 2_000 }, oversized });
    await intake.start();
    await waitFor(() => oversizedCalls.length === 1, 10_000, 'the oversized call');
    await waitFor(async () => (await flagsOf('Big')).get(1)?.has(FLAG) === true, 5_000, 'flag');
    await intake.stop();
    expect(fake.calls).toHaveLength(0);
    expect(oversizedCalls[0]?.size).toBe(Buffer.byteLength(raw));
    expect(oversizedCalls[0]?.headers).toContain('Message-ID: <big-1@test.example>');
    expect(oversizedCalls[0]?.headers.endsWith('\r\n\r\n')).toBe(true);
    expect(oversizedCalls[0]?.headers).not.toContain('xxxx');
    expect(oversizedCalls[0]?.source).toMatchObject({ kind: 'imap', mailbox: 'Big', uid: 1n });
  });

  it('reconnects by itself after a Dovecot restart and picks up a message appended afterwards', async () => {
    await createMailbox('Restart');
    const fake = recorder();
    const health = new HealthRegistry();
    const { source: intake } = source('Restart', fake.handler, { health });
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    expect(health.get('imap')?.state).toBe('ok');
    await dovecot.restart();
    await dovecot.append(mail('restart-1'), [], 'Restart');
    await waitFor(() => fake.handled().length === 1, 15_000, 'the message after the restart');
    expect(intake.stats().reconnects).toBeGreaterThanOrEqual(1);
    await waitFor(() => health.get('imap')?.state === 'ok', 5_000, 'health ok');
    await intake.stop();
  });

  it('redelivers a message whose handler committed but whose flag was lost with the connection, and the handler de-duplicates it', async () => {
    await createMailbox('Crash');
    for (let n = 1; n <= 3; n++) await dovecot.append(mail(`crash-${n}`), [], 'Crash');
    const fake = recorder();
    let restarted = false;
    fake.behave = async (call) => {
      if (call.messageId === '<crash-2@test.example>' && !restarted) {
        restarted = true;
        await dovecot.restart();
      }
    };
    const { source: intake } = source('Crash', fake.handler);
    await intake.start();
    await waitFor(() => fake.handled().length === 4, 20_000, 'all messages');
    await intake.stop();
    expect(fake.calls.map((call) => [call.messageId, call.outcome])).toEqual([
      ['<crash-1@test.example>', 'ticket'],
      ['<crash-2@test.example>', 'ticket'],
      ['<crash-2@test.example>', 'duplicate'],
      ['<crash-3@test.example>', 'ticket'],
    ]);
    expect((await state.get('Crash'))?.lastUid).toBe(3n);
  });

  it('detects a connection that stops answering with the NOOP watchdog and reconnects', async () => {
    await createMailbox('Frozen');
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    const before = new Set(dovecot.childPids('imap'));
    const { source: intake } = source('Frozen', fake.handler, { logger, timings: { watchdogIntervalMs: 300, watchdogTimeoutMs: 500 } });
    await intake.start();
    await waitFor(() => intake.status === 'idle', 10_000, 'IDLE');
    const ours = dovecot.childPids('imap').filter((pid) => !before.has(pid));
    expect(ours).toHaveLength(1);
    process.kill(ours[0]!, 'SIGSTOP');
    try {
      await waitFor(() => lines.some((line) => line.event === 'watchdog-failed'), 5_000, 'the watchdog');
      await waitFor(() => intake.stats().reconnects === 1 && intake.status === 'idle', 10_000, 'the reconnect');
      await dovecot.append(mail('frozen-1'), [], 'Frozen');
      await waitFor(() => fake.handled().length === 1, 5_000, 'the message on the new connection');
    } finally {
      process.kill(ours[0]!, 'SIGCONT');
    }
    await intake.stop();
  });

  it('reports a wrong password as IMAP_AUTH with health down and keeps retrying', async () => {
    const health = new HealthRegistry();
    const { logger, lines } = capturedLogger();
    const { source: intake } = source('INBOX', recorder().handler, { settings: { password: 'Wr0ng-Passw0rd-71' }, health, logger });
    await intake.start();
    await waitFor(() => health.get('imap')?.state === 'down', 10_000, 'health down');
    expect(health.get('imap')?.detail).toContain('credentials');
    expect(lines.find((line) => line.event === 'connection-failed')).toMatchObject({ code: 'IMAP_AUTH' });
    expect(JSON.stringify(lines)).not.toContain('Wr0ng-Passw0rd-71');
    await waitFor(() => lines.filter((line) => line.event === 'reconnect-scheduled').length >= 2, 10_000, 'a second attempt');
    await intake.stop();
  });

  describe('with concurrency 4', () => {
    /** Per-Message-ID gates a handler waits on, and how many handlers run at each call. */
    function gated() {
      const gates = new Map<string, () => void>();
      const waiting = new Map<string, Promise<void>>();
      let running = 0;
      let maxRunning = 0;
      const gate = (id: string) => {
        if (!waiting.has(id)) waiting.set(id, new Promise<void>((resolve) => gates.set(id, resolve)));
        return waiting.get(id)!;
      };
      return {
        gate,
        open: (id: string) => {
          gate(id);
          gates.get(id)!();
        },
        openAll: () => {
          for (const release of gates.values()) release();
        },
        async track<T>(work: () => Promise<T>): Promise<T> {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          try {
            return await work();
          } finally {
            running -= 1;
          }
        },
        get running() {
          return running;
        },
        get maxRunning() {
          return maxRunning;
        },
      };
    }

    it('starts handlers in UID order, at most 4 at once, flags each after its own commit and moves the resume point over committed UIDs only', async () => {
      await createMailbox('Window');
      const uids: number[] = [];
      for (let n = 1; n <= 8; n++) uids.push(await dovecot.append(mail(`window-${n}`), [], 'Window'));
      const fake = recorder();
      const gates = gated();
      fake.behave = (call) => gates.track(() => gates.gate(call.messageId));
      const { source: intake } = source('Window', fake.handler, { settings: { concurrency: 4 } });
      await intake.start();
      await waitFor(() => fake.calls.length === 4, 10_000, '4 handlers');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fake.calls.map((call) => call.messageId)).toEqual([1, 2, 3, 4].map((n) => `<window-${n}@test.example>`));
      expect(gates.running).toBe(4);

      // The third commits first: it is flagged, but the resume point waits for the first and second.
      gates.open('<window-3@test.example>');
      await waitFor(async () => (await flagsOf('Window')).get(uids[2]!)?.has(FLAG) === true, 5_000, 'flag on the third');
      const early = await flagsOf('Window');
      expect([uids[0], uids[1], uids[3]].map((uid) => early.get(uid!)?.has(FLAG))).toEqual([false, false, false]);
      expect((await state.get('Window'))?.lastUid).toBe(0n);
      await waitFor(() => fake.calls.length === 5, 5_000, 'the fifth handler in the freed slot');

      gates.open('<window-1@test.example>');
      await waitFor(async () => (await state.get('Window'))?.lastUid === BigInt(uids[0]!), 5_000, 'resume point at the first');
      gates.open('<window-2@test.example>');
      await waitFor(async () => (await state.get('Window'))?.lastUid === BigInt(uids[2]!), 5_000, 'resume point over the third');

      for (let n = 4; n <= 8; n++) gates.open(`<window-${n}@test.example>`);
      await waitFor(() => fake.handled().length === 8, 10_000, 'all 8');
      await waitFor(async () => (await state.get('Window'))?.lastUid === BigInt(uids[7]!), 5_000, 'resume point at the last');
      await intake.stop();
      expect(fake.calls.map((call) => Number(call.uid))).toEqual(uids);
      expect(gates.maxRunning).toBe(4);
      const flags = await flagsOf('Window');
      expect(uids.every((uid) => flags.get(uid)?.has(FLAG))).toBe(true);
      expect(intake.stats()).toMatchObject({ handled: 8, failed: 0, retried: 0 });
    });

    it('runs a message only after a running one from the same sender, or the one it answers, has committed', async () => {
      await createMailbox('Related');
      const uids: number[] = [];
      uids.push(await dovecot.append(mail('rel-1', { from: 'Ana <ana@customer.example>' }), [], 'Related'));
      uids.push(await dovecot.append(mail('rel-2', { from: 'ANA <Ana@Customer.example>' }), [], 'Related'));
      uids.push(await dovecot.append(mail('rel-3', { from: 'Bo <bo@customer.example>' }), [], 'Related'));
      uids.push(await dovecot.append(mail('rel-4', { from: 'Cy <cy@other.example>', inReplyTo: '<rel-3@test.example>' }), [], 'Related'));
      uids.push(await dovecot.append(mail('rel-5'), [], 'Related'));
      const fake = recorder();
      const gates = gated();
      fake.behave = (call) => gates.track(() => gates.gate(call.messageId));
      const { source: intake } = source('Related', fake.handler, { settings: { concurrency: 4 } });
      await intake.start();
      // rel-1 runs; rel-2 (same sender, any case) waits for it, and handlers start in UID order, so all wait.
      await waitFor(() => fake.calls.length === 1, 10_000, 'the first handler');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fake.calls.map((call) => call.messageId)).toEqual(['<rel-1@test.example>']);
      gates.open('<rel-1@test.example>');
      // rel-2 and rel-3 start; rel-4 answers rel-3, which still runs, so it waits (and rel-5 behind it).
      await waitFor(() => fake.calls.length === 3, 5_000, 'rel-2 and rel-3 after rel-1');
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(fake.calls.map((call) => call.messageId)).toEqual(['<rel-1@test.example>', '<rel-2@test.example>', '<rel-3@test.example>']);
      gates.open('<rel-3@test.example>');
      await waitFor(() => fake.calls.length === 5, 5_000, 'rel-4 after rel-3, then rel-5');
      expect(fake.calls.map((call) => call.messageId).slice(3)).toEqual(['<rel-4@test.example>', '<rel-5@test.example>']);
      gates.openAll();
      await waitFor(() => intake.stats().handled === 5, 10_000, 'all 5');
      await intake.stop();
    });

    it('skips a message whose handler fails with a bug while the others go on; the resume point stays before it', async () => {
      await createMailbox('PoisonWindow');
      const uids: number[] = [];
      for (let n = 1; n <= 6; n++) uids.push(await dovecot.append(mail(`pw-${n}`), [], 'PoisonWindow'));
      const committed = new Set<string>();
      const fake = recorder(committed);
      fake.behave = (call) => {
        if (call.messageId === '<pw-3@test.example>') throw new TypeError('a bug');
      };
      const { source: intake } = source('PoisonWindow', fake.handler, { settings: { concurrency: 4 } });
      await intake.start();
      await waitFor(() => fake.handled().length === 5, 10_000, 'the 5 others');
      await waitFor(async () => (await flagsOf('PoisonWindow')).get(uids[5]!)?.has(FLAG) === true, 5_000, 'flag on the last');
      await intake.stop();
      const flags = await flagsOf('PoisonWindow');
      expect(uids.map((uid) => flags.get(uid)?.has(FLAG))).toEqual([true, true, false, true, true, true]);
      expect((await state.get('PoisonWindow'))?.lastUid).toBe(BigInt(uids[1]!));
      expect(intake.stats()).toMatchObject({ handled: 5, failed: 1 });

      const retry = recorder(committed);
      const { source: again } = source('PoisonWindow', retry.handler, { settings: { concurrency: 4 } });
      await again.start();
      await waitFor(() => retry.handled().length === 1, 10_000, 'the skipped message');
      await waitFor(async () => (await flagsOf('PoisonWindow')).get(uids[2]!)?.has(FLAG) === true, 5_000, 'flag on the skipped message');
      await again.stop();
      expect(retry.calls.map((call) => [call.messageId, call.outcome])).toEqual([['<pw-3@test.example>', 'ticket']]);
      // The flagged messages above it are not searched again; the resume point moves past them with the next commit.
      expect((await state.get('PoisonWindow'))?.lastUid).toBe(BigInt(uids[2]!));
    });

    it('after a retryable failure starts no new handler, marks the ones in hand, and retries one message at a time', async () => {
      await createMailbox('RetryWindow');
      const uids: number[] = [];
      for (let n = 1; n <= 6; n++) uids.push(await dovecot.append(mail(`rw-${n}`), [], 'RetryWindow'));
      const fake = recorder();
      const gates = gated();
      const runningAtStart: Array<[string, number]> = [];
      let failures = 0;
      fake.behave = (call) =>
        gates.track(async () => {
          runningAtStart.push([call.messageId, gates.running - 1]);
          if (call.messageId === '<rw-2@test.example>' && failures === 0) {
            failures += 1;
            // The others started before this failure finish and are marked; no new one starts meanwhile.
            await new Promise((resolve) => setTimeout(resolve, 50));
            throw new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true });
          }
          if (call.messageId === '<rw-3@test.example>' || call.messageId === '<rw-4@test.example>') await new Promise((resolve) => setTimeout(resolve, 150));
        });
      const health = new HealthRegistry();
      const { source: intake } = source('RetryWindow', fake.handler, { settings: { concurrency: 4 }, health });
      await intake.start();
      await waitFor(() => fake.handled().length === 6, 10_000, 'all 6');
      await waitFor(async () => [...(await flagsOf('RetryWindow')).values()].filter((flags) => flags.has(FLAG)).length === 6, 5_000, 'all flagged');
      await intake.stop();
      expect((await state.get('RetryWindow'))?.lastUid).toBeGreaterThanOrEqual(BigInt(uids[1]!));

      const calls = fake.calls.map((call) => call.messageId);
      // Each message committed once; only the failed one was called twice.
      expect(calls.filter((id) => id === '<rw-2@test.example>')).toHaveLength(2);
      expect(new Set(calls).size).toBe(6);
      expect(fake.handled().every((call) => call.outcome === 'ticket')).toBe(true);
      // The retry of rw-2 ran alone.
      const retried = runningAtStart.filter(([id]) => id === '<rw-2@test.example>')[1];
      expect(retried?.[1]).toBe(0);
      expect(intake.stats()).toMatchObject({ handled: 6, retried: 1, failed: 0 });
      expect(health.get('imap')?.state).toBe('off');
      const flags = await flagsOf('RetryWindow');
      expect(uids.every((uid) => flags.get(uid)?.has(FLAG))).toBe(true);
    });

    it('on stop finishes and marks the handlers in hand, starts no new one, and the next run handles the rest exactly once', async () => {
      await createMailbox('StopWindow');
      for (let n = 1; n <= 12; n++) await dovecot.append(mail(`sw-${n}`), [], 'StopWindow');
      const committed = new Set<string>();
      const first = recorder(committed);
      const { source: intakeA } = source('StopWindow', first.handler, { settings: { concurrency: 4 } });
      let stopping: Promise<void> | undefined;
      first.behave = async () => {
        if (first.calls.length === 3) stopping = intakeA.stop();
        await new Promise((resolve) => setTimeout(resolve, 100));
      };
      await intakeA.start();
      await waitFor(() => stopping !== undefined, 10_000, 'the 3rd message');
      await stopping;
      const handledFirst = first.handled().length;
      expect(handledFirst).toBe(first.calls.length);
      const flagged = [...(await flagsOf('StopWindow')).values()].filter((flags) => flags.has(FLAG)).length;
      expect(flagged).toBe(handledFirst);

      const second = recorder(committed);
      const { source: intakeB } = source('StopWindow', second.handler, { settings: { concurrency: 4 } });
      await intakeB.start();
      await waitFor(() => second.handled().length === 12 - handledFirst, 10_000, 'the rest');
      await waitFor(async () => [...(await flagsOf('StopWindow')).values()].filter((flags) => flags.has(FLAG)).length === 12, 5_000, 'all flagged');
      await intakeB.stop();
      const all = [...first.calls, ...second.calls];
      expect(all.map((call) => call.messageId).sort()).toEqual(Array.from({ length: 12 }, (_, index) => `<sw-${index + 1}@test.example>`).sort());
      expect(all.every((call) => call.outcome === 'ticket')).toBe(true);
    });

    it('keeps the raw bytes in hand within maxBytesInFlight, always admitting one message', async () => {
      await createMailbox('Bytes');
      for (let n = 1; n <= 4; n++) await dovecot.append(mail(`bytes-${n}`, { body: 'y'.repeat(6_000) }), [], 'Bytes');
      const fake = recorder();
      const gates = gated();
      fake.behave = () => gates.track(() => new Promise((resolve) => setTimeout(resolve, 50)));
      const { source: intake } = source('Bytes', fake.handler, { settings: { concurrency: 4, maxBytesInFlight: 10_000 } });
      await intake.start();
      await waitFor(() => fake.handled().length === 4, 10_000, 'all 4');
      await intake.stop();
      expect(gates.maxRunning).toBe(1);
    });

    it('redelivers the messages whose flags were lost with the connection; the handler de-duplicates them', async () => {
      await createMailbox('CrashWindow');
      const uids: number[] = [];
      for (let n = 1; n <= 6; n++) uids.push(await dovecot.append(mail(`cw-${n}`), [], 'CrashWindow'));
      const fake = recorder();
      let restarted = false;
      fake.behave = async (call) => {
        if (call.messageId === '<cw-3@test.example>' && !restarted) {
          restarted = true;
          await dovecot.restart();
        }
      };
      const { source: intake } = source('CrashWindow', fake.handler, { settings: { concurrency: 4 } });
      await intake.start();
      // The admin connection drops with the restart too: a failed look counts as not yet.
      const flaggedCount = async () =>
        [...(await flagsOf('CrashWindow').catch(() => new Map<number, Set<string>>())).values()].filter((flags) => flags.has(FLAG)).length;
      // Generous: under a full parallel suite the restarted Dovecot and the reconnect can take well over 20 s.
      await waitFor(async () => (await flaggedCount()) === 6, 60_000, 'all flagged');
      await waitFor(() => fake.calls.every((call) => call.outcome !== undefined), 5_000, 'handlers settled');
      await intake.stop();
      expect(
        fake.calls
          .filter((call) => call.outcome === 'ticket')
          .map((call) => call.messageId)
          .sort(),
      ).toEqual(Array.from({ length: 6 }, (_, index) => `<cw-${index + 1}@test.example>`).sort());
      expect(fake.calls.every((call) => call.outcome !== undefined)).toBe(true);
      const flags = await flagsOf('CrashWindow');
      expect(uids.every((uid) => flags.get(uid)?.has(FLAG))).toBe(true);
    }, 120_000);
  });
});
