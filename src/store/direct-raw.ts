// Raw statements of the hot paths (intake, Slack writes) sent straight to the driver adapter (the embedded thread's,
// or adapter-pg's connection) instead of through Prisma's client: Prisma's request path costs ~0.13 ms of main-thread
// CPU a statement and ~0.4 ms a transaction (measured on PGlite: 0.185 against 0.059 ms a statement), and the main
// thread bounds the intake burst on both back ends.
// The rows come back typed as Prisma's $queryRaw types them (int8 as BigInt, numeric as Decimal, timestamps as Date,
// json parsed, bytea as Uint8Array) and failures as Prisma's P2010, so callers cannot tell the two paths apart; for any
// parameter shape rawQueryPlan leaves to the compiler, or a client with no route, the statement goes through Prisma.
import { AsyncLocalStorage } from 'node:async_hooks';
import { Prisma } from '../generated/prisma/client.ts';
import { rawArguments } from './raw-query-plans.ts';

/** A driver adapter's answer to a raw statement (Prisma's ResultSet). */
export interface AdapterResult {
  columnNames: string[];
  columnTypes: number[];
  rows: unknown[][];
}

/** A raw statement as driver adapters take it (Prisma's SqlQuery). */
export interface AdapterQuery {
  sql: string;
  args: unknown[];
  argTypes: unknown[];
}

/** Where raw statements can go past Prisma: a driver adapter's connection or one of its transactions. */
export interface RawQueryable {
  queryRaw(query: AdapterQuery): Promise<AdapterResult>;
  executeRaw(query: AdapterQuery): Promise<number>;
}

const targets = new WeakMap<object, RawQueryable>();

/**
 * Set while Prisma begins a transaction: the driver adapter puts the transaction it began into it (pglite-thread.ts,
 * database.ts for adapter-pg), and the Transactor links its transaction client to it (linkTransaction).
 */
export const beginningTransaction = new AsyncLocalStorage<{ transaction?: RawQueryable }>();

/** From now on raw statements of `prisma` (not of its transactions: see linkTransaction) may take `route`. */
export function routeRawStatements(prisma: object, route: RawQueryable): void {
  targets.set(prisma, route);
}

/** Routes the statements of `tx`, a transaction client of `prisma`, to `transaction`, the adapter's side of it. */
export function linkTransaction(tx: object, prisma: object, transaction: RawQueryable | undefined): void {
  if (targets.has(prisma) && transaction) targets.set(tx, transaction);
}

/** Prisma's column types (driver-adapter-utils' ColumnType) that raw rows convert. */
const column = {
  int32: 0,
  int64: 1,
  numeric: 4,
  boolean: 5,
  date: 8,
  time: 9,
  dateTime: 10,
  json: 11,
  bytes: 13,
  int32Array: 64,
  int64Array: 65,
  numericArray: 68,
  booleanArray: 69,
  dateArray: 72,
  timeArray: 73,
  dateTimeArray: 74,
  jsonArray: 75,
  bytesArray: 77,
} as const;

/** Prisma's typing of one raw value (its serializeRawResult, then deserializeRawResult), for one column type. */
function typed(value: unknown, type: number): unknown {
  if (value === null || value === undefined) return null;
  switch (type) {
    case column.int32:
      return Math.trunc(Number(value));
    case column.int64:
      return BigInt(typeof value === 'number' ? Math.trunc(value) : (value as string | bigint));
    case column.numeric:
      return new Prisma.Decimal(value as string);
    case column.boolean:
      return typeof value === 'boolean' ? value : typeof value === 'string' ? value === 'true' || value === '1' : value === 1;
    case column.date:
    case column.dateTime:
      return new Date(value as string);
    case column.time:
      return new Date(`1970-01-01T${value as string}Z`);
    case column.json:
      return JSON.parse(value as string);
    case column.bytes: {
      const bytes = Buffer.from(new Uint8Array(value as number[]));
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    case column.int32Array:
    case column.int64Array:
    case column.numericArray:
    case column.booleanArray:
    case column.dateArray:
    case column.timeArray:
    case column.dateTimeArray:
    case column.jsonArray:
    case column.bytesArray:
      return (value as unknown[]).map((element) => typed(element, type - 64));
    default:
      return value;
  }
}

/** The rows of an adapter's answer as Prisma's $queryRaw returns them. */
export function prismaRows(result: AdapterResult): Array<Record<string, unknown>> {
  const { columnNames, columnTypes } = result;
  return result.rows.map((row) => {
    const object: Record<string, unknown> = {};
    for (let index = 0; index < columnNames.length; index++) object[columnNames[index] as string] = typed(row[index], columnTypes[index] as number);
    return object;
  });
}

/** A driver failure as Prisma reports a failed raw statement (P2010, the adapter's error kept in `meta`). */
function asPrismaError(error: unknown): unknown {
  const failure = error as { name?: string; cause?: { originalCode?: string; originalMessage?: string; message?: string } } | null;
  if (failure?.name !== 'DriverAdapterError' || typeof failure.cause !== 'object' || failure.cause === null) return error;
  const message = `Raw query failed. Code: \`${failure.cause.originalCode ?? 'N/A'}\`. Message: \`${failure.cause.originalMessage ?? failure.cause.message}\``;
  return new Prisma.PrismaClientKnownRequestError(message, {
    code: 'P2010',
    clientVersion: Prisma.prismaVersion.client,
    meta: { driverAdapterError: error },
  });
}

type Db = Pick<Prisma.TransactionClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;

/**
 * The statement with the connection or transaction of `db` that takes it, or undefined when `db` has no route or a
 * parameter's shape is Prisma's to serialize: then it goes through Prisma.
 */
function routed(db: Db, sql: string, params: readonly unknown[]) {
  const target = targets.get(db);
  const args = target ? rawArguments(params) : undefined;
  return target && args ? { target, query: { sql, ...args } } : undefined;
}

const rethrownAsPrisma = (error: unknown): never => {
  throw asPrismaError(error);
};

/** `db.$queryRawUnsafe(sql, ...params)`, past Prisma's client where `db` has a route. */
export async function rawRows<Row>(db: Db, sql: string, ...params: unknown[]): Promise<Row[]> {
  const direct = routed(db, sql, params);
  if (!direct) return db.$queryRawUnsafe<Row[]>(sql, ...params);
  return prismaRows(await direct.target.queryRaw(direct.query).catch(rethrownAsPrisma)) as Row[];
}

/** rawRows of a `Prisma.sql` statement (the tagged-template form of `db.$queryRaw`). */
export function rawSqlRows<Row>(db: Db, statement: Prisma.Sql): Promise<Row[]> {
  return rawRows<Row>(db, statement.text, ...statement.values);
}

/** `db.$executeRawUnsafe(sql, ...params)` (the number of rows changed), past Prisma's client where `db` has a route. */
export async function rawExecute(db: Db, sql: string, ...params: unknown[]): Promise<number> {
  const direct = routed(db, sql, params);
  if (!direct) return db.$executeRawUnsafe(sql, ...params);
  return direct.target.executeRaw(direct.query).catch(rethrownAsPrisma);
}

/** rawExecute of a `Prisma.sql` statement (the tagged-template form of `db.$executeRaw`). */
export function rawExecuteSql(db: Db, statement: Prisma.Sql): Promise<number> {
  return rawExecute(db, statement.text, ...statement.values);
}
