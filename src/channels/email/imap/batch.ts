// One run over the candidate UIDs of the intake mailbox: fetch envelopes and sources, hand messages to the inbound
// handlers in UID order (within the in-flight gate), mark each processed once its handler committed, and move the
// resume point over the committed prefix. Connection handling and the session loop live in imap-source.ts.
import { type DeskbotError, isDeskbotError } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../../../ports.ts';
import type { RetrySchedule } from './backoff.ts';
import { InFlightGate } from './in-flight-gate.ts';
import type { SaveThrottle } from './resume-frontier.ts';
import { imapError, type ImapSession } from './session.ts';
import type { ImapSettings } from './settings.ts';
import type { Signal } from './signal.ts';

/**
 * Handles a message larger than MAIL_MAX_BYTES without downloading it: only its header block and size.
 * Implemented by `handleOversizedEmail` in src/app/handle-inbound-email.ts (quarantine); same commit and
 * idempotency rules as {@link InboundMailHandler}.
 */
export type OversizedMailHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

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

/** How a run over the candidates ended: all handled, a retryable failure (back off), or stop/close. */
export type BatchOutcome = 'done' | 'retry' | 'stopped';

/** What a batch needs from the source that runs it. */
export interface BatchContext {
  settings: ImapSettings;
  handler: InboundMailHandler;
  oversizedHandler: OversizedMailHandler;
  log: Logger;
  stats: ImapSourceStats;
  concurrency: number;
  maxBytesInFlight: number;
  retry: RetrySchedule;
  saveThrottle: SaveThrottle;
  /** Wakes the fetcher waiting for room when a message settles, the connection closes or stop() is called. */
  settled: Signal;
  now: () => number;
  stopping: () => boolean;
  /** Records a retryable failure (health, back-off); returns the delay. */
  scheduleRetry: (error: unknown) => number;
  /** A message committed after a run of retryable failures. */
  recovered: () => void;
  /** Saves the resume point when it moved; false (and a retry scheduled) when the save failed. */
  savePosition: (session: ImapSession) => Promise<boolean>;
}

/** Envelopes are fetched for this many UIDs per FETCH; sources one message at a time. */
const envelopeChunk = 50;

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

/**
 * Handles `uids` (ascending): envelopes are fetched in chunks, each message's source once there is room (at most
 * `concurrency` handlers running, one more message fetched ahead, raw bytes within maxBytesInFlight), handlers start
 * in UID order, and every committed message is marked processed — several in one command when they finish together.
 * A message counts against the limits until it is marked, so with concurrency 1 the next handler starts only after
 * the previous message is flagged. The resume point moves over the contiguous prefix of committed UIDs only.
 * After a retryable failure no further handler starts; those running finish and are marked, then 'retry'.
 * While the handler is failing (a retry is pending) only one message is in hand at a time.
 */
