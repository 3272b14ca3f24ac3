// Parses the text of the `/support` slash command into one sub-command, with a usage line and help for each.
// Pure: no Slack, no store. Slack sends mentions escaped (`<@U123|name>`) because the manifest sets should_escape;
// every free-text argument is decoded once here (slack-text.ts), so output escapes it exactly once.
import { closeOutcomes, exclusions, type CloseOutcome, type Exclusion } from '../../../domain/billing.ts';
import { parseRequestId } from '../../../domain/request-id.ts';
import { ticketListFilters, type TicketListFilter } from '../../../store/ticket-queries.ts';
import { decodeSlackText } from './slack-text.ts';

/** A reporting period for `breaches`: the last N days/weeks, or a calendar month (UTC). */
export type BreachPeriod = { kind: 'days'; days: number; label: string } | { kind: 'month'; offset: 0 | -1; label: string };

export type SupportCommand =
  | { name: 'help'; topic?: string | undefined }
  | { name: 'list'; filter: TicketListFilter }
  | { name: 'show'; requestId: string }
  | { name: 'assign'; requestId: string; assignee: string | 'me' }
  | { name: 'severity'; requestId: string; severity: number }
  | { name: 'wait'; requestId: string }
  | { name: 'resume'; requestId: string }
  | { name: 'respond'; requestId: string; text: string }
  | {
      name: 'close';
      requestId: string;
      outcome: CloseOutcome;
      exclusion?: Exclusion | undefined;
      charge?: 'charge' | 'no-charge' | undefined;
      reason?: string | undefined;
    }
  | { name: 'reopen'; requestId: string; reason?: string | undefined }
  | { name: 'split'; requestId: string; subject?: string | undefined }
  | { name: 'callers'; customer: string }
  | { name: 'breaches'; period: BreachPeriod }
  | { name: 'workaround'; requestId: string; text: string }
  | { name: 'agreed'; requestId: string }
  | { name: 'presales'; requestId: string }
  | { name: 'postmortem'; requestId: string; notes: string }
  /** A request taken by phone; without `call` the engineer gets the form (a modal). */
  | { name: 'open'; call?: { callerEmail: string; severity: number; subject: string } | undefined }
  | { name: 'retry'; messageId: string };

export type SupportCommandName = SupportCommand['name'];

export type ParseResult = { ok: true; command: SupportCommand } | { ok: false; error: string; usage: string };

/** Usage line and one-sentence help of each sub-command, in the order `help` lists them. */
export const subCommands: Record<SupportCommandName, { usage: string; help: string }> = {
  list: { usage: 'list [mine|open|breaching|waiting]', help: 'Open requests, the nearest SLA due time first (default: open).' },
  show: { usage: 'show SR-2026-000123', help: 'One request: customer, requester, severity, status, SLA targets, recent history.' },
  assign: { usage: 'assign SR-2026-000123 @user', help: 'Assign the request to someone (or `me`).' },
  severity: { usage: 'severity SR-2026-000123 1-5', help: 'Set the severity (5 Critical … 1 feature request); the SLA targets follow.' },
  wait: { usage: 'wait SR-2026-000123', help: 'Waiting on the customer: the SLA clock is paused.' },
  resume: { usage: 'resume SR-2026-000123', help: 'No longer waiting on the customer: the SLA clock runs again.' },
  respond: { usage: 'respond SR-2026-000123 <text>', help: 'E-mail <text> to the customer; counts as the initial response or a progress update.' },
  close: {
    usage: `close SR-2026-000123 resolved|bug|rma|excluded <${Object.keys(exclusions).join('|')}>|exceptional|duplicate|documentation [charge|no-charge] [reason]`,
    help: 'Close the request; deskbot decides the charge. `charge`/`no-charge` overrides it and needs a reason; exceptional needs both.',
  },
  reopen: { usage: 'reopen SR-2026-000123 [reason]', help: 'Reopen a closed request (it is never charged twice).' },
  split: {
    usage: 'split SR-2026-000123 [subject of the new request]',
    help: 'The request holds several issues: split one off as its own incident, with its own request ID, fee and SLA clock.',
  },
  callers: { usage: 'callers <customer key or name>', help: 'Who may open requests for a customer (its eligible callers).' },
  breaches: { usage: 'breaches [7d|30d|4w|this-month|last-month]', help: 'SLA breaches in a period (default: the last 7 days).' },
  workaround: {
    usage: 'workaround SR-2026-000123 <text>',
    help: 'E-mail a workaround to the customer like respond; it meets the resolution objective and the request stays open until closed.',
  },
  agreed: {
    usage: 'agreed SR-2026-000123',
    help: 'The customer agreed to the paid-support terms by phone: recorded once for the customer; its SLA clock starts.',
  },
  presales: { usage: 'presales SR-2026-000123', help: 'Mark the request as a pre-sales question: it is free.' },
  postmortem: { usage: 'postmortem SR-2026-000123 <notes>', help: 'Record the post-mortem of a request that missed an SLA objective.' },
  open: {
    usage: 'open <caller e-mail> <severity 1-5> <subject…>',
    help: 'A request taken by phone: the caller is checked like a mail sender and gets the acknowledgement by e-mail. Without arguments: a form.',
  },
  retry: { usage: 'retry <message-id>', help: 'Managers: run a mail rejected as not eligible through intake again, e.g. after the directory changed.' },
  help: { usage: 'help [sub-command]', help: 'This list, or the help of one sub-command.' },
};

