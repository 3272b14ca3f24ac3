// `/support list` and the SLA board: open tickets, the most urgent first, read in O(page) rather than O(open tickets)
// through the partial indexes over the running SLA timers (migration 20261130000500_running_timer_indexes).
// Leaves out the card of one ticket and the other reads (ticket-queries.ts) and the SLA clock itself (sla-timers.ts).
import type { Prisma } from '../generated/prisma/client.ts';
import type { TicketListFilter, TicketListPage, TicketSummary } from '../app/read-models.ts';
import { notClosedStatuses } from '../app/records.ts';
import type { PrismaClient } from './database.ts';

type Db = Prisma.TransactionClient | PrismaClient;

export interface TicketListOptions {
  filter: TicketListFilter;
  userId?: string | undefined;
  now: Date;
  limit: number;
}

/** A TicketSummary as the driver returns it: dates may be text, flags null, counts bigint or text. */
type SummaryRow = Omit<TicketSummary, 'nextDueAt' | 'warned' | 'breached'> & {
  nextDueAt: Date | string | null;
  warned: boolean | null;
  breached: boolean | null;
  total: bigint | number | string;
  scanned?: bigint | number | string;
};

const toDate = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

/** A running timer: not met and not paused (the partial indexes' predicate, spelled the same way). */
const running = (alias: string) => `${alias}."metAt" IS NULL AND ${alias}."remainingMs" IS NULL`;

/**
 * One ticket's figures from its running timers. The running filter sits in FILTER clauses, not in WHERE, so that no
 * partial index over running timers matches this probe: with or without statistics (PGlite never analyzes) the
 * planner then takes the (ticketId, target, cycle) index, a few rows, instead of walking a partial index.
 */
const figures = `LEFT JOIN LATERAL (
    SELECT MIN(s."dueAt") FILTER (WHERE ${running('s')}) AS "nextDueAt",
           (ARRAY_AGG(s."target" ORDER BY s."dueAt" ASC NULLS LAST) FILTER (WHERE ${running('s')}))[1] AS "nextTarget",
           BOOL_OR(s."warnedAt" IS NOT NULL OR s."warnAt" <= $1::timestamptz) FILTER (WHERE ${running('s')}) AS "warned",
           BOOL_OR(s."breachedAt" IS NOT NULL OR s."dueAt" <= $1::timestamptz) FILTER (WHERE ${running('s')}) AS "breached"
      FROM "SlaTimer" s WHERE s."ticketId" = t."id") r ON TRUE`;

const columns = `t."id", t."requestId", t."subject", t."severity", t."status", t."assigneeSlackId",
       COALESCE(c."name", p."name", t."requesterEmail") AS "party",
       r."nextTarget", r."nextDueAt", COALESCE(r."warned", false) AS "warned", COALESCE(r."breached", false) AS "breached"`;

const parties = `LEFT JOIN "Customer" c ON c."id" = t."customerId" LEFT JOIN "Partner" p ON p."id" = t."partnerId"`;

/**
 * A ticket not closed, as the list of the other statuses: an index on status (alone, or after the assignee) serves
 * `IN (…)`, while `<> 'closed'` read every closed ticket too — with 100,000 closed tickets `list` 17 ms, `list mine`
 * 28 ms and `list breaching` 40 ms of history on PostgreSQL (a scale audit, bench/issue-14-diagnosis.md).
 */
const notClosed = `t."status" IN (${notClosedStatuses.map((status) => `'${status}'`).join(', ')})`;

/** The filter on the ticket row ($1 is `now`; further parameters are appended to `params`). */
function ticketConditions(options: TicketListOptions, params: unknown[]): string {
  const conditions = [notClosed];
  if (options.filter === 'mine') {
    params.push(options.userId ?? '');
    conditions.push(`t."assigneeSlackId" = $${params.length}`);
  }
  if (options.filter === 'waiting') conditions.push(`t."status" = 'waiting'`);
  return conditions.join(' AND ');
}

