// What a connected IMAP session does next: drain new mail, check the connection with NOOP, or IDLE until a deadline.
// Pure: the caller passes `now` and its deadlines, and carries out the step (the loop in imap-source.ts).

export interface SessionClock {
  /** A NOOP is owed at this instant (epoch ms). */
  watchdogAt: number;
  /** A full rescan (retrying messages skipped after a bug) is owed at this instant. */
  rescanAt: number;
  /** No handler starts before this instant (a retry back-off); 0 when none. */
  retryAt: number;
  /** New mail arrived, or a drain is owed. */
  newMail: boolean;
}

export type SessionStep =
  | { kind: 'drain' }
  | { kind: 'watchdog' }
  /** IDLE until `deadline` or until an event wakes the loop; `waiting` while a retry back-off runs. */
  | { kind: 'idle'; status: 'idle' | 'waiting'; deadline: number };

export interface SessionPlan {
  /** The rescan is due: the caller clears the skipped UIDs and owes a drain. */
  rescan: boolean;
  /** The next rescan instant (moved on by `rescanIntervalMs` when `rescan`). */
  rescanAt: number;
  step: SessionStep;
}

/** The step at `now`. */
export function nextSessionStep(clock: SessionClock, now: number, rescanIntervalMs: number): SessionPlan {
  const rescan = now >= clock.rescanAt;
  const rescanAt = rescan ? now + rescanIntervalMs : clock.rescanAt;
  const newMail = clock.newMail || rescan;
  if (newMail && now >= clock.retryAt) return { rescan, rescanAt, step: { kind: 'drain' } };
  if (now >= clock.watchdogAt) return { rescan, rescanAt, step: { kind: 'watchdog' } };
  const deadline = Math.min(clock.watchdogAt, rescanAt, newMail ? clock.retryAt : Number.POSITIVE_INFINITY);
  return { rescan, rescanAt, step: { kind: 'idle', status: clock.retryAt > now ? 'waiting' : 'idle', deadline } };
}
