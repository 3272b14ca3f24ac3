// The embedded database's own thread: PGlite (PostgreSQL compiled to WebAssembly) runs here, so its work uses the
// second core instead of the thread that parses mail and answers Slack. Plain JavaScript so it starts the same from
// src/ (tests, tsx) and from dist/ (the bundle copies it). The protocol is src/store/pglite-thread.ts.
//
// It also keeps the plans of deskbot's repeated statements. PGlite sends every query as an unnamed statement, so
// PostgreSQL plans it anew on each call, and for deskbot's larger statements planning is most of the cost (the
// sender lookup of every incoming mail: ~5 ms of planning in WebAssembly). A statement seen twice is PREPAREd once
// and then run as EXECUTE with its values as literals, serialized exactly as PGlite would send them.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, types } from '@electric-sql/pglite';
import { PrismaPGlite } from 'pglite-prisma-adapter';

const port = parentPort;
if (!port) throw new Error('pglite-worker.mjs runs as a worker thread only');

/** A statement is prepared on its second use; one-off statements are never. */
const PREPARE_ON_USE = 2;
/** Prepared statements kept by the session at most (each holds its plan). */
const MAX_PREPARED = 512;
/** Values longer than this in all (a stored mail's bytes) go as parameters, not as literals in the EXECUTE text. */
const MAX_LITERAL_CHARS = 64 * 1024;
/** Statement texts counted at most; beyond it the counts of texts not yet prepared start again. */
const MAX_COUNTED = 4096;
const preparable = /^\s*(?:select|with|insert|update|delete)\b/i;

let pglite;
/** SQL text -> uses so far (number), its PREPARE under way (Promise), its prepared statement ({ name, types }) or false. */
const statements = new Map();
let preparedCount = 0;
let statementNames = 0;
/** A statement whose PREPARE failed this often runs unprepared from then on. */
const PREPARE_ATTEMPTS = 3;
const prepareFailures = new Map();

const quoteLiteral = (text) => `'${text.replaceAll("'", "''")}'`;

/** The EXECUTE text for `values`, or undefined when they are too long to inline. */
function executeText(prepared, values) {
  const literals = [];
  let length = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || value === undefined) {
      literals.push('NULL');
      continue;
    }
    const serialize = pglite.serializers[prepared.types[i]];
    const literal = quoteLiteral(String(serialize ? serialize(value) : value.toString()));
    length += literal.length;
    if (length > MAX_LITERAL_CHARS) return undefined;
    literals.push(literal);
  }
  return literals.length === 0 ? `EXECUTE ${prepared.name}` : `EXECUTE ${prepared.name}(${literals.join(', ')})`;
}

/** Prepares `sql` on `session` (PGlite or an open transaction); a savepoint keeps a transaction usable if it fails. */
async function prepare(session, sql, inTransaction) {
  // Taken before the first await: a name is never used twice, not even after a failed PREPARE.
  const name = `deskbot_stmt_${++statementNames}`;
  try {
    if (inTransaction) await session.exec('SAVEPOINT deskbot_prepare');
    await session.exec(`PREPARE ${name} AS ${sql}`);
    const { rows } = await session.query(
      `SELECT (SELECT array_agg(p.t::oid ORDER BY p.n) FROM unnest(parameter_types) WITH ORDINALITY AS p(t, n)) AS types
         FROM pg_prepared_statements WHERE name = $1`,
      [name],
    );
    if (inTransaction) await session.exec('RELEASE SAVEPOINT deskbot_prepare');
    preparedCount++;
    return { name, types: rows[0]?.types ?? [] };
  } catch {
    if (inTransaction) await session.exec('ROLLBACK TO SAVEPOINT deskbot_prepare').catch(() => undefined);
    // In a transaction an earlier failed statement aborted, PREPARE fails for that reason alone: try again later.
    const failures = (prepareFailures.get(sql) ?? 0) + 1;
    prepareFailures.set(sql, failures);
    return failures >= PREPARE_ATTEMPTS ? false : 0;
  }
}

function forgetCounts() {
  for (const [sql, entry] of statements) if (typeof entry === 'number') statements.delete(sql);
}

// The Prisma adapter passes its own parsers (text for int8, numeric, timestamps, json, bytea) with every query, and
// PGlite merges them into a copy of its ~320 parsers on each call: ~0.14 ms of this thread per statement, measured.
// The adapter's parsers are therefore put into PGlite's own map once (the adapter is this thread's main user), and the
// few direct queries (leader lock, upkeep, migrations) pass PGlite's original parsers of those types instead.
let adapterParsers;
let installing;
/** PGlite's original parsers of the types the adapter parses itself, for the direct queries; undefined until then. */
let originalParsers;
const adapterArrayRows = { rowMode: 'array' };

/** Puts the adapter's parsers into PGlite's map; arrays of those types keep parsing their elements as before. */
async function installAdapterParsers(session, parsers) {
  const original = pglite.parsers;
  const custom = Object.keys(parsers).map(Number);
  // PGlite's array parsers look their element's parser up at call time: pin each to the parser it used until now.
  const { rows } = await session.query(
    `SELECT "oid"::int AS "oid", "typarray"::int AS "typarray" FROM pg_type WHERE "oid" IN (${custom.join(', ')}) AND "typarray" <> 0`,
  );
  const pinned = {};
  const kept = {};
  for (const oid of custom) kept[oid] = original[oid];
  for (const { oid, typarray } of rows) {
    const element = original[oid];
    pinned[typarray] = (text) => types.arrayParser(text, element, typarray);
    if (!(typarray in parsers)) kept[typarray] = pinned[typarray];
    else kept[typarray] = original[typarray] === undefined ? undefined : pinned[typarray];
  }
  const merged = { ...original };
  for (const { typarray } of rows) if (!(typarray in parsers)) merged[typarray] = pinned[typarray];
  Object.assign(merged, parsers);
  pglite.parsers = merged;
  originalParsers = kept;
  adapterParsers = parsers;
}

