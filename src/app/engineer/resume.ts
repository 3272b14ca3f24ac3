// Use case: an engineer resumes the SLA clock of a ticket that waited on the customer.
import { lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

/** No longer waiting on the customer: status 'open', paused timers run again with the support time they had left. */
export async function resume(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<ActionResult> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'resume it');
    if (ticket.status !== 'waiting') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    await tx.slaTimers.resume({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    const eventId = await record(tx, ticket, { type: 'status-change', at: now, actor: input.actor.slackId, detail: { from: 'waiting', to: 'open' } }, now, {
      status: 'open',
    });
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}
