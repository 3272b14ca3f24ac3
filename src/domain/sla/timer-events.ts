// When the sweeper must next look at a stored SLA timer: its warning, then its breach; never once met or paused.
// Pure; the timer rows themselves are src/store/sla-timers.ts, firing is src/jobs/sla-sweeper.ts.

/** The state of a timer that decides its next event. */
export interface TimerEventState {
  warnAt: Date | null;
  dueAt: Date | null;
  warnedAt: Date | null;
  breachedAt: Date | null;
  metAt: Date | null;
  remainingMs: bigint | null;
}

/** The next instant the sweeper must look at a timer: its warning, then its breach; null when met or paused. */
export function nextTimerEventAt(timer: TimerEventState): Date | null {
  if (timer.metAt || timer.remainingMs !== null) return null;
  if (!timer.warnedAt && timer.warnAt) return timer.warnAt;
  if (!timer.breachedAt && timer.dueAt) return timer.dueAt;
  return null;
}
