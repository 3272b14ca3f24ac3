// Messages the SLA sweeper and closing ask Slack to carry: the 75% warning (ticket thread), the breach (managers and
// the thread) and the charge notice (billing channel). Text only, escaped; the payloads are parsed by outbox-handler.ts.
import type { Policy } from '../../../domain/policy.ts';
import { formatElapsed, formatMoney } from '../../../domain/format.ts';
import { escapeLine, literalLine } from '../escape.ts';
import { actorLabel, severityLabel, slackDate, targetLabel, timeLeft } from './format.ts';

export function slaWarningText(notice: { requestId: string; target: string; dueAt: Date; assigneeSlackId: string | null }, now: Date): string {
  const who = notice.assigneeSlackId ? `${actorLabel(notice.assigneeSlackId)} ` : '<!here> unassigned: ';
  return `:large_orange_circle: ${who}${targetLabel(notice.target)} of ${notice.requestId} is due ${slackDate(notice.dueAt)} (${timeLeft(notice.dueAt, now)}).`;
}

/** The second line of a managers' SLA notice: whose request it is, how severe, who has it. `party` is escaped. */
function whoseLine(party: string, severity: number, assigneeSlackId: string | null, policy: Policy): string {
  return `Customer: ${party} · Severity ${severityLabel(policy, severity)} · Assignee: ${assigneeSlackId ? actorLabel(assigneeSlackId) : '_unassigned_'}`;
}

/**
 * The managers' copy of a warning (mission: managers are pinged before a breach, not only at it): which request,
 * which target, when it is due, whose it is. `party` is already escaped (ticket-message.ts partyOf).
 */
export function slaAtRiskText(
  notice: { requestId: string; target: string; dueAt: Date; assigneeSlackId: string | null },
  ticket: { party: string; severity: number },
  policy: Policy,
  now: Date,
): string {
  return [
    `:large_orange_circle: *SLA at risk on ${notice.requestId}*: ${targetLabel(notice.target)} is due ${slackDate(notice.dueAt)} (${timeLeft(notice.dueAt, now)}).`,
    whoseLine(ticket.party, ticket.severity, notice.assigneeSlackId, policy),
  ].join('\n');
}

export function slaBreachText(
  notice: { requestId: string; customer: string; severity: number; target: string; dueAt: Date; lateByMs: number; assigneeSlackId: string | null },
  policy: Policy,
): string {
  return [
    `:red_circle: *SLA breach on ${notice.requestId}*: ${targetLabel(notice.target)} was due ${slackDate(notice.dueAt)}, ${formatElapsed(notice.lateByMs)} late.`,
    whoseLine(escapeLine(notice.customer), notice.severity, notice.assigneeSlackId, policy),
  ].join('\n');
}

export interface ChargeNoticeView {
  requestId: string;
  customer: string;
  licence: string | null;
  amountMinor: number;
  currency: string;
  chargeable: boolean;
  reason: string;
  explanation: string;
  outcome: string;
  closedBy: string;
}

/** Billing channel: a chargeable closure as a charge notice; a free one listed with its reason. */
export function chargeNoticeText(notice: ChargeNoticeView): string {
  const who = `${escapeLine(notice.customer)}${notice.licence ? ` (licence ${escapeLine(notice.licence)})` : ''}`;
  const by = actorLabel(notice.closedBy);
  if (notice.chargeable) {
    return [
      `:moneybag: *Charge ${formatMoney(notice.amountMinor, notice.currency, 'en', { display: 'code' })}* for ${notice.requestId}: ${who}`,
      `Closed as ${escapeLine(notice.outcome)} by ${by}. ${escapeLine(notice.explanation, 400)}`,
    ].join('\n');
  }
  return [
    `:white_check_mark: No charge for ${notice.requestId}: ${who} (reason: ${escapeLine(notice.reason)})`,
    `Closed as ${escapeLine(notice.outcome)} by ${by}. ${escapeLine(notice.explanation, 400)}`,
  ].join('\n');
}

/** The thread line of a closure. */
export function closedThreadText(notice: ChargeNoticeView): string {
  const charge = notice.chargeable
    ? `charged ${formatMoney(notice.amountMinor, notice.currency, 'en', { display: 'code' })}`
    : `no charge (${escapeLine(notice.reason)})`;
  return `:lock: ${actorLabel(notice.closedBy)} closed the request as ${escapeLine(notice.outcome)}: ${charge}.`;
}

/** A suspended customer's caller wrote: no ticket was opened (Kerio ToS 2.4.3, 9); `/support open` can still open one. */
export function customerSuspendedText(notice: { customer: string; customerKey: string; since: string; reason: string; from: string; subject: string }): string {
  return (
    `:no_entry: Mail from ${escapeLine(notice.from)} (${escapeLine(notice.customer)}) opened no request: service is suspended since ${escapeLine(notice.since)}` +
    ` (${escapeLine(notice.reason)}). Subject: *${literalLine(notice.subject)}*. The caller was sent the suspension notice; ` +
    'an engineer can still open a request with `/support open`.'
  );
}
