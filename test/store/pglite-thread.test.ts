// The embedded database on its own thread: Prisma, raw sessions and errors behave as with PGlite in the process, and
// statements run again through their prepared plans give the same rows for every kind of value.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../src/logger.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { startPgliteThread } from '../../src/store/pglite-thread.ts';

const logger = createSilentLogger();

describe('PGlite on its own thread', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openDatabase({ logger });
    await database.withExclusiveSession('setup', (session) =>
      session.exec(`CREATE TABLE "Sample" ("id" int PRIMARY KEY, "label" text, "tags" text[], "data" jsonb, "bytes" bytea, "at" timestamptz)`),
    );
  });
  afterAll(() => database.close());

  // Used three times each: the first runs as an unnamed statement, the second prepares it, the third reuses the plan.
  const thrice = async <T>(run: () => Promise<T>) => [await run(), await run(), await run()];

  it('gives the same rows through a prepared plan for text with quotes, NULL, arrays, JSON, bytes and timestamps', async () => {
    const bytes = Buffer.from([0, 1, 2, 39, 92, 255]);
    await database.prisma.$executeRawUnsafe(
      `INSERT INTO "Sample" ("id", "label", "tags", "data", "bytes", "at") VALUES ($1, $2, $3, $4::jsonb, decode($5, 'hex'), $6::timestamptz)`,
      1,
      "O'Brien \\ 'quoted' $1 ; DROP TABLE \"Sample\"; --",
      ['a,b', "it's", 'x"y', ''],
      JSON.stringify({ say: "it's", n: 1 }),
      bytes.toString('hex'),
      '2026-11-30T10:00:00.000Z',
    );
    const select = () =>
      database.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
        `SELECT "label", "tags", "data", "bytes", "at" FROM "Sample" WHERE "id" = $1 AND "label" = $2 AND ($3::text IS NULL OR "label" = $3)`,
        1,
        "O'Brien \\ 'quoted' $1 ; DROP TABLE \"Sample\"; --",
        null,
      );
    const [first, second, third] = await thrice(select);
    expect(first).toHaveLength(1);
    expect(second).toEqual(first);
    expect(third).toEqual(first);
    expect(first?.[0]?.label).toBe("O'Brien \\ 'quoted' $1 ; DROP TABLE \"Sample\"; --");
    expect(first?.[0]?.tags).toEqual(['a,b', "it's", 'x"y', '']);
    expect(first?.[0]?.data).toEqual({ say: "it's", n: 1 });
    expect(Buffer.from(first?.[0]?.bytes as Uint8Array)).toEqual(bytes);
    expect(new Date(first?.[0]?.at as string).toISOString()).toBe('2026-11-30T10:00:00.000Z');
    const prepared = await database.withExclusiveSession('check', (session) =>
      session.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%FROM "Sample" WHERE "id" = $1 AND%'`),
    );
    expect(prepared).toHaveLength(1);
  });

  it('reports affected rows and errors of a prepared statement as before (unique violation is P2002-able)', async () => {
    const insert = (id: number) => database.prisma.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2) ON CONFLICT DO NOTHING`, id, 'x');
    expect(await thrice(() => insert(10))).toEqual([1, 0, 0]);
    const strict = () => database.prisma.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, 10, 'dup');
    for (let i = 0; i < 3; i++) {
      type RawFailure = { code?: string; meta?: { driverAdapterError?: { cause?: { code?: string } } } };
      const error = (await strict().then(
        () => undefined,
        (caught: unknown) => caught,
      )) as RawFailure | undefined;
      expect(error?.code).toBe('P2010');
      expect(error?.meta?.driverAdapterError?.cause?.code).toBe('23505');
    }
  });

  it('prepares a statement inside a transaction without disturbing it: a rollback still undoes all of it', async () => {
    const failure = await database.prisma
      .$transaction(async (tx) => {
        await tx.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, 20, 'in tx');
        await tx.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, 21, 'in tx');
        await tx.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, 22, 'in tx');
        throw new Error('roll back');
      })
      .catch((error: Error) => error.message);
    expect(failure).toBe('roll back');
    const left = await database.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "id" BETWEEN 20 AND 22`);
    expect(left[0]?.n).toBe(0);
    const committed = await database.prisma.$transaction(async (tx) => {
      for (const id of [30, 31, 32]) await tx.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, id, 'kept');
      return tx.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "label" = $1`, 'kept');
    });
    expect(committed[0]?.n).toBe(3);
  });

  const preparedLike = (fragment: string) =>
    database.withExclusiveSession('check', (session) =>
      session.query<{ name: string }>(`SELECT name FROM pg_prepared_statements WHERE statement LIKE $1`, [`%${fragment}%`]),
    );

  it('tries the PREPARE again later when a failed statement had aborted the transaction it was tried in', async () => {
    const probe = () => database.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "id" > $1 /* retry-probe */`, 0);
    await probe();
    const failed = await database.prisma
      .$transaction(async (tx) => {
        await tx.$queryRawUnsafe(`SELECT 1 / $1::int AS boom`, 0).catch(() => undefined);
        return tx.$queryRawUnsafe(`SELECT count(*)::int AS n FROM "Sample" WHERE "id" > $1 /* retry-probe */`, 0);
      })
      .then(
        () => 'committed',
        () => 'failed',
      );
    expect(failed).toBe('failed');
    expect(await preparedLike('retry-probe')).toHaveLength(0);
    await probe();
    await probe();
    expect(await preparedLike('retry-probe')).toHaveLength(1);
    expect((await probe())[0]?.n).toBeGreaterThan(0);
  });

  it('prepares a statement used by several calls at once only once, and every call gets its rows', async () => {
    const read = (id: number) => database.prisma.$queryRawUnsafe<Array<{ id: number }>>(`SELECT "id" FROM "Sample" WHERE "id" = $1 /* concurrent-probe */`, id);
    await read(1);
    const rows = await Promise.all([1, 10, 1, 10, 999].map((id) => read(id)));
    expect(rows.map((found) => found.map((row) => row.id))).toEqual([[1], [10], [1], [10], []]);
    expect(await preparedLike('concurrent-probe')).toHaveLength(1);
    expect((await read(10)).map((row) => row.id)).toEqual([10]);
  });

  it('begins a transaction without waiting for the worker: empty, failing-before-any-statement and racing transactions all settle', async () => {
    expect(await database.prisma.$transaction(async () => 'empty')).toBe('empty');
    await expect(
      database.prisma.$transaction(async () => {
        throw new Error('before any statement');
      }),
    ).rejects.toThrow('before any statement');
    const racing = await Promise.all(
      [50, 51, 52, 53].map((id) =>
        database.prisma.$transaction(async (tx) => {
          await tx.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, id, 'race');
          return (await tx.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "id" = $1`, id))[0]?.n;
        }),
      ),
    );
    expect(racing).toEqual([1, 1, 1, 1]);
    const after = await database.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "label" = 'race'`);
    expect(after[0]?.n).toBe(4);
  });

  it('sends values longer than the literal limit as parameters', async () => {
    const long = `${"it's ".repeat(40 * 1024)}end`;
    const write = (id: number) => database.prisma.$executeRawUnsafe(`INSERT INTO "Sample" ("id", "label") VALUES ($1, $2)`, id, long);
    await write(40);
    await write(41);
    await write(42);
    const rows = await database.prisma.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM "Sample" WHERE "label" = $1`, long);
    expect(rows[0]?.n).toBe(3);
  });
});

describe('the thread itself', () => {
  it('refuses work after close with a clear error', async () => {
    const thread = await startPgliteThread(undefined);
    expect((await thread.client.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await thread.close();
    await expect(thread.client.query('SELECT 1')).rejects.toThrow(/closed/);
  });

  it('tells its listeners once when the thread stops by itself; pending and later calls fail; a close does not tell them', async () => {
    const thread = await startPgliteThread(undefined);
    const stops: Error[] = [];
    const stopped = new Promise<void>((resolve) => thread.onStopped(() => resolve()));
    thread.onStopped((error) => stops.push(error));
    thread.abort();
    // Sent after the abort: the thread is gone before it reads it, and the call must not wait for ever.
    const pending = thread.client.query('SELECT 1');
    await expect(pending).rejects.toThrow(/embedded database's thread stopped/);
    await stopped;
    await expect(thread.client.query('SELECT 1')).rejects.toThrow(/embedded database's thread stopped/);
    expect(stops).toHaveLength(1);
    expect(stops[0]!.message).toMatch(/thread stopped \(exit code 70\)/);
    await thread.close();
    expect(stops).toHaveLength(1);

    const closed = await startPgliteThread(undefined);
    let told = 0;
    closed.onStopped(() => told++);
    await closed.close();
    expect(told).toBe(0);
  });

  it('fails to start with the database error when the data directory cannot be used', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-thread-'));
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    try {
      await expect(startPgliteThread(path.join(file, 'pglite'))).rejects.toThrow();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("PGlite's parsers on its thread", () => {
  // The worker puts the adapter's parsers into PGlite's own map once (PGlite copied its ~320 parsers on every query
  // that passed them): the adapter's rows and the direct queries' rows must stay what they were without that.
  const values = [
    `1::int8`,
    `ARRAY[1, 2]::int8[]`,
    `1.5::numeric`,
    `'2026-01-01 10:00:00+00'::timestamptz`,
    `'2026-01-01 10:00'::timestamp`,
    `ARRAY['2026-01-01 10:00'::timestamp]`,
    `'{"x": 1}'::jsonb`,
    `ARRAY['{"x": 1}'::jsonb]`,
    `'{"y":2}'::json`,
    `ARRAY['{"y":2}'::json]`,
    `'\\x0102'::bytea`,
    `ARRAY['\\x01'::bytea]`,
    `ARRAY['a', 'b']::text[]`,
    `'2026-01-01'::date`,
    `ARRAY['2026-01-01'::date]`,
    `'10:00'::time`,
    `ARRAY[1]::int4[]`,
    `1.5::float8`,
    `true`,
  ];
  const rowsOf = async (run: (sql: string) => Promise<unknown>) => {
    const rows: unknown[] = [];
    for (const value of values) rows.push(await run(`SELECT ${value} AS "v"`));
    return rows;
  };

  it('gives the rows the adapter and PGlite give in the process', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PrismaPGlite } = await import('pglite-prisma-adapter');
    const plain = await PGlite.create();
    const thread = await startPgliteThread(undefined);
    try {
      const plainAdapter = await new PrismaPGlite(plain).connect();
      const threadAdapter = (await (thread.adapter as { connect(): Promise<typeof plainAdapter> }).connect()) as typeof plainAdapter;
      const raw = (adapter: typeof plainAdapter) => (sql: string) => adapter.queryRaw({ sql, args: [], argTypes: [] }).then((result) => result.rows);
      const expectedAdapterRows = await rowsOf(raw(plainAdapter));
      const expectedDirectRows = await rowsOf(async (sql) => (await plain.query(sql)).rows);
      // Twice each: the second run goes through the statement's prepared plan.
      for (let run = 0; run < 2; run++) {
        expect(await rowsOf(raw(threadAdapter))).toEqual(expectedAdapterRows);
        expect(await rowsOf(async (sql) => (await thread.client.query(sql)).rows)).toEqual(expectedDirectRows);
      }
      expect(expectedAdapterRows[0]).toEqual([['1']]);
      expect(expectedDirectRows[0]).toEqual([{ v: 1 }]);
    } finally {
      await thread.close();
      await plain.close();
    }
  });
});
