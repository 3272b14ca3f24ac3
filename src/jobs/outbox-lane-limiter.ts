// The rate limiter behind one outbox lane: a process-local Bottleneck (a plain concurrency gate when the lane has no
// per-second cap), or one shared over Redis (src/rate-limiter.ts) so that several deskbot processes together stay
// within a channel's limits.
import Bottleneck from 'bottleneck';
import { concurrencyGate } from '../concurrency-gate.ts';
import type { OutboxChannel } from '../app/outbox-delivery.ts';
import type { RateLimiterFactory } from '../rate-limiter.ts';
import type { ChannelLimit } from './outbox-dispatcher.ts';

/** What a lane needs of a limiter: a process-local Bottleneck, or a shared one from src/rate-limiter.ts. */
export interface LaneLimiter {
  schedule<T>(task: () => Promise<T>): Promise<T>;
  /** At stop: drops deliveries still waiting for a slot where it can (those that start anyway find the dispatcher stopping). */
  dropWaiting(): Promise<void>;
  /** After the last delivery. */
  close(): Promise<void>;
}

/** Bottleneck's spacing between starts for a per-second cap (0: none). */
const minTimeOf = (limit: ChannelLimit) => (limit.perSecond ? Math.ceil(1000 / limit.perSecond) : 0);

export function localLimiter(limit: ChannelLimit): LaneLimiter {
  if (!minTimeOf(limit)) {
    // No per-second cap: a cap on sends at once is all the lane needs (Bottleneck costs ~0.2 ms of CPU a send).
    const gate = concurrencyGate(limit.maxConcurrent);
    return { schedule: (task) => gate.run(task), dropWaiting: async () => gate.dropWaiting(), close: () => gate.close() };
  }
  const limiter = new Bottleneck({ maxConcurrent: limit.maxConcurrent, minTime: minTimeOf(limit) });
  return { schedule: (task) => limiter.schedule(task), dropWaiting: () => limiter.stop({ dropWaitingJobs: true }), close: async () => undefined };
}

/** A shared limiter's waiting jobs are admitted in turn and released unstarted, so it closes only after them. */
export function sharedLimiter(factory: RateLimiterFactory, channel: OutboxChannel, limit: ChannelLimit): LaneLimiter {
  const limiter = factory.create({ name: `outbox-${channel}`, maxConcurrent: limit.maxConcurrent, minTime: minTimeOf(limit) });
  return { schedule: (task) => limiter.schedule(task), dropWaiting: async () => undefined, close: () => limiter.stop() };
}
