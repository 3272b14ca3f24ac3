// Raw statements sent past Prisma's client to the driver adapter (the embedded thread's, adapter-pg's): the adapter
// gets the arguments Prisma would send, the rows and failures come back as Prisma gives them, and inside a Transactor
// transaction (or group) they run in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Database } from '../../src/store/database.ts';
import { rawRows, rawSqlRows } from '../../src/store/direct-raw.ts';
import { isUniqueViolation } from '../../src/store/errors.ts';
import { rawArguments, rawQueryPlan } from '../../src/store/raw-query-plans.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import type { Repositories } from '../../src/app/ports.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { backends } from '../helpers/backends.ts';
import { compiledRequests } from '../helpers/compiled-requests.ts';

describe.each(backends)('raw statements past Prisma on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    await database.prisma.$executeRawUnsafe(`CREATE TABLE "Probe" ("id" int PRIMARY KEY, "label" text)`);
  });
  afterAll(() => opened?.dispose());

  const at = new Date('2026-11-30T10:00:00.123Z');
  // Every column type deskbot's raw statements return, each with a value and NULL.
  const columns = [
    `$1::int4`,
    `$2::int8`,
    `$3::float8`,
    `$4::numeric`,
    `$5::boolean`,
    `$6::text`,
    `$7::timestamptz`,
    `$7::timestamptz::timestamp`,
    `$7::timestamptz::date`,
    `'10:11:12'::time`,
    `$8::jsonb`,
    `$8::json`,
    `decode($9, 'base64')`,
    `$10::text[]`,
    `$11::int4[]`,
    `$12::int8[]`,
    `ARRAY[decode($9, 'base64')]`,
    `ARRAY[$7::timestamptz::date]`,
    `ARRAY[$7::timestamptz::timestamp]`,
    `json_build_object('a', $2::int8, 'at', $7::timestamptz)`,
    `NULL::int8`,
    `NULL::timestamptz`,
    `NULL::jsonb`,
  ];
  const sql = `SELECT ${columns.map((expression, index) => `${expression} AS "c${index}"`).join(', ')}`;
  const params = [
    -7,
    12345678901234567n,
    1.25,
    '12.50',
    true,
    'it\'s "x"',
    at,
    JSON.stringify({ k: [1, 'v'] }),
    Buffer.from([0, 1, 255]).toString('base64'),
    ['a', "b'c", ''],
    [1, 2],
    ['3', '4'],
  ];

  it.skipIf(!backend.available)('gives the rows Prisma gives, for every column type', async () => {
    const expected = await database.prisma.$queryRawUnsafe<unknown[]>(sql, ...params);
    const direct = await rawRows<unknown>(database.prisma, sql, ...params);
    expect(direct).toEqual(expected);
    expect(Object.keys(direct[0] as object)).toEqual(Object.keys(expected[0] as object));
    const statement = Prisma.sql`SELECT ${5n}::int8 AS "n", ${at}::timestamptz AS "at", ${[at, at]}::timestamptz[]::text AS "list"`;
    expect(await rawSqlRows(database.prisma, statement)).toEqual(await database.prisma.$queryRaw(statement));
  });

  it.skipIf(!backend.available)('hands the adapter the arguments of the plan Prisma makes for the same parameters', async () => {
    const shapes: unknown[][] = [params, [null, 0, -1.5, false, ''], [[], ['x'], [1n, 2n], [at]], [Buffer.from('hi')]];
    const requests = await compiledRequests(async () => {
      for (const shape of shapes) {
        const placeholders = shape.map((_, index) => `$${index + 1}::text`).join(', ');
        await database.prisma.$queryRawUnsafe(`SELECT ${placeholders}`, ...shape).catch(() => undefined);
      }
    });
    expect(requests).toHaveLength(shapes.length);
    shapes.forEach((shape, index) => {
      const plan = rawQueryPlan(requests[index]?.request as string);
      expect(plan).toBeDefined();
      expect(rawArguments(shape)).toEqual({ args: plan?.args.args, argTypes: plan?.args.argTypes });
    });
    // Shapes left to Prisma: objects, lists with NULL or of mixed kinds, unsafe integers, invalid dates, decimals.
    for (const shape of [[{ a: 1 }], [[null, 1]], [[1, 'x']], [2 ** 60], [new Date(Number.NaN)], [new Prisma.Decimal('1.5')]]) {
      expect(rawArguments(shape)).toBeUndefined();
    }
  });

  it.skipIf(!backend.available)('fails as Prisma fails: P2010 with the driver error, a unique violation recognised', async () => {
    await database.prisma.$executeRawUnsafe(`INSERT INTO "Probe" ("id", "label") VALUES (1, 'one')`);
    const viaPrisma = await database.prisma
      .$queryRawUnsafe(`INSERT INTO "Probe" ("id", "label") VALUES ($1, $2) RETURNING "id"`, 1, 'again')
      .catch((error: unknown) => error);
    const direct = await rawRows(database.prisma, `INSERT INTO "Probe" ("id", "label") VALUES ($1, $2) RETURNING "id"`, 1, 'again').catch(
      (error: unknown) => error,
    );
    expect(direct).toBeInstanceOf(Prisma.PrismaClientKnownRequestError);
    expect((direct as Prisma.PrismaClientKnownRequestError).code).toBe((viaPrisma as Prisma.PrismaClientKnownRequestError).code);
    expect(isUniqueViolation(direct)).toBe(true);
    expect(isUniqueViolation(viaPrisma)).toBe(true);
  });

  it.skipIf(!backend.available)('runs in the Transactor transaction it is called in: undone by a rollback, kept by a commit, not through Prisma', async () => {
    const { transactor } = storeAccess(database, defaultPolicy());
    const reserve = (fail: boolean) =>
      transactor.run(async (repositories) => {
        const { requestId } = await repositories.tickets.reserveRequest({
          year: 2099,
          keys: { customerKey: null, partnerId: null, licenceNumber: null },
          lockAutoMailTo: 'a@example.com',
        });
        if (fail) throw new Error(`undo ${requestId}`);
        return requestId;
      });
    const compiled = await compiledRequests(async () => {
      // The rolled-back reservation's number is handed out again: the statement ran inside the transaction.
      await expect(reserve(true)).rejects.toThrow('undo SR-2099-000001');
      expect(await reserve(false)).toBe('SR-2099-000001');
      expect(await reserve(false)).toBe('SR-2099-000002');
    });
    expect(compiled.filter(({ request }) => request.includes('RequestCounter'))).toEqual([]);
  });
  it.skipIf(!backend.available)("runs in a Transactor group's transaction: undone when the group fails, not through Prisma", async () => {
    const { transactor } = storeAccess(database, defaultPolicy());
    const group = transactor.group?.bind(transactor);
    if (!group) throw new Error('the store Transactor groups transactions');
    const reserve = () =>
      transactor.run(async (repositories) => {
        const { requestId } = await repositories.tickets.reserveRequest({ year: 2098, keys: { customerKey: null, partnerId: null, licenceNumber: null } });
        return requestId;
      });
    const compiled = await compiledRequests(async () => {
      await expect(
        group(async () => {
          expect(await reserve()).toBe('SR-2098-000001');
          expect(await reserve()).toBe('SR-2098-000002');
          throw new Error('undo the group');
        }),
      ).rejects.toThrow('undo the group');
      expect(await group(async () => [await reserve(), await reserve()])).toEqual(['SR-2098-000001', 'SR-2098-000002']);
    });
    expect(compiled.filter(({ request }) => request.includes('RequestCounter'))).toEqual([]);
  });
  it.skipIf(!backend.available)('refuses a statement of a transaction that has ended, instead of running it outside it', async () => {
    const { transactor } = storeAccess(database, defaultPolicy());
    const keys = { customerKey: null, partnerId: null, licenceNumber: null };
    let late: Repositories | undefined;
    await transactor.run(async (repositories) => {
      late = repositories;
      return repositories.tickets.reserveRequest({ year: 2097, keys });
    });
    await expect(late?.tickets.reserveRequest({ year: 2097, keys })).rejects.toThrow();
    expect(await rawRows(database.prisma, `SELECT "last" FROM "RequestCounter" WHERE "year" = 2097`)).toEqual([{ last: 1 }]);
  });
});

