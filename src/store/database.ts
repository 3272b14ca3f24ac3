// Opens deskbot's storage: embedded PGlite in DATA_DIR by default, PostgreSQL when DATABASE_URL is set.
// Both are reached through Prisma driver adapters (PGlite on a thread of its own); raw SQL access is kept for
// migrations, locks and the embedded upkeep.
import fs from 'node:fs';
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { registerDirectPool } from './direct-pool.ts';
import { PrismaClient } from '../generated/prisma/client.ts';
import { DeskbotError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.ts';
import type { DatabaseHousekeeping } from '../app/ports.ts';
import { createEmbeddedHousekeeping } from './embedded-housekeeping.ts';
import { startPgliteThread, type PgliteThread } from './pglite-thread.ts';
import { planRawQueriesInJavaScript } from './raw-query-plans.ts';
import { beginningTransaction, routeRawStatements, type RawQueryable } from './direct-raw.ts';

export type { PrismaClient };
export type DatabaseKind = 'pglite' | 'postgres';

/** A connection used for raw SQL (migrations, advisory locks). */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
}

export interface Database {
  readonly kind: DatabaseKind;
  readonly prisma: PrismaClient;
  /** Upkeep deskbot must run itself: embedded only (PostgreSQL's autovacuum does it there). */
  readonly housekeeping?: DatabaseHousekeeping;
  /** Runs `work` on one connection while holding a session-level lock named by `key`. */
  withExclusiveSession<T>(key: string, work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Cheap round trip for /healthz. */
  ping(): Promise<void>;
  /**
   * Calls `listener` if the database is gone for good and every later call will fail (the embedded database's
   * thread stopped); a PostgreSQL connection that drops is not this: the pool reconnects.
   */
  onLost(listener: (error: Error) => void): void;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgresql:// URL; when absent the embedded PGlite back end is used. */
  databaseUrl?: string | undefined;
  /** Folder for PGlite's files; `undefined` keeps an in-memory database (tests). */
  dataDir?: string | undefined;
  logger: Logger;
  /** Max PostgreSQL connections for Prisma's pool. */
  poolSize?: number;
}

/** 64-bit advisory-lock key from a name, stable across processes. */
export function advisoryKey(name: string): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(name)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return BigInt.asIntN(64, hash);
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  planRawQueriesInJavaScript();
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

type PgFactory = InstanceType<typeof PrismaPg>;
type PgConnection = Awaited<ReturnType<PgFactory['connect']>>;
type PgTransaction = Awaited<ReturnType<PgConnection['startTransaction']>>;

/**
 * The raw side of an adapter-pg transaction, refusing statements once Prisma sends COMMIT or ROLLBACK (or ends it):
 * its pooled connection goes back to the pool then, and a late statement would run in whatever uses it next.
 */
function closingWith(transaction: PgTransaction): RawQueryable {
  let open = true;
  const execute = transaction.executeRaw.bind(transaction);
  const query = transaction.queryRaw.bind(transaction);
  const ending = (end: () => Promise<void>) => () => {
    open = false;
    return end();
  };
  transaction.executeRaw = (statement) => {
    if (/^\s*(COMMIT|ROLLBACK)\b/i.test(statement.sql)) open = false;
    return execute(statement);
  };
  transaction.commit = ending(transaction.commit.bind(transaction));
  transaction.rollback = ending(transaction.rollback.bind(transaction));
  const closed = () => Promise.reject(new Error('Transaction already closed: a statement arrived after its commit or rollback'));
  // The statements direct-raw.ts sends carry the argument types of Prisma's own plan (raw-query-plans.ts).
  type SqlQuery = Parameters<typeof query>[0];
  return {
    queryRaw: (statement) => (open ? query(statement as SqlQuery) : closed()),
    executeRaw: (statement) => (open ? execute(statement as SqlQuery) : closed()),
  };
}

/**
 * A transaction's statements sent to its connection one at a time, in the order they come. Prisma's interpreter reads
 * a query's relations at once (a ticket with its customer and licence), and pg 8 queues a statement that arrives while
 * another runs with a warning that pg 9 will refuse it. The order and the outcome are pg's queue's: each statement
 * goes once the one before it has ended, whether that one succeeded or failed.
 */
function oneStatementAtATime(transaction: PgTransaction): void {
  let previous: Promise<unknown> = Promise.resolve();
  const serial =
    <R>(send: (query: Parameters<PgTransaction['queryRaw']>[0]) => Promise<R>) =>
    (query: Parameters<PgTransaction['queryRaw']>[0]): Promise<R> => {
      // `previous` never rejects (a failed statement is caught below), so the next one always goes.
      const sent = previous.then(() => send(query));
      previous = sent.catch(() => undefined);
      return sent;
    };
  transaction.queryRaw = serial(transaction.queryRaw.bind(transaction));
  transaction.executeRaw = serial(transaction.executeRaw.bind(transaction));
}

/**
 * adapter-pg's factory, whose connection hands raw statements past Prisma (direct-raw.ts): `onConnect` gets the
 * connection Prisma opens, and each transaction it begins is named to the Transactor that began it and sends its
 * statements one at a time.
 */
function routedPgAdapter(factory: PgFactory, onConnect: (connection: PgConnection) => void): PgFactory {
  const connect = factory.connect.bind(factory);
  return Object.assign(Object.create(factory) as PgFactory, {
    async connect() {
      const connection = await connect();
      const startTransaction = connection.startTransaction.bind(connection);
      connection.startTransaction = async (isolationLevel) => {
        const transaction = await startTransaction(isolationLevel);
        oneStatementAtATime(transaction);
        const beginning = beginningTransaction.getStore();
        if (beginning) beginning.transaction = closingWith(transaction);
        return transaction;
      };
      onConnect(connection);
      return connection;
    },
  });
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<Database> {
  const log = options.logger.child({ component: 'store', backend: 'postgres' });
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 5_000,
    // No JIT on deskbot's sessions: its statements are short lookups and writes, and a plan whose cost estimate passes
    // jit_above_cost (a table without statistics after a restore, a grown history) spent 15–300 ms compiling. Set
    // before the pool hands the new connection out (a statement queued behind it is what pg 9 will refuse); a server
    // without the setting (before PostgreSQL 11) keeps its default.
    onConnect: (client) =>
      client.query('SET jit = off').then(
        () => undefined,
        () => undefined,
      ),
  });
  pool.on('error', (error) => log.warn({ event: 'pool-error', err: error }, 'idle PostgreSQL connection failed'));
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new DeskbotError('DB_UNAVAILABLE', `Cannot connect to PostgreSQL: ${(error as Error).message}`, { cause: error, retryable: true });
  }
  const prisma: PrismaClient = new PrismaClient({ adapter: routedPgAdapter(new PrismaPg(pool), (connection) => routeRawStatements(prisma, connection)) });
  registerDirectPool(prisma, pool);
  return {
    kind: 'postgres',
    prisma,
    async withExclusiveSession(key, work) {
      const client = await pool.connect();
      const lockKey = advisoryKey(key).toString();
      try {
        await client.query('SELECT pg_advisory_lock($1::bigint)', [lockKey]);
        try {
          return await work({
            exec: async (sql) => void (await client.query(sql)),
            query: async (sql, params) => (await client.query(sql, params)).rows,
          });
        } finally {
          await client.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('SELECT 1');
    },
    // A dropped connection is the pool's to replace; the database is never lost for good from here.
    onLost: () => undefined,
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

async function openPglite(options: OpenDatabaseOptions): Promise<Database> {
  let lock: DataDirLock | undefined;
  let thread: PgliteThread;
  if (options.dataDir) {
    const dir = path.resolve(options.dataDir);
    fs.mkdirSync(dir, { recursive: true });
    lock = acquireDataDirLock(dir);
    try {
      thread = await startPgliteThread(path.join(dir, 'pglite'));
    } catch (error) {
      lock.release();
      throw new DeskbotError('DB_UNAVAILABLE', `Cannot open the embedded database in ${dir}: ${(error as Error).message}`, { cause: error });
    }
  } else {
    thread = await startPgliteThread(undefined);
  }
  const pglite = thread.client;
  const prisma = new PrismaClient({ adapter: thread.adapter as NonNullable<ConstructorParameters<typeof PrismaClient>[0]>['adapter'] });
  routeRawStatements(prisma, thread.rawRoute);
  // PGlite is one connection: a promise chain is the lock.
  let queue: Promise<unknown> = Promise.resolve();
  return {
    kind: 'pglite',
    prisma,
    housekeeping: createEmbeddedHousekeeping(pglite),
    withExclusiveSession(_key, work) {
      const run = queue.then(() =>
        work({
          exec: (sql) => pglite.exec(sql),
          query: async (sql, params) => (await pglite.query(sql, params)).rows as never,
        }),
      );
      queue = run.catch(() => undefined);
      return run;
    },
    async ping() {
      await pglite.query('SELECT 1');
    },
    onLost: (listener) => thread.onStopped(listener),
    async close() {
      await prisma.$disconnect().catch(() => undefined);
      await thread.close().catch(() => undefined);
      lock?.release();
    },
  };
}
