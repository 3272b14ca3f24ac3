// Small formatting pieces every Slack message of deskbot shares: dates in the reader's time zone, time left to a
// due instant, mentions, quotes, labels. Customer text is escaped by the caller with escape.ts before it gets here.
import { formatElapsed } from '../../../domain/format.ts';
import type { Policy } from '../../../domain/policy.ts';
import { slaTargetLabel } from '../../../domain/sla/index.ts';
import { escapeExcerpt, escapeLine } from '../escape.ts';

/** `<!date^…>`: Slack shows the instant in each reader's own time zone; the fallback is UTC. */
export function slackDate(date: Date): string {
  const seconds = Math.floor(date.getTime() / 1000);
  const fallback = `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${seconds}^{date_short_pretty} {time}|${fallback}>`;
}

/** "in 3 h 20 min" or "4 h overdue". */
export function timeLeft(due: Date, now: Date): string {
  const ms = due.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatElapsed(ms)}` : `${formatElapsed(-ms)} overdue`;
}

const slackUserPattern = /^[UW][A-Z0-9]{2,}$/;

/** A Slack user ID as a mention; an address or name as escaped text; "deskbot" for the bot itself. */
export function actorLabel(actor: string | null | undefined): string {
  if (!actor) return 'someone';
  if (slackUserPattern.test(actor)) return `<@${actor}>`;
  return escapeLine(actor, 120);
}

export function isSlackUserId(value: string): boolean {
  return slackUserPattern.test(value);
}

/** Customer text as a block quote: escaped, cut, each line prefixed with "> ". */
export function quote(text: string, max = 600): string {
  return escapeExcerpt(text, max)
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
}

export function severityLabel(policy: Policy, severity: number): string {
  const name = policy.sla.severities[String(severity) as keyof Policy['sla']['severities']]?.name;
  return name ? `${severity} ${name}` : String(severity);
}

export function targetLabel(target: string): string {
  return slaTargetLabel(target);
}

/** One SLA state mark: breached, past its warning point, or on track. */
export function slaMark(state: { breached: boolean; warned: boolean }): string {
  if (state.breached) return ':red_circle:';
  if (state.warned) return ':large_orange_circle:';
  return ':large_green_circle:';
}

export const statusLabels: Record<string, string> = {
  new: 'Incomplete (SLA clock not started)',
  open: 'Open',
  waiting: 'Waiting on customer (SLA clock paused)',
  closed: 'Closed',
};