/** Other words engineers reach for, each the same as a sub-command (`/support reply …` is `respond`). */
export const subCommandAliases: Readonly<Record<string, SupportCommandName>> = { reply: 'respond', pause: 'wait', unpause: 'resume' };

/** A sub-command by its name or an alias (any case); undefined when it is neither. */
function subCommandNamed(word: string): SupportCommandName | undefined {
  const name = word.toLowerCase();
  if (Object.hasOwn(subCommands, name)) return name as SupportCommandName;
  return Object.hasOwn(subCommandAliases, name) ? subCommandAliases[name] : undefined;
}

/** The whole help text, with the configured command name (e.g. /support). */
export function helpText(command: string, topic?: string): string {
  const named = topic ? subCommandNamed(topic) : undefined;
  const entry = named ? subCommands[named] : undefined;
  if (entry) return `\`${command} ${entry.usage}\`\n${entry.help}`;
  const lines = (Object.keys(subCommands) as SupportCommandName[]).map((name) => `• \`${command} ${subCommands[name].usage}\` — ${subCommands[name].help}`);
  const aliases = Object.entries(subCommandAliases).map(([alias, name]) => `\`${alias}\` = \`${name}\``);
  return [`*${command}* — the support desk from Slack:`, ...lines, `Also understood: ${aliases.join(', ')}.`].join('\n');
}

function usageOf(name: SupportCommandName): string {
  return subCommands[name].usage;
}

function fail(name: SupportCommandName, error: string): ParseResult {
  return { ok: false, error, usage: usageOf(name) };
}

/** `<@U123|name>`, `<@U123>`, `U123`, or `me`. */
function parseUser(token: string): string | 'me' | null {
  if (token.toLowerCase() === 'me') return 'me';
  const mention = /^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$/.exec(token);
  if (mention) return mention[1]!;
  return /^[UW][A-Z0-9]{2,}$/.test(token) ? token : null;
}

/** Slack escapes &, < and > in command text; a Message-ID token is wanted back as typed (free text: decodeSlackText). */
function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** An address as typed, or as Slack links it (`<mailto:jane@acme.example|jane@acme.example>`). */
function parseEmail(token: string): string | null {
  const linked = /^<mailto:([^|>]+)(?:\|[^>]*)?>$/.exec(token);
  const address = (linked ? linked[1]! : token).trim().toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(address) ? address : null;
}

/** A Message-ID with or without its brackets, also as Slack escapes (`&lt;a@b&gt;`) or links it (`<mailto:a@b|a@b>`). */
function parseMessageId(token: string): string | null {
  const text = unescapeSlack(token);
  const linked = /^<?<mailto:([^|>]+)(?:\|[^>]*)?>>?$/.exec(text);
  const bare = (linked ? linked[1]! : text).replace(/^<(.*)>$/, '$1');
  return /^[^\s<>]+@[^\s<>]+$/.test(bare) ? `<${bare}>` : null;
}

