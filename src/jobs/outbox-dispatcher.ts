// Delivers outbox rows: claims due rows under a lease, hands each to its channel's handler at a bounded rate, then
// marks it sent, retries it later with backoff, or gives up (dead). What a message says is decided before enqueueing.
import { backoffDelay } from '../domain/backoff.ts';
import { isDeskbotError } from '../errors.ts';
import { metrics } from '../metrics.ts';
import type { HealthRegistry } from '../health.ts';
import type { Logger } from '../logger.ts';
import { systemClock, type Clock, type OutboxHandler, type Service } from '../app/ports.ts';
import type { ClaimedOutboxItem, OutboxChannel, OutboxDelivery } from '../app/outbox-delivery.ts';
import type { RateLimiterFactory } from '../rate-limiter.ts';
import { localLimiter, sharedLimiter, type LaneLimiter } from './outbox-lane-limiter.ts';
import { createSentMarks } from './outbox-sent-marks.ts';
import { expireLeftLeases, makeWaitingRowsDue } from './outbox-start-up.ts';
import { TransportRecovery } from './transport-recovery.ts';

/** The handler side of the outbox lives in app/ports.ts (channels implement it); re-exported for the dispatcher's callers. */
export type { OutboxHandler, OutboxItem } from '../app/ports.ts';

/** Concurrency and rate of one channel's deliveries. */
export interface ChannelLimit {
  maxConcurrent: number;
  /** Deliveries started per second at most; unlimited when absent. */
  perSecond?: number;
  /**
   * Rows a claim may take beyond the free slots, to wait there (default 0): in a backlog one claim per batch, the next
   * when half of it is sent, not one per freed slot (~10 ms of CPU each on PGlite). Keep it well within the lease.
   */
  queued?: number;
}

export const outboxChannels = ['email', 'slack'] as const satisfies readonly OutboxChannel[];

/** E-mail: as many sends at once as SMTP_MAX_CONNECTIONS (10), no rate cap unless SMTP_MAX_PER_SECOND; Slack: its handler's. */
export const defaultChannelLimits: Record<OutboxChannel, ChannelLimit> = {
  email: { maxConcurrent: 10 },
  slack: { maxConcurrent: 4 },
};

export interface OutboxDispatcherOptions {
  /** The outbox rows (store/outbox-repository.ts createOutboxRepository). */
  outbox: OutboxDelivery;
  logger: Logger;
  clock?: Clock;
  /**
   * The only process on its database (the embedded one, behind its lock): leases left by a crash end at start-up, so
   * their rows go out at once instead of after the lease (60 s).
   */
  expireLeasesAtStart?: boolean;
  /** A channel without a handler: slack rows go to a log-only handler (Slack off), email rows wait. */
  handlers: Partial<Record<OutboxChannel, OutboxHandler>>;
  /** OUTBOX_POLL_INTERVAL_MS: how often to look for due rows besides `kick()`. */
  pollIntervalMs: number;
  /** How long a claim after a quiet spell (and a mark-sent during drain()) waits for more work to join it (default 5 ms). */
  batchWindowMs?: number;
  /** Least time between claims that took rows while slots stand free (default 250 ms): trickling commits share a claim. */
  claimSpacingMs?: number;
  /** Mark-sent waits this long for more finished deliveries (default 20 ms): a row sent, not marked, is resent after a crash. */
  markWindowMs?: number;
  health?: HealthRegistry;
  limits?: Partial<Record<OutboxChannel, ChannelLimit>>;
  /**
   * Where the e-mail limit is kept: with a Redis-clustered factory (REDIS_URL) every process shares it, so the SMTP
   * server sees at most `maxConcurrent` sends at once and `perSecond` from all of deskbot together. Per process when
   * absent. The Slack lane stays per process (the Slack handler keeps Slack's own limits).
   */
  limiterFactory?: RateLimiterFactory;
  /** How long a claim holds a row (default 60 s); another process may take the row after that. */
  leaseMs?: number;
  /** Attempts before a retryable failure becomes dead (default 20, about 12 hours with the default backoff). */
  maxAttempts?: number;
  /** Delay after the first failure (default 10 s); doubles per attempt up to `backoffMaxMs` (default 1 h). */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** [0, 1) source for jitter; tests pin it. */
  random?: () => number;
}

export interface OutboxDispatcher extends Service {
  /** Looks for due rows now, e.g. right after a commit enqueued mail. No-op before start and after stop. */
  kick(): void;
  /** Delivers everything due, waiting for each delivery, until nothing due is left; for tests and one-shot runs. */
  drain(): Promise<void>;
}

