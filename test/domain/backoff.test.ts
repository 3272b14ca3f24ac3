// The one back-off (IMAP reconnects and retries, outbox deliveries): doubling, cap, jitter in the upper half.
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/domain/backoff.ts';

describe('backoffDelay', () => {
  it.each([
    { attempt: 1, random: 0, expected: 500 },
    { attempt: 1, random: 0.999, expected: 1_000 },
    { attempt: 3, random: 0, expected: 2_000 },
    { attempt: 20, random: 0, expected: 30_000 },
    { attempt: 20, random: 0.999, expected: 60_000 },
  ])('doubles per attempt, caps at the maximum and jitters in the upper half (attempt $attempt, random $random)', ({ attempt, random, expected }) => {
    expect(backoffDelay(attempt, { initialMs: 1_000, maxMs: 60_000 }, () => random)).toBeCloseTo(expected, -2);
  });
});