const postgres = backends.find((backend) => backend.name === 'postgres')!;

describe.skipIf(!postgres.available)('PostgreSQL sessions', () => {
  let opened: Awaited<ReturnType<typeof postgres.open>>;
  beforeAll(async () => {
    opened = await postgres.open();
  });
  afterAll(() => opened?.dispose());

  it('run without JIT on every connection of the pool, in and out of transactions', async () => {
    const { prisma } = opened.database;
    // pg 8 queues a statement sent while another runs and warns that pg 9 will refuse it: the setting must be in place
    // before the pool hands a new connection out, not queued ahead of its first statement.
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const jit = async (db: Pick<typeof prisma, '$queryRaw'>) => (await db.$queryRaw<Array<{ jit: string }>>`SELECT current_setting('jit') AS "jit"`)[0]!.jit;
    // Several at once, so that the pool opens several connections (each holds its own session settings): statements
    // outside a transaction (the pool's own query path), then transactions.
    expect(await Promise.all(Array.from({ length: 6 }, () => jit(prisma)))).toEqual(Array(6).fill('off'));
    const held = await Promise.all(
      Array.from({ length: 6 }, () =>
        prisma.$transaction(async (tx) => [await jit(tx), await tx.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS "pid"`]),
      ),
    );
    expect(held.map(([setting]) => setting)).toEqual(Array(6).fill('off'));
    expect(new Set(held.map(([, rows]) => (rows as Array<{ pid: number }>)[0]!.pid)).size).toBeGreaterThan(1);
    expect(await jit(prisma)).toBe('off');
    expect((await rawSqlRows<{ jit: string }>(prisma, Prisma.sql`SELECT current_setting('jit') AS "jit"`))[0]!.jit).toBe('off');
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.filter((message) => /already executing a query/.test(message))).toEqual([]);
  });

  it("sends a transaction's statements one at a time, also the reads Prisma makes at once for one query", async () => {
    const { prisma } = opened.database;
    // A ticket with its customer and licence: Prisma's interpreter reads a query's to-one relations at once, which on
    // one connection pg queues with a warning that pg 9 will refuse it (close-repository reads a ticket so).
    const customer = await prisma.customer.create({
      data: {
        key: 'serial-statements',
        name: 'Serial Statements Ltd',
        supportLevel: 'normal',
        calendar: 'US',
        currency: 'USD',
        licences: { create: [{ number: 'SERIAL-1', product: 'Mail Server', type: 'purchased', registeredOn: new Date('2026-01-05') }] },
      },
      include: { licences: true },
    });
    await prisma.ticket.create({
      data: {
        requestId: 'SR-2096-000001',
        requesterKind: 'eligible-caller',
        requesterEmail: 'caller@serial.example',
        subject: 'Serial',
        severity: 3,
        calendar: 'US',
        supportLevel: 'normal',
        openedAt: new Date('2026-02-01T10:00:00Z'),
        priceMinor: 8000,
        priceCurrency: 'USD',
        customerId: customer.id,
        licenceId: customer.licences[0]!.id,
      },
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const [ticket, order] = await prisma.$transaction(async (tx) => {
      const found = await tx.ticket.findUnique({ where: { requestId: 'SR-2096-000001' }, include: { customer: true, partner: true, licence: true } });
      // And statements a use case sends at once: answered in the order sent.
      const answered: number[] = [];
      await Promise.all(
        [0.03, 0, 0.01].map(async (sleep, index) => {
          await tx.$queryRaw`SELECT ${index}::int AS "index" FROM pg_sleep(${sleep}::float8)`;
          answered.push(index);
        }),
      );
      return [found, answered] as const;
    });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect([ticket?.customer?.key, ticket?.licence?.number, ticket?.partner]).toEqual(['serial-statements', 'SERIAL-1', null]);
    expect(order).toEqual([0, 1, 2]);
    expect(warnings.filter((message) => /already executing a query/.test(message))).toEqual([]);
  });
});
