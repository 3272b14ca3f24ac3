// How the dispatcher groups its statements (issue 14): the kicks of a burst of commits share claims, finished
// deliveries share mark-sent statements, and a kick after a quiet spell claims at once. An in-memory outbox counts
// the statements; delivery, leases and SQL are outbox-dispatcher.test.ts's.
import { afterEach, describe, expect, it } from 'vitest';
import type { ClaimDueManyOptions, ClaimedOutboxItem, OutboxDelivery } from '../../src/app/outbox-delivery.ts';
import { createOutboxDispatcher, type OutboxDispatcher, type OutboxItem } from '../../src/jobs/outbox-dispatcher.ts';
import { createSilentLogger } from '../../src/logger.ts';

/** The rows and the statements a dispatcher sent: claims and mark-sent, with how many rows each took. */
function memoryOutbox() {
  const pending: ClaimedOutboxItem[] = [];
  const claims: number[] = [];
  /** E-mail rows per claim that took any. */
  const emailClaims: number[] = [];
  const marks: number[] = [];
  let next = 1;
  const unsupported = () => {
    throw new Error('not used by these tests');
  };
  const outbox: OutboxDelivery = {
    async claimDueMany({ channels, leaseUntil }: ClaimDueManyOptions) {
      const taken: ClaimedOutboxItem[] = [];
      for (const { channel, limit } of channels) {
        const mine = pending.filter((row) => row.channel === channel).slice(0, limit);
        for (const row of mine) pending.splice(pending.indexOf(row), 1);
        taken.push(...mine.map((row) => ({ ...row, attempts: row.attempts + 1, leaseUntil })));
      }
      claims.push(taken.length);
      const emails = taken.filter((row) => row.channel === 'email').length;
      if (emails) emailClaims.push(emails);
      return taken;
    },
    claimDue: (options) =>
      outbox.claimDueMany({ channels: [{ channel: options.channel, limit: options.limit }], now: options.now, leaseUntil: options.leaseUntil }),
    async markSentMany(items) {
      marks.push(items.length);
      return new Set(items.map((item) => item.id));
    },
    markSent: async () => true,
    reschedule: async () => true,
    markDead: async () => true,
    release: async () => true,
    makeWaitingDue: async () => 0,
    expireLeases: async () => 0,
    pendingSummary: unsupported,
    listPending: unsupported,
    retryDead: unsupported,
  };
  /** One intake commit: an acknowledgement and a Slack item. */
  const commit = () => {
    for (const channel of ['email', 'slack']) {
      const id = String(next++);
      pending.push({ id, channel, kind: 'k', payload: {}, ticketId: null, attempts: 0, enqueuedAt: new Date(), redelivery: false, leaseUntil: new Date(0) });
    }
  };
  return { outbox, commit, claims, emailClaims, marks };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('outbox dispatcher statement grouping', () => {
  const running: OutboxDispatcher[] = [];
  afterEach(async () => {
    for (const dispatcher of running.splice(0)) await dispatcher.stop();
  });

  const start = async (
    memory: ReturnType<typeof memoryOutbox>,
    options: { claimSpacingMs: number; markWindowMs: number },
    maxConcurrent = 100,
    lane: { queued?: number; sendMs?: number } = {},
  ) => {
    const delivered: OutboxItem[] = [];
    // E-mails being sent at once (the Slack lane shares the handler but has its own slots).
    let sending = 0;
    let mostAtOnce = 0;
    const handler = {
      deliver: async (item: OutboxItem) => {
        const email = item.channel === 'email';
        if (email) sending += 1;
        mostAtOnce = Math.max(mostAtOnce, sending);
        if (lane.sendMs) await pause(lane.sendMs);
        if (email) sending -= 1;
        delivered.push(item);
      },
    };
    const dispatcher = createOutboxDispatcher({
      outbox: memory.outbox,
      logger: createSilentLogger(),
      handlers: { email: handler, slack: handler },
      pollIntervalMs: 3_600_000,
      limits: { email: { maxConcurrent, ...(lane.queued ? { queued: lane.queued } : {}) }, slack: { maxConcurrent } },
      ...options,
    });
    running.push(dispatcher);
    await dispatcher.start();
    return { dispatcher, delivered, mostAtOnce: () => mostAtOnce };
  };

  it('a burst of 20 commits, each kicking, shares a few claims and mark-sent statements and delivers every row once', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered } = await start(memory, { claimSpacingMs: 400, markWindowMs: 200 });
    await pause(20);
    const claimsBefore = memory.claims.length;
    for (let index = 0; index < 20; index++) {
      memory.commit();
      dispatcher.kick();
      await pause(10);
    }
    for (let waited = 0; delivered.length < 40 && waited < 10_000; waited += 20) await pause(20);
    await pause(300);
    expect(delivered).toHaveLength(40);
    expect(new Set(delivered.map((item) => item.id)).size).toBe(40);
    const burstClaims = memory.claims.slice(claimsBefore).filter((rows) => rows > 0);
    // One claim per kick would be 20; spaced 400 ms over a burst of about 200 ms: the first commit, then the rest.
    expect(burstClaims.length).toBeLessThanOrEqual(5);
    expect(memory.marks.reduce((sum, rows) => sum + rows, 0)).toBe(40);
    expect(memory.marks.length).toBeLessThanOrEqual(6);
  });

  it('a kick after a quiet spell claims at once, however long the spacing under load', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered } = await start(memory, { claimSpacingMs: 60_000, markWindowMs: 0 });
    await pause(20);
    memory.commit();
    dispatcher.kick();
    // With the spacing applied to this kick the rows would wait a minute (the test times out first).
    for (let waited = 0; delivered.length < 2; waited += 10) await pause(10);
    expect(delivered.map((item) => item.id).sort()).toEqual(['1', '2']);
  });

  it('drain() claims round after round without the spacing', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered } = await start(memory, { claimSpacingMs: 60_000, markWindowMs: 60_000 });
    memory.commit();
    await dispatcher.drain();
    memory.commit();
    await dispatcher.drain();
    expect(delivered).toHaveLength(4);
  });

  it('a backlog larger than the free slots refills each freed slot at once, not after the spacing', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered } = await start(memory, { claimSpacingMs: 60_000, markWindowMs: 0 }, 2);
    await pause(20);
    for (let index = 0; index < 10; index++) memory.commit();
    dispatcher.kick();
    // 20 rows through 2 slots per channel: 5 claims a channel. Spaced a minute apart they would take 4 minutes; the
    // bound only keeps a regression from hanging the suite.
    for (let waited = 0; delivered.length < 20 && waited < 20_000; waited += 10) await pause(10);
    expect(delivered).toHaveLength(20);
    expect(new Set(delivered.map((item) => item.id)).size).toBe(20);
    expect(Math.max(...memory.claims)).toBeLessThanOrEqual(4);
  });
  it('a slot is free once its e-mail is sent: the mark-sent window holds no slot', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered } = await start(memory, { claimSpacingMs: 0, markWindowMs: 60_000 }, 1);
    await pause(20);
    for (let index = 0; index < 5; index++) memory.commit();
    dispatcher.kick();
    // 10 rows through one slot per channel. Were the slot held until the row is marked sent, the second row of each
    // channel would wait the minute-long mark window; the bound only keeps a regression from hanging the suite.
    for (let waited = 0; delivered.length < 10 && waited < 10_000; waited += 10) await pause(10);
    expect(delivered).toHaveLength(10);
    expect(memory.marks).toEqual([]);
    // stop() still waits for the bookkeeping: every delivered row is marked sent.
    await dispatcher.stop();
    expect(memory.marks.reduce((sum, rows) => sum + rows, 0)).toBe(10);
  });
  it('a lane with queued rows claims a backlog in batches, never sending more than maxConcurrent at once', async () => {
    const memory = memoryOutbox();
    const { dispatcher, delivered, mostAtOnce } = await start(memory, { claimSpacingMs: 0, markWindowMs: 0 }, 2, { queued: 8, sendMs: 2 });
    await pause(20);
    for (let index = 0; index < 40; index++) memory.commit();
    dispatcher.kick();
    for (let waited = 0; delivered.length < 80 && waited < 20_000; waited += 10) await pause(10);
    expect(delivered).toHaveLength(80);
    expect(new Set(delivered.map((item) => item.id)).size).toBe(80);
    // The first claim takes 2 free + 8 queued e-mails; the next ones come when half of those wait no more (about 6
    // e-mails each). Without queued rows each freed slot would be a claim of 1-2 e-mails: 20+ claims for 40.
    expect(memory.emailClaims[0]).toBe(10);
    expect(memory.emailClaims.length).toBeLessThanOrEqual(12);
    expect(mostAtOnce()).toBeLessThanOrEqual(2);
  });
});
