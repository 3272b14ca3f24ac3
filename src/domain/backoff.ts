// The one retry back-off of deskbot (IMAP reconnects, intake retries, outbox deliveries): capped exponential with
// equal jitter. Pure: the random source is passed in; waiting is the caller's work.

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
}

/** Capped exponential back-off with equal jitter: attempt 1 waits initialMs/2..initialMs, doubling up to maxMs. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(base / 2 + (random() * base) / 2);
}
