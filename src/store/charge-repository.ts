// The incident's charge as stored: the one Charge row per ticket, the charge history of its closes (TicketEvent
// 'charge'), and the invoicing export. Deciding the charge is src/domain/billing.ts; closing is src/app/close-ticket.ts.
import type { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
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

/**
 * The incidents to invoice or report for [from, to): every incident whose Charge was made in the period (whatever
 * happened to the ticket later: a fee once charged stays charged), and every closed incident without a Charge whose
 * last close falls in the period. A charged incident therefore appears in exactly one period's export.
 */
export async function listChargeExport(db: Db, period: { from: Date; to: Date }): Promise<ChargeExportRow[]> {
  const range = { gte: period.from, lt: period.to };
  const tickets = await db.ticket.findMany({
    where: { OR: [{ charge: { is: { decidedAt: range } } }, { status: 'closed', closedAt: range, charge: { is: null } }] },
    include: {
      charge: true,
      customer: { select: { key: true, name: true } },
      partner: { select: { partnerId: true, name: true } },
      licence: { select: { number: true } },
    },
  });
  const charged = tickets.filter((ticket) => ticket.charge !== null).map((ticket) => ticket.id);
  const creatingEvents = charged.length
    ? await db.ticketEvent.findMany({ where: { ticketId: { in: charged }, type: 'charge' }, orderBy: { id: 'asc' }, select: { ticketId: true, detail: true } })
    : [];
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
