import { describe, expect, it } from 'vitest';
import { addDays, daysBetween, isIsoDate, utcIsoDate } from '../../src/domain/iso-date.ts';

describe('iso-date', () => {
  it.each([
    { rule: 'the UTC day of an instant', now: '2026-03-15T12:00:00Z', expected: '2026-03-15' },
    { rule: 'a late-evening instant west of UTC is already the next UTC day', now: '2026-03-15T23:30:00-05:00', expected: '2026-03-16' },
    { rule: 'an early-morning instant east of UTC is still the previous UTC day', now: '2026-03-16T01:00:00+02:00', expected: '2026-03-15' },
  ])('utcIsoDate: $rule', ({ now, expected }) => {
    expect(utcIsoDate(new Date(now))).toBe(expected);
  });

  it.each([
    { rule: 'crosses a month end', date: '2026-01-31', days: 1, expected: '2026-02-01' },
    { rule: 'counts 29 February in a leap year', date: '2028-02-28', days: 1, expected: '2028-02-29' },
    { rule: 'goes back with negative days', date: '2026-03-01', days: -1, expected: '2026-02-28' },
    { rule: '90 days after 1 January', date: '2026-01-01', days: 90, expected: '2026-04-01' },
    { rule: 'zero days is the same day', date: '2026-07-04', days: 0, expected: '2026-07-04' },
  ])('addDays: $rule', ({ date, days, expected }) => {
    expect(addDays(date, days)).toBe(expected);
  });

  it.each([
    { rule: 'whole days forward', from: '2026-01-01', to: '2026-04-01', expected: 90 },
    { rule: 'negative when to is earlier', from: '2026-01-02', to: '2026-01-01', expected: -1 },
  ])('daysBetween: $rule', ({ from, to, expected }) => {
    expect(daysBetween(from, to)).toBe(expected);
  });

  it.each([
    { rule: 'refuses a day that does not exist', call: () => addDays('2026-02-30', 1) },
    { rule: 'refuses a non-ISO date', call: () => addDays('15/03/2026', 1) },
    { rule: 'refuses fractional days', call: () => addDays('2026-03-15', 0.5) },
    { rule: 'refuses an invalid Date', call: () => utcIsoDate(new Date('nope')) },
  ])('$rule', ({ call }) => {
    expect(call).toThrow(RangeError);
  });
});

describe('isIsoDate', () => {
  it.each([
    ['2026-02-28', true],
    ['2028-02-29', true],
    ['2026-02-30', false],
    ['2026-13-01', false],
    ['2026-1-01', false],
    ['yesterday', false],
  ])('%s → %s', (text, expected) => {
    expect(isIsoDate(text)).toBe(expected);
  });
});