export async function processBatch(context: BatchContext, session: ImapSession, uids: number[]): Promise<BatchOutcome> {
  const { settings, log, stats, settled } = context;
  const frontier = session.frontier.batch(uids);
  const gate = new InFlightGate({ limit: () => (context.retry.attempts > 0 ? 1 : context.concurrency), maxBytes: context.maxBytesInFlight });
  let retry = false;
  let failure: DeskbotError | undefined;
  const handlers = new Set<Promise<void>>();
  const toMark: HeldMessage[] = [];
  let marking: Promise<void> | undefined;
  let trailingSave: NodeJS.Timeout | undefined;

  const halted = () => context.stopping() || session.closed || retry || failure !== undefined;

  const releaseBytes = (message: HeldMessage) => {
    gate.releaseBytes(message.bytes);
    message.bytes = 0;
    settled.notify();
  };

  const release = (message: HeldMessage, wasRunning: boolean) => {
    releaseBytes(message);
    gate.release(wasRunning);
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
        await session.markProcessed(group.map((message) => message.uid));
      } catch (error) {
        failure ??= imapError(error, 'Marking messages processed failed');
        for (const message of group) release(message, true);
        continue;
      }
      for (const message of group) {
        stats.handled += 1;
        frontier.commit(message.uid);
        const { result } = message;
        log.info(
          {
            event: 'message-handled',
            uid: message.uid,
            messageId: message.messageId,
            size: message.size,
            oversized: message.oversized,
            outcome: result?.outcome,
            reason: result?.reason,
            requestId: result?.requestId,
            ticketId: result?.ticketId,
            ms: message.handlerMs,
          },
          `UID ${message.uid}: ${result?.outcome}`,
        );
        release(message, true);
      }
      if (context.retry.recovered()) context.recovered();
    }
    // The resume point is a lower bound (flagged messages are not searched again), so under a steady stream it
    // is saved at most every positionSaveIntervalMs here (a timer catches up on the last move while handlers are
    // still in hand), and always when the run ends.
    if (!session.frontier.dirty || session.closed) return;
    const wait = context.saveThrottle.waitMs(context.now());
    if (wait <= 0) {
      if (!(await context.savePosition(session))) retry = true;
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
      message.result = message.oversized ? await context.oversizedHandler(raw, message.size, source) : await context.handler(raw, source);
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      if (isDeskbotError(error) && error.retryable) {
        stats.retried += 1;
        retry = true;
        const delayMs = context.scheduleRetry(error);
        log.warn(
          { event: 'handler-retry', uid, messageId, code, delayMs, attempt: context.retry.attempts },
          `handler failed with ${code}; UID ${uid} stays unprocessed and is retried`,
        );
      } else {
        stats.failed += 1;
        session.frontier.skipped.add(uid);
        log.error(
          { event: 'handler-failed', uid, messageId, code, err: error },
          `handler failed on UID ${uid}; the message stays unprocessed and is retried after the next reconnect or rescan`,
        );
      }
      release(message, true);
      return;
    }
    message.handlerMs = context.now() - message.startedAt;
    // The raw message is no longer needed: its bytes stop counting while it waits to be marked.
    releaseBytes(message);
    toMark.push(message);
    startMarking();
  };

  try {
    fetching: for (let start = 0; start < uids.length; start += envelopeChunk) {
      if (halted()) break;
      const chunk = uids.slice(start, start + envelopeChunk);
      const envelopes = await session.fetchEnvelopes(chunk);
      for (const uid of chunk) {
        if (halted()) break fetching;
        const meta = envelopes.get(uid);
        if (!meta) {
          log.debug({ event: 'message-gone', uid });
          frontier.commit(uid);
          continue;
        }
        const messageId = meta.envelope?.messageId;
        if (settings.processedAction === 'flag' && meta.flags?.has(settings.processedFlag)) {
          frontier.commit(uid);
          continue;
        }
        const size = meta.size ?? 0;
        const oversized = size > settings.maxBytes;
        const cost = oversized ? 0 : size;
        await settled.until(() => halted() || gate.canHold(cost));
        if (halted()) break fetching;
        const message: HeldMessage = { uid, messageId, size, oversized, bytes: cost, startedAt: 0 };
        gate.hold(cost);
        let raw: Buffer | undefined;
        try {
          raw = await session.fetchOne(uid, oversized);
        } catch (error) {
          release(message, false);
          throw error;
        }
        if (!raw) {
          release(message, false);
          log.debug({ event: 'message-gone', uid, messageId });
          frontier.commit(uid);
          continue;
        }
        // A message waits for a running one from the same sender, or for the one it answers: a follow-up must
        // see its request's ticket committed, or it would open a second ticket (and a second fee).
        await settled.until(() => halted() || gate.canStart(meta.envelope));
        if (halted()) {
          release(message, false);
          break fetching;
        }
        message.startedAt = context.now();
        const leave = gate.start(meta.envelope);
        const task: Promise<void> = handle(message, raw)
          .finally(() => {
            leave();
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
  if (retry || !(await context.savePosition(session))) return 'retry';
  return context.stopping() || session.closed ? 'stopped' : 'done';
}
