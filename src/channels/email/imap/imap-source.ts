// IMAP push intake, the Service: keeps one session open (reconnecting with back-off), IDLEs between drains, and runs
// a batch (batch.ts) whenever new mail arrives, a rescan or watchdog is due, or a retry back-off ends. The pure
// rules live beside it: resume-frontier.ts, in-flight-gate.ts, session-schedule.ts, backoff.ts.
import { isDeskbotError } from '../../../errors.ts';
import type { HealthRegistry, PartState } from '../../../health.ts';
import type { Logger } from '../../../logger.ts';
import { metrics } from '../../../metrics.ts';
import type { Service } from '../../../app/ports.ts';
import type { MailboxStateRepository } from '../../../store/mailbox-state-repository.ts';
import { RetrySchedule, backoffDelay } from './backoff.ts';
import { processBatch, type BatchContext, type ImapMailHandler, type ImapOversizedHandler, type ImapSourceStats } from './batch.ts';
import { SaveThrottle } from './resume-frontier.ts';
import { imapError } from './imap-errors.ts';
import { ImapSession } from './session.ts';
import { nextSessionStep } from './session-schedule.ts';
import { defaultImapTimings, type ImapSettings, type ImapTimings } from './settings.ts';
import { Signal, Wakeup } from './signal.ts';
import type { LargeMailTurn } from '../../../large-mail-turn.ts';

export const imapSourceStatuses = ['stopped', 'connecting', 'processing', 'idle', 'waiting'] as const;
/** stopped; connecting; processing messages; idle (IDLE, waiting for mail); waiting (back-off before a reconnect or retry). */
export type ImapSourceStatus = (typeof imapSourceStatuses)[number];

export interface ImapSourceOptions {
  settings: ImapSettings;
  /** The intake use case, or (serve) the leader's store into the stored-mail queue. */
  handler: ImapMailHandler;
  /**
   * The handler only stores, in call order (stored-mail-sink.ts): no message waits here for a related one (the
   * workers keep that order), and up to `storeAhead` messages are in hand at once (within maxBytesInFlight).
   */
  storesInOrder?: boolean;
  /** Shared with this process's stored-mail worker: a message over its threshold is fetched and stored in its turn. */
  largeMail?: LargeMailTurn;
  oversizedHandler: ImapOversizedHandler;
  state: MailboxStateRepository;
  logger: Logger;
  health?: HealthRegistry;
  timings?: Partial<ImapTimings>;
  /** Jitter source, [0, 1). */
  random?: () => number;
  /** Epoch milliseconds; default Date.now. */
  now?: () => number;
  /** Called on every status change (tests wait for 'idle'). */
  onStatus?: (status: ImapSourceStatus) => void;
}

export interface ImapSource extends Service {
  readonly status: ImapSourceStatus;
  stats(): ImapSourceStats;
}

/** Messages the leader holds at once when it only stores them (each write takes all that are ready). */
const storeAhead = 32;

/** While messages keep being committed, the resume point is written at most this often (and at the end of each run). */
const positionSaveIntervalMs = 250;

