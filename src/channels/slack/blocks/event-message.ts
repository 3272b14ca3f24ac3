// One thread reply per ticket event (customer mail, engineer reply, status change, assignment, severity, split,
// SLA warning, ...). Reads the event detail defensively: events come from several writers, and an unknown type
// still gets a plain line. Customer text is quoted and escaped; actors are mentions only when they are Slack IDs.
import { threadExcerptChars } from '../../../domain/conversation.ts';
import type { Policy } from '../../../domain/policy.ts';
import { escapeLine, literalLine } from '../escape.ts';
import { actorLabel, quote, severityLabel, slackDate, statusLabels, targetLabel } from './format.ts';

export interface TicketEventView {
  type: string;
  at: Date;
  actor: string | null;
  detail: unknown;
}

function field(detail: unknown, ...names: string[]): string | undefined {
  if (typeof detail !== 'object' || detail === null) return undefined;
  for (const name of names) {
    const value = (detail as Record<string, unknown>)[name];
    if (typeof value === 'string' && value.trim() !== '') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  }
  return undefined;
}

/** What an engineer sent the customer, quoted as long as a customer's mail is (the thread carries the conversation). */
function quoteSent(text: string): string {
  const cut = text.length > threadExcerptChars ? '\n_Cut here; the customer got the whole text by e-mail._' : '';
  return `${quote(text, threadExcerptChars + 1)}${cut}`;
}

