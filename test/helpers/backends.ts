// The two storage back ends every storage suite runs against: embedded PGlite and the real PostgreSQL.
import { createSilentLogger } from '../../src/logger.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { migrate } from '../../src/store/migrate.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from './postgres.ts';

export interface Backend {
  name: 'pglite' | 'postgres';
  available: boolean;
  /** A fresh, migrated database; close it with `dispose`. */
  open(): Promise<{ database: Database; url?: string; dispose(): Promise<void> }>;
}

const pgAvailable = await postgresAvailable();

export const backends: Backend[] = [
  {
    name: 'pglite',
    available: true,
    async open() {
      const logger = createSilentLogger();
      const database = await openDatabase({ logger });
      await migrate(database, { logger });
      return { database, dispose: () => database.close() };
    },
  },
  {
    name: 'postgres',
    available: pgAvailable,
    async open() {
      const logger = createSilentLogger();
      const testDatabase: TestDatabase = await createTestDatabase();
      const database = await openDatabase({ databaseUrl: testDatabase.url, logger });
      await migrate(database, { logger });
      return {
        database,
        url: testDatabase.url,
        async dispose() {
          await database.close();
          await testDatabase.drop();
        },
      };
    },
  },
];