export function createImapSource(options: ImapSourceOptions): ImapSource {
  const { settings, state, health } = options;
  const timings: ImapTimings = { ...defaultImapTimings, ...options.timings };
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const log = options.logger.child({ component: 'imap', mailbox: settings.mailbox });
  const stats: ImapSourceStats = { handled: 0, failed: 0, retried: 0, reconnects: 0 };
  const wakeup = new Wakeup();
  const settled = new Signal();
  const where = `${settings.host}:${settings.port}`;
  const retry = new RetrySchedule(timings.retry, random);

  let status: ImapSourceStatus = 'stopped';
  let stopping = false;
  let loop: Promise<void> | undefined;
  let current: ImapSession | undefined;
  let healthState: PartState | undefined;

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

  function scheduleRetry(error: unknown): number {
    const delay = retry.failed(now(), isDeskbotError(error) ? error.retryAfterMs : undefined);
    const code = isDeskbotError(error) ? error.code : 'INTERNAL';
    setHealth('degraded', `handler failing (${code}); retrying`, 'handler-retrying', { code, delayMs: delay });
    return delay;
  }

  const saveThrottle = new SaveThrottle(positionSaveIntervalMs);
  async function savePosition(session: ImapSession): Promise<boolean> {
    const { frontier } = session;
    if (!frontier.dirty) return true;
    const saving = frontier.position;
    try {
      saveThrottle.saving(now());
      await state.save(saving);
      frontier.saved(saving);
      return true;
    } catch (error) {
      log.warn({ event: 'position-save-failed', err: error, lastUid: frontier.position.lastUid.toString() }, 'cannot save the IMAP resume point; retrying');
      scheduleRetry(error);
      return false;
    }
  }

  const batchContext: BatchContext = {
    settings,
    handler: options.handler,
    oversizedHandler: options.oversizedHandler,
    log,
    stats,
    concurrency: options.storesInOrder ? Math.max(storeAhead, settings.concurrency ?? 1) : Math.max(1, Math.floor(settings.concurrency ?? 1)),
    keepsOrder: options.storesInOrder === true,
    largeMail: options.largeMail,
    maxBytesInFlight: settings.maxBytesInFlight ?? Math.max(settings.maxBytes, 32 * 1024 * 1024),
    retry,
    saveThrottle,
    settled,
    now,
    stopping: () => stopping,
    scheduleRetry,
    recovered: () => setHealth('ok', `${settings.mailbox} on ${where}`, 'handler-recovered'),
    savePosition,
  };

  async function openSession(): Promise<ImapSession> {
    const session = new ImapSession({
      settings,
      timings,
      state,
      log,
      onClose: () => {
        wakeup.notify();
        settled.notify();
      },
      onNewMail: () => wakeup.notify(),
    });
    current = session;
    await session.open();
    return session;
  }

  async function closeSession(session: ImapSession): Promise<void> {
    await session.close();
    if (current === session) current = undefined;
  }

  /** Handles every unprocessed message above the resume point, in UID order (see processBatch). */
  async function drain(session: ImapSession): Promise<void> {
    setStatus('processing');
    if (!(await savePosition(session))) {
      session.newMail = true;
      return;
    }
    for (;;) {
      if (stopping || session.closed) return;
      const candidates = await session.candidates();
      if (!candidates.length) return;
      // A backlog is worked through in bounded runs: the UIDs, envelopes and per-message state held at once stay small.
      const outcome = await processBatch(batchContext, session, candidates.slice(0, timings.batchUids));
      if (outcome === 'retry') {
        session.newMail = true;
        return;
      }
      if (outcome === 'stopped') return;
    }
  }

  async function serveSession(session: ImapSession): Promise<void> {
    let watchdogAt = now() + timings.watchdogIntervalMs;
    let rescanAt = now() + timings.rescanIntervalMs;
    while (!stopping && !session.closed) {
      const plan = nextSessionStep({ watchdogAt, rescanAt, retryAt: retry.retryAt, newMail: session.newMail }, now(), timings.rescanIntervalMs);
      if (plan.rescan) {
        const { skipped } = session.frontier;
        if (skipped.size) log.info({ event: 'rescan', retrying: [...skipped] }, 'rescanning; retrying failed messages');
        skipped.clear();
        session.newMail = true;
      }
      rescanAt = plan.rescanAt;
      const { step } = plan;
      if (step.kind === 'drain') {
        session.newMail = false;
        await drain(session);
        watchdogAt = now() + timings.watchdogIntervalMs;
      } else if (step.kind === 'watchdog') {
        await session.watchdog();
        // Also search once: a lost IDLE notification then costs one watchdog interval, not a rescan interval.
        session.newMail = true;
        watchdogAt = now() + timings.watchdogIntervalMs;
      } else {
        setStatus(step.status);
        session.idle();
        await wakeup.wait(step.deadline - now());
      }
    }
  }

  async function run(): Promise<void> {
    let failures = 0;
    let opened = 0;
    while (!stopping) {
      setStatus('connecting');
      let session: ImapSession | undefined;
      try {
        session = await openSession();
        if (opened > 0) stats.reconnects += 1;
        opened += 1;
        failures = 0;
        if (!retry.pending(now())) setHealth('ok', `${settings.mailbox} on ${where}`, 'connected');
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
      const until = now() + delay;
      while (!stopping && now() < until) await wakeup.wait(until - now());
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
      const finished = await Promise.race([
        loop.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timings.stopTimeoutMs).unref()),
      ]);
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
