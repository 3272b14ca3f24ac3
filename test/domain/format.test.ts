// Money and durations as every notice shows them (domain/format.ts): symbol or ISO code, locale grouping, minor units.
import { describe, expect, it } from 'vitest';
import { formatElapsed, formatMoney, formatSupportTime } from '../../src/domain/format.ts';
import type { Currency } from '../../src/domain/policy.ts';

type MoneyCase = { rule: string; amount: number; currency: Currency; locale: string | undefined; expected: string };

describe('formatMoney', () => {
  it.each([
    { rule: 'USD in English', amount: 8000, currency: 'USD', locale: 'en', expected: '$80.00' },
    { rule: 'English is the default locale', amount: 8000, currency: 'USD', locale: undefined, expected: '$80.00' },
    { rule: 'CZK in English shows the code and 2 decimals', amount: 160_000, currency: 'CZK', locale: 'en', expected: 'CZK\u00a01,600.00' },
    { rule: 'CZK in Czech uses Czech grouping and symbol', amount: 160_000, currency: 'CZK', locale: 'cs', expected: '1\u00a0600,00\u00a0Kč' },
    { rule: 'EUR in German puts the symbol last', amount: 6500, currency: 'EUR', locale: 'de', expected: '65,00\u00a0€' },
    { rule: 'GBP in British English', amount: 5500, currency: 'GBP', locale: 'en-GB', expected: '£55.00' },
    { rule: 'AUD in English is marked A$', amount: 7500, currency: 'AUD', locale: 'en', expected: 'A$75.00' },
    { rule: 'one minor unit', amount: 1, currency: 'USD', locale: 'en', expected: '$0.01' },
    { rule: 'an invalid locale tag falls back to English', amount: 8000, currency: 'USD', locale: 'en_US', expected: '$80.00' },
  ] satisfies MoneyCase[])('$rule', ({ amount, currency, locale, expected }) => {
    expect(formatMoney(amount, currency, locale)).toBe(expected);
  });

  it('refuses a fractional minor amount', () => {
    expect(() => formatMoney(80.5, 'USD')).toThrow(RangeError);
  });
});

describe('formatMoney with the ISO code (mail and Slack)', () => {
  it.each([
    { rule: 'USD shows its code', amount: 8000, currency: 'USD', expected: 'USD\u00a080.00' },
    { rule: 'AUD is not confused with USD', amount: 7500, currency: 'AUD', expected: 'AUD\u00a075.00' },
    { rule: 'a currency outside the policy keeps its ISO 4217 digits', amount: 500, currency: 'JPY', expected: 'JPY\u00a0500' },
  ])('$rule', ({ amount, currency, expected }) => {
    expect(formatMoney(amount, currency, 'en', { display: 'code' })).toBe(expected);
  });
});

describe('formatElapsed', () => {
  it.each([
    { rule: 'minutes only', ms: 12 * 60_000, expected: '12 min' },
    { rule: 'hours and minutes', ms: 135 * 60_000, expected: '2 h 15 min' },
    { rule: 'whole hours drop the minutes', ms: 3 * 3_600_000, expected: '3 h' },
    { rule: 'days and hours', ms: 26 * 3_600_000, expected: '1 d 2 h' },
    { rule: 'a negative span reads as zero', ms: -5_000, expected: '0 min' },
    { rule: 'seconds read as under a minute, not zero (a breach seen 10 s after it was due)', ms: 10_000, expected: '< 1 min' },
    { rule: 'zero reads as under a minute (a breach seen at its due instant)', ms: 0, expected: '< 1 min' },
    { rule: 'half a minute rounds up to one', ms: 30_000, expected: '1 min' },
  ])('$rule', ({ ms, expected }) => {
    expect(formatElapsed(ms)).toBe(expected);
  });
});

describe('formatSupportTime', () => {
  it.each([
    { rule: 'support hours beyond a day stay hours', ms: 27 * 3_600_000, expected: '27 h' },
    { rule: 'hours and minutes', ms: (18 * 60 + 30) * 60_000, expected: '18 h 30 min' },
    { rule: 'under a minute', ms: 20_000, expected: '< 1 min' },
  ])('$rule', ({ ms, expected }) => {
    expect(formatSupportTime(ms)).toBe(expected);
  });
});
