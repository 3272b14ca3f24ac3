// The ephemeral answers of `/support` (and the refusals and confirmations of buttons): lists, one ticket, callers,
// breaches. mrkdwn text; customer and engineer text escaped.
import type { CustomerCallers } from '../../../app/engineer/callers.ts';
import type { OpenByPhoneResult } from '../../../app/engineer/open-by-phone.ts';
import type { InboundResult } from '../../../app/ports.ts';
import type { TicketDetails } from '../../../app/engineer/show.ts';
import type { Policy } from '../../../domain/policy.ts';
import type { TicketListPage, TicketSummary } from '../../../store/ticket-queries.ts';
import { escapeLine, literalLine } from '../escape.ts';
import type { CloseTicketResult, SlaBreachRow } from '../slack-deps.ts';
import { actorLabel, quote, severityLabel, slackDate, slaMark, targetLabel, timeLeft } from './format.ts';
import { excerpt, formatSize } from '../../../domain/conversation.ts';
import { formatElapsed, formatMoney } from '../../../domain/format.ts';
import { partyOf, requesterOf, slaLines, statusOf } from './ticket-message.ts';

export const listTitles: Record<string, string> = {
  mine: 'Your open requests',
  open: 'Open requests',
  breaching: 'Requests past an SLA warning or breached',
  waiting: 'Requests waiting on the customer',
};

/** One ticket line of a list or the SLA board. */
export function summaryLine(ticket: TicketSummary, policy: Policy, now: Date): string {
  const due = ticket.nextDueAt
    ? `${targetLabel(ticket.nextTarget ?? '')} due ${slackDate(ticket.nextDueAt)} (${timeLeft(ticket.nextDueAt, now)})`
    : ticket.status === 'waiting'
      ? 'SLA clock paused'
      : 'SLA clock not started';
  const mark = ticket.nextDueAt ? slaMark(ticket) : ':white_circle:';
  const assignee = ticket.assigneeSlackId ? actorLabel(ticket.assigneeSlackId) : '_unassigned_';
  return `${mark} *${ticket.requestId}* · ${severityLabel(policy, ticket.severity)} · ${escapeLine(ticket.party, 60)} — ${escapeLine(ticket.subject, 80)}\n      ${due} · ${assignee}`;
}

export function listReply(page: TicketListPage, filter: string, policy: Policy, now: Date): string {
  const title = listTitles[filter] ?? 'Requests';
  if (page.total === 0) return `*${title}*: none.`;
  const total = `${page.total}${page.totalIsAtLeast ? '+' : ''}`;
  const shown = page.tickets.length < page.total || page.totalIsAtLeast ? ` (the ${page.tickets.length} most urgent of ${total})` : ` (${total})`;
  return [`*${title}*${shown}:`, ...page.tickets.map((ticket) => summaryLine(ticket, policy, now))].join('\n');
}

/** Characters of each message /support show quotes. */
const showExcerptChars = 700;

/** One message of the conversation: sender and time, its new text quoted, its attachments by name and size. */
function conversationLines(message: TicketDetails['conversation'][number]): string[] {
  const sender = message.fromName ? `${message.fromName} <${message.fromAddress}>` : message.fromAddress;
  const lines = [`:incoming_envelope: ${escapeLine(sender)} · ${slackDate(message.receivedAt)}`];
  if (message.displayText.trim()) lines.push(quote(excerpt(message.displayText, showExcerptChars).text, showExcerptChars + 1));
  for (const attachment of message.attachments) {
    const name = escapeLine(attachment.filename ?? `attachment-${attachment.id}`, 120);
    lines.push(`:paperclip: ${name} (${formatSize(attachment.size)}${attachment.notKept ? ', not kept: over ATTACHMENT_MAX_BYTES' : ''})`);
  }
  return lines;
}

export function showReply(details: TicketDetails, policy: Policy, now: Date): string {
  const { card } = details;
  const lines = [
    `*${card.requestId}* — *${literalLine(card.subject, 200)}*`,
    `Customer: ${partyOf(card)} · Requester: ${requesterOf(card)}`,
    `Severity ${severityLabel(policy, card.severity)} · ${statusOf(card)} · Assignee: ${card.assigneeSlackId ? actorLabel(card.assigneeSlackId) : '_unassigned_'}`,
    `Opened ${slackDate(card.openedAt)} · Fee ${formatMoney(card.priceMinor, card.priceCurrency, 'en', { display: 'code' })}${card.licence ? ` · Licence ${escapeLine(card.licence.number)}` : ''}`,
    ...slaLines(card, now),
  ];
  if (card.slackChannel && card.slackTs)
    lines.push(`Thread: <https://slack.com/app_redirect?channel=${card.slackChannel}&message_ts=${card.slackTs}|open the ticket message>`);
  if (details.conversation.length) {
    lines.push(`*Conversation* (the last ${details.conversation.length})`);
    for (const message of details.conversation) lines.push(...conversationLines(message));
  }
  if (details.events.length) {
    lines.push('*Recent history*');
    for (const event of details.events) lines.push(`• ${slackDate(event.at)} ${escapeLine(event.type)}${event.actor ? ` — ${actorLabel(event.actor)}` : ''}`);
  }
  return lines.join('\n');
}

