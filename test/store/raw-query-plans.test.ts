// Raw statements are planned in JavaScript instead of Prisma's WebAssembly compiler: every plan built must be the
// compiler's own, for each parameter shape deskbot sends, and shapes it does not know must reach the compiler.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma } from '../../src/generated/prisma/client.ts';
import type { Database } from '../../src/store/database.ts';
import { compilerPlan, rawQueryPlan } from '../../src/store/raw-query-plans.ts';
import { backends } from '../helpers/backends.ts';
import { compiledRequests } from '../helpers/compiled-requests.ts';

// The compiler module is the same for both back ends (provider postgresql): the plans are checked on one.
const pglite = backends.find((backend) => backend.name === 'pglite')!;

describe('raw statements planned without the query compiler', () => {
  let opened: Awaited<ReturnType<typeof pglite.open>>;
  let database: Database;
  beforeAll(async () => {
    opened = await pglite.open();
    database = opened.database;
  });
  afterAll(() => opened.dispose());

  it('builds the compiler’s plan for every parameter shape deskbot sends', async () => {
    const { prisma } = database;
    const at = new Date('2026-11-30T10:00:00.000Z');
    const requests = await compiledRequests(async () => {
      await prisma.$queryRawUnsafe('SELECT 1 AS "one"');
      await prisma.$queryRawUnsafe(
        'SELECT $1::int AS a, $2::float8 AS b, $3::text AS c, $4::boolean AS d, $5::timestamptz AS e, $6::int8 AS f, $7::text AS g',
        -7,
        1.25,
        'it\'s "quoted" \\ ',
        false,
        at,
        12345678901234567n,
        null,
      );
      await prisma.$queryRawUnsafe('SELECT $1::jsonb AS a, $2::text AS b, $3::text AS c', { nested: { list: [1, 'x'] } }, '', Buffer.from([0, 255]));
      await prisma.$queryRawUnsafe('SELECT $1::text[] AS a, $2::int[] AS b, $3::bigint[] AS c, $4::text[] AS d', ['a', "b'c"], [1, 2], ['1', '2'], []);
      await prisma.$queryRawUnsafe('SELECT $1::bigint[] AS a, $2::timestamptz[]::text AS b', [1n, 2n], [at, at]);
      await prisma.$executeRawUnsafe('SELECT $1::int8', 3_000_000_000);
      await prisma.$queryRaw(Prisma.sql`SELECT ${'x'}::text AS a, ${at}::timestamptz AS b, ${5n}::int8 AS c`);
      await prisma.$transaction(async (tx) => tx.$queryRawUnsafe('SELECT $1::text AS a', 'in a transaction'));
    });
    const raw = requests.filter(({ request }) => request.includes('"action":"queryRaw"') || request.includes('"action":"executeRaw"'));
    expect(raw.length).toBe(8);
    const built = raw.map(({ compiler, request }) => ({ plan: rawQueryPlan(request), expected: compilerPlan(compiler, request) }));
    for (const { plan, expected } of built) expect(plan).toEqual(expected);
    // Every one of these shapes is planned here, none left to the compiler.
    expect(built.filter(({ plan }) => plan === undefined)).toEqual([]);
  });

  it('leaves shapes it does not know, and every other request, to the compiler', async () => {
    const { prisma } = database;
    const requests = await compiledRequests(async () => {
      await prisma.$queryRawUnsafe('SELECT $1::int[] AS a, $2::text[] AS b, $3::jsonb AS c', [null, 1], [1, 'x'], [{ a: 1 }]);
      await prisma.$queryRawUnsafe('SELECT $1::boolean[]::text AS a', [true, false]);
      await prisma.$queryRawUnsafe('SELECT $1::numeric AS a', new Prisma.Decimal('1.50'));
      await prisma.ticket.findFirst({ where: { id: -1 } });
    });
    expect(requests.length).toBe(4);
    for (const { compiler, request } of requests) {
      expect(rawQueryPlan(request)).toBeUndefined();
      expect(compilerPlan(compiler, request)).toBeTruthy();
    }
  });

  it('gives the same rows as the compiler’s plans', async () => {
    const rows = await database.prisma.$queryRawUnsafe<Array<Record<string, unknown>>>(
      'SELECT $1::int8 AS a, $2::timestamptz AS b, $3::jsonb AS c, $4::text[] AS d',
      5n,
      new Date('2026-01-02T03:04:05.678Z'),
      JSON.stringify({ k: 'v' }),
      ['x', 'y'],
    );
    expect(rows).toEqual([{ a: 5n, b: new Date('2026-01-02T03:04:05.678Z'), c: { k: 'v' }, d: ['x', 'y'] }]);
  });
});
