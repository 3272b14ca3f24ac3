// Use case: an engineer splits a second problem off a ticket into a new service request of its own.
import { DeskbotError } from '../../errors.ts';
import { lockPrice } from '../../domain/billing.ts';
import { storedTicketFee, type FeeAtOpen } from '../../domain/fee-at-open.ts';
import { needsInfoReminderDue } from '../../domain/needs-info-reminder.ts';
import { calendarTimeZone, currencies, severityTargets, type Currency } from '../../domain/policy.ts';
import { computeDueTimes, targetCounting, worksUntilResolved, type SupportLevel } from '../../domain/sla/index.ts';
import { acknowledgementFee } from '../intake/open-ticket.ts';
import { notify } from '../notify.ts';
import { lockByRequestId, requireNotClosed, record, senderOf, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

export interface SplitResult extends ActionResult {
  newTicketId: number;
  newRequestId: string;
  /** The new incident's fee told at open (the split notice and the engineer's answer say it): the locked fee, or free and why. */
  fee: FeeAtOpen;
}

/**
 * The request holds several issues: one becomes its own incident with its own request ID, fee and SLA clock. The new
 * ticket copies customer, requester and licence; its price is locked anew in the same currency; it links back by
 * splitFromId; both tickets get an event, and the new one its own Slack message. The customer gets a split-notice mail
 * (the new request ID, that it is a separate incident, its SLA targets, and its fee status as the acknowledgement of a
 * new request tells it: fee-at-open.ts on the new ticket), threaded to the new ticket.
 */
export async function split(deps: EngineerActionDeps, input: { requestId: string; subject?: string | undefined; actor: Actor }): Promise<SplitResult> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const original = await lockByRequestId(tx, input.requestId);
    requireNotClosed(original, 'split it');
    if (!(currencies as readonly string[]).includes(original.priceCurrency)) {
      throw new DeskbotError('INVALID_STATE', `${original.requestId} is priced in ${original.priceCurrency}, which has no fee`);
    }
    const price = lockPrice(deps.policy, original.priceCurrency as Currency);
    const newRequestId = await tx.tickets.nextRequestId(now.getUTCFullYear());
    const subject = input.subject?.trim() || `${original.subject} (split from ${original.requestId})`;
    const running = original.clockStartedAt !== null && original.missingInfo.length === 0;
    const created = await tx.tickets.insert({
      requestId: newRequestId,
      customerId: original.customerId,
      partnerId: original.partnerId,
      licenceId: original.licenceId,
      requesterKind: original.requesterKind as 'eligible-caller' | 'partner',
      requesterEmail: original.requesterEmail,
      requesterName: original.requesterName,
      subject,
      summary: '',
      severity: original.severity,
      status: running ? 'open' : 'new',
      product: original.product,
      productVersion: original.productVersion,
      missingInfo: original.missingInfo,
      calendar: original.calendar,
      supportLevel: original.supportLevel,
      locale: original.locale,
      openedAt: now,
      priceMinor: price.amountMinor,
      priceCurrency: price.currency,
      rootMessageId: null,
      needsInfoRemindAt: running ? null : needsInfoReminderDue(deps.policy, original.calendar, now),
    });
    // A pre-sales question stays one when split; a customer who has not accepted the paid terms has not for this
    // incident either, so a chargeable split waits for the same "I agree" (and a close before it charges nothing).
    await tx.tickets.update(created.id, {
      splitFromId: original.id,
      assigneeSlackId: original.assigneeSlackId,
      ...(original.preSales ? { preSales: true } : {}),
    });
    const stored = await tx.tickets.findById(created.id);
    if (!stored) throw new DeskbotError('INTERNAL', `${newRequestId} was not found after it was written`);
    // What the customer is told at open for the new ticket as stored: the rules closing applies (partner, trial, ...).
    const fee = storedTicketFee(deps.policy, stored);
    const awaitingAgreement = original.awaitingAgreement && fee.chargeable;
    if (awaitingAgreement) await tx.tickets.update(created.id, { awaitingAgreement: true });
    const ticketClock = { id: created.id, severity: original.severity, calendar: original.calendar, supportLevel: original.supportLevel };
    if (running) await tx.slaTimers.start(ticketClock, now);
    await tx.events.append(created.id, {
      type: 'split-from',
      at: now,
      actor: input.actor.slackId,
      detail: { fromRequestId: original.requestId, fromTicketId: original.id },
    });
    await tx.outbox.enqueue(
      {
        idempotencyKey: `slack:ticket-opened:${newRequestId}`,
        channel: 'slack',
        kind: 'ticket-opened',
        payload: { ticketId: created.id, requestId: newRequestId },
        ticketId: created.id,
      },
      now,
    );
    const targets = severityTargets(deps.policy, original.severity);
    const clock = { severity: original.severity, calendar: original.calendar, supportLevel: original.supportLevel as SupportLevel, clockStartedAt: now };
    const due = running ? computeDueTimes(deps.policy, clock) : null;
    const notice = await notify(senderOf(deps), tx.outbox.writer(now), {
      template: 'split-notice',
      locale: original.locale,
      data: {
        recipientName: original.requesterName,
        supportName: deps.config.SUPPORT_NAME,
        supportAddress: deps.config.SUPPORT_ADDRESS,
        requestId: newRequestId,
        originalRequestId: original.requestId,
        subject: input.subject?.trim() || original.subject,
        severity: original.severity,
        severityName: targets.name,
        targets: { initialResponse: targets.initialResponse, progressUpdate: targets.progressUpdate, resolution: targets.resolution },
        due: due ? { initialResponseDue: due.initialResponseDue, progressUpdateDue: due.progressUpdateDue, resolutionDue: due.resolutionDue } : null,
        timeZone: calendarTimeZone(deps.policy, original.calendar),
        fee: acknowledgementFee(fee, original.locale),
        untilResolved: worksUntilResolved(original.severity),
        aroundTheClock: targetCounting(deps.policy, clock).aroundTheClock,
      },
      // The [SR-…] tag lets a reply that drops the threading headers still find the new ticket.
      subject: (rendered) => (rendered.includes(`[${newRequestId}]`) ? rendered : `${rendered} [${newRequestId}]`),
      to: [{ address: original.requesterEmail, ...(original.requesterName ? { name: original.requesterName } : {}) }],
      autoSubmitted: 'auto-generated',
      requestId: newRequestId,
      headers: { 'X-Deskbot-Request-Id': newRequestId },
      idempotencyKey: `split-notice:${newRequestId}`,
      ticketId: created.id,
    });
    await tx.threads.add({ messageId: notice.messageId, ticketId: created.id, direction: 'out', at: now });
    const detail = { newRequestId, newTicketId: created.id, noticeMessageId: notice.messageId };
    const eventId = await record(tx, original, { type: 'split', at: now, actor: input.actor.slackId, detail }, now);
    return { ticketId: original.id, requestId: original.requestId, eventId, changed: true, newTicketId: created.id, newRequestId, fee };
  });
}
