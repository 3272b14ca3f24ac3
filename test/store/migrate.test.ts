// Migrations apply exactly once, on both back ends, even when several processes start together.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.ts';
import { openDatabase } from '../../src/store/database.ts';
import { migrate, readMigrations } from '../../src/store/migrate.ts';
import { backends } from '../helpers/backends.ts';
import { createTestDatabase } from '../helpers/postgres.ts';

const logger = createSilentLogger();
const migrationNames = readMigrations().map((migration) => migration.name);

describe.each(backends)('migrations on $name', (backend) => {
  it.skipIf(!backend.available)('applies every migration once and nothing on the second run', async () => {
    const opened = await backend.open();
    try {
      const again = await migrate(opened.database, { logger });
      expect(again.applied).toEqual([]);
      expect(again.alreadyApplied).toEqual(migrationNames);
      const tables = await opened.database.withExclusiveSession('t', (session) =>
        session.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"),
      );
      const names = tables.map((row) => row.table_name);
      for (const table of ['Customer', 'EligibleCaller', 'Partner', 'Licence', 'Ticket', 'TicketEvent', 'InboundMessage', 'Outbox', 'SlaTimer']) {
        expect(names).toContain(table);
      }
    } finally {
      await opened.dispose();
    }
  });

  it.skipIf(!backend.available)('refuses a migration edited after it was applied', async () => {
    const opened = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-mig-'));
    try {
      for (const name of migrationNames) {
        fs.mkdirSync(path.join(dir, name));
        fs.writeFileSync(path.join(dir, name, 'migration.sql'), `${readMigrations().find((m) => m.name === name)!.sql}\n-- edited`);
      }
      await expect(migrate(opened.database, { logger, migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await opened.dispose();
    }
  });

  it.skipIf(!backend.available)('rolls back a failing migration and records nothing', async () => {
    const opened = await backend.open();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-mig-'));
    try {
      for (const migration of readMigrations()) {
        fs.mkdirSync(path.join(dir, migration.name));
        fs.writeFileSync(path.join(dir, migration.name, 'migration.sql'), migration.sql);
      }
      fs.mkdirSync(path.join(dir, '99990101000000_broken'));
      fs.writeFileSync(path.join(dir, '99990101000000_broken', 'migration.sql'), 'CREATE TABLE "Half" (id int); SELECT * FROM "NoSuchTable";');
      await expect(migrate(opened.database, { logger, migrationsDir: dir })).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
      const rows = await opened.database.withExclusiveSession('t', (session) =>
        session.query("SELECT table_name FROM information_schema.tables WHERE table_name = 'Half'"),
      );
      expect(rows).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await opened.dispose();
    }
  });
});

describe('migrations with several processes at once', () => {
  const postgres = backends.find((backend) => backend.name === 'postgres')!;
  it.skipIf(!postgres.available)('four processes starting together apply each migration exactly once', async () => {
    const testDatabase = await createTestDatabase();
    const databases = await Promise.all([1, 2, 3, 4].map(() => openDatabase({ databaseUrl: testDatabase.url, logger })));
    try {
      const results = await Promise.all(databases.map((database) => migrate(database, { logger })));
      const appliedCounts = results.map((result) => result.applied.length);
      expect(appliedCounts.filter((count) => count === migrationNames.length)).toHaveLength(1);
      expect(appliedCounts.filter((count) => count === 0)).toHaveLength(3);
      const ledger = await databases[0]!.withExclusiveSession('t', (session) => session.query('SELECT "name" FROM "_deskbot_migrations"'));
      expect(ledger).toHaveLength(migrationNames.length);
    } finally {
      await Promise.all(databases.map((database) => database.close()));
      await testDatabase.drop();
    }
  });
});

describe('embedded data directory', () => {
  it('refuses a second process on the same data directory and takes over a stale lock', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-data-'));
    try {
      fs.writeFileSync(path.join(dir, 'deskbot.lock'), '1\n'); // pid 1 is alive (init): held by "another process"
      await expect(openDatabase({ dataDir: dir, logger })).rejects.toMatchObject({ code: 'DB_LOCKED' });
      fs.writeFileSync(path.join(dir, 'deskbot.lock'), '999999999\n'); // no such process: stale
      const database = await openDatabase({ dataDir: dir, logger });
      await migrate(database, { logger });
      await database.close();
      expect(fs.existsSync(path.join(dir, 'deskbot.lock'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
