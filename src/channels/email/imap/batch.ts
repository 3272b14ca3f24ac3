// One run over the candidate UIDs of the intake mailbox: fetch envelopes and sources, hand messages to the inbound
// handlers in UID order (within the in-flight gate), mark each processed once its handler committed, and move the
// resume point over the committed prefix. Connection handling and the session loop live in imap-source.ts.
import { type DeskbotError, isDeskbotError } from '../../../errors.ts';
import type { Logger } from '../../../logger.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../../../app/ports.ts';
import type { RetrySchedule } from './backoff.ts';
import { type GateEnvelope, InFlightGate } from './in-flight-gate.ts';
import type { BatchFrontier, SaveThrottle } from './resume-frontier.ts';
import { imapError } from './imap-errors.ts';
import type { ImapSession } from './session.ts';
import type { ImapSettings } from './settings.ts';
import type { Signal } from './signal.ts';
import type { LargeMailTurn } from '../../../large-mail-turn.ts';

/**
 * Handles a message larger than MAIL_MAX_BYTES without downloading it: only its header block and size.
 * Implemented by `handleOversizedEmail` in src/app/handle-inbound-email.ts (quarantine); same commit and
 * idempotency rules as {@link InboundMailHandler}.
 */
export type OversizedMailHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

/** The batch's side of {@link OversizedMailHandler}: the leader's store fits too (see ImapMailHandler). */
export type ImapOversizedHandler = (headers: Buffer, size: number, source: InboundSource, envelope?: GateEnvelope) => Promise<BatchResult>;

/** What a handler of the batch reports: an intake outcome, or `stored` when the leader only stored the message for a worker. */
export type BatchResult = Omit<InboundResult, 'outcome'> & { outcome: InboundResult['outcome'] | 'stored' };

/**
 * Takes one fetched message: {@link InboundMailHandler} (handle it) fits, and so does the leader's store
 * (stored-mail-sink.ts), which also reads the envelope. Resolves only once what it did is committed.
 */
export type ImapMailHandler = (raw: Buffer, source: InboundSource, envelope?: GateEnvelope) => Promise<BatchResult>;

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
  handler: ImapMailHandler;
  oversizedHandler: ImapOversizedHandler;
  log: Logger;
  stats: ImapSourceStats;
  concurrency: number;
  /** The handler keeps the UID order itself (see InFlightGateOptions.related). */
  keepsOrder: boolean;
  maxBytesInFlight: number;
  /** Shared with this process's stored-mail worker: a message over its threshold is fetched and handled in its turn. */
  largeMail?: LargeMailTurn | undefined;
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

/** Envelopes are fetched for this many UIDs per FETCH; sources for as many messages as the in-flight gate holds. */
const envelopeChunk = 50;

/** A fetched message from the moment it is held until it is committed or given up. */
interface HeldMessage {
  uid: number;
  messageId: string | undefined;
  size: number;
  oversized: boolean;
  /** The server's INTERNALDATE (when the message reached the mailbox), for the age rule of automatic notices. */
  receivedAt: Date | undefined;
  /** Raw bytes counted against maxBytesInFlight until its handler settles. */
  bytes: number;
  startedAt: number;
  handlerMs?: number;
  result?: BatchResult;
  envelope: GateEnvelope | undefined;
  /** Passes the large-mail turn on; set while this message holds it. */
  endTurn?: () => void;
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
export function processBatch(context: BatchContext, session: ImapSession, uids: number[]): Promise<BatchOutcome> {
  return new BatchRun(context, session, uids).run();
}

/** The state of one processBatch call: what is held, running and waiting to be marked. */
class BatchRun {
  private readonly frontier: BatchFrontier;
  private readonly gate: InFlightGate;
  private retry = false;
  private failure: DeskbotError | undefined;
  private readonly handlers = new Set<Promise<void>>();
  private readonly toMark: HeldMessage[] = [];
  private marking: Promise<void> | undefined;
  private trailingSave: NodeJS.Timeout | undefined;

  constructor(
    private readonly context: BatchContext,
    private readonly session: ImapSession,
    private readonly uids: number[],
  ) {
    this.frontier = session.frontier.batch(uids);
    this.gate = new InFlightGate({
      limit: () => (context.retry.attempts > 0 ? 1 : context.concurrency),
      maxBytes: context.maxBytesInFlight,
      related: !context.keepsOrder,
    });
  }

