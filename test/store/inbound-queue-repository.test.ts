// The stored-mail queue on both back ends: idempotent stores, claims in order under a lease, a follow-up held back
// while an earlier message from its sender or the one it answers is queued, disjoint concurrent claims, quarantine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.ts';
import type { Database } from '../../src/store/database.ts';
import { createInboundQueueRepository, type InboundQueueRepository, type StoredMailInput } from '../../src/store/inbound-queue-repository.ts';
import { listenForStoredMail } from '../../src/store/inbound-queue-listener.ts';
import { backends } from '../helpers/backends.ts';

let uidCounter = 0;
function mail(overrides: Partial<StoredMailInput> = {}): StoredMailInput {
  uidCounter += 1;
  return {
    mailbox: 'INBOX',
    uidValidity: 7n,
    uid: BigInt(uidCounter),
    messageId: `<m${uidCounter}@example.com>`,
    sender: `s${uidCounter}@example.com`,
    answers: [],
    size: 10,
    oversized: false,
    raw: Buffer.from(`Subject: ${uidCounter}\r\n\r\nbody`),
    receivedAt: new Date('2026-11-29T10:00:00Z'),
    ...overrides,
  };
}

for (const backend of backends) {
  describe.skipIf(!backend.available)(`stored-mail queue (${backend.name})`, () => {
    let database: Database;
    let url: string | undefined;
    let dispose: () => Promise<void>;
    let queue: InboundQueueRepository;

    beforeAll(async () => {
      ({ database, url, dispose } = await backend.open());
      queue = createInboundQueueRepository(database.prisma, { kind: backend.name });
    });
    afterAll(async () => dispose());

    const drain = async () => {
      await database.prisma.inboundQueue.deleteMany({});
    };

    it('stores a message once per mailbox, UIDVALIDITY and UID, with its bytes and INTERNALDATE', async () => {
      await drain();
      const first = mail({ raw: Buffer.from([0, 1, 2, 255]), answers: ['<a@x>', '<b@x>'] });
      expect(await queue.store([first, mail()])).toBe(2);
      expect(await queue.store([first])).toBe(0);
      const claimed = await queue.claim(10, 60_000, 'w1');
      expect(claimed.map((row) => row.uid)).toEqual([first.uid, first.uid + 1n]);
      expect(claimed[0]!.raw!.equals(first.raw)).toBe(true);
      expect(claimed[0]!.receivedAt?.toISOString()).toBe('2026-11-29T10:00:00.000Z');
      expect(await queue.depth()).toBe(2);
    });

    it('leaves the bytes of a message over the inline limit out of the claim; rawOf loads them', async () => {
      await drain();
      const big = mail({ raw: Buffer.alloc(5_000, 7), size: 5_000 });
      const small = mail();
      await queue.store([big, small]);
      const claimed = await queue.claim(10, 60_000, 'w1', 1_000);
      expect(claimed.map((row) => row.raw === null)).toEqual([true, false]);
      expect((await queue.rawOf(claimed[0]!.id))?.equals(big.raw)).toBe(true);
      await queue.finish([claimed[0]!.id]);
      expect(await queue.rawOf(claimed[0]!.id)).toBeNull();
    });

    it('a claim deletes the rows handled since the last one and takes the follow-ups they held back, in one statement', async () => {
      await drain();
      const request = mail({ sender: 'one@example.com' });
      const followUp = mail({ sender: 'one@example.com' });
      const answer = mail({ sender: 'two@example.com', answers: [request.messageId!] });
      await queue.store([request, followUp, answer]);
      const [first] = await queue.claim(10, 60_000, 'w1');
      expect(first!.uid).toBe(request.uid);
      // Both wait for the request: same sender, and an answer to it.
      expect(await queue.claim(10, 60_000, 'w1')).toEqual([]);
      const next = await queue.claim(10, 60_000, 'w1', undefined, [first!.id]);
      expect(next.map((row) => row.uid)).toEqual([followUp.uid, answer.uid]);
      expect(await queue.rawOf(first!.id)).toBeNull();
      expect(await queue.depth()).toBe(2);
    });

    it('stores and loads a large message byte for byte (over several of rawOf slices on PostgreSQL)', async () => {
      await drain();
      const bytes = Buffer.alloc(9 * 1024 * 1024 + 7);
      for (let index = 0; index < bytes.length; index += 4096) bytes[index] = index % 251;
      bytes[bytes.length - 1] = 42;
      const big = mail({ raw: bytes, size: bytes.length });
      expect(await queue.store([big])).toBe(1);
      const [claimed] = await queue.claim(1, 60_000, 'w1', 1024);
      expect(claimed!.raw).toBeNull();
      expect((await queue.rawOf(claimed!.id))?.equals(bytes)).toBe(true);
    });

    it('does not hand out a claimed row again until its lease ends; a finished row is gone', async () => {
      await drain();
      await queue.store([mail(), mail()]);
      const [a, b] = await queue.claim(10, 60_000, 'w1');
      expect(await queue.claim(10, 60_000, 'w2')).toEqual([]);
      await queue.finish([a!.id]);
      await queue.release(b!.id, 0, false, 'DB_UNAVAILABLE');
      const again = await queue.claim(10, 200, 'w2');
      expect(again.map((row) => row.id)).toEqual([b!.id]);
      expect(await queue.claim(10, 200, 'w3')).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // A lease that ran out (its process died) makes the row claimable again.
      expect((await queue.claim(10, 60_000, 'w3')).map((row) => row.id)).toEqual([b!.id]);
    });

    it('holds a follow-up back while an earlier message from the same sender, or the one it answers, is queued', async () => {
      await drain();
      const request = mail({ sender: 'customer@example.com' });
      const sameSender = mail({ sender: 'customer@example.com' });
      const answer = mail({ sender: 'colleague@example.com', answers: [request.messageId!] });
      const other = mail();
      await queue.store([request, sameSender, answer, other]);
      const first = await queue.claim(10, 60_000, 'w1');
      expect(first.map((row) => row.uid)).toEqual([request.uid, other.uid]);
      // Still held back while the request is claimed but not finished, by any worker.
      expect(await queue.claim(10, 60_000, 'w2')).toEqual([]);
      await queue.finish(first.map((row) => row.id));
      const second = await queue.claim(10, 60_000, 'w2');
      expect(second.map((row) => row.uid)).toEqual([sameSender.uid, answer.uid]);
    });

    it('gives concurrent claimers disjoint rows (FOR UPDATE SKIP LOCKED)', async () => {
      await drain();
      await queue.store(Array.from({ length: 60 }, () => mail()));
      const claims = await Promise.all(['a', 'b', 'c', 'd'].map((worker) => queue.claim(20, 60_000, worker)));
      const ids = claims.flat().map((row) => row.id.toString());
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(60);
    });

    it('counts non-retryable failures and quarantines a message for good, recording its outcome', async () => {
      await drain();
      const bad = mail();
      await queue.store([bad]);
      const [row] = await queue.claim(1, 60_000, 'w1');
      expect(await queue.release(row!.id, 0, true, 'INTERNAL')).toBe(1);
      const [again] = await queue.claim(1, 60_000, 'w1');
      expect(again!.failures).toBe(1);
      await queue.quarantine(again!, 'handler-failed: INTERNAL', new Date('2026-11-29T11:00:00Z'));
      expect(await queue.depth()).toBe(0);
      const held = await database.prisma.quarantinedMessage.findFirst({ where: { messageId: bad.messageId } });
      expect(held?.reason).toBe('handler-failed: INTERNAL');
      expect(Buffer.from(held!.raw!).equals(bad.raw)).toBe(true);
      const recorded = await database.prisma.inboundMessage.findUnique({ where: { messageId: bad.messageId! } });
      expect(recorded?.outcome).toBe('quarantined');
    });

    // NOTIFY is PostgreSQL's: on PGlite the one process wakes its worker in-process (test/jobs/inbound-worker.test.ts).
    if (backend.name === 'postgres')
      it('notifies listeners when rows were stored', async () => {
        let notified = 0;
        const listener = listenForStoredMail({ databaseUrl: url!, logger: createSilentLogger(), onStored: () => (notified += 1) });
        try {
          // The listener calls onStored once when connected.
          await expect.poll(() => notified, { timeout: 5_000 }).toBe(1);
          await queue.store([mail()]);
          await expect.poll(() => notified, { timeout: 5_000 }).toBe(2);
        } finally {
          await listener.close();
        }
      });
  });
}
