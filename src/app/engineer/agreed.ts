// Use case: `/support agreed SR-…`: the customer agreed to the paid-support terms by phone (issue 12 point 9). Recorded
// once per customer like a mailed "I agree"; its waiting requests start their clocks. Partners' requests never ask.
import { DeskbotError } from '../../errors.ts';
import { recordAgreement } from '../terms-agreement.ts';
import { lockByRequestId, transaction, type ActionResult, type Actor, type EngineerActionDeps } from './common.ts';

export interface AgreedResult extends ActionResult {
  /** Requests of the customer whose clock started now. */
  clocksStarted: string[];
}

export async function agreed(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<AgreedResult> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    if (ticket.customerId === null) {
      throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is a partner's request: partners are never asked to agree`, {
        details: { requestId: ticket.requestId },
      });
    }
    const released = await recordAgreement(tx, ticket.customerId, { at: now, by: input.actor.slackId, messageId: null, via: 'phone' });
    for (const { ticketId, eventIds } of released) {
      for (const eventId of eventIds) {
        await tx.outbox.enqueue(
          {
            idempotencyKey: `slack:ticket-event:${eventId}`,
            channel: 'slack',
            kind: 'ticket-event',
            payload: { ticketId, eventId: Number(eventId) },
            ticketId,
          },
          now,
        );
      }
    }
    const own = released.find((item) => item.ticketId === ticket.id);
    return {
      ticketId: ticket.id,
      requestId: ticket.requestId,
      eventId: own?.eventIds[0] ?? null,
      changed: released.length > 0,
      clocksStarted: released.filter((item) => item.clockStarted).map((item) => item.requestId),
    };
  });
}