/** A running timer that makes its ticket "breaching": warned or breached, or past its warning or due time. */
const flaggedTimer = (alias: string) =>
  `(${alias}."warnedAt" IS NOT NULL OR ${alias}."breachedAt" IS NOT NULL OR ${alias}."warnAt" <= $1::timestamptz OR ${alias}."dueAt" <= $1::timestamptz)`;

function toPage(rows: SummaryRow[], counted?: { total: number; capped: boolean; cap: number }): TicketListPage {
  const total = counted ? (counted.capped ? Math.min(counted.total, counted.cap) : counted.total) : rows.length ? Number(rows[0]!.total) : 0;
  return {
    total,
    ...(counted?.capped ? { totalIsAtLeast: true } : {}),
    tickets: rows.map((row) => ({
      id: Number(row.id),
      requestId: row.requestId,
      subject: row.subject,
      severity: Number(row.severity),
      status: row.status,
      assigneeSlackId: row.assigneeSlackId,
      party: row.party,
      nextTarget: row.nextTarget,
      nextDueAt: toDate(row.nextDueAt),
      warned: row.warned === true,
      breached: row.breached === true,
    })),
  };
}

/**
 * Counting stops at max(200, 10 x limit) matches: a page says "the 20 most urgent of 200+" rather than counting every
 * open ticket. Below 5 x limit matches the exact query (one probe per ticket) is cheaper than walking the due index.
 */
export const countCapOf = (limit: number): number => Math.max(200, 10 * limit);
const walkThresholdPerRow = 5;

/**
 * The count (capped at countCapOf(limit)) as a CTE "total" (n, capped). "breaching" counts the tickets of up to
 * 3 x (cap + 1) flagged timer rows per arm (at most three running timers per ticket).
 */
function countCte(options: TicketListOptions, where: string, params: unknown[]): string {
  const countCap = countCapOf(options.limit);
  if (options.filter !== 'breaching') {
    params.push(countCap);
    const cap = `$${params.length}::int`;
    return `total AS (SELECT COUNT(*) AS n, COUNT(*) >= ${cap} AS capped FROM (SELECT 1 FROM "Ticket" t WHERE ${where} LIMIT ${cap}) x)`;
  }
  params.push(3 * (countCap + 1));
  const rows = `$${params.length}::int`;
  // One index range per way a timer can be flagged, each cut at `rows`: O(cap), whatever the number of open tickets.
  const arm = (condition: string) => `(SELECT f."ticketId" FROM "SlaTimer" f WHERE ${running('f')} AND ${condition} LIMIT ${rows})`;
  return `a1 AS ${arm(`f."warnAt" <= $1::timestamptz`)}, a2 AS ${arm(`f."dueAt" <= $1::timestamptz`)},
          a3 AS ${arm(`(f."warnedAt" IS NOT NULL OR f."breachedAt" IS NOT NULL)`)},
          total AS (SELECT COUNT(DISTINCT x."ticketId") AS n,
                           GREATEST((SELECT COUNT(*) FROM a1), (SELECT COUNT(*) FROM a2), (SELECT COUNT(*) FROM a3)) >= ${rows} AS capped
                      FROM (SELECT * FROM a1 UNION ALL SELECT * FROM a2 UNION ALL SELECT * FROM a3) x
                      JOIN "Ticket" t ON t."id" = x."ticketId" WHERE ${where})`;
}

/**
 * The page from the running timers in due order: a ticket first appears in the walk of the due index at its earliest
 * due time, so the first `limit` distinct (and, for "breaching", flagged) tickets met are the page, in order. Null
 * when the walk cannot fill the page (few matching tickets, or too few of them with a running timer): the caller then
 * runs the exact query. Each timer's ticket is checked by a probe (EXISTS … OFFSET 0, which the planner cannot turn
 * into a join): with statistics PostgreSQL otherwise hashed every open ticket, or all tickets, before the walk.
 */
