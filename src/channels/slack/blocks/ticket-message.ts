// The one triage-channel message of a ticket (Block Kit): request ID, customer, requester, severity, subject, SLA
// due times and the buttons. Rebuilt from the current ticket on every change and sent with chat.update.
// Every customer-supplied string is escaped (escape.ts); the header shows only the request ID.
import { z } from 'zod';
import type { Policy } from '../../../domain/policy.ts';
import type { TicketCard } from '../../../store/ticket-queries.ts';
import { excerpt, triageExcerptChars } from '../../../domain/conversation.ts';
import { formatSupportTime } from '../../../domain/format.ts';
import { escapeLine, literalLine } from '../escape.ts';
import { actorLabel, quote, severityLabel, slackDate, slaMark, statusLabels, targetLabel, timeLeft } from './format.ts';
import { actionIds } from './ids.ts';
import { termsLines, versionUnsupported } from './terms-lines.ts';

/** A Slack message body: fallback text (notifications, screen readers) and blocks. */
export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

export function partyOf(card: TicketCard): string {
  if (card.customer) return escapeLine(card.customer.name);
  if (card.partner) return `${escapeLine(card.partner.name)} (partner ${escapeLine(card.partner.partnerId)})`;
  return '_unknown customer_';
}

export function requesterOf(card: TicketCard): string {
  const address = escapeLine(card.requesterEmail);
  return card.requesterName ? `${escapeLine(card.requesterName)} (${address})` : address;
}

/** The status as the card and `/support show` say it: what a request that has not started its clock still waits for. */
export function statusOf(card: Pick<TicketCard, 'status' | 'outcome' | 'closedBy' | 'missingInfo' | 'awaitingAgreement'>): string {
  if (card.status === 'closed')
    return `Closed${card.outcome ? ` (${escapeLine(card.outcome)})` : ''}${card.closedBy ? ` by ${actorLabel(card.closedBy)}` : ''}`;
  if (card.status === 'new' && card.missingInfo.length) return `Incomplete: needs ${card.missingInfo.map((item) => escapeLine(item)).join(', ')}`;
  // Complete, but a paid request's clock also waits for the customer's "I agree" (issue 12 point 9): not "Incomplete".
  if (card.status === 'new' && card.awaitingAgreement) return "Awaiting the customer's agreement to the terms (SLA clock not started)";
  return statusLabels[card.status] ?? escapeLine(card.status);
}

/** The SLA lines: each unmet target with its due time, time left and mark; paused ones with the time they keep. */
export function slaLines(card: TicketCard, now: Date): string[] {
  if (card.status === 'closed') return [];
  if (card.slaTimers.length === 0) {
    if (card.missingInfo.length === 0 && card.awaitingAgreement) return ["_SLA clock not started: waiting for the customer's agreement to the terms._"];
    return ['_SLA clock not started: the request is incomplete._'];
  }
  return card.slaTimers.map((timer) => {
    const label = targetLabel(timer.target);
    if (timer.remainingMs !== null) return `:double_vertical_bar: ${label}: paused, ${formatSupportTime(Number(timer.remainingMs))} of support time left`;
    if (!timer.dueAt) return `${label}: no due time`;
    // Breached, then given more time by a severity change: the breach stands (it is recorded), and so does the new due time.
    if (timer.breachedAt !== null && timer.dueAt.getTime() > now.getTime()) {
      return `:red_circle: ${label} was missed ${slackDate(timer.breachedAt)}; with the new severity it is due ${slackDate(timer.dueAt)} (${timeLeft(timer.dueAt, now)})`;
    }
    const breached = timer.breachedAt !== null || timer.dueAt.getTime() <= now.getTime();
    const warned = timer.warnedAt !== null || (timer.warnAt !== null && timer.warnAt.getTime() <= now.getTime());
    return `${slaMark({ breached, warned })} ${label} due ${slackDate(timer.dueAt)} (${timeLeft(timer.dueAt, now)})`;
  });
}

const lastCloseSchema = z.object({ closeCycle: z.number().int().min(1) });

/** How many times the ticket was closed so far: the close cycle of its last charge decision, 0 before any close. */
export function closesOf(card: Pick<TicketCard, 'chargeDecision'>): number {
  const last = lastCloseSchema.safeParse(card.chargeDecision);
  return last.success ? last.data.closeCycle : 0;
}

/**
 * The Close button's value: the request ID and the count of closes so far ("SR-2026-000123#closes=1"), which its modal
 * carries to closeTicket, so a submission made before a close and reopen cannot close the ticket again.
 */
export function closeButtonValue(card: Pick<TicketCard, 'requestId' | 'chargeDecision'>, suggest?: 'unsupported-version'): string {
  return `${card.requestId}#closes=${closesOf(card)}${suggest ? `#suggest=${suggest}` : ''}`;
}

