// Use case step: a customer agreed to the paid-support terms (issue 12 point 9), by mail ("I agree") or by phone
// (`/support agreed SR-…`). Recorded once per customer; every request of the customer that waited for it and is
// otherwise complete starts its SLA clock now. Leaves out deciding that a mail agrees (domain/terms-agreement.ts).
import type { Repositories } from './ports.ts';

/** A ticket of the customer that waited for the agreement, and the events written on it. */
export interface AgreedTicket {
  ticketId: number;
  requestId: string;
  /** The terms-agreed event; and request-completed when its clock started now. */
  eventIds: bigint[];
  clockStarted: boolean;
}

/**
 * Records the agreement of `customerId` (kept from the first time only) and releases its waiting requests: a request
 * with nothing else missing opens and its clock starts at `at`; one still missing information waits for that alone.
 */
export async function recordAgreement(
  tx: Repositories,
  customerId: number,
  agreement: { at: Date; by: string; messageId: string | null; via: 'mail' | 'phone' },
): Promise<AgreedTicket[]> {
  const { at, by, messageId, via } = agreement;
  const waiting = await tx.tickets.recordTermsAgreement(customerId, { at, by, messageId });
  const released: AgreedTicket[] = [];
  for (const ticket of waiting) {
    const eventIds = [await tx.events.append(ticket.id, { type: 'terms-agreed', at, actor: by, detail: { via, messageId } })];
    const clockStarted = ticket.status === 'new' && ticket.missingInfo.length === 0;
    if (clockStarted) {
      await tx.tickets.update(ticket.id, { status: 'open' });
      await tx.slaTimers.start({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, at);
      eventIds.push(
        await tx.events.append(ticket.id, {
          type: 'request-completed',
          at,
          actor: by,
          detail: { agreement: via, severity: ticket.severity, clockStartedAt: at.toISOString() },
        }),
      );
    }
    released.push({ ticketId: ticket.id, requestId: ticket.requestId, eventIds, clockStarted });
  }
  return released;
}
