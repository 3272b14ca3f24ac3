// The answer to a customer who answered an incomplete request and supplied something: what was received and what is
// still missing (the acknowledgement's labels), or, once the request is complete or the terms agreed, that the SLA
// targets now run, with the due times its timers hold; and the fee, in the acknowledgement's words, when the answer
// changed it; the support terms (their address, or that an engineer sends them) when the answer asked for them. Also to
// each other request an "I agree" released. An answer that supplied, changed and asked nothing gets none.
import { feeAtOpenSummary, type FeeAtOpen } from '../../domain/fee-at-open.ts';
import type { Policy, RequiredInfoItem } from '../../domain/policy.ts';
import type { SlaTarget } from '../../domain/sla/index.ts';
import { DeskbotError } from '../../errors.ts';
import type { RequestUpdateSla } from '../mail-templates.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import type { TicketRecord } from '../records.ts';
import type { AgreedTicket } from '../terms-agreement.ts';
import { autoMail } from './auto-mail.ts';
import type { IntakeContext, Tx } from './context.ts';
import { acknowledgementFee, acknowledgementSla } from './open-ticket.ts';
import { senderName } from './reply.ts';

/** An incomplete ticket before and after a customer's answer. */
export interface AnswerEffect {
  missingBefore: readonly string[];
  missingAfter: readonly RequiredInfoItem[];
  /** The answer agreed to the paid-support terms. */
  agreed: boolean;
  awaitingAgreement: boolean;
  /** The SLA clock started with this answer (at `now`). */
  clockStarted: boolean;
  /** The answer named one of the customer's licences that the request did not hold (received even when not missing). */
  licenceIdentified: boolean;
  /** The fee the answer made, when it differs from the one told at open (completeRequest); null when unchanged. */
  fee: FeeAtOpen | null;
  /** The answer asked for the support terms (domain/terms-agreement.ts asksForTerms). */
  termsRequested: boolean;
}

/**
 * Sends the request-update mail for `effect` when the answer supplied an item, agreed, changed the fee or asked for the
 * support terms, under the rules of every
 * automatic answer (XARS and loop rules, throttle; outbox key `request-update:<Message-ID>`, or
 * `request-update:<Message-ID>:<request ID>` for another request the answer's "I agree" released, so a retry never
 * mails twice), and records request-update or request-update-suppressed on the ticket; returns that event's id, or
 * null when the answer supplied and changed nothing. `answeredRequestId` is set for such a released request: the request the
 * answer was on, which its mail names as the one answered.
 */
export async function sendRequestUpdate(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  mail: ParsedMail,
  ticket: TicketRecord,
  effect: AnswerEffect,
  options: { answeredRequestId?: string } = {},
): Promise<bigint | null> {
  const released = options.answeredRequestId !== undefined;
  const { policy, clock, config } = ctx;
  const now = clock.now();
  const supplied = effect.missingBefore.filter((item): item is RequiredInfoItem => !(effect.missingAfter as readonly string[]).includes(item));
  const received = effect.licenceIdentified && !supplied.includes('licence') ? [...supplied, 'licence' as const] : supplied;
  if (received.length === 0 && !effect.agreed && effect.fee === null && !effect.termsRequested) return null;
  const sla = effect.clockStarted ? await startedSla(policy, tx, ticket) : null;
  const notice = await autoMail(ctx, tx, state, mail, {
    template: 'request-update',
    locale: ticket.locale,
    data: {
      recipientName: senderName(ticket, mail),
      supportName: config.SUPPORT_NAME,
      supportAddress: config.SUPPORT_ADDRESS,
      requestId: ticket.requestId,
      subject: ticket.subject,
      received,
      agreed: effect.agreed,
      missing: effect.missingAfter,
      agreement: effect.awaitingAgreement ? { termsUrl: policy.billing.termsUrl } : null,
      termsRequest: effect.termsRequested ? { termsUrl: policy.billing.termsUrl } : null,
      sla,
      // The money, as the acknowledgement tells it, whenever the answer changed it.
      ...(effect.fee ? { fee: acknowledgementFee(effect.fee, ticket.locale) } : {}),
      ...(released ? { answeredRequestId: options.answeredRequestId } : {}),
    },
    to: { address: mail.from!.address, name: mail.from!.name },
    idempotencyKey: released ? `request-update:${mail.messageId}:${ticket.requestId}` : `request-update:${mail.messageId}`,
    requestId: ticket.requestId,
    ticketId: ticket.id,
  });
  const detail = {
    inReplyTo: mail.messageId,
    received,
    agreed: effect.agreed,
    missingInfo: effect.missingAfter,
    complete: effect.clockStarted,
    ...(effect.fee ? { fee: feeAtOpenSummary(effect.fee) } : {}),
    ...(effect.termsRequested ? { termsRequested: true } : {}),
    ...(released ? { released: true, answeredRequestId: options.answeredRequestId } : {}),
  };
  const eventId = await tx.events.append(ticket.id, {
    type: notice.sent ? 'request-update' : 'request-update-suppressed',
    at: now,
    actor: 'deskbot',
    detail: notice.sent ? { ...detail, messageId: notice.messageId } : { ...detail, reason: notice.reason },
  });
  if (notice.sent) await tx.threads.remember(ticket.id, [notice.messageId], 'out', now);
  return eventId;
}

