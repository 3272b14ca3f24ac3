// The incident's charge as stored: the one Charge row per ticket, the charge history of its closes (TicketEvent
// 'charge'), and the invoicing export. Deciding the charge is src/domain/billing.ts; closing is src/app/close-ticket.ts.
import { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
import { rawSqlRows } from './direct-raw.ts';
import { storedChargeDecisionSchema, type ChargeRecord, type StoredChargeDecision } from '../app/records.ts';
import type { ChargeExportRow } from '../app/read-models.ts';

export { storedChargeDecisionSchema };
export type { ChargeExportRow, ChargeRecord, StoredChargeDecision };

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

/** The incident's charge, if one was ever made. */
export async function findCharge(db: Db, ticketId: number): Promise<ChargeRecord | null> {
  return db.charge.findUnique({
    where: { ticketId },
    select: { ticketId: true, amountMinor: true, currency: true, reason: true, decidedAt: true, decidedBy: true },
  });
}

/**
 * Creates the incident's one Charge row inside the caller's transaction. Returns false when the incident already has
 * one (the unique ticketId makes a second charge impossible even if two closes raced past their own checks).
 */
export async function recordCharge(tx: Tx, charge: ChargeRecord): Promise<boolean> {
  const result = await tx.charge.createMany({ data: [charge], skipDuplicates: true });
  return result.count === 1;
}

/** The charge decisions of the ticket's earlier closes, oldest first (from its append-only history). */
export async function chargeHistory(db: Db, ticketId: number): Promise<StoredChargeDecision[]> {
  const events = await db.ticketEvent.findMany({ where: { ticketId, type: 'charge' }, orderBy: { id: 'asc' }, select: { detail: true } });
  return events.flatMap((event) => {
    const parsed = storedChargeDecisionSchema.safeParse(event.detail);
    return parsed.success ? [parsed.data] : [];
  });
}

/** How many times the ticket was closed before (its TicketEvents 'closed'). */
export async function countCloses(db: Db, ticketId: number): Promise<number> {
  return db.ticketEvent.count({ where: { ticketId, type: 'closed' } });
}

/** Ids per statement of an export's reads: far below PostgreSQL's 65,535 bind parameters, whatever the period holds. */
const idsPerRead = 5_000;

/** `read` over the ids, idsPerRead at a time, its rows joined in order. */
async function readInChunks<Row>(ids: number[], read: (chunk: number[]) => Promise<Row[]>): Promise<Row[]> {
  const rows: Row[] = [];
  for (let start = 0; start < ids.length; start += idsPerRead) rows.push(...(await read(ids.slice(start, start + idsPerRead))));
  return rows;
}

/**
 * The two statements naming a period's incidents, each one index range, so that an export reads the period and not
 * the history: the Charges made in it (Charge's decidedAt index), and the tickets last closed in it without a Charge
 * (Ticket's closedAt index; the status is checked above an OFFSET 0 fence so that no plan walks every closed ticket
 * through the status index instead, and the Charge is probed per ticket, OFFSET 0 again, where a planner with
 * statistics hashed every Charge ever made for an anti-join). One query with the relation filter in an OR read every
 * ticket: 157–245 ms with 100,000 closed tickets on PostgreSQL (a scale audit, bench/issue-14-diagnosis.md).
 * Exported for the plan test.
 */
export function chargeExportStatements(period: { from: Date; to: Date }): { charged: Prisma.Sql; uncharged: Prisma.Sql } {
  const from = period.from.toISOString();
  const to = period.to.toISOString();
  return {
    charged: Prisma.sql`SELECT c."ticketId" AS "id" FROM "Charge" c WHERE c."decidedAt" >= ${from}::timestamptz AND c."decidedAt" < ${to}::timestamptz`,
    uncharged: Prisma.sql`SELECT t."id" FROM (
        SELECT x."id", x."status" FROM "Ticket" x WHERE x."closedAt" >= ${from}::timestamptz AND x."closedAt" < ${to}::timestamptz OFFSET 0
      ) t
      WHERE t."status" = 'closed' AND NOT EXISTS (SELECT 1 FROM "Charge" c WHERE c."ticketId" = t."id" OFFSET 0)`,
  };
}

/**
 * The incidents to invoice or report for [from, to): every incident whose Charge was made in the period (whatever
 * happened to the ticket later: a fee once charged stays charged), and every closed incident without a Charge whose
 * last close falls in the period. A charged incident therefore appears in exactly one period's export.
 */
export async function listChargeExport(db: Db, period: { from: Date; to: Date }): Promise<ChargeExportRow[]> {
  const statements = chargeExportStatements(period);
  const ids = new Set<number>();
  for (const statement of [statements.charged, statements.uncharged]) {
    for (const row of await rawSqlRows<{ id: number }>(db, statement)) ids.add(Number(row.id));
  }
  const tickets = await readInChunks([...ids], (chunk) =>
    db.ticket.findMany({
      where: { id: { in: chunk } },
      // The columns the export shows: a whole Ticket row costs Prisma several times as much to read.
      select: {
        id: true,
        requestId: true,
        status: true,
        openedAt: true,
        closedAt: true,
        closedBy: true,
        outcome: true,
        exclusion: true,
        chargeDecision: true,
        priceCurrency: true,
        charge: true,
        customer: { select: { key: true, name: true } },
        partner: { select: { partnerId: true, name: true } },
        licence: { select: { number: true } },
      },
    }),
  );
  const charged = tickets.filter((ticket) => ticket.charge !== null).map((ticket) => ticket.id);
  const creatingEvents = await readInChunks(charged, (chunk) =>
    db.ticketEvent.findMany({ where: { ticketId: { in: chunk }, type: 'charge' }, orderBy: { id: 'asc' }, select: { ticketId: true, detail: true } }),
  );
  const creatingDecision = new Map<number, StoredChargeDecision>();
  for (const event of creatingEvents) {
    const parsed = storedChargeDecisionSchema.safeParse(event.detail);
    if (parsed.success && parsed.data.chargeCreated) creatingDecision.set(event.ticketId, parsed.data);
  }
  const rows = tickets.map((ticket): ChargeExportRow => {
    const last = storedChargeDecisionSchema.safeParse(ticket.chargeDecision);
    const decision = ticket.charge ? (creatingDecision.get(ticket.id) ?? (last.success ? last.data : undefined)) : last.success ? last.data : undefined;
    return {
      requestId: ticket.requestId,
      customerKey: ticket.customer?.key ?? null,
      customerName: ticket.customer?.name ?? ticket.partner?.name ?? null,
      partnerId: ticket.partner?.partnerId ?? null,
      licence: ticket.licence?.number ?? null,
      openedAt: ticket.openedAt,
      closedAt: ticket.status === 'closed' ? ticket.closedAt : null,
      outcome: decision?.outcome ?? ticket.outcome,
      exclusion: decision ? decision.exclusion : ticket.exclusion,
      chargeable: ticket.charge !== null,
      amountMinor: ticket.charge?.amountMinor ?? 0,
      currency: ticket.charge?.currency ?? ticket.priceCurrency,
      reasonCode: ticket.charge?.reason ?? decision?.reason ?? '',
      reason: decision?.explanation ?? '',
      closedBy: decision?.decidedBy ?? ticket.closedBy,
      chargedAt: ticket.charge?.decidedAt ?? null,
    };
  });
  const sortKey = (row: ChargeExportRow) => (row.chargedAt ?? row.closedAt ?? row.openedAt).getTime();
  return rows.sort((a, b) => sortKey(a) - sortKey(b) || a.requestId.localeCompare(b.requestId));
}