/** The options of an adapter query without the parsers PGlite's map holds already. */
function withoutAdapterParsers(options) {
  if (!options?.parsers || options.parsers !== adapterParsers) return options;
  const { parsers: _installed, ...rest } = options;
  return rest.rowMode === 'array' && Object.keys(rest).length === 1 ? adapterArrayRows : rest;
}

/** PGlite's query(), through the statement's prepared plan once it has one. */
async function query(session, inTransaction, sql, values = [], given) {
  if (given?.parsers && adapterParsers === undefined) await (installing ??= installAdapterParsers(session, given.parsers));
  const options = withoutAdapterParsers(given);
  let entry = statements.get(sql);
  // Being prepared by another call: run it unprepared rather than wait (that call may wait for this one's transaction).
  if (entry instanceof Promise) return session.query(sql, values, options);
  if (entry === undefined || typeof entry === 'number') {
    const uses = (entry ?? 0) + 1;
    // Statement texts that vary (a list of N parameters) must not grow the count without end.
    if (entry === undefined && statements.size >= MAX_COUNTED) forgetCounts();
    statements.set(sql, uses);
    if (uses < PREPARE_ON_USE || preparedCount >= MAX_PREPARED || !preparable.test(sql)) return session.query(sql, values, options);
    const preparing = prepare(session, sql, inTransaction);
    statements.set(sql, preparing);
    entry = await preparing;
    statements.set(sql, entry);
  }
  const text = entry ? executeText(entry, values) : undefined;
  return text ? session.query(text, [], options) : session.query(sql, values, options);
}

/** The PGlite the Prisma adapter sees: queries go through `query` above, the rest straight to PGlite. */
function sessionFacade(session, inTransaction) {
  return {
    query: (sql, values, options) => query(session, inTransaction, sql, values, options),
    exec: (sql, options) => session.exec(sql, options),
    rollback: () => session.rollback(),
    transaction: (work) => session.transaction((tx) => work(sessionFacade(tx, true))),
  };
}

/** Error fields that survive the trip back: the name Prisma recognises a driver error by, its cause, PostgreSQL's codes. */
function serializeError(error) {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = {};
  for (const [key, value] of Object.entries(error)) {
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) fields[key] = value;
  }
  let cause;
  if (error.cause !== null && typeof error.cause === 'object') {
    try {
      cause = structuredClone(error.cause);
    } catch {
      cause = { message: String(error.cause) };
    }
  }
  return { name: error.name, message: error.message, stack: error.stack, fields, cause };
}

let connection;
/** Open transactions by the id the main thread gave them: the promise of the adapter's transaction once begun. */
const transactions = new Map();

/** The adapter's connection, or the transaction `txId` once it has begun (its statements may arrive before that). */
const queryable = async (txId) => {
  if (txId === undefined) return connection;
  const opening = transactions.get(txId);
  if (!opening) throw new Error(`transaction ${txId} is not open`);
  return opening;
};

const operations = {
  async query({ sql, params }) {
    const result = await pglite.query(sql, params, originalParsers ? { parsers: originalParsers } : undefined);
    return { rows: result.rows, affectedRows: result.affectedRows };
  },
  async exec({ sql }) {
    await pglite.exec(sql);
  },
  queryRaw: async ({ query, txId }) => (await queryable(txId)).queryRaw(query),
  executeRaw: async ({ query, txId }) => (await queryable(txId)).executeRaw(query),
  // The main thread does not wait for this answer: it sends the transaction's first statement at once, so PGlite's
  // lock is not held across a round trip to a busy main thread between BEGIN and that statement.
  async startTransaction({ txId, isolationLevel }) {
    const opening = connection.startTransaction(isolationLevel);
    transactions.set(txId, opening);
    await opening;
  },
  async commit({ txId }) {
    const tx = await queryable(txId);
    transactions.delete(txId);
    await tx.commit();
  },
  async rollback({ txId }) {
    const opening = transactions.get(txId);
    transactions.delete(txId);
    // A transaction that never began has nothing to roll back; its statements already failed with the reason.
    const tx = opening ? await opening.catch(() => undefined) : undefined;
    await tx?.rollback();
  },
  async close() {
    await pglite.close();
  },
  // The thread ends at once, the database left as it is: what a WebAssembly abort does (tests use it).
  abort() {
    process.exit(70);
  },
};

port.on('message', async ({ id, op, args }) => {
  let reply;
  try {
    const operation = operations[op];
    if (!operation) throw new Error(`unknown operation ${op}`);
    reply = { id, ok: true, value: await operation(args ?? {}) };
  } catch (error) {
    reply = { id, ok: false, error: serializeError(error) };
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    port.postMessage({ id, ok: false, error: serializeError(error) });
  }
});

try {
  pglite = workerData.dataDir ? await PGlite.create(workerData.dataDir) : await PGlite.create();
  if (workerData.createOnly) {
    // Only the database's creation (pglite-thread.ts, createDatabaseFiles): the thread ends once it is on disk.
    await pglite.close();
    port.postMessage({ id: 0, ok: true, value: 'created' });
    process.exit(0);
  }
  connection = await new PrismaPGlite(sessionFacade(pglite, false)).connect();
  // The adapter's first query installs its parsers (above) before any other statement can run.
  await connection.queryRaw({ sql: 'SELECT 1', args: [], argTypes: [] });
  port.postMessage({ id: 0, ok: true, value: 'ready' });
} catch (error) {
  port.postMessage({ id: 0, ok: false, error: serializeError(error) });
}
