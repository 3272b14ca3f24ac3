// Use case: `/support presales SR-…`: an engineer marks a request as a pre-sales question, which is free (Kerio FAQ).
// Closing reads the mark (decideCharge isPreSales); a request that waited for the terms agreement no longer does.
import { lockByRequestId, record, requireNotClosed, transaction, type ActionResult, type Actor, type EngineerActionDeps } from './common.ts';

export async function markPreSales(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<ActionResult & { clockStarted: boolean }> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'mark it pre-sales');
    if (ticket.preSales) return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false, clockStarted: false };
    // Free now: no agreement to paid terms is needed; a request with nothing else missing starts its clock.
    const clockStarted = ticket.awaitingAgreement && ticket.status === 'new' && ticket.missingInfo.length === 0;
    if (clockStarted) {
      await tx.slaTimers.start({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    }
    const eventId = await record(tx, ticket, { type: 'pre-sales', at: now, actor: input.actor.slackId, detail: { clockStarted } }, now, {
      preSales: true,
      awaitingAgreement: false,
      ...(clockStarted ? { status: 'open' } : {}),
    });
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true, clockStarted };
  });
}
