// IMAP push intake: IDLE on one mailbox, hand each new message to the inbound handler in UID order, mark it
// processed only after the handler committed, resume from MailboxState. Parsing and ticket policy live elsewhere.
import { ImapFlow, type FetchMessageObject, type ImapFlowError, type Logger as ImapFlowLogger, type SearchObject } from 'imapflow';
import type { Config } from '../../config.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import type { HealthRegistry, PartState } from '../../health.ts';
import type { Logger } from '../../logger.ts';
import type { InboundMailHandler, InboundResult, InboundSource, Service } from '../../ports.ts';
import type { MailboxPosition, MailboxStateRepository } from '../../store/mailbox-state-repository.ts';

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
  };
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
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

/** Capped exponential back-off with equal jitter: attempt 1 waits initialMs/2..initialMs, doubling up to maxMs. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
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
  /** New mail arrived (or a drain is owed) since the last drain. */
  newMail: boolean;
  closed: boolean;
  canFlag: boolean;
}

type MessageOutcome = 'committed' | 'skipped' | 'retry';

export function createImapSource(options: ImapSourceOptions): ImapSource {
  const { settings, handler, oversizedHandler, state, health } = options;
  const timings: ImapTimings = { ...defaultImapTimings, ...options.timings };
  const random = options.random ?? Math.random;
  const log = options.logger.child({ component: 'imap', mailbox: settings.mailbox });
  const stats: ImapSourceStats = { handled: 0, failed: 0, retried: 0, reconnects: 0 };
  const wakeup = new Wakeup();
  const where = `${settings.host}:${settings.port}`;

  let status: ImapSourceStatus = 'stopped';
  let stopping = false;
  let loop: Promise<void> | undefined;
  let current: Session | undefined;
  let retryAt = 0;
  let retryAttempts = 0;
  let healthState: PartState | undefined;

  const setStatus = (next: ImapSourceStatus) => {
    if (status === next) return;
    status = next;
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
    try {
      await state.save(session.position);
      session.positionDirty = false;
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
    return found.filter((uid) => BigInt(uid) >= from && !session.skipped.has(uid)).sort((a, b) => a - b);
  }

  async function fetchOne(session: Session, uid: number, query: Parameters<ImapFlow['fetchOne']>[1]): Promise<FetchMessageObject | undefined> {
    try {
      const found = await session.client.fetchOne(String(uid), query, { uid: true });
      return found || undefined;
    } catch (error) {
      throw imapError(error, `FETCH of UID ${uid} failed`);
    }
  }

  async function markProcessed(session: Session, uid: number): Promise<void> {
    try {
      if (settings.processedAction === 'move') {
        const moved = await session.client.messageMove(String(uid), settings.processedFolder, { uid: true });
        if (!moved) throw new Error(`MOVE to ${settings.processedFolder} was refused`);
      } else if (session.canFlag) {
        const flagged = await session.client.messageFlagsAdd(String(uid), [settings.processedFlag], { uid: true });
        if (!flagged) throw new Error(`STORE +FLAGS ${settings.processedFlag} was refused`);
      }
    } catch (error) {
      throw imapError(error, `Cannot mark UID ${uid} processed`);
    }
  }

  async function processMessage(session: Session, uid: number): Promise<MessageOutcome> {
    const meta = await fetchOne(session, uid, { uid: true, size: true, flags: true, envelope: true });
    if (!meta) {
      log.debug({ event: 'message-gone', uid });
      advance(session, uid);
      return 'committed';
    }
    const messageId = meta.envelope?.messageId;
    if (settings.processedAction === 'flag' && meta.flags?.has(settings.processedFlag)) {
      advance(session, uid);
      return 'committed';
    }
    const size = meta.size ?? 0;
    const oversized = size > settings.maxBytes;
    const content = await fetchOne(session, uid, oversized ? { uid: true, headers: true } : { uid: true, source: true });
    const bytes = oversized ? content?.headers : content?.source;
    if (!bytes) {
      log.debug({ event: 'message-gone', uid, messageId });
      advance(session, uid);
      return 'committed';
    }
    const source: InboundSource = { kind: 'imap', mailbox: settings.mailbox, uidValidity: session.uidValidity, uid: BigInt(uid) };

    let result: InboundResult;
    const startedAt = Date.now();
    try {
      result = oversized ? await oversizedHandler(bytes, size, source) : await handler(bytes, source);
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      if (isDeskbotError(error) && error.retryable) {
        stats.retried += 1;
        const delayMs = scheduleRetry(error);
        log.warn({ event: 'handler-retry', uid, messageId, code, delayMs, attempt: retryAttempts }, `handler failed with ${code}; UID ${uid} stays unprocessed and is retried`);
        return 'retry';
      }
      stats.failed += 1;
      session.skipped.add(uid);
      log.error(
        { event: 'handler-failed', uid, messageId, code, err: error },
        `handler failed on UID ${uid}; the message stays unprocessed and is retried after the next reconnect or rescan`,
      );
      return 'skipped';
    }

    await markProcessed(session, uid);
    stats.handled += 1;
    if (retryAttempts > 0) {
      retryAttempts = 0;
      retryAt = 0;
      setHealth('ok', `${settings.mailbox} on ${where}`, 'handler-recovered');
    }
    advance(session, uid);
    log.info(
      { event: 'message-handled', uid, messageId, size, oversized, outcome: result.outcome, reason: result.reason, requestId: result.requestId, ticketId: result.ticketId, ms: Date.now() - startedAt },
      `UID ${uid}: ${result.outcome}`,
    );
    return (await savePosition(session)) ? 'committed' : 'retry';
  }

  /** Handles every unprocessed message above the resume point, in UID order, one at a time. */
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
      for (const uid of uids) {
        if (stopping || session.closed) return;
        const outcome = await processMessage(session, uid);
        if (outcome === 'retry') {
          session.newMail = true;
          return;
        }
      }
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
