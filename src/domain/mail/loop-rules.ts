// Mail-loop and auto-reply protection (RFC 3834): which messages are machine-made, which must never be answered
// automatically, and how much automatic mail one address may get. Pure functions over parsed headers and send times;
// reading the AutoMailLog and deciding what to do with a message is the caller's work.
import { isOwnAddress } from './customer-text.ts';
import { headerValue, type MailHeaders } from './headers.ts';
import { isDeskbotMessageId } from './message-id.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** One step of the automatic-mail throttle: at most `max` automatic messages to one address within `windowMs`. */
export interface AutoMailLimit {
  windowMs: number;
  max: number;
}

/**
 * Stepped limits on automatic mail (acknowledgements, notices) to any one address, all kinds together, so that two
 * bots answering each other stop within minutes: 10 in 10 minutes, 25 in an hour, 50 a day.
 */
export const autoMailLimits: readonly AutoMailLimit[] = [
  { windowMs: 10 * MINUTE_MS, max: 10 },
  { windowMs: HOUR_MS, max: 25 },
  { windowMs: DAY_MS, max: 50 },
];

/** The longest window of `autoMailLimits`: how far back the caller must read the AutoMailLog. */
export const autoMailWindowMs = Math.max(...autoMailLimits.map((limit) => limit.windowMs));

/** A not-eligible sender gets at most one notice per this interval. */
export const notEligibleNoticeIntervalMs = DAY_MS;

/** What a machine-made message is. */
export const automaticKinds = ['own-mail', 'delivery-report', 'auto-reply', 'bulk'] as const;
export type AutomaticKind = (typeof automaticKinds)[number];

export interface AutomaticMail {
  kind: AutomaticKind;
  /** Which header or rule said so, e.g. `auto-submitted: auto-replied`, `list-id`, `own message-id`. */
  reason: string;
}

export interface ClassifyMailInput {
  headers: MailHeaders;
  messageId: string;
  /** Bare From address (null when there is none). */
  from: string | null;
  /** Our SUPPORT_ADDRESS. */
  supportAddress: string;
  /** Whether the MIME structure is a delivery report (see parse-message's deliveryReport). */
  isDeliveryReport: boolean;
}

/** X-Auto-Response-Suppress tokens (Microsoft, [MS-OXCMAIL] 2.2.3.2.14) that ask us not to auto-answer. */
const suppressTokens = new Set(['all', 'autoreply', 'oof', 'dr', 'ndr', 'rn', 'nrn']);
const bulkPrecedence = new Set(['bulk', 'list', 'junk']);

function first(headers: MailHeaders, name: string): string | undefined {
  const value = headerValue(headers, name);
  return value === undefined
    ? undefined
    : value
        .replace(/\([^)]*\)/g, ' ')
        .trim()
        .toLowerCase();
}

/** Our own outgoing mail coming back: our Message-ID form, our address (also `support+tag@`) as sender, or our request-ID header. */
export function ownMailReason(input: Pick<ClassifyMailInput, 'headers' | 'messageId' | 'from' | 'supportAddress'>): string | null {
  if (isDeskbotMessageId(input.messageId)) return 'own message-id';
  if (isOwnAddress(input.from, input.supportAddress)) return 'own address as sender';
  if (input.headers.has('x-deskbot-request-id')) return 'x-deskbot-request-id header';
  return null;
}

/** MAILER-DAEMON or postmaster (RFC 5321 4.5.1), the senders of bounces. */
export function isMailerDaemon(address: string | null): boolean {
  return address !== null && /^(mailer-daemon|postmaster)@/i.test(address);
}

/** A null reverse path (`Return-Path: <>`), which RFC 3834 3.3 and RFC 5321 use for automatic mail. */
export function hasNullReturnPath(headers: MailHeaders): boolean {
  return (headers.get('return-path') ?? []).some((value) => /^<\s*>$/.test(value.trim()));
}

/**
 * Why a message says it was sent automatically (an auto-reply, out-of-office, vacation notice), or null:
 * `Auto-Submitted` other than `no` (RFC 3834 5), `X-Autoreply`, `X-Autorespond`, `Precedence: auto_reply`,
 * or a null return path.
 */
export function autoReplyReason(headers: MailHeaders): string | null {
  const autoSubmitted = first(headers, 'auto-submitted');
  if (autoSubmitted !== undefined && autoSubmitted.split(/[\s;]/)[0] !== 'no') return `auto-submitted: ${autoSubmitted.split(/[\s;]/)[0]}`;
  if (headers.has('x-autoreply')) return 'x-autoreply';
  if (headers.has('x-autorespond')) return 'x-autorespond';
  if (first(headers, 'precedence') === 'auto_reply') return 'precedence: auto_reply';
  if (hasNullReturnPath(headers)) return 'null return path';
  return null;
}

/** Why a message is list or bulk mail, or null: `Precedence: bulk|list|junk` or any `List-*` header (RFC 2369, 2919). */
export function bulkReason(headers: MailHeaders): string | null {
  const precedence = first(headers, 'precedence');
  if (precedence !== undefined && bulkPrecedence.has(precedence)) return `precedence: ${precedence}`;
  for (const name of headers.keys()) if (name.startsWith('list-')) return name;
  return null;
}

/** Why the sender asked for no automatic answer (`X-Auto-Response-Suppress`), or null. */
export function answerSuppressedReason(headers: MailHeaders): string | null {
  const tokens = (headers.get('x-auto-response-suppress') ?? []).flatMap((value) => value.toLowerCase().split(/[\s,;]+/));
  const found = tokens.find((token) => suppressTokens.has(token));
  return found === undefined ? null : `x-auto-response-suppress: ${found}`;
}

/**
 * What machine made a message, first match wins: our own mail (a loop), a delivery report or MAILER-DAEMON mail,
 * an auto-reply, list/bulk mail. Null for mail a person wrote. None of these is ever answered automatically.
 */
export function classifyAutomaticMail(input: ClassifyMailInput): AutomaticMail | null {
  const own = ownMailReason(input);
  if (own) return { kind: 'own-mail', reason: own };
  if (input.isDeliveryReport) return { kind: 'delivery-report', reason: isMailerDaemon(input.from) ? 'mailer-daemon' : 'delivery-status report' };
  if (isMailerDaemon(input.from)) return { kind: 'delivery-report', reason: 'mailer-daemon' };
  const autoReply = autoReplyReason(input.headers);
  if (autoReply) return { kind: 'auto-reply', reason: autoReply };
  const bulk = bulkReason(input.headers);
  if (bulk) return { kind: 'bulk', reason: bulk };
  return null;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; limit: AutoMailLimit; sent: number };

/**
 * Whether one more automatic message may go to an address that was sent automatic mail at `sentAt` (any order).
 * Counts sends in (now - windowMs, now] for each step of `limits`; the first full step refuses.
 */
export function throttleAutoMail(sentAt: readonly Date[], now: Date, limits: readonly AutoMailLimit[] = autoMailLimits): ThrottleVerdict {
  const nowMs = now.getTime();
  for (const limit of limits) {
    const sent = sentAt.filter((at) => at.getTime() > nowMs - limit.windowMs && at.getTime() <= nowMs).length;
    if (sent >= limit.max) return { allowed: false, limit, sent };
  }
  return { allowed: true };
}

/** Whether a not-eligible notice may go to an address whose last one went at `lastNoticeAt`. */
export function notEligibleNoticeDue(lastNoticeAt: Date | null, now: Date): boolean {
  return lastNoticeAt === null || now.getTime() - lastNoticeAt.getTime() >= notEligibleNoticeIntervalMs;
}
