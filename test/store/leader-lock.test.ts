// Exactly one process leads the IMAP intake; when the leader's connection dies another takes over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createSilentLogger } from '../../src/logger.ts';
import { createLeaderLock } from '../../src/store/leader-lock.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/postgres.ts';

const available = await postgresAvailable();
const logger = createSilentLogger();

describe('leader lock', () => {
  it('always leads on the embedded back end', async () => {
    const lock = createLeaderLock({ databaseUrl: undefined, name: 'x', logger });
    await lock.acquired();
    expect(lock.isLeader).toBe(true);
  });

  describe.skipIf(!available)('on PostgreSQL', () => {
    let testDatabase: TestDatabase;
    beforeAll(async () => {
      testDatabase = await createTestDatabase();
    });
    afterAll(async () => testDatabase?.drop());

    it('admits one leader and hands over when the leader dies', async () => {
      const lost: Error[] = [];
      const first = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:INBOX', logger, retryMs: 100, onLost: (error) => lost.push(error) });
      const second = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:INBOX', logger, retryMs: 100 });
      await first.acquired();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect([first.isLeader, second.isLeader]).toEqual([true, false]);
      // Kill the leader's connection from the server side, as a crashed process would lose it.
      const admin = new pg.Client({ connectionString: testDatabase.url });
      await admin.connect();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()");
      await admin.end();
      const takenOverAt = Date.now();
      await second.acquired();
      expect(Date.now() - takenOverAt).toBeLessThan(5_000);
      expect(second.isLeader).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(first.isLeader).toBe(false);
      expect(lost).toHaveLength(1);
      await first.release();
      await second.release();
    });

    it('a released lock is taken by the next process', async () => {
      const first = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:OTHER', logger, retryMs: 100 });
      await first.acquired();
      const second = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:OTHER', logger, retryMs: 100 });
      await first.release();
      await second.acquired();
      expect(second.isLeader).toBe(true);
      await second.release();
    });
  });
});