/** Logs and acknowledges rows of a disabled channel, so they are marked sent rather than piling up unseen. */
export function createLogOnlyOutboxHandler(logger: Logger, channel: string): OutboxHandler {
  const log = logger.child({ component: 'outbox', channel });
  return {
    description: `${channel} disabled: rows are logged and marked sent`,
    async deliver(item) {
      log.info(
        { event: `${channel}-disabled`, outboxId: item.id, kind: item.kind, ticketId: item.ticketId },
        `${channel} is not configured; dropping ${item.kind}`,
      );
    },
  };
}

/** The shared back-off (domain/backoff.ts), never sooner than `retryAfterMs`. */
export function retryDelayMs(attempts: number, options: { baseMs: number; maxMs: number; random: () => number; retryAfterMs?: number | undefined }): number {
  return Math.max(backoffDelay(attempts, { initialMs: options.baseMs, maxMs: options.maxMs }, options.random), options.retryAfterMs ?? 0);
}

interface Lane {
  channel: OutboxChannel;
  handler: OutboxHandler;
  limit: ChannelLimit;
  limiter: LaneLimiter;
  inFlight: Set<Promise<void>>;
  /** The last claim filled every free slot, so more rows may be due. */
  saturated: boolean;
  /** Outages of the transport; a delivery that succeeds after one makes the rows waiting on it due at once. */
  recovery: TransportRecovery;
}

const notStarted = Symbol('not started');

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

