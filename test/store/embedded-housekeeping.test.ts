// The embedded database's upkeep: PGlite has no autovacuum, so without it the space of every deleted stored mail stays
// taken for good. Measured on a real (in-memory) PGlite with deskbot's schema.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundQueueRepository } from '../../src/store/inbound-queue-repository.ts';
import { backends } from '../helpers/backends.ts';

const [pglite, postgres] = backends as [(typeof backends)[0], (typeof backends)[0]];

describe('embedded database housekeeping', () => {
  let handle: Awaited<ReturnType<typeof pglite.open>>;
  beforeAll(async () => {
    handle = await pglite.open();
  });
  afterAll(async () => handle?.dispose());

  let uid = 0;
  // Stored and handled mail, as the IMAP intake leaves it: one row with the raw bytes, then deleted.
  const storeAndDelete = async (count: number, bytes: number) => {
    const queue = createInboundQueueRepository(handle.database.prisma, { kind: 'pglite' });
    for (let i = 0; i < count; i++) {
      uid += 1;
      const raw = Buffer.concat([Buffer.from(`Subject: ${uid}\r\n\r\n`), randomBytes(bytes)]);
      await queue.store([
        {
          mailbox: 'INBOX',
          uidValidity: 1n,
          uid: BigInt(uid),
          messageId: null,
          sender: null,
          answers: [],
          size: raw.length,
          oversized: false,
          raw,
          receivedAt: null,
        },
      ]);
      await handle.database.prisma.inboundQueue.deleteMany({});
    }
  };

  it('counts writing transactions, and reads do not move the count', async () => {
    const housekeeping = handle.database.housekeeping!;
    const before = await housekeeping.writePosition();
    await handle.database.prisma.inboundQueue.findMany({});
    expect(await housekeeping.writePosition()).toBe(before);
    await storeAndDelete(3, 10);
    expect(await housekeeping.writePosition()).toBeGreaterThanOrEqual(before + 6);
  });

  it('gives back the space of deleted stored mail, which stays taken without it', async () => {
    const housekeeping = handle.database.housekeeping!;
    const tables = await housekeeping.tables();
    expect(tables).toContain('InboundQueue');
    expect(tables).toContain('Ticket');
    await storeAndDelete(20, 512 * 1024);
    const kept = await housekeeping.keep('InboundQueue');
    // 20 x 512 KiB were stored and deleted: without a vacuum all of it is still allocated.
    expect(kept.bytesBefore).toBeGreaterThan(8 * 1024 * 1024);
    expect(kept.bytesAfter).toBeLessThan(kept.bytesBefore / 4);
    await storeAndDelete(20, 512 * 1024);
    expect((await housekeeping.keep('InboundQueue')).bytesAfter).toBeLessThan(kept.bytesBefore / 4);
  });

  it('refreshes statistics at the first pass and again only when the row count moved by more than a tenth', async () => {
    const housekeeping = handle.database.housekeeping!;
    expect((await housekeeping.keep('MailboxState')).analyzed).toBe(true);
    expect((await housekeeping.keep('MailboxState')).analyzed).toBe(false);
    await handle.database.prisma.mailboxState.createMany({
      data: Array.from({ length: 200 }, (_, i) => ({ mailbox: `box-${i}`, uidValidity: 1n, lastUid: 0n })),
    });
    expect((await housekeeping.keep('MailboxState')).analyzed).toBe(true);
    const stats = await handle.database.prisma.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'MailboxState'`,
    );
    expect(stats[0]!.n).toBeGreaterThan(0);
  });

  it.runIf(postgres.available || process.env.CI === 'true')('is not offered on PostgreSQL, whose autovacuum does it', async () => {
    const pg = await postgres.open();
    try {
      expect(pg.database.housekeeping).toBeUndefined();
    } finally {
      await pg.dispose();
    }
  });
});