/** The thread text of one event (mrkdwn). */
export function eventText(event: TicketEventView, policy: Policy): string {
  const who = actorLabel(event.actor);
  const detail = event.detail;
  switch (event.type) {
    case 'mail-received':
    case 'customer-reply': {
      const from = field(detail, 'from', 'fromAddress', 'sender') ?? event.actor ?? 'the customer';
      const subject = field(detail, 'subject');
      const excerpt = field(detail, 'excerpt', 'summary', 'text', 'body');
      // Kerio ToS 2.4.9: the customer was told a closed request ends service; reopening is the engineer's call.
      const afterClose =
        field(detail, 'afterClose') === 'true'
          ? 'The request is closed: the customer was asked to open a new request; `/support reopen` if it is the same incident.'
          : '';
      // The excerpt is cut already (blocks/conversation.ts, ~3,000 characters); `more` says where the rest is.
      const more = field(detail, 'more');
      return [
        `:incoming_envelope: Mail from ${escapeLine(from)}${subject ? `: *${literalLine(subject)}*` : ''}`,
        excerpt ? quote(excerpt, threadExcerptChars + 1) : '',
        more ? `_The rest of this mail: \`${escapeLine(more)}\`_` : '',
        afterClose,
      ]
        .filter(Boolean)
        .join('\n');
    }
    case 'acknowledgement':
      return ':outbox_tray: Acknowledgement sent to the customer.';
    case 'needs-info-reminder':
      return ':bell: The request is still incomplete: a reminder of what is missing went by e-mail.';
    case 'phone-call': {
      const description = field(detail, 'description');
      const line = `:telephone_receiver: ${who} opened the request from a phone call with ${escapeLine(field(detail, 'caller') ?? 'the caller')}.`;
      return [description ? `${line} The caller described:` : line, description ? quote(description) : ''].filter(Boolean).join('\n');
    }
    case 'engineer-response': {
      const initial = field(detail, 'initialResponse') === 'true';
      const kind = initial
        ? 'initial response'
        : field(detail, 'beforeClock') === 'true'
          ? 'before the SLA clock started: it meets the initial response when the clock starts'
          : 'progress update';
      const text = field(detail, 'text');
      return [`:outbox_tray: ${who} replied to the customer by e-mail (${kind}).`, text ? quoteSent(text) : ''].filter(Boolean).join('\n');
    }
    case 'workaround': {
      // Cryptzone §7: a workaround meets the resolution objective; the request stays open until it is closed.
      const met = field(detail, 'resolutionMet') === 'true' ? ' The resolution objective is met; the' : ' The';
      const text = field(detail, 'text');
      return [`:hammer_and_wrench: ${who} sent the customer a workaround by e-mail.${met} request stays open until it is closed.`, text ? quoteSent(text) : '']
        .filter(Boolean)
        .join('\n');
    }
    case 'post-mortem': {
      const notes = field(detail, 'notes');
      return [`:memo: ${who} recorded the post-mortem of the missed SLA objective.`, notes ? quote(notes) : ''].filter(Boolean).join('\n');
    }
    case 'pre-sales': {
      const started = field(detail, 'clockStarted') === 'true' ? ' The SLA clock started.' : '';
      return `:gift: ${who} marked the request as a pre-sales question: it is free, no support fee is charged and no agreement to the paid terms is needed.${started}`;
    }
    case 'status-change': {
      const to = field(detail, 'to') ?? '';
      if (field(detail, 'reopened') === 'true') {
        const reason = field(detail, 'reason');
        return [`:arrows_counterclockwise: ${who} reopened the request${reason ? ', saying:' : '.'}`, reason ? quote(reason) : ''].filter(Boolean).join('\n');
      }
      if (to === 'waiting') return `:double_vertical_bar: ${who} set the request to wait on the customer; the SLA clock is paused.`;
      if (to === 'open' && field(detail, 'from') === 'waiting') {
        if (field(detail, 'reason') === 'customer-reply')
          return ':arrow_forward: The customer replied: the request is open again and the SLA clock runs again.';
        return `:arrow_forward: ${who} resumed the request; the SLA clock runs again.`;
      }
      return `:information_source: Status: ${escapeLine(statusLabels[to] ?? to)}${event.actor ? ` (${who})` : ''}.`;
    }
    case 'assignment': {
      const to = field(detail, 'to');
      return to ? `:bust_in_silhouette: ${who} assigned the request to ${actorLabel(to)}.` : `:bust_in_silhouette: ${who} unassigned the request.`;
    }
    case 'severity-change': {
      const from = Number(field(detail, 'from'));
      const to = Number(field(detail, 'to'));
      const started = field(detail, 'clockStarted') === 'true' ? ' The request is complete: the SLA clock started.' : '';
      return `:rotating_light: ${who} changed the severity from ${severityLabel(policy, from)} to ${severityLabel(policy, to)}.${started}`;
    }
    case 'request-completed':
      return ':white_check_mark: The request is complete: the SLA clock started.';
    case 'terms-agreed':
      // By phone the actor is the engineer who recorded it; by mail, the customer's address.
      if (field(detail, 'via') === 'phone') return `:handshake: The customer agreed to the paid-support terms by phone; ${who} recorded it for the customer.`;
      return `:handshake: ${who} agreed to the paid-support terms by mail; recorded for the customer.`;
    case 'request-update':
      if (field(detail, 'released') === 'true') {
        const answered = escapeLine(field(detail, 'answeredRequestId') ?? 'another request', 40);
        return `:outbox_tray: The customer's "I agree" in their answer on ${answered} also released this request; they were told so${field(detail, 'complete') === 'true' ? ', with its SLA due times' : ', and what it still misses'}.`;
      }
      if (field(detail, 'byPhone') === 'true') {
        return `:outbox_tray: The customer was sent the terms agreed by phone in writing${field(detail, 'complete') === 'true' ? ', with the SLA due times' : ', and what is still missing'}.`;
      }
      {
        // The answer changed the fee told at open (a licence named): what the customer was told now.
        const fee = field(detail, 'fee');
        const feeNote = `${fee ? ` Their answer changed the fee; told: ${escapeLine(fee, 200)}.` : ''}${field(detail, 'termsRequested') === 'true' ? ' It answered their request for the support terms.' : ''}`;
        return field(detail, 'complete') === 'true'
          ? `:outbox_tray: The customer was told the request is complete and its SLA targets run, with the due times.${feeNote}`
          : `:outbox_tray: The customer was told what their answer supplied and what is still missing.${feeNote}`;
      }
    case 'terms-requested': {
      // No published terms (policy billing.termsUrl): a person sends them; the customer was told so when the request
      // update went (an incomplete request), else nobody has answered yet.
      const url = field(detail, 'termsUrl');
      if (field(detail, 'toldByMail') === 'true') {
        return url
          ? `:page_facing_up: The customer asked for the support terms; the update mail gave them the link ${escapeLine(url, 300)}.`
          : ':page_facing_up: The customer asked for the support terms, which are not published (policy `billing.termsUrl`); they were told an engineer will send them: please send them with `/support reply`.';
      }
      return `:page_facing_up: The customer asked for the support terms${url ? ` (published at ${escapeLine(url, 300)})` : ', which are not published (policy `billing.termsUrl`)'}: please send them with \`/support reply\`.`;
    }
    case 'request-update-suppressed':
      return `:no_bell: The customer's answer got no confirmation mail (${escapeLine(field(detail, 'reason') ?? 'suppressed')}).`;
    case 'closed-request-notice':
      return ':outbox_tray: The customer was told the request is closed and a new problem needs a new request.';
    case 'split':
      return `:scissors: ${who} split off ${escapeLine(field(detail, 'newRequestId') ?? 'a new request')} as its own incident.`;
    case 'split-from':
      return `:scissors: Split from ${escapeLine(field(detail, 'fromRequestId') ?? 'another request')} by ${who}.`;
    case 'sla-warning': {
      const target = field(detail, 'target');
      const due = field(detail, 'dueAt');
      return `:large_orange_circle: ${target ? targetLabel(target) : 'An SLA target'} is past its warning point${due ? `; due ${slackDate(new Date(due))}` : ''}.`;
    }
    case 'sla-breach': {
      const target = field(detail, 'target');
      return `:red_circle: ${target ? targetLabel(target) : 'An SLA target'} was missed.`;
    }
    case 'closed':
    case 'close':
    case 'charge': {
      const outcome = field(detail, 'outcome');
      const explanation = field(detail, 'explanation');
      return `:lock: ${who} closed the request${outcome ? ` as ${escapeLine(outcome)}` : ''}.${explanation ? ` ${escapeLine(explanation, 300)}` : ''}`;
    }
    case 'mail-bounced':
      return ':warning: A mail to the customer bounced.';
    case 'auto-reply-received':
      return ':robot_face: The customer’s mail system sent an automatic reply.';
    default:
      return `:information_source: ${escapeLine(event.type)}${event.actor ? ` (${who})` : ''}.`;
  }
}