  async run(): Promise<BatchOutcome> {
    const { context, session } = this;
    try {
      await this.fetchAndStart();
    } catch (error) {
      this.failure ??= isDeskbotError(error) ? error : imapError(error, 'IMAP intake failed');
    }
    // Let the handlers in hand finish and their messages be marked, whatever stopped the run.
    while (this.handlers.size) await Promise.allSettled([...this.handlers]);
    while (this.marking) await this.marking;
    clearTimeout(this.trailingSave);
    if (this.failure) throw this.failure;
    if (this.retry || !(await context.savePosition(session))) return 'retry';
    return context.stopping() || session.closed ? 'stopped' : 'done';
  }

  private halted(): boolean {
    return this.context.stopping() || this.session.closed || this.retry || this.failure !== undefined;
  }

  /**
   * Fetches envelopes chunk by chunk, then the sources of as many messages as the gate holds at once in one FETCH
   * (an oversized message's header block alone), and starts a handler for each as soon as the gate lets it.
   */
  private async fetchAndStart(): Promise<void> {
    const { context, session, frontier } = this;
    const { settings, log } = context;
    for (let start = 0; start < this.uids.length; start += envelopeChunk) {
      if (this.halted()) return;
      const chunk = this.uids.slice(start, start + envelopeChunk);
      const envelopes = await session.fetchEnvelopes(chunk);
      const waiting: HeldMessage[] = [];
      for (const uid of chunk) {
        const meta = envelopes.get(uid);
        if (!meta) {
          log.debug({ event: 'message-gone', uid });
          frontier.commit(uid);
          continue;
        }
        if (settings.processedAction === 'flag' && meta.flags?.has(settings.processedFlag)) {
          frontier.commit(uid);
          continue;
        }
        const size = meta.size ?? 0;
        const oversized = size > settings.maxBytes;
        const internalDate = meta.internalDate ? new Date(meta.internalDate) : undefined;
        const receivedAt = internalDate && !Number.isNaN(internalDate.getTime()) ? internalDate : undefined;
        const bytes = oversized ? 0 : size;
        waiting.push({ uid, messageId: meta.envelope?.messageId, size, oversized, receivedAt, bytes, startedAt: 0, envelope: meta.envelope });
      }
      while (waiting.length) {
        const run = await this.holdRun(waiting);
        if (!run || !(await this.fetchRun(run))) return;
      }
    }
  }

  /**
   * Takes the next messages off `waiting`: the first once the gate has room for it, then as many more as it has room
   * for now (never an oversized one with others). Undefined when the run halted first.
   */
  private async holdRun(waiting: HeldMessage[]): Promise<HeldMessage[] | undefined> {
    const { gate, context } = this;
    const first = waiting[0]!;
    await context.settled.until(() => this.halted() || gate.canHold(first.bytes));
    if (this.halted()) return undefined;
    // A large message is fetched in the turn it shares with the worker; only this run adds to the gate meanwhile.
    const large = (message: HeldMessage) => context.largeMail?.isLarge(message.bytes) === true;
    if (large(first)) {
      const endTurn = await context.largeMail!.take();
      if (this.halted()) {
        endTurn();
        return undefined;
      }
      first.endTurn = endTurn;
    }
    waiting.shift();
    gate.hold(first.bytes);
    const run = [first];
    while (!first.oversized && !large(first) && waiting.length && !waiting[0]!.oversized && !large(waiting[0]!) && gate.canHold(waiting[0]!.bytes)) {
      const next = waiting.shift()!;
      gate.hold(next.bytes);
      run.push(next);
    }
    return run;
  }

  /** Fetches the sources of a held run in one command and starts their handlers in UID order; false when halted. */
  private async fetchRun(run: HeldMessage[]): Promise<boolean> {
    const { session, context, frontier } = this;
    let sources: Map<number, Buffer>;
    try {
      if (run[0]!.oversized) {
        const headers = await session.fetchOne(run[0]!.uid, true);
        sources = new Map(headers ? [[run[0]!.uid, headers]] : []);
      } else {
        sources = await session.fetchSources(run.map((message) => message.uid));
      }
    } catch (error) {
      for (const message of run) this.release(message, false);
      throw error;
    }
    for (const [index, message] of run.entries()) {
      const raw = sources.get(message.uid);
      sources.delete(message.uid);
      if (!raw) {
        this.release(message, false);
        context.log.debug({ event: 'message-gone', uid: message.uid, messageId: message.messageId });
        frontier.commit(message.uid);
        continue;
      }
      if (!(await this.start(message, raw, message.envelope))) {
        for (const rest of run.slice(index + 1)) this.release(rest, false);
        return false;
      }
    }
    return true;
  }

