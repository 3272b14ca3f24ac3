// The charges export reads the period, not the history: with 20,000 incidents closed over more than two years, the
// statements naming a period's incidents read a number of Ticket and Charge rows bounded by the period's incidents,
// with and without planner statistics, on PGlite and PostgreSQL, and the export holds exactly the period's incidents.
// One query with the Charge relation filter in an OR had read every ticket (157–245 ms with 100,000 on PostgreSQL).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeExportStatements, listChargeExport } from '../../src/store/charge-repository.ts';
import type { Database } from '../../src/store/database.ts';
import { backends } from '../helpers/backends.ts';
import { planNodes, rowsRead } from '../helpers/query-plans.ts';

const HOUR = 3_600_000;
const incidents = 20_000;

describe.each(backends)('charges export over a long history on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  const now = new Date(Date.UTC(2026, 10, 30, 12));
  // Two days some 200 days back: 48 incidents closed in it, every other one charged when it closed.
  const period = { from: new Date(now.getTime() - 4_800 * HOUR), to: new Date(now.getTime() - 4_752 * HOUR) };

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    const { prisma } = database;
    // Incident g closed g hours before `now`. Every 7th was reopened later (open again, its last close kept).
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Ticket" ("requestId", "requesterKind", "requesterEmail", "subject", "severity", "status", "calendar", "supportLevel",
                             "openedAt", "clockStartedAt", "closedAt", "priceMinor", "priceCurrency", "updatedAt")
       SELECT 'SR-2026-' || lpad(g::text, 6, '0'), 'eligible-caller', 'caller' || g || '@history.example', 'Problem ' || g, 1 + g % 5,
              CASE WHEN g % 7 = 0 THEN 'open' ELSE 'closed' END, '24x7', 'normal',
              $2::timestamptz - (g + 30) * interval '1 hour', $2::timestamptz - (g + 30) * interval '1 hour',
              $2::timestamptz - g * interval '1 hour', 8000, 'USD', now()
         FROM generate_series(1, $1::int) g`,
      incidents,
      now.toISOString(),
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Charge" ("ticketId", "amountMinor", "currency", "reason", "decidedAt", "decidedBy")
       SELECT t."id", 8000, 'USD', 'chargeable', t."closedAt", 'UHIST0001' FROM "Ticket" t WHERE t."id" % 2 = 0`,
    );
  }, 120_000);
  afterAll(async () => opened?.dispose());

  it.skipIf(!backend.available)(
    "reads the period's incidents only, with and without statistics, and exports exactly them",
    async () => {
      const { prisma } = database;
      const [expected] = await prisma.$queryRawUnsafe<Array<{ charged: number; uncharged: number }>>(
        `SELECT (SELECT COUNT(*)::int FROM "Charge" WHERE "decidedAt" >= $1::timestamptz AND "decidedAt" < $2::timestamptz) AS "charged",
                (SELECT COUNT(*)::int FROM "Ticket" t WHERE t."status" = 'closed' AND t."closedAt" >= $1::timestamptz AND t."closedAt" < $2::timestamptz
                    AND NOT EXISTS (SELECT 1 FROM "Charge" c WHERE c."ticketId" = t."id")) AS "uncharged"`,
        period.from.toISOString(),
        period.to.toISOString(),
      );
      // The seed puts charged, uncharged and reopened incidents in the period.
      expect(expected!.charged).toBeGreaterThan(10);
      expect(expected!.uncharged).toBeGreaterThan(10);
      const inPeriod = 48;
      const statements = chargeExportStatements(period);
      for (const statistics of [false, true]) {
        if (statistics) await prisma.$executeRawUnsafe('ANALYZE');
        for (const [name, statement] of Object.entries(statements)) {
          const nodes = await planNodes(prisma, statement, { analyze: true });
          for (const relation of ['Ticket', 'Charge']) {
            expect(rowsRead(nodes, relation), `${name} reads ${relation}, statistics ${statistics}`).toBeLessThanOrEqual(2 * inPeriod);
          }
        }
      }
      const rows = await listChargeExport(prisma, period);
      expect(rows.filter((row) => row.chargeable)).toHaveLength(expected!.charged);
      expect(rows.filter((row) => !row.chargeable)).toHaveLength(expected!.uncharged);
      expect(rows.every((row) => row.chargeable || row.closedAt !== null)).toBe(true);
      expect(new Set(rows.map((row) => row.requestId)).size).toBe(rows.length);
    },
    60_000,
  );
});