/**
 * The request-update mail of each other request of the customer that the answer's "I agree" released (recordAgreement):
 * that the answer on `answeredRequestId` (the request the customer replied to) released it, and its due times when its
 * clock started or what it still misses. A released request no longer being taken in (closed while it waited) gets
 * none. Returns the ticket and event id of each mail decided.
 */
export async function sendReleasedUpdates(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  mail: ParsedMail,
  answeredRequestId: string,
  released: ReadonlyArray<AgreedTicket>,
): Promise<Array<{ ticketId: number; eventId: bigint }>> {
  const updates: Array<{ ticketId: number; eventId: bigint }> = [];
  for (const agreed of released) {
    const ticket = await releasedTicket(tx, agreed);
    if (!ticket) continue;
    const missing = ticket.missingInfo as RequiredInfoItem[];
    const effect: AnswerEffect = {
      missingBefore: missing,
      missingAfter: missing,
      agreed: true,
      awaitingAgreement: false,
      clockStarted: agreed.clockStarted,
      licenceIdentified: false,
      fee: null,
      termsRequested: false,
    };
    const eventId = await sendRequestUpdate(ctx, tx, state, mail, ticket, effect, { answeredRequestId });
    if (eventId !== null) updates.push({ ticketId: ticket.id, eventId });
  }
  return updates;
}

/**
 * A request an agreement released (recordAgreement), to be told so: null when it is no longer being taken in (closed
 * while it waited). The mailed "I agree" and the phone agreement (`/support agreed`) both tell the same requests.
 */
export async function releasedTicket(tx: Tx, agreed: AgreedTicket): Promise<TicketRecord | null> {
  const ticket = await tx.tickets.findById(agreed.ticketId);
  return ticket && (agreed.clockStarted || ticket.status === 'new') ? ticket : null;
}

/**
 * The SLA lines of the clock this transaction just started, read from the timers SlaTimers.start wrote rather than
 * recomputed: an initial response an engineer gave while the clock waited is met at the start and has no due time.
 */
export async function startedSla(policy: Policy, tx: Tx, ticket: TicketRecord): Promise<RequestUpdateSla> {
  const timers = await tx.slaTimers.ofTicket(ticket.id);
  const first = (target: SlaTarget) => timers.find((timer) => timer.target === target && timer.cycle === 1);
  const initial = first('initial-response');
  const progress = first('progress-update');
  if (!initial?.dueAt || !progress?.dueAt) {
    throw new DeskbotError('INVALID_STATE', `${ticket.requestId}: the SLA clock started without its initial-response and progress-update timers`);
  }
  const due = { initialResponseDue: initial.dueAt, progressUpdateDue: progress.dueAt, resolutionDue: first('resolution')?.dueAt ?? null };
  return { ...acknowledgementSla(policy, ticket, null), due, initialResponseMet: initial.metAt !== null };
}
