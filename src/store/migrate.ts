// Applies prisma/migrations/*/migration.sql exactly once per database, in order, under a lock so that
// several processes starting together cannot race. Replaces `prisma migrate deploy`, which is broken through
// driver adapters (prisma/orm#27403) and needs a native engine that cannot be downloaded here.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../package-root.ts';
import { DeskbotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Database } from './database.ts';

export const defaultMigrationsDir = path.join(packageRoot, 'prisma', 'migrations');

export interface Migration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: string[];
}

export function readMigrations(migrationsDir: string = defaultMigrationsDir): Migration[] {
  return fs
    .readdirSync(migrationsDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(migrationsDir, entry.name, 'migration.sql')))
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

const ledgerDdl = `CREATE TABLE IF NOT EXISTS "_deskbot_migrations" (
  "name" TEXT PRIMARY KEY,
  "checksum" TEXT NOT NULL,
  "appliedAt" TIMESTAMPTZ NOT NULL DEFAULT now()
)`;

export async function migrate(database: Database, options: { logger: Logger; migrationsDir?: string }): Promise<MigrationResult> {
  const log = options.logger.child({ component: 'migrate' });
  const migrations = readMigrations(options.migrationsDir);
  return database.withExclusiveSession('deskbot:migrate', async (session) => {
    await session.exec(ledgerDdl);
    const rows = await session.query<{ name: string; checksum: string }>('SELECT "name", "checksum" FROM "_deskbot_migrations"');
    const done = new Map(rows.map((row) => [row.name, row.checksum]));
    const result: MigrationResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const appliedChecksum = done.get(migration.name);
      if (appliedChecksum !== undefined) {
        if (appliedChecksum !== migration.checksum) {
          throw new DeskbotError('MIGRATION_FAILED', `Migration ${migration.name} was changed after it was applied; add a new migration instead.`, {
            details: { migration: migration.name },
          });
        }
        result.alreadyApplied.push(migration.name);
        continue;
      }
      try {
        await session.exec('BEGIN');
        await session.exec(migration.sql);
        await session.query('INSERT INTO "_deskbot_migrations" ("name", "checksum") VALUES ($1, $2)', [migration.name, migration.checksum]);
        await session.exec('COMMIT');
      } catch (error) {
        await session.exec('ROLLBACK').catch(() => undefined);
        throw new DeskbotError('MIGRATION_FAILED', `Migration ${migration.name} failed: ${(error as Error).message}`, {
          cause: error,
          details: { migration: migration.name },
        });
      }
      log.info({ event: 'migration-applied', migration: migration.name }, 'applied migration');
      result.applied.push(migration.name);
    }
    return result;
  });
}
