// Use case: `/support agreed SR-…`: the customer agreed to the paid-support terms by phone (issue 12 point 9). Recorded
// once per customer like a mailed "I agree"; its waiting requests start their clocks. Partners' requests never ask.
import { DeskbotError } from '../../errors.ts';
import type { RequiredInfoItem } from '../../domain/policy.ts';
import { notify, requestThreading, requesterRecipient } from '../notify.ts';
import { releasedTicket, startedSla } from '../intake/request-update.ts';
import { recordAgreement, type AgreedTicket } from '../terms-agreement.ts';
import { lockByRequestId, senderOf, transaction, type ActionResult, type Actor, type EngineerActionDeps, type Tx } from './common.ts';

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
    for (const item of released) {
      const confirmation = await confirmInWriting(deps, tx, item, now);
      const { ticketId } = item;
      for (const eventId of confirmation === null ? item.eventIds : [...item.eventIds, confirmation]) {
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

/**
 * The customer's written record of an agreement given by phone: each released request's requester gets the
 * request-update mail (by phone: no answer to thank for), with the due times its timers now hold, or what the request
 * still needs. Threaded on the request; once per request and agreement event. Returns the event recorded, or null for a
 * request no longer taken in (closed while it waited).
 */
async function confirmInWriting(deps: EngineerActionDeps, tx: Tx, item: AgreedTicket, now: Date): Promise<bigint | null> {
  const ticket = await releasedTicket(tx, item);
  if (!ticket) return null;
  const sla = item.clockStarted ? await startedSla(deps.policy, tx, ticket) : null;
  const missing = sla ? [] : (ticket.missingInfo as RequiredInfoItem[]);
  const threading = await requestThreading(tx.threads, ticket);
  const { messageId } = await notify(senderOf(deps), tx.outbox.writer(now), {
    template: 'request-update',
    locale: ticket.locale,
    data: {
      recipientName: ticket.requesterName,
      supportName: deps.config.SUPPORT_NAME,
      supportAddress: deps.config.SUPPORT_ADDRESS,
      requestId: ticket.requestId,
      subject: ticket.subject,
      received: [],
      agreed: true,
      byPhone: true,
      missing,
      agreement: null,
      sla,
    },
    to: requesterRecipient(ticket),
    ...threading,
    // Sent because an engineer recorded the call, not written by one.
    autoSubmitted: 'auto-generated',
    requestId: ticket.requestId,
    headers: { 'X-Deskbot-Request-Id': ticket.requestId },
    idempotencyKey: `agreed-by-phone:${ticket.requestId}:${item.eventIds[0] ?? 'none'}`,
    ticketId: ticket.id,
  });
  await tx.threads.add({ messageId, ticketId: ticket.id, direction: 'out', at: now });
  return tx.events.append(ticket.id, {
    type: 'request-update',
    at: now,
    actor: 'deskbot',
    detail: { byPhone: true, agreed: true, received: [], missingInfo: missing, complete: item.clockStarted, messageId },
  });
}