export function parseBreachPeriod(text: string | undefined): BreachPeriod | null {
  const value = (text ?? '7d').trim().toLowerCase();
  if (value === 'this-month') return { kind: 'month', offset: 0, label: 'this month' };
  if (value === 'last-month') return { kind: 'month', offset: -1, label: 'last month' };
  if (value === 'today') return { kind: 'days', days: 1, label: 'the last 24 hours' };
  const match = /^(\d{1,3})\s*(d|w)$/.exec(value);
  if (!match) return null;
  const days = Number(match[1]) * (match[2] === 'w' ? 7 : 1);
  if (days < 1 || days > 366) return null;
  return { kind: 'days', days, label: `the last ${days} day${days === 1 ? '' : 's'}` };
}

/** The instants a period covers, ending at `now` (months are UTC calendar months). */
export function periodRange(period: BreachPeriod, now: Date): { from: Date; to: Date } {
  if (period.kind === 'days') return { from: new Date(now.getTime() - period.days * 86_400_000), to: now };
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + period.offset, 1));
  const end = period.offset === 0 ? now : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  return { from: start, to: end };
}

/** Splits off the first `count` words; the rest is kept verbatim (texts and reasons keep their spacing). */
function words(text: string, count: number): { head: string[]; rest: string } {
  const head: string[] = [];
  let rest = text.trim();
  while (head.length < count && rest !== '') {
    const match = /^(\S+)\s*/.exec(rest)!;
    head.push(match[1]!);
    rest = rest.slice(match[0].length);
  }
  return { head, rest };
}

