// Back-off for the IMAP intake: the delay curve (also used by the inbox watcher) and the retry schedule of a failing
// handler. Pure: the caller passes `now` and the jitter source; timers and waiting stay with the caller.

import { backoffDelay, type BackoffOptions } from '../../../domain/backoff.ts';

export { backoffDelay, type BackoffOptions };

/**
 * When a handler failing with a retryable error (database down) may be tried again: each failure backs off further
 * (or waits the error's own `retryAfterMs`), and the first success resets the schedule.
 */
export class RetrySchedule {
  /** Failures since the last success; above 0 the intake keeps one message in hand at a time. */
  attempts = 0;
  /** Epoch ms before which no handler is started again; 0 when nothing is pending. */
  retryAt = 0;

  constructor(
    private readonly options: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failure at `now`; returns the delay chosen. */
  failed(now: number, retryAfterMs?: number): number {
    this.attempts += 1;
    const delay = retryAfterMs ?? backoffDelay(this.attempts, this.options, this.random);
    this.retryAt = now + delay;
    return delay;
  }

  /** Records a success; true when it ended a run of failures. */
  recovered(): boolean {
    if (this.attempts === 0) return false;
    this.attempts = 0;
    this.retryAt = 0;
    return true;
  }

  pending(now: number): boolean {
    return this.retryAt > now;
  }
}
