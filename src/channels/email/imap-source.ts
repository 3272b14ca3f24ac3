// IMAP push intake: IDLE on one mailbox, hand new messages to the inbound handler in UID order (one at a time, or up
// to `concurrency` at once), mark each processed only after its handler committed, and resume from MailboxState,
// which only ever moves over a contiguous run of committed UIDs. Parsing and ticket policy live elsewhere.
import { ImapFlow, type FetchMessageObject, type ImapFlowError, type Logger as ImapFlowLogger, type SearchObject } from 'imapflow';
import type { Config } from '../../config.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import type { HealthRegistry, PartState } from '../../health.ts';
import type { Logger } from '../../logger.ts';
import type { InboundMailHandler, InboundResult, InboundSource, Service } from '../../app/ports.ts';
import type { MailboxPosition, MailboxStateRepository } from '../../store/mailbox-state-repository.ts';
import { metrics } from '../../metrics.ts';
import { backoffDelay, type BackoffOptions } from '../../domain/backoff.ts';

/**
 * Handles a message larger than MAIL_MAX_BYTES without downloading it: only its header block and size.
 * Implemented by `handleOversizedEmail` in src/app/handle-inbound-email.ts (quarantine); same commit and
 * idempotency rules as {@link InboundMailHandler}.
 */
export type OversizedMailHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

