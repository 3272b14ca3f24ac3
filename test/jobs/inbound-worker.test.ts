// The stored-mail worker over a real database: two workers (two processes' worth) share the rows, a follow-up from
// the same sender waits for its request's handler to finish whichever worker holds it, a kick wakes a worker at once,
// a retryable failure keeps the row, and a message that keeps failing with a bug ends in quarantine, not lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeskbotError } from '../../src/errors.ts';
import { createInboundWorker, type InboundWorker } from '../../src/jobs/inbound-worker.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { metrics, registry } from '../../src/metrics.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../../src/app/ports.ts';
import { createInboundQueueRepository, type InboundQueueRepository, type StoredMailInput } from '../../src/store/inbound-queue-repository.ts';
import { backends } from '../helpers/backends.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { createLargeMailTurn, type LargeMailTurn } from '../../src/large-mail-turn.ts';

let uid = 0;
function stored(sender: string, overrides: Partial<StoredMailInput> = {}): StoredMailInput {
  uid += 1;
  return {
    mailbox: 'INBOX',
    uidValidity: 1n,
    uid: BigInt(uid),
    messageId: `<w${uid}@example.com>`,
    sender,
    answers: [],
    size: 20,
    oversized: false,
    raw: Buffer.from(`Message-ID: <w${uid}@example.com>\r\n\r\nbody ${uid}`),
    receivedAt: new Date('2026-11-29T12:00:00Z'),
    ...overrides,
  };
}

const handledBy = async (worker: string) => {
  const metric = await registry.getSingleMetric('deskbot_inbound_handled_total')?.get();
  return (metric?.values ?? []).filter((value) => value.labels.process === worker).reduce((sum, value) => sum + value.value, 0);
};

