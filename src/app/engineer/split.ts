// Use case: an engineer splits a second problem off a ticket into a new service request of its own.
import { DeskbotError } from '../../errors.ts';
import { lockPrice } from '../../domain/billing.ts';
import { currencies, type Currency } from '../../domain/policy.ts';
import { lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

export interface SplitResult extends ActionResult {
  newTicketId: number;
  newRequestId: string;
}

/**
 * The request holds several issues: one becomes its own incident with its own request ID, fee and SLA clock. The new
 * ticket copies customer, requester and licence; its price is locked anew in the same currency; it links back by
 * splitFromId; both tickets get an event, and the new one its own Slack message.
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
    });
    await tx.tickets.update(created.id, { splitFromId: original.id, assigneeSlackId: original.assigneeSlackId });
    const clock = { id: created.id, severity: original.severity, calendar: original.calendar, supportLevel: original.supportLevel };
    if (running) await tx.slaTimers.start(clock, now);
    await tx.events.append(created.id, {
      type: 'split-from',
      at: now,
      actor: input.actor.slackId,
      detail: { fromRequestId: original.requestId, fromTicketId: original.id },
    });
    await tx.outbox.enqueue(
      { idempotencyKey: `slack:ticket-opened:${newRequestId}`, channel: 'slack', kind: 'ticket-opened', payload: { ticketId: created.id, requestId: newRequestId }, ticketId: created.id },
      now,
    );
    const eventId = await record(tx, original, { type: 'split', at: now, actor: input.actor.slackId, detail: { newRequestId, newTicketId: created.id } }, now);
    return { ticketId: original.id, requestId: original.requestId, eventId, changed: true, newTicketId: created.id, newRequestId };
  });
}