  /**
   * Starts the handler once the gate allows: a message waits for a running one from the same sender, or for the one
   * it answers, since a follow-up must see its request's ticket committed (else a second ticket, and a second fee).
   * False when the run halted first.
   */
  private async start(message: HeldMessage, raw: Buffer, envelope: GateEnvelope | undefined): Promise<boolean> {
    const { gate, context } = this;
    await context.settled.until(() => this.halted() || gate.canStart(envelope));
    if (this.halted()) {
      this.release(message, false);
      return false;
    }
    message.startedAt = context.now();
    const leave = gate.start(envelope);
    const task: Promise<void> = this.handle(message, raw)
      .finally(() => {
        leave();
        context.settled.notify();
      })
      .finally(() => this.handlers.delete(task));
    this.handlers.add(task);
    return true;
  }

  private async handle(message: HeldMessage, raw: Buffer): Promise<void> {
    const { context, session } = this;
    const { settings, log, stats } = context;
    const source: InboundSource = {
      kind: 'imap',
      mailbox: settings.mailbox,
      uidValidity: session.uidValidity,
      uid: BigInt(message.uid),
      ...(message.receivedAt ? { receivedAt: message.receivedAt } : {}),
    };
    const { uid, messageId } = message;
    try {
      message.result = message.oversized
        ? await context.oversizedHandler(raw, message.size, source, message.envelope)
        : await context.handler(raw, source, message.envelope);
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      if (isDeskbotError(error) && error.retryable) {
        stats.retried += 1;
        this.retry = true;
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
      this.release(message, true);
      return;
    }
    message.handlerMs = context.now() - message.startedAt;
    // The raw message is no longer needed: its bytes stop counting while it waits to be marked.
    this.releaseBytes(message);
    this.toMark.push(message);
    this.startMarking();
  }

  private releaseBytes(message: HeldMessage): void {
    this.gate.releaseBytes(message.bytes);
    message.bytes = 0;
    message.endTurn?.();
    message.endTurn = undefined;
    this.context.settled.notify();
  }

  private release(message: HeldMessage, wasRunning: boolean): void {
    this.releaseBytes(message);
    this.gate.release(wasRunning);
    this.context.settled.notify();
  }

  private startMarking(): void {
    this.marking ??= this.markCommitted().finally(() => {
      this.marking = undefined;
      if (this.toMark.length) this.startMarking();
    });
  }

  /** Marks every committed message processed (one command per group), then saves the resume point when due. */
  private async markCommitted(): Promise<void> {
    const { context, session, toMark } = this;
    while (toMark.length) {
      const group = toMark.splice(0);
      if (this.failure || session.closed) {
        for (const message of group) this.release(message, true);
        continue;
      }
      try {
        await session.markProcessed(group.map((message) => message.uid));
      } catch (error) {
        this.failure ??= imapError(error, 'Marking messages processed failed');
        for (const message of group) this.release(message, true);
        continue;
      }
      for (const message of group) this.committed(message);
      if (context.retry.recovered()) context.recovered();
    }
    // The resume point is a lower bound (flagged messages are not searched again), so under a steady stream it
    // is saved at most every positionSaveIntervalMs here (a timer catches up on the last move while handlers are
    // still in hand), and always when the run ends.
    if (!session.frontier.dirty || session.closed) return;
    const wait = context.saveThrottle.waitMs(context.now());
    if (wait <= 0) {
      if (!(await context.savePosition(session))) this.retry = true;
    } else {
      this.trailingSave ??= setTimeout(() => {
        this.trailingSave = undefined;
        this.startMarking();
      }, wait);
    }
  }

  private committed(message: HeldMessage): void {
    this.context.stats.handled += 1;
    this.frontier.commit(message.uid);
    const { uid, messageId, size, oversized, result } = message;
    this.context.log.info(
      {
        event: 'message-handled',
        uid,
        messageId,
        size,
        oversized,
        outcome: result?.outcome,
        reason: result?.reason,
        requestId: result?.requestId,
        ticketId: result?.ticketId,
        ms: message.handlerMs,
      },
      `UID ${uid}: ${result?.outcome}`,
    );
    this.release(message, true);
  }
}
