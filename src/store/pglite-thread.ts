// The embedded database on a thread of its own (src/store/pglite-worker.mjs): PGlite runs PostgreSQL in WebAssembly
// on whichever thread holds it, and on the main thread every statement's planning and execution stopped the mail
// intake and the Slack answers. Here the main thread keeps Prisma's client and the worker does the database's work;
// Prisma talks to it through a driver adapter that forwards each call, raw SQL (migrations, locks, upkeep) likewise.
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { beginningTransaction, type AdapterResult, type RawQueryable } from './direct-raw.ts';

/** What deskbot uses of a PGlite instance outside Prisma. */
export interface PgliteClient {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  exec(sql: string): Promise<void>;
}

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  fields?: Record<string, unknown>;
  cause?: unknown;
}

type Reply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: SerializedError };

/** Prisma's driver-adapter contract (the factory PrismaClient takes), as far as deskbot's client uses it. */
interface SqlQuery {
  sql: string;
  args: unknown[];
  argTypes?: unknown[];
}

export interface PgliteThread {
  client: PgliteClient;
  /** The `adapter` for `new PrismaClient({ adapter })`. */
  adapter: unknown;
  /** The adapter's raw statements outside transactions, without Prisma's client (direct-raw.ts). */
  rawRoute: RawQueryable;
  /**
   * Calls `listener` once if the thread stops without close() (a WebAssembly abort, an uncaught error in the worker):
   * every pending and later call fails from then on, so the process cannot go on serving.
   */
  onStopped(listener: (error: Error) => void): void;
  /** Stops the thread at once, without closing the database, as a crash of it would (tests). */
  abort(): void;
  close(): Promise<void>;
}

const adapterName = 'pglite-prisma-adapter';

function revive(error: SerializedError): Error {
  const revived = new Error(error.message, error.cause === undefined ? undefined : { cause: error.cause });
  revived.name = error.name;
  if (error.stack) revived.stack = error.stack;
  Object.assign(revived, error.fields);
  return revived;
}

/**
 * Creates the database files in `dataDir` on a thread of its own that then ends. PGlite's initdb leaves ~550 MB of
 * its WebAssembly memory touched for as long as the thread lives (measured: RSS 851 MB after creating a database,
 * 297 MB after opening the same one again), so a first start would otherwise keep that memory until a restart.
 */
async function createDatabaseFiles(dataDir: string): Promise<void> {
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir, createOnly: true } });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', (reply: Reply) => (reply.ok ? resolve() : reject(revive(reply.error))));
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`The embedded database's thread stopped while creating ${dataDir} (exit code ${code})`)));
    });
  } finally {
    await worker.terminate();
  }
}

/** Starts the worker and waits until its PGlite is open (`dataDir` undefined: in memory). */
export async function startPgliteThread(dataDir: string | undefined): Promise<PgliteThread> {
  if (dataDir !== undefined && !fs.existsSync(path.join(dataDir, 'PG_VERSION'))) await createDatabaseFiles(dataDir);
  const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir } });
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let nextId = 1;
  let nextTransaction = 1;
  let stopped: Error | undefined;
  let closing = false;
  const stoppedListeners: Array<(error: Error) => void> = [];

  // The worker keeps the process alive only while an answer is awaited: an idle database never holds a CLI open.
  const settle = (id: number) => {
    const waiter = pending.get(id);
    pending.delete(id);
    if (pending.size === 0) worker.unref();
    return waiter;
  };
  const failAll = (error: Error) => {
    const first = stopped === undefined;
    stopped ??= error;
    for (const id of [...pending.keys()]) settle(id)?.reject(error);
    if (first && !closing) for (const listener of stoppedListeners) listener(error);
  };
  worker.on('message', (reply: Reply) => {
    const waiter = settle(reply.id);
    if (!waiter) return;
    if (reply.ok) waiter.resolve(reply.value);
    else waiter.reject(revive(reply.error));
  });
  worker.on('error', (error) => failAll(new Error(`The embedded database's thread failed: ${error.message}`, { cause: error })));
  worker.on('exit', (code) => failAll(new Error(`The embedded database's thread stopped (exit code ${code})`)));

  const call = <T>(op: string, args?: Record<string, unknown>): Promise<T> => {
    if (stopped) return Promise.reject(stopped);
    const id = nextId++;
    const answer = new Promise<T>((resolve, reject) => pending.set(id, { resolve: resolve as (value: unknown) => void, reject }));
    worker.ref();
    worker.postMessage({ id, op, args });
    return answer;
  };

  await new Promise<void>((resolve, reject) => {
    pending.set(0, { resolve: () => resolve(), reject });
  });

  const queryable = (txId?: number) => ({
    provider: 'postgres' as const,
    adapterName,
    queryRaw: (query: SqlQuery) => call<AdapterResult>('queryRaw', { query, txId }),
    executeRaw: (query: SqlQuery) => call<number>('executeRaw', { query, txId }),
  });
  const connection = {
    ...queryable(),
    executeScript: (script: string) => call<void>('exec', { sql: script }),
    getConnectionInfo: () => ({ supportsRelationJoins: true }),
    async startTransaction(isolationLevel?: string) {
      // Not awaited: the worker begins the transaction and runs the statements that follow as soon as it has; a
      // failure to begin reaches Prisma as the first statement's error.
      const txId = nextTransaction++;
      call<void>('startTransaction', { txId, isolationLevel }).catch(() => undefined);
      // The Transactor links its Prisma transaction to this one (direct-raw.ts): raw statements may then skip Prisma.
      const transaction = queryable(txId);
      const beginning = beginningTransaction.getStore();
      if (beginning) beginning.transaction = transaction;
      return {
        ...transaction,
        options: { usePhantomQuery: true },
        commit: () => call<void>('commit', { txId }),
        rollback: () => call<void>('rollback', { txId }),
      };
    },
    dispose: () => Promise.resolve(),
  };
  const adapter = {
    provider: 'postgres' as const,
    adapterName,
    connect: () => Promise.resolve(connection),
    connectToShadowDb: () => Promise.reject(new Error('deskbot applies its migrations itself: no shadow database')),
  };

  return {
    client: {
      query: (sql, params) => call('query', { sql, params }),
      exec: (sql) => call<void>('exec', { sql }),
    },
    adapter,
    rawRoute: queryable(),
    onStopped: (listener) => void stoppedListeners.push(listener),
    abort: () => worker.postMessage({ id: nextId++, op: 'abort' }),
    async close() {
      closing = true;
      if (!stopped) await call<void>('close').catch(() => undefined);
      stopped ??= new Error('The embedded database is closed');
      await worker.terminate();
    },
  };
}
