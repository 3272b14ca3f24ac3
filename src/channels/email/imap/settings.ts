// The IMAP intake's settings (a typed slice of the configuration) and its timers, with their defaults.
import type { Config } from '../../../config.ts';
import { isIsoDate } from '../../../domain/iso-date.ts';
import { DeskbotError } from '../../../errors.ts';
import { readCaFile } from '../ca-file.ts';
import type { BackoffOptions } from './backoff.ts';

/** The IMAP slice of the configuration. */
export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
  /** PEM text of a private CA (IMAP_TLS_CA_FILE), trusted in addition to the system's. */
  ca?: string;
  user: string;
  password: string;
  mailbox: string;
  processedAction: 'flag' | 'move';
  processedFlag: string;
  /** Written with `/` between levels; the session swaps in the delimiter the server announces in LIST. */
  processedFolder: string;
  /** Where a mailbox without a stored resume point starts (IMAP_START, whose own default is 'new'); unset: 'all'. */
  start?: ImapStart;
  maxBytes: number;
  /**
   * Messages in the handler's hands at once (IMAP_CONCURRENCY). 1, the default, handles them strictly one after
   * another; above 1 they are still handed over in UID order, each is marked processed once its own handler
   * committed, and the resume point stops before the first UID not yet committed.
   */
  concurrency?: number;
  /** Raw bytes fetched and not yet handled, at most (one message is always admitted); default max(maxBytes, 32 MiB). */
  maxBytesInFlight?: number;
}

/** new: only mail arriving after the first start; all: the whole backlog; since: mail the server received on or after a day. */
export type ImapStart = { kind: 'new' } | { kind: 'all' } | { kind: 'since'; day: Date };

/** Reads IMAP_START (`new`, `all`, `since:YYYY-MM-DD`). */
export function parseImapStart(text: string): ImapStart {
  if (text === 'new' || text === 'all') return { kind: text };
  const match = /^since:(\d{4}-\d{2}-\d{2})$/.exec(text);
  // A day that does not exist (2026-02-30) is refused, not rolled over to March.
  if (!match || !isIsoDate(match[1]!)) throw new DeskbotError('CONFIG_INVALID', `IMAP_START: ${text} is not new, all or since:YYYY-MM-DD`);
  return { kind: 'since', day: new Date(`${match[1]}T00:00:00Z`) };
}

export function imapSettingsFromConfig(config: Config): ImapSettings {
  if (!config.IMAP_HOST || !config.IMAP_USER || !config.IMAP_PASSWORD) {
    throw new DeskbotError('CONFIG_INVALID', 'IMAP_HOST, IMAP_USER and IMAP_PASSWORD are required for IMAP intake');
  }
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    rejectUnauthorized: config.IMAP_TLS_REJECT_UNAUTHORIZED,
    ...(config.IMAP_TLS_CA_FILE ? { ca: readCaFile('IMAP_TLS_CA_FILE', config.IMAP_TLS_CA_FILE) } : {}),
    user: config.IMAP_USER,
    password: config.IMAP_PASSWORD,
    mailbox: config.IMAP_MAILBOX,
    processedAction: config.IMAP_PROCESSED_ACTION ?? (config.IMAP_PROCESSED_FOLDER ? 'move' : 'flag'),
    processedFlag: config.IMAP_PROCESSED_FLAG,
    processedFolder: config.IMAP_PROCESSED_FOLDER ?? 'Processed',
    start: parseImapStart(config.IMAP_START),
    maxBytes: config.MAIL_MAX_BYTES,
    concurrency: config.IMAP_CONCURRENCY,
  };
}

/** Timers of the source. None of them is a polling interval: new mail arrives through IDLE. */
export interface ImapTimings {
  /** Break and re-issue IDLE this often; RFC 2177 asks clients to do so within 29 minutes. */
  maxIdleMs: number;
  /** Send a NOOP after this much quiet time to prove the connection is alive. */
  watchdogIntervalMs: number;
  /** A NOOP (or LOGOUT) unanswered for this long means the connection is dead. */
  watchdogTimeoutMs: number;
  /** Safety net: search the mailbox again (and retry messages that failed with a bug) this often. */
  rescanIntervalMs: number;
  connectTimeoutMs: number;
  /** imapflow's socket inactivity timeout. */
  socketTimeoutMs: number;
  reconnect: BackoffOptions;
  /** Back-off for a handler that rejects with a retryable error (database down). */
  retry: BackoffOptions;
  /** How long stop() waits for the message in hand before closing the connection anyway. */
  stopTimeoutMs: number;
  /** At most this many candidate UIDs per batch run; a larger backlog takes several runs (bounded memory). */
  batchUids: number;
}

export const defaultImapTimings: ImapTimings = {
  maxIdleMs: 29 * 60_000,
  watchdogIntervalMs: 60_000,
  watchdogTimeoutMs: 15_000,
  rescanIntervalMs: 15 * 60_000,
  connectTimeoutMs: 15_000,
  socketTimeoutMs: 5 * 60_000,
  // Capped at 15 s so that a server back after an outage is reconnected to within seconds, not a minute.
  reconnect: { initialMs: 1_000, maxMs: 15_000 },
  retry: { initialMs: 1_000, maxMs: 60_000 },
  stopTimeoutMs: 5_000,
  batchUids: 200,
};