/** Parses the text after the command name. An empty text is `help`. */
export function parseSupportCommand(text: string): ParseResult {
  const { head, rest } = words(text, 1);
  const word = head[0] ?? 'help';
  const sub = subCommandNamed(word);
  if (!sub) {
    return { ok: false, error: `Unknown sub-command "${word.toLowerCase().slice(0, 40)}".`, usage: `{${Object.keys(subCommands).join('|')}} …` };
  }
  const withRequest = (): { requestId: string; rest: string } | { error: string } => {
    const next = words(rest, 1);
    const token = next.head[0];
    if (!token) return { error: 'Name the request, e.g. SR-2026-000123.' };
    const parsed = parseRequestId(token);
    if (!parsed) return { error: `"${token.slice(0, 40)}" is not a request ID like SR-2026-000123.` };
    return { requestId: parsed.requestId, rest: next.rest };
  };

  switch (sub) {
    case 'help': {
      const topic = words(rest, 1).head[0]?.toLowerCase();
      return { ok: true, command: { name: 'help', topic } };
    }
    case 'list': {
      const filter = (words(rest, 1).head[0] ?? 'open').toLowerCase();
      if (!(ticketListFilters as readonly string[]).includes(filter)) return fail('list', `Unknown list "${filter.slice(0, 40)}".`);
      if (words(rest, 1).rest !== '') return fail('list', 'Too many words.');
      return { ok: true, command: { name: 'list', filter: filter as TicketListFilter } };
    }
    case 'callers': {
      if (rest === '') return fail('callers', 'Name a customer.');
      return { ok: true, command: { name: 'callers', customer: decodeSlackText(rest) } };
    }
    case 'breaches': {
      const period = parseBreachPeriod(rest === '' ? undefined : rest);
      if (!period) return fail('breaches', `Unknown period "${rest.slice(0, 40)}".`);
      return { ok: true, command: { name: 'breaches', period } };
    }
    case 'open': {
      if (rest === '') return { ok: true, command: { name: 'open' } };
      const {
        head: [emailToken, severityToken],
        rest: subject,
      } = words(rest, 2);
      const callerEmail = emailToken ? parseEmail(emailToken) : null;
      if (!callerEmail) return fail('open', 'Start with the caller’s e-mail address.');
      if (!severityToken || !/^[1-5]$/.test(severityToken)) return fail('open', 'Severity is a whole number from 1 to 5.');
      if (subject === '') return fail('open', 'Give the subject of the request.');
      return { ok: true, command: { name: 'open', call: { callerEmail, severity: Number(severityToken), subject: decodeSlackText(subject) } } };
    }
    case 'retry': {
      const {
        head: [token],
        rest: extra,
      } = words(rest, 1);
      const messageId = token ? parseMessageId(token) : null;
      if (!messageId || extra !== '') return fail('retry', 'Give one Message-ID, e.g. <abc@example.com>.');
      return { ok: true, command: { name: 'retry', messageId } };
    }
    default:
      break;
  }

  const target = withRequest();
  if ('error' in target) return fail(sub, target.error);
  const { requestId } = target;
  const after = target.rest;
  switch (sub) {
    case 'show':
    case 'wait':
    case 'resume':
    case 'agreed':
    case 'presales':
      if (after !== '') return fail(sub, 'Too many words.');
      return { ok: true, command: { name: sub, requestId } };
    case 'workaround':
      if (after === '') return fail('workaround', 'Write the workaround to send to the customer.');
      return { ok: true, command: { name: 'workaround', requestId, text: decodeSlackText(after) } };
    case 'postmortem':
      if (after === '') return fail('postmortem', 'Write the post-mortem notes.');
      return { ok: true, command: { name: 'postmortem', requestId, notes: decodeSlackText(after) } };
    case 'reopen':
      return { ok: true, command: { name: 'reopen', requestId, reason: after ? decodeSlackText(after) : undefined } };
    case 'split':
      return { ok: true, command: { name: 'split', requestId, subject: after ? decodeSlackText(after) : undefined } };
    case 'respond':
      if (after === '') return fail('respond', 'Write the text to send to the customer.');
      return { ok: true, command: { name: 'respond', requestId, text: decodeSlackText(after) } };
    case 'assign': {
      const {
        head: [token],
        rest: extra,
      } = words(after, 1);
      const assignee = token ? parseUser(token) : null;
      if (!assignee || extra !== '') return fail('assign', 'Mention one user, e.g. @jane, or write `me`.');
      return { ok: true, command: { name: 'assign', requestId, assignee } };
    }
    case 'severity': {
      const {
        head: [token],
        rest: extra,
      } = words(after, 1);
      const severity = Number(token);
      if (!token || !/^[1-5]$/.test(token) || extra !== '') return fail('severity', 'Severity is a whole number from 1 to 5.');
      return { ok: true, command: { name: 'severity', requestId, severity } };
    }
    case 'close': {
      let {
        head: [outcomeToken],
        rest: remaining,
      } = words(after, 1);
      const outcome = outcomeToken?.toLowerCase();
      if (!outcome || !(closeOutcomes as readonly string[]).includes(outcome)) {
        const named = outcomeToken ? `"${outcomeToken.slice(0, 40)}" is no outcome. ` : '';
        return fail('close', `${named}Give the outcome: one of ${closeOutcomes.join(', ')}.`);
      }
      let exclusion: Exclusion | undefined;
      if (outcome === 'excluded') {
        const next = words(remaining, 1);
        const key = next.head[0]?.toLowerCase();
        if (!key || !Object.hasOwn(exclusions, key)) return fail('close', `An excluded closure names why: ${Object.keys(exclusions).join(', ')}.`);
        exclusion = key as Exclusion;
        remaining = next.rest;
      }
      let charge: 'charge' | 'no-charge' | undefined;
      const next = words(remaining, 1);
      const chargeToken = next.head[0]?.toLowerCase();
      if (chargeToken === 'charge' || chargeToken === 'no-charge') {
        charge = chargeToken;
        remaining = next.rest;
      }
      const reason = remaining.trim() ? decodeSlackText(remaining.trim()) : undefined;
      if (outcome === 'exceptional' && (!charge || !reason)) return fail('close', 'An exceptional closure needs `charge` or `no-charge` and a reason.');
      if (charge && !reason) return fail('close', 'Overriding the charge needs a reason.');
      return { ok: true, command: { name: 'close', requestId, outcome: outcome as CloseOutcome, exclusion, charge, reason } };
    }
    default:
      return fail('help', 'Unknown sub-command.');
  }
}