export function callersReply(query: string, customers: CustomerCallers[]): string {
  if (customers.length === 0) return `No customer matches "${escapeLine(query, 60)}".`;
  return customers
    .map((customer) => {
      const header = `*${literalLine(customer.name)}* (\`${escapeLine(customer.key)}\`, ${escapeLine(customer.supportLevel)} support) — eligible callers:`;
      const callers = customer.callers.length
        ? customer.callers.map(
            (caller) =>
              `• ${escapeLine(caller.name)} <mailto:${encodeURI(caller.email)}|${escapeLine(caller.email)}>${caller.phone ? ` · ${escapeLine(caller.phone)}` : ''}`,
          )
        : ['• _none registered: nobody can open requests_'];
      return [header, ...callers].join('\n');
    })
    .join('\n\n');
}

export function breachesReply(breaches: SlaBreachRow[], label: string, policy: Policy): string {
  if (breaches.length === 0) return `No SLA breaches in ${label}. :tada:`;
  const lines = breaches.slice(0, 40).map((breach) => {
    const late = formatElapsed(breach.breachedAt.getTime() - breach.dueAt.getTime());
    return `:red_circle: *${breach.requestId}* · ${escapeLine(breach.customer, 60)} · ${severityLabel(policy, breach.severity)} · ${targetLabel(breach.target)} due ${slackDate(breach.dueAt)}${late !== '0 min' ? `, recorded ${late} later` : ''} · ${breach.assigneeSlackId ? actorLabel(breach.assigneeSlackId) : '_unassigned_'}`;
  });
  const more = breaches.length > 40 ? [`…and ${breaches.length - 40} more.`] : [];
  // Cryptzone §7: every missed objective gets a post-mortem; `/support postmortem SR-… <notes>` records it.
  const pending = [...new Set(breaches.filter((breach) => breach.postMortemNeeded === true).map((breach) => breach.requestId))];
  const postMortems = pending.length
    ? [`:memo: Post-mortem still needed (${pending.length}): ${pending.slice(0, 40).join(', ')}. Record one with \`/support postmortem SR-… <notes>\`.`]
    : ['All breached requests above have their post-mortem.'];
  return [`*SLA breaches in ${label}* (${breaches.length}):`, ...lines, ...more, ...postMortems].join('\n');
}

/**
 * The answer to a severity change, from `/support severity` or the Set severity select: the new and the previous
 * severity, or that the ticket already had it (a select answered with nothing left the engineer guessing).
 */
export function severityReply(
  result: { requestId: string; changed: boolean; previous: number; clockStarted: boolean },
  severity: number,
  policy: Policy,
): string {
  if (!result.changed) return `${result.requestId} already has severity ${severityLabel(policy, severity)}.`;
  const started = result.clockStarted ? ' The request is complete: the SLA clock started.' : '';
  return `:rotating_light: ${result.requestId} is now severity ${severityLabel(policy, severity)} (was ${severityLabel(policy, result.previous)}); its SLA targets follow.${started}`;
}

export function closeReply(result: CloseTicketResult): string {
  if (result.alreadyClosed) return `${result.requestId} was already closed. ${escapeLine(result.explanation, 400)}`;
  const charge = result.chargeable ? `chargeable: ${formatMoney(result.amountMinor, result.currency, 'en', { display: 'code' })}` : 'no charge';
  return `:lock: Closed ${result.requestId} (${charge}). ${escapeLine(result.explanation, 400)}`;
}

/** `/support open`: the request ID, whether the clock runs, the written confirmation, and a suspended customer. */
export function phoneOpenedReply(result: OpenByPhoneResult, callerEmail: string): string {
  const lines = [
    `:telephone_receiver: Opened ${result.requestId} for ${escapeLine(callerEmail)} (taken by phone).`,
    result.missing.length
      ? `Still missing: ${result.missing.join(', ')}; the SLA clock starts once the request is complete.`
      : result.awaitingAgreement
        ? `The customer has not agreed to the paid-support terms yet: the SLA clock starts when they reply "I agree" or you record it with \`/support agreed ${result.requestId}\`.`
        : 'The request is complete: the SLA clock started at the call.',
    result.acknowledged ? 'The caller gets the acknowledgement by e-mail as the written confirmation.' : 'No acknowledgement could be queued.',
  ];
  if (result.suspended)
    lines.push(`:warning: The customer's service is suspended since ${result.suspended.since}: ${escapeLine(result.suspended.reason, 300)}`);
  return lines.join('\n');
}

/** `/support retry`: how the rejected mail ended this time. */
export function retryReply(messageId: string, result: InboundResult): string {
  const id = escapeLine(messageId, 300);
  if (result.outcome === 'ticket')
    return `:arrows_counterclockwise: ${id} ran through intake again and opened ${result.requestId}; the sender gets the acknowledgement.`;
  if (result.outcome === 'rejected')
    return `:no_entry: ${id} ran through intake again and was rejected again (${escapeLine(result.reason ?? 'not eligible')}); no second notice within 24 h.`;
  return `:arrows_counterclockwise: ${id} ran through intake again: ${result.outcome}${result.reason ? ` (${escapeLine(result.reason)})` : ''}.`;
}
