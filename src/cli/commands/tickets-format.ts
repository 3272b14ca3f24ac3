// How `deskbot tickets list|show` print: a fixed-width table, one ticket as labelled lines, and JSON with bigint ids
// as strings. Nothing here reads the database.
import { feeAtOpenSummary, storedTicketFee } from '../../domain/fee-at-open.ts';
import type { Policy } from '../../domain/policy.ts';
import { formatMoney } from '../../domain/format.ts';
import type { ConversationEntry } from '../../store/ticket-conversation.ts';
import type { TicketDetail, TicketOverviewRow } from '../../store/ticket-overview.ts';
import { oneLine } from '../table-text.ts';

const listColumns = ['REQUEST', 'STATUS', 'SEV', 'CUSTOMER', 'REQUESTER', 'NEXT DUE', 'SLA', 'SUBJECT'] as const;

const iso = (at: Date | null | undefined): string => (at ? at.toISOString() : '-');

/** JSON with bigint values (event and timer ids, budgets) as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

function slaState(row: TicketOverviewRow): string {
  if (row.breached) return 'breached';
  if (row.warned) return 'at risk';
  return row.nextDueAt ? 'ok' : '-';
}

/** One row per ticket; the subject last and shortened. */
export function formatTicketTable(rows: readonly TicketOverviewRow[]): string {
  const cells = rows.map((row) => [
    row.requestId,
    row.status,
    String(row.severity),
    row.party,
    row.requester,
    row.nextDueAt ? `${row.nextTarget ?? ''} ${iso(row.nextDueAt)}`.trim() : '-',
    slaState(row),
    oneLine(row.subject, 60),
  ]);
  const widths = listColumns.map((column, index) => Math.max(column.length, ...cells.map((row) => row[index]!.length)));
  const render = (line: readonly string[]) => line.map((cell, index) => (index === line.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [render(listColumns), ...cells.map(render)].join('\n');
}

function timerLine(timer: TicketDetail['slaTimers'][number], now: Date): string {
  const state = timer.metAt
    ? `met ${iso(timer.metAt)}`
    : timer.remainingMs !== null
      ? `paused, ${Math.round(Number(timer.remainingMs) / 60_000)} min of support time left`
      : timer.breachedAt
        ? `breached ${iso(timer.breachedAt)}`
        : timer.dueAt && timer.dueAt.getTime() <= now.getTime()
          ? 'running, overdue'
          : 'running';
  const cycle = timer.cycle > 1 ? ` (cycle ${timer.cycle})` : '';
  return `${timer.target}${cycle}: due ${iso(timer.dueAt)}, ${state}`;
}

const money = (amountMinor: number, currency: string) => formatMoney(amountMinor, currency, 'en', { display: 'code' });

/** The charge: what closing decided, or before a close the fee told at open (free and why, or the locked fee). */
function chargeLine(ticket: TicketDetail, policy: Policy): string {
  const locked = `fee locked at open ${money(ticket.priceMinor, ticket.priceCurrency)}`;
  const decision = ticket.lastChargeDecision;
  if (ticket.charge) return `charged ${money(ticket.charge.amountMinor, ticket.charge.currency)} (${ticket.charge.reason}, ${iso(ticket.charge.decidedAt)})`;
  if (decision) return `no charge: ${decision.reason}${decision.overridden ? ` (overridden: ${decision.overrideReason ?? ''})` : ''}; ${locked}`;
  const fee = storedTicketFee(policy, ticket);
  return `not decided until close; ${feeAtOpenSummary(fee)}${ticket.awaitingAgreement ? '; waiting for the customer\'s "I agree"' : ''}`;
}

function conversationLines(conversation: readonly ConversationEntry[]): string[] {
  if (conversation.length === 0) return ['  (no mail recorded)'];
  return conversation.flatMap((entry) => {
    const to = entry.to.length ? ` to ${entry.to.join(', ')}` : '';
    const who = entry.direction === 'in' ? `from ${entry.from ?? '?'}${to}` : `to ${entry.to.join(', ') || '?'}`;
    const cc = entry.cc.length ? ` cc ${entry.cc.join(', ')}` : '';
    const lines = [`  ${iso(entry.at)}  ${entry.direction === 'in' ? 'in ' : 'out'}  ${who}${cc}  "${oneLine(entry.subject ?? '', 80)}"  (${entry.note})`];
    if (entry.attachments.length) lines.push(`      attachments: ${entry.attachments.join(', ')}`);
    return lines;
  });
}

function eventLine(event: TicketDetail['events'][number]): string {
  const detail = event.detail && typeof event.detail === 'object' && Object.keys(event.detail).length ? `  ${oneLine(toJson(event.detail), 100)}` : '';
  return `  ${iso(event.at)}  ${event.type}${event.actor ? ` by ${event.actor}` : ''}${detail}`;
}

/** Labelled lines: who, what, SLA, charge, then the conversation and the event history. */
export function formatTicketDetail(ticket: TicketDetail, conversation: readonly ConversationEntry[], now: Date, policy: Policy): string {
  const party = ticket.customer
    ? `${ticket.customer.key} (${ticket.customer.name})`
    : ticket.partner
      ? `partner ${ticket.partner.partnerId} (${ticket.partner.name})`
      : '-';
  const requester = `${ticket.requesterName ? `${ticket.requesterName} <${ticket.requesterEmail}>` : ticket.requesterEmail} (${ticket.requesterKind})`;
  const product = [ticket.product, ticket.productVersion].filter(Boolean).join(' ') || '-';
  const rows: Array<[string, string]> = [
    ['customer', party],
    ['requester', requester],
    ['severity', String(ticket.severity)],
    ['status', `${ticket.status}${ticket.outcome ? ` (${ticket.outcome}${ticket.exclusion ? `, ${ticket.exclusion}` : ''})` : ''}`],
    ['assignee', ticket.assigneeSlackId ?? '-'],
    ['licence', ticket.licence ? `${ticket.licence.number} (${ticket.licence.product}, ${ticket.licence.type})` : '-'],
    ['product', product],
    ['support', `${ticket.supportLevel}, calendar ${ticket.calendar}`],
    ['opened', iso(ticket.openedAt)],
    ['closed', iso(ticket.closedAt)],
    ['missing', ticket.missingInfo.length ? ticket.missingInfo.join(', ') : '-'],
    ['charge', chargeLine(ticket, policy)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length), 'SLA'.length);
  const label = (name: string) => `  ${name.padEnd(width)}  `;
  const sla = ticket.slaTimers.length ? ticket.slaTimers.map((timer) => timerLine(timer, now)) : ['no SLA clock running (request incomplete or not started)'];
  return [
    `${ticket.requestId}  ${oneLine(ticket.subject, 100)}`,
    ...rows.map(([name, value]) => `${label(name)}${value}`),
    ...sla.map((line, index) => `${index === 0 ? label('SLA') : ' '.repeat(width + 4)}${line}`),
    '',
    'Conversation',
    ...conversationLines(conversation),
    '',
    'History',
    ...(ticket.events.length ? ticket.events.map(eventLine) : ['  (no events)']),
    '',
  ].join('\n');
}
