// `deskbot vacuum` through the real CLI: on the embedded database (DATA_DIR) it vacuums every table and gives the
// space of deleted rows back; on PostgreSQL (DATABASE_URL) it leaves the work to autovacuum and says so.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.ts';
import { openRuntime } from '../../../src/runtime.ts';
import { loadConfig } from '../../../src/config.ts';
import { createTestDatabase, postgresAvailable } from '../../helpers/postgres.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-vacuum-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const pgAvailable = await postgresAvailable();

async function run(env: Record<string, string>, ...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
  return { code, stdout, stderr };
}

describe('deskbot vacuum', () => {
  it('vacuums every table of the embedded database and reclaims the space of deleted stored mail', { timeout: 120_000 }, async () => {
    const env = { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'embedded') };
    // Stored mail that was handled and deleted, as intake leaves it: 40 rows of 256 KiB.
    const runtime = await openRuntime(loadConfig(env));
    try {
      for (let uid = 1; uid <= 40; uid++) {
        await runtime.database.prisma.$executeRawUnsafe(
          `INSERT INTO "InboundQueue" ("mailbox", "uidValidity", "uid", "answers", "size", "raw") VALUES ('INBOX', 1, $1, '{}', 262144, decode($2, 'base64'))`,
          uid,
          randomBytes(262_144).toString('base64'),
        );
      }
      await runtime.database.prisma.$executeRawUnsafe(`DELETE FROM "InboundQueue"`);
    } finally {
      await runtime.close();
    }
    const result = await run(env, 'vacuum');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { database: string; vacuumed: boolean; tables: number; reclaimedBytes: number };
    expect(summary).toMatchObject({ database: 'pglite', vacuumed: true });
    expect(summary.tables).toBeGreaterThanOrEqual(20);
    expect(summary.reclaimedBytes).toBeGreaterThan(5_000_000);
  });

  it.skipIf(!pgAvailable)('on PostgreSQL leaves it to autovacuum and says so', async () => {
    const database = await createTestDatabase();
    try {
      const result = await run({ LOG_LEVEL: 'silent', DATABASE_URL: database.url, DATA_DIR: path.join(tmp, 'pg') }, 'vacuum');
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual({ database: 'postgres', vacuumed: false, reason: 'PostgreSQL vacuums itself (autovacuum)' });
    } finally {
      await database.drop();
    }
  });

  it('refuses arguments it does not take with a usage error', async () => {
    const result = await run({ LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'unused') }, 'vacuum', '--full');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown option '--full'");
  });
});

describe('the embedded vacuum thresholds in the configuration', () => {
  it('reads a transaction count and a duration, and names a bad value', () => {
    const config = loadConfig({ EMBEDDED_VACUUM_AFTER_TRANSACTIONS: '5000', EMBEDDED_VACUUM_MAX_INTERVAL: '30m' });
    expect(config.EMBEDDED_VACUUM_AFTER_TRANSACTIONS).toBe(5_000);
    expect(config.EMBEDDED_VACUUM_MAX_INTERVAL).toBe(30 * 60_000);
    expect(loadConfig({}).EMBEDDED_VACUUM_MAX_INTERVAL).toBe(3_600_000);
    expect(() => loadConfig({ EMBEDDED_VACUUM_MAX_INTERVAL: 'soon' })).toThrow(/EMBEDDED_VACUUM_MAX_INTERVAL/);
    expect(() => loadConfig({ EMBEDDED_VACUUM_AFTER_TRANSACTIONS: '0' })).toThrow(/EMBEDDED_VACUUM_AFTER_TRANSACTIONS/);
  });
});