/** A button value read back: the request ID, the count of closes where the button carries one, and a suggested exclusion. */
export function parseButtonValue(value: string): { requestId: string; closes?: number; suggest?: 'unsupported-version' } {
  const match = /^(.*)#closes=(\d{1,6})(#suggest=unsupported-version)?$/.exec(value);
  if (!match) return { requestId: value };
  return { requestId: match[1]!, closes: Number(match[2]), ...(match[3] ? { suggest: 'unsupported-version' as const } : {}) };
}

function severityOptions(policy: Policy) {
  return [5, 4, 3, 2, 1].map((severity) => ({ text: { type: 'plain_text', text: severityLabel(policy, severity) }, value: String(severity) }));
}

function buttons(card: TicketCard, policy: Policy): Array<Record<string, unknown>> {
  const value = card.requestId;
  if (card.status === 'closed') {
    return [{ type: 'button', action_id: actionIds.reopen, text: { type: 'plain_text', text: 'Reopen' }, value }];
  }
  const options = severityOptions(policy);
  const current = options.find((option) => option.value === String(card.severity));
  return [
    { type: 'button', action_id: actionIds.assignToMe, text: { type: 'plain_text', text: 'Assign to me' }, value, style: 'primary' },
    {
      type: 'static_select',
      action_id: actionIds.setSeverity,
      placeholder: { type: 'plain_text', text: 'Set severity' },
      options,
      ...(current ? { initial_option: current } : {}),
    },
    card.status === 'waiting'
      ? { type: 'button', action_id: actionIds.resume, text: { type: 'plain_text', text: 'Resume' }, value }
      : { type: 'button', action_id: actionIds.waitOnCustomer, text: { type: 'plain_text', text: 'Waiting on customer' }, value },
    { type: 'button', action_id: actionIds.reply, text: { type: 'plain_text', text: 'Reply to customer' }, value },
    {
      type: 'button',
      action_id: actionIds.close,
      text: { type: 'plain_text', text: 'Close' },
      value: closeButtonValue(card, versionUnsupported(card, policy) ? 'unsupported-version' : undefined),
      style: 'danger',
    },
  ];
}

/** The parent message of a ticket as it stands at `now`. */
export function ticketMessage(card: TicketCard, options: { policy: Policy; now: Date }): SlackMessage {
  const { policy, now } = options;
  // Inside the bold title: the subject's own *, _, ~, ` must not end it or format it (literalLine).
  const subject = literalLine(card.subject, 250);
  // The problem description: the first ~600 characters of the request's text, quoted and escaped.
  const description = card.description?.trim() ? excerpt(card.description, triageExcerptChars).text : null;
  const fields = [
    `*Customer*\n${partyOf(card)}${card.supportLevel === 'plus' ? ' · Support Plus' : ''}`,
    `*Requester*\n${requesterOf(card)}`,
    `*Severity*\n${severityLabel(policy, card.severity)}`,
    `*Status*\n${statusOf(card)}`,
    `*Assignee*\n${card.assigneeSlackId ? actorLabel(card.assigneeSlackId) : '_unassigned_'}`,
    `*Licence*\n${card.licence ? `${escapeLine(card.licence.number)} (${escapeLine(card.licence.product)})` : '_none identified_'}`,
  ];
  const context = [`Opened ${slackDate(card.openedAt)}`];
  if (card.splitFrom) context.push(`split from ${card.splitFrom.requestId}`);
  if (card.breached) context.push(':red_circle: an SLA target was missed');
  const sla = slaLines(card, now);
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: card.requestId } },
    { type: 'section', text: { type: 'mrkdwn', text: `*${subject}*` } },
    ...(description ? [{ type: 'section', text: { type: 'mrkdwn', text: quote(description, triageExcerptChars + 1) } }] : []),
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    { type: 'section', text: { type: 'mrkdwn', text: termsLines(card, policy).join('\n') } },
    ...(card.acknowledgementWithheld
      ? [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text:
                `:no_bell: No acknowledgement went to the customer (${escapeLine(card.acknowledgementWithheld, 120)}): they have not been told ` +
                'the request ID, the targets or the fee; write to them with `/support respond`.',
            },
          },
        ]
      : []),
    ...(sla.length ? [{ type: 'section', text: { type: 'mrkdwn', text: `*SLA*\n${sla.join('\n')}` } }] : []),
    { type: 'context', elements: [{ type: 'mrkdwn', text: context.join(' · ') }] },
    { type: 'actions', block_id: `ticket:${card.requestId}`, elements: buttons(card, policy) },
  ];
  return { text: `${card.requestId} · ${severityLabel(policy, card.severity)} · ${partyOf(card)}: ${subject} (${statusOf(card)})`, blocks };
}