async function pageFromDueIndex(db: Db, options: TicketListOptions): Promise<TicketListPage | null> {
  const breaching = options.filter === 'breaching';
  // Three running timers per ticket at most: 3 x limit rows name `limit` tickets; "breaching" looks further.
  const scanRows = options.limit * (breaching ? 12 : 3);
  const params: unknown[] = [options.now.toISOString(), options.limit, scanRows, options.limit * walkThresholdPerRow];
  const where = ticketConditions(options, params);
  const total = countCte(options, where, params);
  const rows = await db.$queryRawUnsafe<Array<SummaryRow & { capped: boolean }>>(
    `WITH ${total},
          scan AS (
            SELECT s."ticketId", s."dueAt" FROM "SlaTimer" s
             WHERE ${running('s')} AND s."dueAt" IS NOT NULL AND (SELECT n FROM total) > $4::int
               AND EXISTS (SELECT 1 FROM "Ticket" t WHERE t."id" = s."ticketId" AND ${where} OFFSET 0)
             ORDER BY s."dueAt" ASC, s."ticketId" ASC
             LIMIT $3::int),
          picked AS (SELECT "ticketId", MIN("dueAt") AS "due" FROM scan GROUP BY "ticketId" ORDER BY 2 ASC, 1 ASC ${breaching ? '' : 'LIMIT $2::int'})
     SELECT ${columns}, (SELECT n FROM total) AS "total", (SELECT capped FROM total) AS "capped"
       FROM picked x JOIN "Ticket" t ON t."id" = x."ticketId"
       ${figures}
       ${parties}
      ${breaching ? 'WHERE (r."warned" OR r."breached")' : ''}
      ORDER BY x."due" ASC, t."id" ASC
      LIMIT $2::int`,
    ...params,
  );
  if (rows.length < options.limit) return null;
  return toPage(rows, { total: Number(rows[0]!.total), capped: rows[0]!.capped === true, cap: countCapOf(options.limit) });
}

/**
 * The exact query, one probe of the timers per matching ticket: O(matching tickets), run when the walk of the due
 * index could not fill the page. "breaching" first narrows the tickets to those with a flagged running timer.
 */
async function exactPage(db: Db, options: TicketListOptions): Promise<TicketListPage> {
  const params: unknown[] = [options.now.toISOString(), options.limit];
  const conditions = [ticketConditions(options, params)];
  if (options.filter === 'breaching') {
    conditions.push(`t."id" IN (SELECT f."ticketId" FROM "SlaTimer" f WHERE ${running('f')} AND ${flaggedTimer('f')})`);
    conditions.push(`(r."warned" OR r."breached")`);
  }
  const rows = await db.$queryRawUnsafe<SummaryRow[]>(
    `SELECT ${columns}, COUNT(*) OVER () AS "total"
       FROM "Ticket" t
       ${figures}
       ${parties}
      WHERE ${conditions.join(' AND ')}
      ORDER BY r."nextDueAt" ASC NULLS LAST, t."id" ASC
      LIMIT $2`,
    ...params,
  );
  return toPage(rows);
}

/**
 * Tickets matching `filter`, the most urgent first: by the earliest due time of a running SLA target, tickets without
 * one (incomplete, or waiting on the customer) last, then oldest first. `total` counts the matches up to
 * countCapOf(limit) (`totalIsAtLeast` past it). `now` decides "past warning/due". Usually one statement reading about
 * `limit` timers; the exact query (exported for the tests that compare both) when that cannot fill the page.
 */
export async function listTicketsByNextDue(db: Db, options: TicketListOptions): Promise<TicketListPage> {
  // A waiting ticket's timers are paused, so the walk of the running timers could never fill its page.
  if (options.limit > 0 && options.filter !== 'waiting') {
    const page = await pageFromDueIndex(db, options);
    if (page) return page;
  }
  return exactPage(db, options);
}

export { exactPage as listTicketsExactly };
