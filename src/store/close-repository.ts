// The writes of closing a ticket that are not charges (charge-repository.ts) or events (ticket-repository.ts): the
// claim of the close, the stored charge decision and the closure mail's Message-ID. Deciding is app/close-ticket.ts.
import type { Prisma } from '../generated/prisma/client.ts';
import type { StoredChargeDecision } from './charge-repository.ts';

export type Tx = Prisma.TransactionClient;
/** The ticket as closing reads it, with its customer, partner and licence. */
export type ClosingTicket = Prisma.TicketGetPayload<{ include: { customer: true; partner: true; licence: true } }>;

/**
 * Closes the ticket if it is open and reads it back: the conditional update is the claim, so a concurrent close waits
 * on the row lock and then finds it closed (`claimed: false`). Null when there is no such ticket.
 */
export async function claimTicketClose(
  tx: Tx,
  input: { requestId: string; actor: string; now: Date },
): Promise<{ ticket: ClosingTicket; claimed: boolean } | null> {
  const claim = await tx.ticket.updateMany({
    where: { requestId: input.requestId, status: { not: 'closed' } },
    data: { status: 'closed', closedAt: input.now, closedBy: input.actor, pausedAt: null },
  });
  const ticket = await tx.ticket.findUnique({ where: { requestId: input.requestId }, include: { customer: true, partner: true, licence: true } });
  return ticket ? { ticket, claimed: claim.count > 0 } : null;
}

/** Stores how the close ended and what it decided about the charge on the ticket row. */
export async function storeCloseDecision(
  tx: Tx,
  ticketId: number,
  decision: { outcome: string; exclusion: string | null; chargeDecision: StoredChargeDecision },
): Promise<void> {
  const { outcome, exclusion, chargeDecision } = decision;
  await tx.ticket.update({ where: { id: ticketId }, data: { outcome, exclusion, chargeDecision } });
}

/** Records an outgoing Message-ID on the ticket, so replies to it thread (a repeat is a no-op). */
export async function recordOutgoingMessageId(tx: Tx, ticketId: number, messageId: string, at: Date): Promise<void> {
  await tx.messageRef.createMany({ data: [{ messageId, ticketId, direction: 'out', at }], skipDuplicates: true });
}
