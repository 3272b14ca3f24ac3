// A cap on how many tasks run at once, for the hot paths that need no more than that (the outbox's e-mail lane
// without a per-second cap, Slack's work after ack()): Bottleneck, which the rate-limited lanes keep, costs ~0.2 ms of
// main-thread CPU a job (measured: 218 against 2 µs a job, 10 at once, 50 waiting), about 4 % of an intake burst.
import { DeskbotError } from './errors.ts';

export interface ConcurrencyGate {
  /** Runs `task` once fewer than the cap run, in the order of the calls. */
  run<T>(task: () => Promise<T>): Promise<T>;
  /** Rejects the tasks still waiting for a slot (INVALID_STATE); later calls are rejected too. */
  dropWaiting(): void;
  /** Takes no more tasks; resolves once every task already taken, waiting ones included, has ended. */
  close(): Promise<void>;
}

export function concurrencyGate(maxConcurrent: number): ConcurrencyGate {
  const max = Math.max(1, Math.floor(maxConcurrent));
  let running = 0;
  let closed = false;
  const waiting: Array<{ start: () => void; refuse: (error: Error) => void }> = [];
  const idle: Array<() => void> = [];
  const refused = () => new DeskbotError('INVALID_STATE', 'The task was not started: its queue is closed');

  const next = () => {
    const waiter = waiting.shift();
    if (waiter) waiter.start();
    else {
      running -= 1;
      if (running === 0) for (const resolve of idle.splice(0)) resolve();
    }
  };

  return {
    async run(task) {
      if (closed) throw refused();
      if (running < max) running += 1;
      else await new Promise<void>((start, refuse) => waiting.push({ start, refuse }));
      try {
        return await task();
      } finally {
        next();
      }
    },
    dropWaiting() {
      closed = true;
      for (const waiter of waiting.splice(0)) waiter.refuse(refused());
    },
    close() {
      closed = true;
      return running === 0 ? Promise.resolve() : new Promise<void>((resolve) => idle.push(resolve));
    },
  };
}