export function createOutboxDispatcher(options: OutboxDispatcherOptions): OutboxDispatcher {
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: 'outbox' });
  const repository = options.outbox;
  const leaseMs = options.leaseMs ?? 60_000;
  const batchWindowMs = options.batchWindowMs ?? 5;
  const claimSpacingMs = options.claimSpacingMs ?? 250;
  const markWindowMs = options.markWindowMs ?? 20;
  /** performance.now() at the last claim that took rows (-Infinity after one that took none); during drain() no spacing. */
  let lastBusyClaimAt = Number.NEGATIVE_INFINITY;
  /** The last claim filled a lane's free slots (rows wait): a freed slot is refilled after the batch window, not the spacing. */
  let backlogged = false;
  let draining = 0;
  const spacing = () => Math.max(batchWindowMs, lastBusyClaimAt + claimSpacingMs - performance.now());
  const claimDelay = () => (draining > 0 || backlogged ? batchWindowMs : spacing());
  const maxAttempts = options.maxAttempts ?? 20;
  const backoff = { baseMs: options.backoffBaseMs ?? 10_000, maxMs: options.backoffMaxMs ?? 3_600_000, random: options.random ?? Math.random };

  const lanes: Lane[] = [];
  for (const channel of outboxChannels) {
    const handler = options.handlers[channel] ?? (channel === 'slack' ? createLogOnlyOutboxHandler(options.logger, channel) : undefined);
    if (!handler) continue;
    const limit = options.limits?.[channel] ?? defaultChannelLimits[channel];
    const limiter = options.limiterFactory && channel === 'email' ? sharedLimiter(options.limiterFactory, channel, limit) : localLimiter(limit);
    lanes.push({ channel, handler, limit, limiter, inFlight: new Set(), saturated: false, recovery: new TransportRecovery() });
  }

  let started = false;
  let accepting = true;
  let timer: NodeJS.Timeout | undefined;
  let claimFailing = false;

  const setHealth = (lane: Lane, state: 'ok' | 'degraded', detail?: string) => {
    if (lane.handler.healthPart) options.health?.set(lane.handler.healthPart, state, detail);
  };

  const context = (item: ClaimedOutboxItem) => ({
    outboxId: item.id,
    channel: item.channel,
    kind: item.kind,
    ticketId: item.ticketId,
    attempts: item.attempts,
  });

  const finished = (item: ClaimedOutboxItem, action: string, updated: boolean) => {
    if (!updated)
      log.warn({ event: 'outbox-lease-lost', action, ...context(item) }, `lease of outbox ${item.id} expired before ${action}; another claim owns the row`);
  };

  const sentMarks = createSentMarks(repository, clock, () => (draining > 0 || !accepting ? batchWindowMs : markWindowMs));

  const makeWaitingDue = (channels: readonly OutboxChannel[], why: 'start-up' | 'transport-recovered') =>
    makeWaitingRowsDue({ repository, clock, log }, channels, why);

  const succeed = async (lane: Lane, item: ClaimedOutboxItem, startedToken: number) => {
    setHealth(lane, 'ok', lane.handler.description);
    if (lane.recovery.succeeded(startedToken) && (await makeWaitingDue([lane.channel], 'transport-recovered'))) schedulePass();
    metrics.outboxDelivered.inc({ channel: item.channel, kind: item.kind });
    if (item.channel === 'email' && item.kind === 'acknowledgement') {
      // Wall time, like the row's createdAt (written by the database or the intake, not by the injected clock).
      metrics.acknowledgementLatency.observe(Math.max(0, Date.now() - item.enqueuedAt.getTime()) / 1_000);
      if (item.redelivery) metrics.duplicateAcknowledgements.inc();
    }
    finished(item, 'mark-sent', await sentMarks.mark(item));
    log.info({ event: 'outbox-sent', ...context(item) }, `delivered ${item.kind}`);
  };

  const fail = async (lane: Lane, item: ClaimedOutboxItem, error: unknown) => {
    const deskbotError = isDeskbotError(error) ? error : undefined;
    const retryable = deskbotError ? deskbotError.retryable : true;
    const code = deskbotError?.code ?? 'INTERNAL';
    const message = error instanceof Error ? error.message : String(error);
    const lastError = `${code}: ${message}`;
    metrics.outboxFailures.inc({ channel: item.channel, retryable: String(retryable) });
    if (item.channel === 'email') metrics.smtpErrors.inc({ code });
    // A permanent refusal is an answer from a working server; only retryable failures say the channel is unwell.
    setHealth(lane, retryable ? 'degraded' : 'ok', retryable ? lastError : lane.handler.description);
    if (!retryable || item.attempts >= maxAttempts) {
      finished(item, 'mark-dead', await repository.markDead(item, lastError));
      const reason = retryable ? 'max-attempts' : 'permanent';
      log.error({ event: 'outbox-dead', reason, code, ...context(item), err: error }, `gave up on outbox ${item.id} (${reason}): ${message}`);
      return;
    }
    lane.recovery.failed(error);
    const delayMs = retryDelayMs(item.attempts, { ...backoff, retryAfterMs: deskbotError?.retryAfterMs });
    const nextAttemptAt = new Date(clock.now().getTime() + delayMs);
    finished(item, 'reschedule', await repository.reschedule(item, nextAttemptAt, lastError));
    log.warn(
      { event: 'outbox-retry', code, ...context(item), delayMs, nextAttemptAt: nextAttemptAt.toISOString(), err: error },
      `outbox ${item.id} failed, retrying in ${delayMs} ms: ${message}`,
    );
  };

  const release = async (item: ClaimedOutboxItem) => {
    finished(item, 'release', await repository.release(item));
    log.debug({ event: 'outbox-released', ...context(item) }, `handed back outbox ${item.id} unstarted`);
  };

  const deliver = async (lane: Lane, item: ClaimedOutboxItem) => {
    let begun = false;
    let startedToken = 0;
    try {
      await lane.limiter.schedule(() => {
        if (!accepting) throw notStarted;
        begun = true;
        startedToken = lane.recovery.started();
        const { leaseUntil: _lease, ...view } = item;
        return lane.handler.deliver(view);
      });
    } catch (error) {
      if (begun) await fail(lane, item, error);
      else await release(item);
      return;
    }
    // The slot is free once the transport is done: the mark-sent bookkeeping (grouped over markWindowMs) runs
    // outside it, the row staying leased meanwhile. Holding the slot through the window capped a lane at
    // maxConcurrent rows per window (10 per ~110 ms: a burst's acknowledgements trailed the intake by seconds).
    settle(succeed(lane, item, startedToken), item);
  };

  /** Bookkeeping after a delivery, awaited by drain() and stop() but holding no slot. */
  const settling = new Set<Promise<void>>();
  const settle = (work: Promise<void>, item: ClaimedOutboxItem) => {
    const done: Promise<void> = work
      .catch((error: unknown) => {
        log.error(
          { event: 'outbox-finish-failed', ...context(item), err: error },
          `could not record the outcome of outbox ${item.id}; it is retried after its lease expires`,
        );
      })
      .finally(() => settling.delete(done));
    settling.add(done);
  };

  const track = (lane: Lane, item: ClaimedOutboxItem) => {
    const delivery: Promise<void> = deliver(lane, item)
      .catch((error: unknown) => {
        log.error(
          { event: 'outbox-finish-failed', ...context(item), err: error },
          `could not record the outcome of outbox ${item.id}; it is retried after its lease expires`,
        );
      })
      .finally(() => {
        lane.inFlight.delete(delivery);
        if (lane.saturated) schedulePass();
      });
    lane.inFlight.add(delivery);
  };

  /** One round: claim as many due rows per channel as there are free slots (one statement), start them; rows claimed. */
  const pass = async (): Promise<number> => {
    if (!accepting) return 0;
    const open = lanes
      .map((lane) => {
        const queued = lane.limit.queued ?? 0;
        const waiting = Math.max(0, lane.inFlight.size - lane.limit.maxConcurrent);
        // With rows waiting for a slot, the next claim waits until half of them are under way.
        return { lane, free: waiting > queued / 2 ? 0 : lane.limit.maxConcurrent + queued - lane.inFlight.size };
      })
      .filter((entry) => entry.free > 0);
    if (open.length === 0) return 0;
    const now = clock.now();
    const claimStartedAt = performance.now();
    let items: ClaimedOutboxItem[];
    try {
      items = await repository.claimDueMany({
        channels: open.map(({ lane, free }) => ({ channel: lane.channel, limit: free })),
        now,
        leaseUntil: new Date(now.getTime() + leaseMs),
      });
      if (claimFailing) log.info({ event: 'outbox-claim-recovered' }, 'outbox claims work again');
      claimFailing = false;
    } catch (error) {
      if (!claimFailing)
        log.error(
          { event: 'outbox-claim-failed', channels: open.map(({ lane }) => lane.channel), err: error },
          'cannot claim outbox rows; retrying every poll',
        );
      claimFailing = true;
      return 0;
    }
    lastBusyClaimAt = items.length > 0 ? claimStartedAt : Number.NEGATIVE_INFINITY;
    backlogged = false;
    for (const { lane, free } of open) {
      const mine = items.filter((item) => item.channel === lane.channel);
      lane.saturated = mine.length === free;
      backlogged ||= lane.saturated;
      for (const item of mine) track(lane, item);
    }
    return items.length;
  };

  // Passes run one at a time; calls during a pass queue exactly one follow-up pass.
  let chain: Promise<unknown> = Promise.resolve();
  let queued: Promise<number> | undefined;
  const schedulePass = (): Promise<number> => {
    if (queued) return queued;
    const run = chain
      .then(() => sleep(claimDelay()))
      .then(() => {
        queued = undefined;
        return pass();
      });
    queued = run;
    chain = run.catch(() => undefined);
    return run;
  };

  const allInFlight = () => [...lanes.flatMap((lane) => [...lane.inFlight]), ...settling];

  // Stop claiming, let the current pass end, drop deliveries still waiting for a slot (their rows are released),
  // wait for the ones under way, then close the handlers.
  let stopping: Promise<void> | undefined;
  const shutdown = async () => {
    accepting = false;
    sentMarks.hurry();
    if (timer) clearInterval(timer);
    timer = undefined;
    await chain;
    await Promise.all(lanes.map((lane) => lane.limiter.dropWaiting()));
    // A delivery that ends adds its bookkeeping: wait until neither is left.
    for (let left = allInFlight(); left.length; left = allInFlight()) await Promise.allSettled(left);
    await Promise.all(lanes.map((lane) => lane.limiter.close()));
    for (const lane of lanes) {
      await lane.handler
        .close?.()
        .catch((error: unknown) => log.warn({ event: 'outbox-handler-close-failed', channel: lane.channel, err: error }, 'handler failed to close'));
    }
    log.info({ event: 'outbox-stopped' }, 'outbox dispatcher stopped');
  };

  return {
    name: 'outbox-dispatcher',

    async start() {
      if (started || stopping) return;
      started = true;
      for (const lane of lanes) setHealth(lane, 'ok', lane.handler.description);
      for (const channel of outboxChannels) {
        if (!lanes.some((lane) => lane.channel === channel))
          log.warn({ event: 'outbox-channel-without-handler', channel }, `no handler for ${channel}; its rows stay pending`);
      }
      timer = setInterval(() => void schedulePass(), options.pollIntervalMs);
      log.info({ event: 'outbox-started', channels: lanes.map((lane) => lane.channel), pollIntervalMs: options.pollIntervalMs }, 'outbox dispatcher started');
      // Queued ahead of the first pass, so that pass already sees the rows made due.
      if (options.expireLeasesAtStart) chain = chain.then(() => expireLeftLeases({ repository, clock, log }));
      chain = chain.then(() =>
        makeWaitingDue(
          lanes.map((lane) => lane.channel),
          'start-up',
        ),
      );
      void schedulePass();
    },

    stop() {
      stopping ??= shutdown();
      return stopping;
    },

    kick() {
      if (started && accepting) void schedulePass();
    },

    async drain() {
      draining += 1;
      sentMarks.hurry();
      try {
        for (;;) {
          const claimed = await schedulePass();
          const inFlight = allInFlight();
          if (claimed === 0 && inFlight.length === 0) return;
          await Promise.allSettled(inFlight);
        }
      } finally {
        draining -= 1;
      }
    },
  };
}
