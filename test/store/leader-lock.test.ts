// Exactly one process leads the IMAP intake; when the leader's connection dies another takes over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import pg from 'pg';
import { createSilentLogger } from '../../src/logger.ts';
import { advisoryKey } from '../../src/store/database.ts';
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

    it('admits one leader and takes over within seconds when the leader process is killed', async () => {
      // A real process takes the lock and is killed with SIGKILL, as a crashed deskbot would be.
      const script = `const pg = require('pg'); const c = new pg.Client({ connectionString: process.argv[1] });
        c.connect().then(() => c.query('SELECT pg_advisory_lock(${advisoryKey('imap:INBOX').toString()}::bigint)')).then(() => console.log('locked'));
        setInterval(() => {}, 1000);`;
      const holder = spawn(process.execPath, ['-e', script, testDatabase.url], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => holder.stdout.on('data', (chunk) => String(chunk).includes('locked') && resolve()));
      const follower = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:INBOX', logger, retryMs: 100 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(follower.isLeader).toBe(false);
      holder.kill('SIGKILL');
      const killedAt = Date.now();
      await follower.acquired();
      expect(Date.now() - killedAt).toBeLessThan(5_000);
      expect(follower.isLeader).toBe(true);
      await follower.release();
    });

    it('notices a dropped connection, reports the loss, and leaves exactly one leader', async () => {
      const lost: Error[] = [];
      const first = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:DROP', logger, retryMs: 100, onLost: (error) => lost.push(error) });
      await first.acquired();
      const second = createLeaderLock({ databaseUrl: testDatabase.url, name: 'imap:DROP', logger, retryMs: 100 });
      const admin = new pg.Client({ connectionString: testDatabase.url });
      await admin.connect();
      // Only this test's database: pg_locks is server-wide, and other suites running at the same time (the SIGKILL
      // intake test's serve processes) hold advisory locks of their own on other databases.
      await admin.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
      );
      await admin.end();
      for (let waited = 0; waited < 5_000 && (!(first.isLeader || second.isLeader) || lost.length === 0); waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(lost).toHaveLength(1);
      expect([first.isLeader, second.isLeader].filter(Boolean)).toHaveLength(1);
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