for (const backend of backends) {
  describe.skipIf(!backend.available)(`stored-mail worker (${backend.name})`, () => {
    let handle: Awaited<ReturnType<(typeof backends)[number]['open']>>;
    let queue: InboundQueueRepository;
    const running: InboundWorker[] = [];

    beforeAll(async () => {
      handle = await backend.open();
      queue = createInboundQueueRepository(handle.database.prisma, { kind: backend.name });
    });
    afterAll(async () => {
      for (const worker of running) await worker.stop();
      await handle?.dispose();
    });

    const startWorker = async (
      workerId: string,
      handler: InboundMailHandler,
      extra: { concurrency?: number; maxFailures?: number; maxBytesInHand?: number; largeMail?: LargeMailTurn } = {},
    ) => {
      const worker = createInboundWorker({
        queue,
        handler,
        oversizedHandler: async () => ({ outcome: 'quarantined', reason: 'oversized' }),
        logger: createSilentLogger(),
        concurrency: extra.concurrency ?? 4,
        pollIntervalMs: 60_000,
        maxFailures: extra.maxFailures ?? 3,
        retry: { initialMs: 20, maxMs: 50 },
        workerId,
        ...(extra.maxBytesInHand ? { maxBytesInHand: extra.maxBytesInHand } : {}),
        ...(extra.largeMail ? { largeMail: extra.largeMail } : {}),
      });
      running.push(worker);
      await worker.start();
      return worker;
    };
    const stopAll = async () => {
      for (const worker of running.splice(0)) await worker.stop();
      await handle.database.prisma.inboundQueue.deleteMany({});
    };

    it('shares the rows between two workers, each handled once, a follow-up only after its sender earlier message finished', async () => {
      metrics.inboundHandled.reset();
      const order: string[] = [];
      const sources: InboundSource[] = [];
      const handler: InboundMailHandler = async (raw, source) => {
        const id = /<w\d+@example.com>/.exec(raw.toString())![0];
        order.push(`start ${id}`);
        sources.push(source);
        await new Promise((resolve) => setTimeout(resolve, 15));
        order.push(`end ${id}`);
        return { outcome: 'ticket' } satisfies InboundResult;
      };
      const mails = [
        ...Array.from({ length: 30 }, (_, index) => stored(`c${index}@example.com`)),
        stored('same@example.com'),
        stored('same@example.com'),
        stored('same@example.com'),
      ];
      await queue.store(mails);
      const [a, b] = [await startWorker('worker-a', handler), await startWorker('worker-b', handler)];
      a.kick();
      b.kick();
      await expect.poll(() => order.filter((line) => line.startsWith('end')).length, { timeout: 20_000 }).toBe(mails.length);
      // Handled rows are deleted by the next claim or, with none to come, within the finish window.
      await expect.poll(() => queue.depth(), { timeout: 5_000 }).toBe(0);
      // Each message started once.
      const started = order.filter((line) => line.startsWith('start'));
      expect(new Set(started).size).toBe(mails.length);
      // The three from one sender ran one after another, in order.
      const same = mails.slice(-3).map((mail) => mail.messageId!);
      const at = (line: string) => order.indexOf(line);
      expect(at(`end ${same[0]}`)).toBeLessThan(at(`start ${same[1]}`));
      expect(at(`end ${same[1]}`)).toBeLessThan(at(`start ${same[2]}`));
      // Both workers did some of the work, counted per process; the source carries the stored position.
      expect(await handledBy('worker-a')).toBeGreaterThan(0);
      expect(await handledBy('worker-b')).toBeGreaterThan(0);
      expect((await handledBy('worker-a')) + (await handledBy('worker-b'))).toBe(mails.length);
      expect(sources[0]).toMatchObject({ kind: 'imap', mailbox: 'INBOX', uidValidity: 1n });
      expect(sources[0]).toHaveProperty('receivedAt', new Date('2026-11-29T12:00:00Z'));
      await stopAll();
    });

    it('claims a burst in batches and deletes handled rows with the next claim, not one statement each', async () => {
      const calls = { claims: 0, finishes: 0 };
      const sizes: number[] = [];
      const counted: InboundQueueRepository = {
        ...queue,
        claim: async (...args) => {
          calls.claims += 1;
          const claimed = await queue.claim(...args);
          sizes.push(claimed.length);
          return claimed;
        },
        finish: (ids) => {
          calls.finishes += 1;
          return queue.finish(ids);
        },
      };
      let handled = 0;
      const worker = createInboundWorker({
        queue: counted,
        handler: async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
          handled += 1;
          return { outcome: 'ticket' };
        },
        oversizedHandler: async () => ({ outcome: 'quarantined', reason: 'oversized' }),
        logger: createSilentLogger(),
        concurrency: 4,
        pollIntervalMs: 60_000,
        workerId: 'worker-batch',
      });
      running.push(worker);
      await queue.store(Array.from({ length: 40 }, (_, index) => stored(`batch${index}@example.com`)));
      await worker.start();
      await expect.poll(() => handled, { timeout: 10_000 }).toBe(40);
      await expect.poll(() => queue.depth(), { timeout: 5_000 }).toBe(0);
      // One claim per freed slot would be ~40 claims and 40 deletes; batches of 4 free + 8 queued, refilled when half
      // the queued rows have started, take ~4 rows a claim (8 claims and no lone delete on a quiet machine), and only
      // the rows handled after the last claim are deleted on their own.
      expect(sizes[0]).toBe(12);
      // (Bounds with room for a slow machine, where the tail's deletes spread over several finish windows.)
      expect(calls.claims).toBeLessThanOrEqual(20);
      expect(calls.finishes).toBeLessThanOrEqual(8);
      await stopAll();
    });

    it('handles queued messages in groups of one transaction; a group that fails is handled again one by one', async () => {
      metrics.inboundHandled.reset();
      const { transactor } = storeAccess(handle.database, defaultPolicy());
      const groups: number[] = [];
      let commits = 0;
      let failOnce = true;
      const mails = Array.from({ length: 12 }, (_, index) => stored(`group${index}@example.com`));
      const handler: InboundMailHandler = async (raw) => {
        await transactor.run((tx) => tx.tickets.nextRequestId(3001));
        if (failOnce && raw.toString().includes(mails[5]!.messageId!)) {
          failOnce = false;
          throw new DeskbotError('INTERNAL', 'a bug in one message');
        }
        return { outcome: 'ticket' };
      };
      const worker = createInboundWorker({
        queue,
        handler,
        oversizedHandler: async () => ({ outcome: 'quarantined', reason: 'oversized' }),
        logger: createSilentLogger(),
        concurrency: 4,
        pollIntervalMs: 60_000,
        retry: { initialMs: 20, maxMs: 50 },
        workerId: 'worker-group',
        group: (work) => {
          groups.push(0);
          return transactor.group!(work);
        },
        groupSize: 4,
        onGroupCommitted: () => {
          commits += 1;
        },
      });
      running.push(worker);
      await queue.store(mails);
      await worker.start();
      await expect.poll(() => handledBy('worker-group'), { timeout: 10_000 }).toBe(12);
      await expect.poll(() => queue.depth(), { timeout: 5_000 }).toBe(0);
      expect(groups.length).toBeGreaterThan(0);
      expect(commits).toBeGreaterThan(0);
      // Each message's request ID is committed once: the failed group's IDs were rolled back and taken again.
      expect(await transactor.run((tx) => tx.tickets.nextRequestId(3001))).toBe('SR-3001-000013');
      await stopAll();
    });

    it('wakes on a kick, not the poll, and keeps a row whose handler failed retryably until it succeeds', async () => {
      let calls = 0;
      const worker = await startWorker('worker-c', async () => {
        calls += 1;
        if (calls === 1) throw new DeskbotError('DB_UNAVAILABLE', 'database gone', { retryable: true });
        return { outcome: 'ticket' };
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      await queue.store([stored('kick@example.com')]);
      worker.kick();
      await expect.poll(() => calls, { timeout: 5_000 }).toBe(2);
      await expect.poll(() => queue.depth(), { timeout: 5_000 }).toBe(0);
      await stopAll();
    });

    it('loads a message larger than the inline limit when its turn comes, keeping large bytes within the budget', async () => {
      const bodies = [stored('big1@example.com'), stored('big2@example.com'), stored('big3@example.com')].map((mail, index) => ({
        ...mail,
        raw: Buffer.concat([mail.raw, Buffer.alloc(400, 65 + index)]),
        size: mail.raw.length + 400,
      }));
      await queue.store(bodies);
      let inHand = 0;
      let most = 0;
      const seen: Buffer[] = [];
      const worker = await startWorker(
        'worker-e',
        async (raw) => {
          inHand += 1;
          most = Math.max(most, inHand);
          seen.push(raw);
          await new Promise((resolve) => setTimeout(resolve, 30));
          inHand -= 1;
          return { outcome: 'ticket' };
        },
        { maxBytesInHand: 500 },
      );
      worker.kick();
      await expect.poll(() => queue.depth(), { timeout: 10_000 }).toBe(0);
      expect(seen.map((raw) => raw.length).sort()).toEqual(bodies.map((mail) => mail.raw.length).sort());
      expect(seen.every((raw) => bodies.some((mail) => mail.raw.equals(raw)))).toBe(true);
      // Each is over half the 500-byte budget: one at a time.
      expect(most).toBe(1);
      await stopAll();
    });

    it('handles a large message only in the large-mail turn it shares with the IMAP leader, small ones meanwhile', async () => {
      // 100-byte threshold: the 2,000-byte message is large; the inline limit of a 40,000-byte budget is ~3,300 bytes,
      // so the large one comes without its bytes and is loaded in its turn.
      const turn = createLargeMailTurn(100);
      const large = stored('large@example.com');
      const body = { ...large, raw: Buffer.concat([large.raw, Buffer.alloc(4_000, 66)]), size: large.raw.length + 4_000 };
      const small = stored('small@example.com');
      const handled: string[] = [];
      const leaderTurn = await turn.take();
      await queue.store([body, small]);
      const worker = await startWorker(
        'worker-turn',
        async (raw) => {
          handled.push(raw.length > 1_000 ? 'large' : 'small');
          return { outcome: 'ticket' };
        },
        { maxBytesInHand: 40_000, largeMail: turn },
      );
      worker.kick();
      await expect.poll(() => handled, { timeout: 5_000 }).toEqual(['small']);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(handled).toEqual(['small']);
      leaderTurn();
      await expect.poll(() => handled, { timeout: 5_000 }).toEqual(['small', 'large']);
      await expect.poll(() => queue.depth(), { timeout: 5_000 }).toBe(0);
      // The worker passed the turn on when it was done.
      (await turn.take())();
      await stopAll();
    });

    it('quarantines a message whose handler keeps failing with a bug, recording it, and goes on with the others', async () => {
      const bad = stored('bug@example.com');
      const good = stored('fine@example.com');
      const handled: string[] = [];
      await queue.store([bad, good]);
      const worker = await startWorker(
        'worker-d',
        async (raw) => {
          if (raw.toString().includes(bad.messageId!)) throw new Error('a bug');
          handled.push('good');
          return { outcome: 'ticket' };
        },
        { maxFailures: 2 },
      );
      worker.kick();
      await expect.poll(() => queue.depth(), { timeout: 10_000 }).toBe(0);
      expect(handled).toEqual(['good']);
      const held = await handle.database.prisma.quarantinedMessage.findFirst({ where: { messageId: bad.messageId } });
      expect(held?.reason).toBe('handler-failed: INTERNAL');
      const recorded = await handle.database.prisma.inboundMessage.findUnique({ where: { messageId: bad.messageId! } });
      expect(recorded?.outcome).toBe('quarantined');
      await stopAll();
    });
  });
}
