// What a connected session does next at a fixed instant: drain, watchdog NOOP, or IDLE until the nearest deadline.
import { describe, expect, it } from 'vitest';
import { nextSessionStep, type SessionClock } from '../../../../src/channels/email/imap/session-schedule.ts';

const now = Date.parse('2026-11-30T10:00:00Z');
const rescanIntervalMs = 900_000;
const quiet: SessionClock = { watchdogAt: now + 60_000, rescanAt: now + 600_000, retryAt: 0, newMail: false };

describe('nextSessionStep', () => {
  it.each([
    { rule: 'new mail with no retry pending is drained', clock: { ...quiet, newMail: true }, step: { kind: 'drain' }, rescan: false },
    {
      rule: 'new mail during a retry back-off waits for the retry',
      clock: { ...quiet, newMail: true, retryAt: now + 5_000 },
      step: { kind: 'idle', status: 'waiting', deadline: now + 5_000 },
      rescan: false,
    },
    { rule: 'quiet: IDLE until the watchdog is due', clock: quiet, step: { kind: 'idle', status: 'idle', deadline: now + 60_000 }, rescan: false },
    {
      rule: 'a pending retry without new mail does not shorten the IDLE',
      clock: { ...quiet, retryAt: now + 5_000 },
      step: { kind: 'idle', status: 'waiting', deadline: now + 60_000 },
      rescan: false,
    },
    { rule: 'the watchdog is due: NOOP', clock: { ...quiet, watchdogAt: now }, step: { kind: 'watchdog' }, rescan: false },
    { rule: 'new mail goes before a due watchdog', clock: { ...quiet, watchdogAt: now, newMail: true }, step: { kind: 'drain' }, rescan: false },
    { rule: 'a due rescan owes a drain', clock: { ...quiet, rescanAt: now }, step: { kind: 'drain' }, rescan: true },
    {
      rule: 'a due rescan during a back-off waits for the retry',
      clock: { ...quiet, rescanAt: now - 1, retryAt: now + 5_000 },
      step: { kind: 'idle', status: 'waiting', deadline: now + 5_000 },
      rescan: true,
    },
    {
      rule: 'a rescan due before the watchdog ends the IDLE',
      clock: { ...quiet, rescanAt: now + 30_000 },
      step: { kind: 'idle', status: 'idle', deadline: now + 30_000 },
      rescan: false,
    },
  ])('$rule', ({ clock, step, rescan }) => {
    const plan = nextSessionStep(clock, now, rescanIntervalMs);
    expect(plan.step).toEqual(step);
    expect(plan.rescan).toBe(rescan);
    expect(plan.rescanAt).toBe(rescan ? now + rescanIntervalMs : clock.rescanAt);
  });
});