/** The IMAP slice of the configuration. */
export interface ImapSettings {
  host: string;
  port: number;
  secure: boolean;
  rejectUnauthorized: boolean;
  user: string;
  password: string;
  mailbox: string;
  processedAction: 'flag' | 'move';
  processedFlag: string;
  processedFolder: string;
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

export function imapSettingsFromConfig(config: Config): ImapSettings {
  if (!config.IMAP_HOST || !config.IMAP_USER || !config.IMAP_PASSWORD) {
    throw new DeskbotError('CONFIG_INVALID', 'IMAP_HOST, IMAP_USER and IMAP_PASSWORD are required for IMAP intake');
  }
  return {
    host: config.IMAP_HOST,
    port: config.IMAP_PORT,
    secure: config.IMAP_SECURE,
    rejectUnauthorized: config.IMAP_TLS_REJECT_UNAUTHORIZED,
    user: config.IMAP_USER,
    password: config.IMAP_PASSWORD,
    mailbox: config.IMAP_MAILBOX,
    processedAction: config.IMAP_PROCESSED_ACTION,
    processedFlag: config.IMAP_PROCESSED_FLAG,
    processedFolder: config.IMAP_PROCESSED_FOLDER,
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
}

export const defaultImapTimings: ImapTimings = {
  maxIdleMs: 29 * 60_000,
  watchdogIntervalMs: 60_000,
  watchdogTimeoutMs: 15_000,
  rescanIntervalMs: 15 * 60_000,
  connectTimeoutMs: 15_000,
  socketTimeoutMs: 5 * 60_000,
  reconnect: { initialMs: 1_000, maxMs: 60_000 },
  retry: { initialMs: 1_000, maxMs: 60_000 },
  stopTimeoutMs: 5_000,
};

export const imapSourceStatuses = ['stopped', 'connecting', 'processing', 'idle', 'waiting'] as const;
/** stopped; connecting; processing messages; idle (IDLE, waiting for mail); waiting (back-off before a reconnect or retry). */
export type ImapSourceStatus = (typeof imapSourceStatuses)[number];

export interface ImapSourceStats {
  /** Messages whose handler resolved and that were marked processed. */
  handled: number;
  /** Handler rejections with a non-retryable error (bugs); the message stays unflagged. */
  failed: number;
  /** Handler rejections with a retryable error; the message is retried after a back-off. */
  retried: number;
  /** Connections opened after the first one. */
  reconnects: number;
}

export interface ImapSourceOptions {
  settings: ImapSettings;
  handler: InboundMailHandler;
  oversizedHandler: OversizedMailHandler;
  state: MailboxStateRepository;
  logger: Logger;
  health?: HealthRegistry;
  timings?: Partial<ImapTimings>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  /** Called on every status change (tests wait for 'idle'). */
  onStatus?: (status: ImapSourceStatus) => void;
}

export interface ImapSource extends Service {
  readonly status: ImapSourceStatus;
  stats(): ImapSourceStats;
}

/** Wakes every task waiting for a change (a message settled, a stop); a waiter re-checks its condition. */
class Signal {
  private waiters: Array<() => void> = [];

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** A UID set for one command: runs of consecutive UIDs as `a:b` (RFC 3501 9, sequence-set). */
export function uidSet(uids: readonly number[]): string {
  const sorted = [...uids].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let index = 0; index < sorted.length; ) {
    let end = index;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end += 1;
    parts.push(end > index ? `${sorted[index]}:${sorted[end]}` : String(sorted[index]));
    index = end + 1;
  }
  return parts.join(',');
}

/** Lets the loop sleep until a deadline or until an event (new mail, close, stop) wakes it. */
class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  notify(): void {
    if (this.wake) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    } else {
      this.pending = true;
    }
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, Math.max(0, Math.min(ms, 2_147_000_000)));
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeskbotError('IMAP_CONNECTION', `${what} got no answer within ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Translates an imapflow failure into a DeskbotError, keeping the cause. */
function imapError(error: unknown, what: string): DeskbotError {
  if (isDeskbotError(error)) return error;
  const failure = error as ImapFlowError;
  if (failure?.authenticationFailed) {
    return new DeskbotError('IMAP_AUTH', `${what}: the server rejected the credentials`, { cause: error, retryable: true });
  }
  const text = failure?.responseText ?? failure?.message ?? String(error);
  return new DeskbotError('IMAP_CONNECTION', `${what}: ${text}`, {
    cause: error,
    retryable: true,
    details: { imapCode: failure?.code, mailboxMissing: failure?.mailboxMissing },
  });
}

/** Forwards imapflow's own log lines: warnings and errors as they are, chatter at trace, protocol frames never. */
function imapflowLogger(log: Logger): ImapFlowLogger {
  const quiet = (entry: Record<string, unknown>) => {
    if (entry && typeof entry === 'object' && 'src' in entry) return;
    log.trace({ event: 'imapflow', detail: entry?.msg });
  };
  return {
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: (entry: Record<string, unknown>) => log.warn({ event: 'imapflow-warning', detail: entry?.msg, imapCode: (entry?.err as ImapFlowError)?.code }),
    error: (entry: Record<string, unknown>) => log.warn({ event: 'imapflow-error', detail: entry?.msg, imapCode: (entry?.err as ImapFlowError)?.code }),
  };
}

interface Session {
  client: ImapFlow;
  uidValidity: bigint;
  position: MailboxPosition;
  /** The in-memory position moved past what was last saved. */
  positionDirty: boolean;
  /** UIDs whose handler failed with a bug this session; skipped until the next reconnect or rescan. */
  skipped: Set<number>;
  /** UIDs committed above the resume point (a lower one is still in hand or skipped); not searched again. */
  committedAhead: Set<number>;
  /** New mail arrived (or a drain is owed) since the last drain. */
  newMail: boolean;
  closed: boolean;
  canFlag: boolean;
}

/** How a run over the candidates ended: all handled, a retryable failure (back off), or stop/close. */
type BatchOutcome = 'done' | 'retry' | 'stopped';

/** Envelopes are fetched for this many UIDs per FETCH; sources one message at a time. */
const envelopeChunk = 50;
/** While messages keep being committed, the resume point is written at most this often (and at the end of each run). */
const positionSaveIntervalMs = 250;

function senderKeys(meta: FetchMessageObject): string[] {
  return (meta.envelope?.from ?? []).flatMap((address) => (address.address ? [`from:${address.address.toLowerCase()}`] : []));
}

/** What a running message is known by: its sender and its Message-ID. */
function ownKeys(meta: FetchMessageObject): string[] {
  return [...senderKeys(meta), ...(meta.envelope?.messageId ? [`id:${meta.envelope.messageId}`] : [])];
}

/** What a message must not run alongside: a message from its sender, or the message it answers (In-Reply-To). */
function relatedKeys(meta: FetchMessageObject): string[] {
  return [...senderKeys(meta), ...(meta.envelope?.inReplyTo?.match(/<[^>]+>/g) ?? []).map((id) => `id:${id}`)];
}

/** A fetched message from the moment it is held until it is committed or given up. */
interface HeldMessage {
  uid: number;
  messageId: string | undefined;
  size: number;
  oversized: boolean;
  /** Raw bytes counted against maxBytesInFlight until its handler settles. */
  bytes: number;
  startedAt: number;
  handlerMs?: number;
  result?: InboundResult;
}

export function createImapSource(options: ImapSourceOptions): ImapSource {
  const { settings, handler, oversizedHandler, state, health } = options;
  const timings: ImapTimings = { ...defaultImapTimings, ...options.timings };
  const random = options.random ?? Math.random;
  const log = options.logger.child({ component: 'imap', mailbox: settings.mailbox });
  const stats: ImapSourceStats = { handled: 0, failed: 0, retried: 0, reconnects: 0 };
  const wakeup = new Wakeup();
  const where = `${settings.host}:${settings.port}`;
  const concurrency = Math.max(1, Math.floor(settings.concurrency ?? 1));
  const maxBytesInFlight = settings.maxBytesInFlight ?? Math.max(settings.maxBytes, 32 * 1024 * 1024);
  /** Wakes the fetcher waiting for room when a message settles, the connection closes or stop() is called. */
  const settled = new Signal();

  let status: ImapSourceStatus = 'stopped';
  let stopping = false;
  let loop: Promise<void> | undefined;
  let current: Session | undefined;
  let retryAt = 0;
  let retryAttempts = 0;
  let healthState: PartState | undefined;
  let positionSavedAt = 0;

  const setStatus = (next: ImapSourceStatus) => {
    if (status === next) return;
    status = next;
    // Connected while a live session fetches, idles or waits out a handler retry (the exporter's deskbot_imap_connected).
    metrics.imapConnected.set(next !== 'stopped' && next !== 'connecting' && current !== undefined && !current.closed ? 1 : 0);
    options.onStatus?.(next);
  };

  const setHealth = (next: PartState, detail: string, event: string, extra: Record<string, unknown> = {}) => {
    health?.set('imap', next, detail);
    if (healthState === next) return;
    healthState = next;
    const line = { event, state: next, detail, ...extra };
    if (next === 'ok' || next === 'off') log.info(line, `imap ${next}: ${detail}`);
    else log.warn(line, `imap ${next}: ${detail}`);
  };

  async function openSession(): Promise<Session> {
    const client = new ImapFlow({
      host: settings.host,
      port: settings.port,
      secure: settings.secure,
      auth: { user: settings.user, pass: settings.password },
      tls: { rejectUnauthorized: settings.rejectUnauthorized },
      clientInfo: { name: 'deskbot' },
      logger: imapflowLogger(log),
      disableAutoIdle: true,
      maxIdleTime: timings.maxIdleMs,
      connectionTimeout: timings.connectTimeoutMs,
      greetingTimeout: timings.connectTimeoutMs,
      socketTimeout: timings.socketTimeoutMs,
    });
    const session: Session = {
      client,
      uidValidity: 0n,
      position: { mailbox: settings.mailbox, uidValidity: 0n, lastUid: 0n },
      positionDirty: false,
      skipped: new Set(),
      committedAhead: new Set(),
      newMail: true,
      closed: false,
      canFlag: true,
    };
    client.on('error', (error: ImapFlowError) => {
      log.warn({ event: 'connection-error', imapCode: error?.code, detail: error?.message }, 'IMAP connection error');
    });
    client.on('close', () => {
      session.closed = true;
      wakeup.notify();
      settled.notify();
    });
    client.on('exists', (event) => {
      if (event.count > event.prevCount) {
        session.newMail = true;
        wakeup.notify();
      }
    });
    current = session;

    try {
      await client.connect();
    } catch (error) {
      session.closed = true;
      throw imapError(error, `Cannot connect to ${where} as ${settings.user}`);
    }
    try {
      if (settings.processedAction === 'move') {
        const created = await client.mailboxCreate(settings.processedFolder);
        if (created.created) log.info({ event: 'folder-created', folder: settings.processedFolder }, `created folder ${settings.processedFolder}`);
      }
      const mailbox = await client.mailboxOpen(settings.mailbox);
      session.uidValidity = BigInt(mailbox.uidValidity);
      const permanent = mailbox.permanentFlags;
      session.canFlag = !permanent || permanent.has('\\*') || permanent.has(settings.processedFlag);
      if (settings.processedAction === 'flag' && !session.canFlag) {
        log.error(
          { event: 'flag-not-permitted', flag: settings.processedFlag },
          `the server does not allow the flag ${settings.processedFlag}; relying on the resume point and Message-ID de-duplication`,
        );
      }
    } catch (error) {
      throw imapError(error, `Cannot open ${settings.mailbox} on ${where}`);
    }

    const stored = await state.get(settings.mailbox);
    if (stored && stored.uidValidity === session.uidValidity) {
      session.position = stored;
    } else {
      if (stored) {
        log.warn(
          { event: 'uidvalidity-changed', previous: stored.uidValidity.toString(), current: session.uidValidity.toString(), lastUid: stored.lastUid.toString() },
          'UIDVALIDITY changed: re-scanning the mailbox for unprocessed messages; Message-ID de-duplication prevents double handling',
        );
      }
      session.position = { mailbox: settings.mailbox, uidValidity: session.uidValidity, lastUid: 0n };
      await state.save(session.position);
    }
    log.info(
      { event: 'resumed', uidValidity: session.uidValidity.toString(), lastUid: session.position.lastUid.toString(), exists: client.mailbox ? client.mailbox.exists : undefined },
      `reading ${settings.mailbox} after UID ${session.position.lastUid}`,
    );
    return session;
  }

  async function closeSession(session: Session): Promise<void> {
    if (!session.closed && session.client.usable) {
      try {
        await withTimeout(session.client.logout(), timings.watchdogTimeoutMs, 'LOGOUT');
      } catch (error) {
        log.debug({ event: 'logout-failed', detail: (error as Error).message });
      }
    }
    session.client.close();
    session.closed = true;
    if (current === session) current = undefined;
  }

  async function savePosition(session: Session): Promise<boolean> {
    if (!session.positionDirty) return true;
    const saving = session.position;
    try {
      positionSavedAt = Date.now();
      await state.save(saving);
      // A commit during the save moved the position on: it stays dirty for the next save.
      if (session.position === saving) session.positionDirty = false;
      return true;
    } catch (error) {
      log.warn({ event: 'position-save-failed', err: error, lastUid: session.position.lastUid.toString() }, 'cannot save the IMAP resume point; retrying');
      scheduleRetry(error);
      return false;
    }
  }

  /** Moves the resume point to `uid` when every candidate below it is committed. */
  function advance(session: Session, uid: number): void {
    for (const skipped of session.skipped) if (skipped < uid) return;
    const next = BigInt(uid);
    if (next > session.position.lastUid) {
      session.position = { ...session.position, lastUid: next };
      session.positionDirty = true;
      for (const ahead of session.committedAhead) if (ahead <= uid) session.committedAhead.delete(ahead);
    }
  }

  function scheduleRetry(error: unknown): number {
    retryAttempts += 1;
    const hinted = isDeskbotError(error) ? error.retryAfterMs : undefined;
    const delay = hinted ?? backoffDelay(retryAttempts, timings.retry, random);
    retryAt = Date.now() + delay;
    const code = isDeskbotError(error) ? error.code : 'INTERNAL';
    setHealth('degraded', `handler failing (${code}); retrying`, 'handler-retrying', { code, delayMs: delay });
    return delay;
  }

  async function candidates(session: Session): Promise<number[]> {
    const from = session.position.lastUid + 1n;
    const query: SearchObject = { uid: `${from}:*` };
    if (settings.processedAction === 'flag' && session.canFlag) query.unKeyword = settings.processedFlag;
    let found: number[] | false | undefined;
    try {
      found = await session.client.search(query, { uid: true });
    } catch (error) {
      throw imapError(error, 'SEARCH failed');
    }
    if (!Array.isArray(found)) throw new DeskbotError('IMAP_CONNECTION', 'SEARCH failed', { retryable: true });
    // `n:*` also matches the highest UID when it is below n (RFC 3501 6.4.8), hence the filter.
    return found.filter((uid) => BigInt(uid) >= from && !session.skipped.has(uid) && !session.committedAhead.has(uid)).sort((a, b) => a - b);
  }

  async function fetchEnvelopes(session: Session, uids: number[]): Promise<Map<number, FetchMessageObject>> {
    let found: FetchMessageObject[];
    try {
      found = await session.client.fetchAll(uidSet(uids), { uid: true, size: true, flags: true, envelope: true }, { uid: true });
    } catch (error) {
      throw imapError(error, `FETCH of ${uids.length} envelopes failed`);
    }
    return new Map(found.map((message) => [message.uid, message]));
  }

  async function fetchOne(session: Session, uid: number, query: Parameters<ImapFlow['fetchOne']>[1]): Promise<FetchMessageObject | undefined> {
    try {
      const found = await session.client.fetchOne(String(uid), query, { uid: true });
      return found || undefined;
    } catch (error) {
      throw imapError(error, `FETCH of UID ${uid} failed`);
    }
  }

  /** Flags (or moves) messages whose handlers committed: one STORE or MOVE for all of them. */
  async function markProcessed(session: Session, uids: number[]): Promise<void> {
    const range = uidSet(uids);
    try {
      if (settings.processedAction === 'move') {
        const moved = await session.client.messageMove(range, settings.processedFolder, { uid: true });
        if (!moved) throw new Error(`MOVE to ${settings.processedFolder} was refused`);
      } else if (session.canFlag) {
        const flagged = await session.client.messageFlagsAdd(range, [settings.processedFlag], { uid: true });
        if (!flagged) throw new Error(`STORE +FLAGS ${settings.processedFlag} was refused`);
      }
    } catch (error) {
      throw imapError(error, `Cannot mark UID ${range} processed`);
    }
  }

  /**
   * Handles `uids` (ascending): envelopes are fetched in chunks, each message's source once there is room (at most
   * `concurrency` handlers running, one more message fetched ahead, raw bytes within maxBytesInFlight), handlers start
   * in UID order, and every committed message is marked processed — several in one command when they finish together.
   * A message counts against the limits until it is marked, so with concurrency 1 the next handler starts only after
   * the previous message is flagged. The resume point moves over the contiguous prefix of committed UIDs only.
   * After a retryable failure no further handler starts; those running finish and are marked, then 'retry'.
   * While the handler is failing (a retry is pending) only one message is in hand at a time.
   */
  async function processBatch(session: Session, uids: number[]): Promise<BatchOutcome> {
    /** Index of the first UID of `uids` not yet committed; everything before it is committed. */
    let frontier = 0;
    const committed = new Set<number>();
    let held = 0;
    let running = 0;
    let heldBytes = 0;
    let retry = false;
    let failure: DeskbotError | undefined;
    const handlers = new Set<Promise<void>>();
    /** Senders and Message-IDs of the messages whose handlers run (see relatedKeys), with how many hold each. */
    const inHand = new Map<string, number>();
    const toMark: HeldMessage[] = [];
    let marking: Promise<void> | undefined;
    let trailingSave: NodeJS.Timeout | undefined;

    const limit = () => (retryAttempts > 0 ? 1 : concurrency);
    const halted = () => stopping || session.closed || retry || failure !== undefined;

    const commit = (uid: number) => {
      committed.add(uid);
      let last: number | undefined;
      while (frontier < uids.length && committed.has(uids[frontier]!)) {
        last = uids[frontier]!;
        committed.delete(last);
        frontier += 1;
      }
      if (last !== undefined) advance(session, last);
      if (BigInt(uid) > session.position.lastUid) session.committedAhead.add(uid);
    };

    const releaseBytes = (message: HeldMessage) => {
      heldBytes -= message.bytes;
      message.bytes = 0;
      settled.notify();
    };

    const release = (message: HeldMessage, wasRunning: boolean) => {
      releaseBytes(message);
      held -= 1;
      if (wasRunning) running -= 1;
      settled.notify();
    };

    const markCommitted = async () => {
      while (toMark.length) {
        const group = toMark.splice(0);
        if (failure || session.closed) {
          for (const message of group) release(message, true);
          continue;
        }
        try {
          await markProcessed(session, group.map((message) => message.uid));
        } catch (error) {
          failure ??= imapError(error, 'Marking messages processed failed');
          for (const message of group) release(message, true);
          continue;
        }
        for (const message of group) {
          stats.handled += 1;
          commit(message.uid);
          const { result } = message;
          log.info(
            { event: 'message-handled', uid: message.uid, messageId: message.messageId, size: message.size, oversized: message.oversized, outcome: result?.outcome, reason: result?.reason, requestId: result?.requestId, ticketId: result?.ticketId, ms: message.handlerMs },
            `UID ${message.uid}: ${result?.outcome}`,
          );
          release(message, true);
        }
        if (retryAttempts > 0) {
          retryAttempts = 0;
          retryAt = 0;
          setHealth('ok', `${settings.mailbox} on ${where}`, 'handler-recovered');
        }
      }
      // The resume point is a lower bound (flagged messages are not searched again), so under a steady stream it
      // is saved at most every positionSaveIntervalMs here (a timer catches up on the last move while handlers are
      // still in hand), and always when the run ends.
      if (!session.positionDirty || session.closed) return;
      const wait = positionSavedAt + positionSaveIntervalMs - Date.now();
      if (wait <= 0) {
        if (!(await savePosition(session))) retry = true;
      } else {
        trailingSave ??= setTimeout(() => {
          trailingSave = undefined;
          startMarking();
        }, wait);
      }
    };
    const startMarking = () => {
      marking ??= markCommitted().finally(() => {
        marking = undefined;
        if (toMark.length) startMarking();
      });
    };

    const handle = async (message: HeldMessage, raw: Buffer) => {
      const source: InboundSource = { kind: 'imap', mailbox: settings.mailbox, uidValidity: session.uidValidity, uid: BigInt(message.uid) };
      const { uid, messageId } = message;
      try {
        message.result = message.oversized ? await oversizedHandler(raw, message.size, source) : await handler(raw, source);
      } catch (error) {
        const code = isDeskbotError(error) ? error.code : 'INTERNAL';
        if (isDeskbotError(error) && error.retryable) {
          stats.retried += 1;
          retry = true;
          const delayMs = scheduleRetry(error);
          log.warn({ event: 'handler-retry', uid, messageId, code, delayMs, attempt: retryAttempts }, `handler failed with ${code}; UID ${uid} stays unprocessed and is retried`);
        } else {
          stats.failed += 1;
          session.skipped.add(uid);
          log.error(
            { event: 'handler-failed', uid, messageId, code, err: error },
            `handler failed on UID ${uid}; the message stays unprocessed and is retried after the next reconnect or rescan`,
          );
        }
        release(message, true);
        return;
      }
      message.handlerMs = Date.now() - message.startedAt;
      // The raw message is no longer needed: its bytes stop counting while it waits to be marked.
      releaseBytes(message);
      toMark.push(message);
      startMarking();
    };

    try {
      fetching: for (let start = 0; start < uids.length; start += envelopeChunk) {
        if (halted()) break;
        const chunk = uids.slice(start, start + envelopeChunk);
        const envelopes = await fetchEnvelopes(session, chunk);
        for (const uid of chunk) {
          if (halted()) break fetching;
          const meta = envelopes.get(uid);
          if (!meta) {
            log.debug({ event: 'message-gone', uid });
            commit(uid);
            continue;
          }
          const messageId = meta.envelope?.messageId;
          if (settings.processedAction === 'flag' && meta.flags?.has(settings.processedFlag)) {
            commit(uid);
            continue;
          }
          const size = meta.size ?? 0;
          const oversized = size > settings.maxBytes;
          const cost = oversized ? 0 : size;
          await settled.until(() => halted() || (held < limit() + 1 && (held === 0 || heldBytes + cost <= maxBytesInFlight)));
          if (halted()) break fetching;
          const message: HeldMessage = { uid, messageId, size, oversized, bytes: cost, startedAt: 0 };
          held += 1;
          heldBytes += cost;
          let raw: Buffer | undefined;
          try {
            const content = await fetchOne(session, uid, oversized ? { uid: true, headers: true } : { uid: true, source: true });
            raw = oversized ? content?.headers : content?.source;
          } catch (error) {
            release(message, false);
            throw error;
          }
          if (!raw) {
            release(message, false);
            log.debug({ event: 'message-gone', uid, messageId });
            commit(uid);
            continue;
          }
          // A message waits for a running one from the same sender, or for the one it answers: a follow-up must
          // see its request's ticket committed, or it would open a second ticket (and a second fee).
          const related = relatedKeys(meta);
          await settled.until(() => halted() || (running < limit() && !related.some((key) => inHand.has(key))));
          if (halted()) {
            release(message, false);
            break fetching;
          }
          running += 1;
          message.startedAt = Date.now();
          const own = ownKeys(meta);
          for (const key of own) inHand.set(key, (inHand.get(key) ?? 0) + 1);
          const task: Promise<void> = handle(message, raw)
            .finally(() => {
              for (const key of own) {
                const left = (inHand.get(key) ?? 1) - 1;
                if (left > 0) inHand.set(key, left);
                else inHand.delete(key);
              }
              settled.notify();
            })
            .finally(() => handlers.delete(task));
          handlers.add(task);
          raw = undefined;
        }
      }
    } catch (error) {
      failure ??= isDeskbotError(error) ? error : imapError(error, 'IMAP intake failed');
    }
    // Let the handlers in hand finish and their messages be marked, whatever stopped the run.
    while (handlers.size) await Promise.allSettled([...handlers]);
    while (marking) await marking;
    clearTimeout(trailingSave);
    if (failure) throw failure;
    if (retry || !(await savePosition(session))) return 'retry';
    return stopping || session.closed ? 'stopped' : 'done';
  }

  /** Handles every unprocessed message above the resume point, in UID order (see processBatch). */
  async function drain(session: Session): Promise<void> {
    setStatus('processing');
    if (!(await savePosition(session))) {
      session.newMail = true;
      return;
    }
    for (;;) {
      if (stopping || session.closed) return;
      const uids = await candidates(session);
      if (!uids.length) return;
      const outcome = await processBatch(session, uids);
      if (outcome === 'retry') {
        session.newMail = true;
        return;
      }
      if (outcome === 'stopped') return;
    }
  }

  async function watchdog(session: Session): Promise<void> {
    try {
      await withTimeout(session.client.noop(), timings.watchdogTimeoutMs, 'NOOP');
    } catch (error) {
      log.warn({ event: 'watchdog-failed', detail: (error as Error).message }, 'the IMAP connection stopped answering; reconnecting');
      session.client.close();
    }
  }

  async function serveSession(session: Session): Promise<void> {
    let watchdogAt = Date.now() + timings.watchdogIntervalMs;
    let rescanAt = Date.now() + timings.rescanIntervalMs;
    while (!stopping && !session.closed) {
      const now = Date.now();
      if (now >= rescanAt) {
        if (session.skipped.size) log.info({ event: 'rescan', retrying: [...session.skipped] }, 'rescanning; retrying failed messages');
        session.skipped.clear();
        session.newMail = true;
        rescanAt = now + timings.rescanIntervalMs;
      }
      if (session.newMail && now >= retryAt) {
        session.newMail = false;
        await drain(session);
        watchdogAt = Date.now() + timings.watchdogIntervalMs;
        continue;
      }
      if (now >= watchdogAt) {
        await watchdog(session);
        // Also search once: a lost IDLE notification then costs one watchdog interval, not a rescan interval.
        session.newMail = true;
        watchdogAt = Date.now() + timings.watchdogIntervalMs;
        continue;
      }
      if (retryAt > now) setStatus('waiting');
      else setStatus('idle');
      session.client.idle().catch((error: unknown) => log.debug({ event: 'idle-ended', detail: (error as Error)?.message }));
      const deadline = Math.min(watchdogAt, rescanAt, session.newMail ? retryAt : Number.POSITIVE_INFINITY);
      await wakeup.wait(deadline - Date.now());
    }
  }

  async function run(): Promise<void> {
    let failures = 0;
    let opened = 0;
    while (!stopping) {
      setStatus('connecting');
      let session: Session | undefined;
      try {
        session = await openSession();
        if (opened > 0) stats.reconnects += 1;
        opened += 1;
        failures = 0;
        if (retryAt <= Date.now()) setHealth('ok', `${settings.mailbox} on ${where}`, 'connected');
        await serveSession(session);
        if (!stopping) log.warn({ event: 'connection-lost' }, 'the IMAP connection closed');
      } catch (error) {
        if (stopping) break;
        failures += 1;
        const failure = isDeskbotError(error) ? error : imapError(error, 'IMAP intake failed');
        const down = failure.code === 'IMAP_AUTH' || failures >= 3;
        setHealth(down ? 'down' : 'degraded', failure.message, 'connection-failed', { code: failure.code, failures });
      } finally {
        if (session) await closeSession(session);
        else if (current) await closeSession(current);
      }
      if (stopping) break;
      const delay = backoffDelay(Math.max(1, failures), timings.reconnect, random);
      if (healthState === 'ok') setHealth('degraded', `reconnecting to ${where}`, 'reconnecting');
      log.info({ event: 'reconnect-scheduled', delayMs: delay, failures }, `reconnecting in ${delay} ms`);
      setStatus('waiting');
      const until = Date.now() + delay;
      while (!stopping && Date.now() < until) await wakeup.wait(until - Date.now());
    }
  }

  return {
    name: 'imap',
    get status() {
      return status;
    },
    stats: () => ({ ...stats }),
    async start() {
      if (loop) return;
      stopping = false;
      healthState = 'degraded';
      health?.set('imap', 'degraded', `connecting to ${where}`);
      log.info({ event: 'starting', host: settings.host, port: settings.port, user: settings.user }, `connecting to ${where}`);
      loop = run().catch((error: unknown) => log.error({ event: 'intake-crashed', err: error }, 'IMAP intake stopped unexpectedly'));
    },
    async stop() {
      if (!loop) return;
      stopping = true;
      wakeup.notify();
      settled.notify();
      const finished = await Promise.race([loop.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timings.stopTimeoutMs).unref())]);
      if (!finished) {
        log.warn({ event: 'stop-timeout', timeoutMs: timings.stopTimeoutMs }, 'the message in hand did not finish in time; closing the connection');
        current?.client.close();
        await Promise.race([loop, new Promise((resolve) => setTimeout(resolve, 1_000).unref())]);
      }
      loop = undefined;
      setStatus('stopped');
      setHealth('off', 'stopped', 'stopped');
    },
  };
}
