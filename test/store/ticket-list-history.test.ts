// The ticket lists read the open tickets, not the history: with thousands of closed tickets stored before the open
// ones, every list filter's statements (the walk of the due index and the exact query) read a number of Ticket rows
// bounded by the open tickets, with and without planner statistics, on PGlite and PostgreSQL. `status <> 'closed'`
// had read every closed ticket (a scan until 200 open ones were found; every ticket the engineer ever had).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TicketListFilter } from '../../src/app/read-models.ts';
import type { Database } from '../../src/store/database.ts';
import { Prisma } from '../../src/generated/prisma/client.ts';
import { listTicketsByNextDue } from '../../src/store/ticket-list.ts';
import { loadTicketCard } from '../../src/store/ticket-queries.ts';
import { backends } from '../helpers/backends.ts';
import { planNodes, rowsRead, type PlannedStatement } from '../helpers/query-plans.ts';

const HOUR = 3_600_000;
const engineers = ['UHIST0001', 'UHIST0002'];
const tickets = 20_000;
const stillOpen = 200;
const filters: TicketListFilter[] = ['open', 'mine', 'breaching', 'waiting'];

describe.each(backends)('ticket lists over a long history on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  const now = new Date();

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    const { prisma } = database;
    // In SQL (an import of this size is not the subject): `tickets` tickets on 24x7 opened over the last three days,
    // three timers each (budgets as bench/seed.ts gives them), assigned in turn; all but the last `stillOpen` (by id)
    // are history: closed, their timers met. Every tenth open one waits on the customer (its timers paused).
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Ticket" ("requestId", "requesterKind", "requesterEmail", "subject", "severity", "status", "calendar", "supportLevel",
                             "openedAt", "clockStartedAt", "closedAt", "priceMinor", "priceCurrency", "assigneeSlackId", "updatedAt")
       SELECT 'SR-2026-' || lpad(g::text, 6, '0'), 'eligible-caller', 'caller' || g || '@history.example', 'Problem ' || g, 1 + g % 5,
              CASE WHEN g <= $1 THEN 'closed' WHEN g % 10 = 0 THEN 'waiting' ELSE 'open' END, '24x7', 'normal',
              $3::timestamptz - (g % 72) * interval '1 hour', $3::timestamptz - (g % 72) * interval '1 hour',
              CASE WHEN g <= $1 THEN $3::timestamptz END, 8000, 'USD', ($4::text[])[1 + g % 2], now()
         FROM generate_series(1, $2::int) g`,
      tickets - stillOpen,
      tickets,
      now.toISOString(),
      engineers,
    );
    await prisma.$executeRawUnsafe(
      `INSERT INTO "SlaTimer" ("ticketId", "target", "budgetMs", "startedAt", "warnAt", "dueAt", "nextEventAt", "metAt", "remainingMs")
       SELECT t."id", x."target", x."budget", t."openedAt", t."openedAt" + x."budget" * 0.75 * interval '1 millisecond',
              t."openedAt" + x."budget" * interval '1 millisecond', t."openedAt" + x."budget" * 0.75 * interval '1 millisecond',
              CASE WHEN t."status" = 'closed' THEN t."closedAt" END, CASE WHEN t."status" = 'waiting' THEN 3600000 END
         FROM "Ticket" t
        CROSS JOIN LATERAL (VALUES ('initial-response', (t."severity" + 0) * 9 * $1::bigint),
                                   ('progress-update', (t."severity" + 8) * 9 * $1::bigint),
                                   ('resolution', (t."severity" + 16) * 9 * $1::bigint)) x("target", "budget")`,
      HOUR,
    );
  }, 120_000);
  afterAll(async () => opened?.dispose());

  /** A stand-in database that records the raw statements it is sent and returns no rows. */
  function recorder(): { db: Database['prisma']; sent: PlannedStatement[] } {
    const sent: PlannedStatement[] = [];
    const db = {
      $queryRawUnsafe: async (text: string, ...values: unknown[]) => {
        sent.push({ text, values });
        return [];
      },
      $queryRaw: async (strings: TemplateStringsArray, ...values: unknown[]) => {
        sent.push(Prisma.sql(strings, ...values));
        return [];
      },
    } as unknown as Database['prisma'];
    return { db, sent };
  }

  /** Each statement a list sends (the walk, and the exact query since the walk's answer is empty): its Ticket rows read. */
  async function rowsReadByList(filter: TicketListFilter): Promise<number[]> {
    const { db, sent } = recorder();
    await listTicketsByNextDue(db, { filter, userId: engineers[0], now, limit: 20 });
    expect(sent.length).toBeGreaterThan(0);
    const read: number[] = [];
    for (const statement of sent) read.push(rowsRead(await planNodes(database.prisma, statement, { analyze: true }), 'Ticket'));
    return read;
  }

  it.skipIf(!backend.available)(
    'read a number of tickets bounded by the open ones, not the 19,800 closed, with and without statistics',
    async () => {
      // The open tickets have three running timers each: a walk probes at most one ticket per timer it passes.
      const bound = 3 * stillOpen + stillOpen;
      for (const statistics of [false, true]) {
        if (statistics) await database.prisma.$executeRawUnsafe('ANALYZE');
        for (const filter of filters) {
          const read = await rowsReadByList(filter);
          for (const rows of read) expect(rows, `${filter}, statistics ${statistics}`).toBeLessThanOrEqual(bound);
        }
      }
      // The lists still answer: the engineer's open tickets, none of them closed.
      const mine = await listTicketsByNextDue(database.prisma, { filter: 'mine', userId: engineers[0], now, limit: 20 });
      expect(mine.tickets.length).toBe(20);
      expect(mine.tickets.every((ticket) => ticket.status !== 'closed' && ticket.assigneeSlackId === engineers[0])).toBe(true);
    },
    60_000,
  );

  it.skipIf(!backend.available)("reads a ticket card's events through the ticket, not every event of a type in the history", async () => {
    const { prisma } = database;
    // Each closed ticket answered and charged; the open ticket's acknowledgement was withheld (so the card looks for an
    // engineer's answer to it). Without statistics a planner had ANDed the (type, at) index: every such event read.
    await prisma.$executeRawUnsafe(
      `INSERT INTO "TicketEvent" ("ticketId", "type", "at", "detail")
       SELECT t."id", x."type", t."closedAt", '{}' FROM "Ticket" t CROSS JOIN (VALUES ('engineer-response'), ('charge')) x("type")
        WHERE t."status" = 'closed'`,
    );
    const id = (await prisma.$queryRawUnsafe<Array<{ id: number }>>(`SELECT MAX("id")::int AS "id" FROM "Ticket"`))[0]!.id;
    await prisma.$executeRawUnsafe(
      `INSERT INTO "TicketEvent" ("ticketId", "type", "at", "detail") VALUES ($1, 'acknowledgement-suppressed', now(), '{"reason": "throttled"}')`,
      id,
    );
    for (const statistics of [false, true]) {
      if (statistics) await prisma.$executeRawUnsafe('ANALYZE "TicketEvent"');
      const { db, sent } = recorder();
      await loadTicketCard(db, { id });
      expect(sent).toHaveLength(1);
      expect(rowsRead(await planNodes(prisma, sent[0]!, { analyze: true }), 'TicketEvent'), `statistics ${statistics}`).toBeLessThanOrEqual(10);
    }
    expect((await loadTicketCard(prisma, { id }))?.acknowledgementWithheld).toBe('throttled');
  });
});
