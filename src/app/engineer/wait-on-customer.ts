// Use case: an engineer pauses the SLA clock while the ticket waits on the customer.
import { DeskbotError } from '../../errors.ts';
import { lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

/** Waiting on the customer: status 'waiting', every running SLA timer paused. Only a ticket whose clock runs can wait. */
export async function waitOnCustomer(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<ActionResult> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'wait on the customer');
    if (ticket.status === 'waiting') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    if (ticket.status !== 'open' || ticket.clockStartedAt === null) {
      throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is still incomplete; its SLA clock has not started, so there is nothing to pause`, {
        details: { requestId: ticket.requestId, status: ticket.status },
      });
    }
    await tx.slaTimers.pause({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    const eventId = await record(
      tx,
      ticket,
      { type: 'status-change', at: now, actor: input.actor.slackId, detail: { from: ticket.status, to: 'waiting' } },
      now,
      { status: 'waiting' },
    );
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}
