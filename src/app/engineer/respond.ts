// Use case: an engineer's reply to the customer by e-mail, recorded as the initial response or a progress update.
import { DeskbotError } from '../../errors.ts';
import { notify, requestThreading, requesterRecipient } from '../notify.ts';
import { senderOf, lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

export interface RespondResult extends ActionResult {
  /** Message-ID of the queued mail. */
  messageId: string;
  /** True when this reply met the initial-response target. */
  initialResponse: boolean;
}

/** The outbox key of an engineer reply: one per submission (the modal's view id), else one per mail (its Message-ID). */
function replyKey(requestId: string, idempotencyKeyOrMessageId: string): string {
  return `reply:${requestId}:${idempotencyKeyOrMessageId}`;
}

/**
 * Sends the engineer's words to the customer by e-mail and records them as the initial response or a progress
 * update: the mail (template engineer-reply, Auto-Submitted: no, threaded under the customer's last mail), its
 * MessageRef, the SLA update and the ticket event commit together. `idempotencyKey` (e.g. the modal's view id)
 * makes a repeated submission a no-op.
 */
export async function respond(
  deps: EngineerActionDeps,
  input: { requestId: string; text: string; actor: Actor; idempotencyKey?: string; workaround?: boolean },
): Promise<RespondResult> {
  const text = input.text.replace(/\r\n?/g, '\n').trim();
  if (text === '') throw new DeskbotError('INVALID_STATE', 'The reply is empty');
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'reply');
    const queued = input.idempotencyKey ? await tx.outbox.payloadOf(replyKey(ticket.requestId, input.idempotencyKey)) : null;
    if (queued !== null) {
      const sentId = (queued as { messageId?: unknown }).messageId;
      return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false, messageId: String(sentId), initialResponse: false };
    }
    const engineerName = input.actor.name?.trim() || deps.config.SUPPORT_NAME;
    const threading = await requestThreading(tx.threads, ticket);
    const { messageId } = await notify(senderOf(deps), tx.outbox.writer(now), {
      template: 'engineer-reply',
      locale: ticket.locale,
      data: {
        recipientName: ticket.requesterName,
        supportName: deps.config.SUPPORT_NAME,
        supportAddress: deps.config.SUPPORT_ADDRESS,
        requestId: ticket.requestId,
        subject: ticket.subject,
        engineerName,
        body: text,
      },
      subject: (rendered) => (rendered.includes(`[${ticket.requestId}]`) ? rendered : `${rendered} [${ticket.requestId}]`),
      to: requesterRecipient(ticket),
      ...threading,
      autoSubmitted: 'no',
      requestId: ticket.requestId,
      headers: { 'X-Deskbot-Request-Id': ticket.requestId },
      idempotencyKey: (mail) => replyKey(ticket.requestId, input.idempotencyKey ?? mail.messageId),
      ticketId: ticket.id,
    });
    await tx.threads.add({ messageId, ticketId: ticket.id, direction: 'out', at: now });
    const clock = { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel };
    const update = await tx.slaTimers.recordEngineerUpdate(clock, now);
    // A workaround meets the resolution objective (Cryptzone §7); the ticket stays open until it is closed.
    const resolutionMet = input.workaround === true ? await tx.slaTimers.meetResolution(ticket.id, now) : false;
    // Still waiting on the customer: the progress-update cycle the reply opened stays paused like the others, and the
    // ticket keeps the time it began to wait (the event's write sets it back).
    const waiting = ticket.status === 'waiting';
    if (waiting) await tx.slaTimers.pause(clock, now);
    const eventId = await record(
      tx,
      ticket,
      {
        type: input.workaround === true ? 'workaround' : 'engineer-response',
        at: now,
        actor: input.actor.slackId,
        detail: {
          messageId,
          initialResponse: update.initialResponse,
          // No clock yet (waiting for "I agree" or missing information): the reply meets the initial response when it starts.
          ...(ticket.clockStartedAt === null ? { beforeClock: true } : {}),
          text,
          engineerName,
          ...(input.workaround === true ? { resolutionMet } : {}),
        },
      },
      now,
      waiting ? { pausedAt: ticket.pausedAt } : {},
    );
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true, messageId, initialResponse: update.initialResponse };
  });
}
