// The intake's back-off curve and the retry schedule of a failing handler, with fixed instants and jitter.
import { describe, expect, it } from 'vitest';
import { backoffDelay, RetrySchedule } from '../../../../src/channels/email/imap/backoff.ts';
import { defaultImapTimings } from '../../../../src/channels/email/imap/settings.ts';

const options = { initialMs: 1_000, maxMs: 60_000 };
const t0 = Date.parse('2026-11-30T10:00:00Z');

describe('backoffDelay', () => {
  it.each([
    { attempt: 1, random: 0, expected: 500 },
    { attempt: 1, random: 0.999, expected: 1_000 },
    { attempt: 3, random: 0, expected: 2_000 },
    { attempt: 20, random: 0, expected: 30_000 },
    { attempt: 20, random: 0.999, expected: 60_000 },
  ])('doubles per attempt, caps at the maximum and jitters in the upper half (attempt $attempt, random $random)', ({ attempt, random, expected }) => {
    expect(backoffDelay(attempt, options, () => random)).toBeCloseTo(expected, -2);
  });
});

describe('the default IMAP reconnect back-off', () => {
  it.each([
    { attempt: 1, random: 0.999, atMostMs: 1_000 },
    { attempt: 5, random: 0.999, atMostMs: 15_000 },
    { attempt: 7, random: 0.999, atMostMs: 15_000 },
    { attempt: 50, random: 0.999, atMostMs: 15_000 },
  ])('never waits more than 15 s, however long the outage (attempt $attempt)', ({ attempt, random, atMostMs }) => {
    expect(backoffDelay(attempt, defaultImapTimings.reconnect, () => random)).toBeLessThanOrEqual(atMostMs);
  });
});

describe('RetrySchedule', () => {
  it.each([
    { rule: 'the first failure waits the first back-off step', failures: 1, hint: undefined, retryAt: t0 + 1_000 },
    { rule: 'each further failure doubles the wait', failures: 3, hint: undefined, retryAt: t0 + 4_000 },
    { rule: "an error's own retryAfterMs wins over the curve", failures: 2, hint: 7_500, retryAt: t0 + 7_500 },
  ])('$rule', ({ failures, hint, retryAt }) => {
    const schedule = new RetrySchedule(options, () => 1);
    let delay = 0;
    for (let failure = 0; failure < failures; failure += 1) delay = schedule.failed(t0, hint);
    expect(schedule.attempts).toBe(failures);
    expect(schedule.retryAt).toBe(retryAt);
    expect(delay).toBe(retryAt - t0);
    expect(schedule.pending(retryAt - 1)).toBe(true);
    expect(schedule.pending(retryAt)).toBe(false);
  });

  it('a success after failures resets the schedule once; a success without failures reports nothing', () => {
    const schedule = new RetrySchedule(options, () => 0);
    expect(schedule.recovered()).toBe(false);
    schedule.failed(t0);
    expect(schedule.recovered()).toBe(true);
    expect([schedule.attempts, schedule.retryAt]).toEqual([0, 0]);
    expect(schedule.recovered()).toBe(false);
  });
});
