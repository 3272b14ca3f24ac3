import { describe, expect, it } from 'vitest';
import {
  compareRequestIds,
  findRequestIdsInSubject,
  formatRequestId,
  parseRequestId,
  requestIdPattern,
  withoutRequestIds,
} from '../../src/domain/request-id.ts';

describe('formatRequestId', () => {
  it.each([
    { rule: 'pads the sequence to 6 digits', year: 2026, sequence: 123, expected: 'SR-2026-000123' },
    { rule: 'the first request of a year is 000001', year: 2026, sequence: 1, expected: 'SR-2026-000001' },
    { rule: 'the last 6-digit sequence', year: 2026, sequence: 999_999, expected: 'SR-2026-999999' },
    { rule: 'grows to 7 digits after 999999 instead of wrapping', year: 2026, sequence: 1_000_000, expected: 'SR-2026-1000000' },
  ])('$rule', ({ year, sequence, expected }) => {
    expect(formatRequestId(year, sequence)).toBe(expected);
  });

  it.each([
    { rule: 'rejects a 2-digit year', year: 26, sequence: 1 },
    { rule: 'rejects a 5-digit year', year: 20260, sequence: 1 },
    { rule: 'rejects sequence 0 (the counter starts at 1)', year: 2026, sequence: 0 },
    { rule: 'rejects a negative sequence', year: 2026, sequence: -5 },
    { rule: 'rejects a fractional sequence', year: 2026, sequence: 1.5 },
    { rule: 'rejects NaN', year: 2026, sequence: Number.NaN },
    { rule: 'rejects an unsafe integer', year: 2026, sequence: 2 ** 53 },
  ])('$rule', ({ year, sequence }) => {
    expect(() => formatRequestId(year, sequence)).toThrow(RangeError);
  });

  it.each([1, 42, 999_999, 1_000_000, 12_345_678])('round-trips through parseRequestId (sequence %i)', (sequence) => {
    expect(parseRequestId(formatRequestId(2027, sequence))).toEqual({ requestId: formatRequestId(2027, sequence), year: 2027, sequence });
  });
});

describe('parseRequestId', () => {
  it.each([
    { rule: 'canonical ID', text: 'SR-2026-000123', expected: { requestId: 'SR-2026-000123', year: 2026, sequence: 123 } },
    { rule: 'case-insensitive, returned canonical', text: 'sr-2026-000123', expected: { requestId: 'SR-2026-000123', year: 2026, sequence: 123 } },
    { rule: 'surrounding whitespace is trimmed', text: '  SR-2026-000123\n', expected: { requestId: 'SR-2026-000123', year: 2026, sequence: 123 } },
    { rule: 'one pair of brackets is accepted', text: '[SR-2026-000123]', expected: { requestId: 'SR-2026-000123', year: 2026, sequence: 123 } },
    { rule: '7-digit sequence beyond 999999', text: 'SR-2026-1000000', expected: { requestId: 'SR-2026-1000000', year: 2026, sequence: 1_000_000 } },
    { rule: 'fewer than 6 digits is not an ID', text: 'SR-2026-00123', expected: null },
    { rule: 'a leading zero beyond 6 digits is not canonical', text: 'SR-2026-0000123', expected: null },
    { rule: 'sequence 000000 does not exist', text: 'SR-2026-000000', expected: null },
    { rule: 'an unbalanced bracket is refused', text: '[SR-2026-000123', expected: null },
    { rule: 'other text around the ID is refused', text: 'see SR-2026-000123', expected: null },
    { rule: 'a 2-digit year is refused', text: 'SR-26-000123', expected: null },
    { rule: 'another prefix is refused', text: 'XSR-2026-000123', expected: null },
    { rule: 'empty text', text: '', expected: null },
  ])('$rule', ({ text, expected }) => {
    expect(parseRequestId(text)).toEqual(expected);
  });
});

describe('findRequestIdsInSubject', () => {
  it.each([
    { rule: 'finds the tag of a reply subject', subject: 'Re: [SR-2026-000123] Mail server down', expected: ['SR-2026-000123'] },
    { rule: 'finds several tags in order', subject: '[SR-2026-000200] merged with [SR-2025-000007]', expected: ['SR-2026-000200', 'SR-2025-000007'] },
    { rule: 'a repeated tag is returned once', subject: 'Re: [SR-2026-000123] Fwd: [SR-2026-000123] x', expected: ['SR-2026-000123'] },
    { rule: 'lower-case tags are returned canonical', subject: 'RE: [sr-2026-000123]', expected: ['SR-2026-000123'] },
    { rule: 'a non-canonical tag is ignored', subject: '[SR-2026-0000123] [SR-2026-00012]', expected: [] },
    { rule: 'a 7-digit tag is found', subject: '[SR-2026-1000000] big year', expected: ['SR-2026-1000000'] },
    { rule: 'no tag', subject: 'Mail server down', expected: [] },
    // Customers drop the brackets: a bare ID is the same request.
    { rule: 'a bare ID after Re: is found', subject: 'Re: SR-2026-000022 spam filter logs', expected: ['SR-2026-000022'] },
    { rule: 'a bare lower-case ID is returned canonical', subject: 'RE: sr-2026-000022 logs attached', expected: ['SR-2026-000022'] },
    { rule: 'a bare ID at the end of the subject is found', subject: 'Re: spam filter logs SR-2026-000022', expected: ['SR-2026-000022'] },
    { rule: 'a bare ID before punctuation is found', subject: 'Re: SR-2026-000022: logs (SR-2026-000023).', expected: ['SR-2026-000022', 'SR-2026-000023'] },
    { rule: 'a bare ID inside a longer word is not an ID', subject: 'Re: XSR-2026-000022 logs', expected: [] },
    { rule: 'a bare ID inside a longer number is not that ID', subject: 'Re: XSR-2026-0000221 SR-2026-0000221 logs', expected: [] },
    { rule: 'a bare ID followed by more of a token is not an ID', subject: 'Re: SR-2026-000022-B SR-2026-000022_old SR-2026-000022x', expected: [] },
    { rule: 'a bare non-canonical ID is ignored', subject: 'Re: SR-2026-00022 SR-2026-000000', expected: [] },
    {
      rule: 'tags come before bare IDs',
      subject: 'Re: SR-2026-000001 [SR-2026-000002] sr-2026-000003',
      expected: ['SR-2026-000002', 'SR-2026-000001', 'SR-2026-000003'],
    },
    {
      rule: 'an ID both tagged and bare is returned once, as the tag',
      subject: 'SR-2026-000009 [SR-2026-000002] [sr-2026-000009]',
      expected: ['SR-2026-000002', 'SR-2026-000009'],
    },
  ])('$rule', ({ subject, expected }) => {
    expect(findRequestIdsInSubject(subject)).toEqual(expected);
  });
});

describe('withoutRequestIds', () => {
  it.each([
    { rule: 'a tag becomes a space', text: 'Re: [SR-2026-000123] Mail server down', expected: 'Re:   Mail server down' },
    { rule: 'a tag with spaces inside its brackets goes whole', text: 'down [ sr-2026-000123 ]', expected: 'down  ' },
    { rule: 'a bare ID becomes a space', text: 'Re: SR-2026-000022 spam filter logs', expected: 'Re:   spam filter logs' },
    { rule: 'a bare lower-case ID goes too', text: 'logs sr-2026-000022', expected: 'logs  ' },
    { rule: 'an ID inside a longer token stays', text: 'XSR-2026-000022 SR-2026-000022-B', expected: 'XSR-2026-000022 SR-2026-000022-B' },
  ])('$rule', ({ text, expected }) => {
    expect(withoutRequestIds(text)).toBe(expected);
  });
});

describe('requestIdPattern', () => {
  it.each([
    { rule: 'matches an ID inside text', text: 'ticket SR-2026-000123 is open', expected: 'SR-2026-000123' },
    { rule: 'does not match inside a longer token', text: 'XSR-2026-000123 and SR-2026-000123-B', expected: null },
    { rule: 'an underscore continues a token', text: 'SR-2026-000123_old and old_SR-2026-000123', expected: null },
    { rule: 'matches inside the brackets of a tag', text: 'Re: [SR-2026-000123] down', expected: 'SR-2026-000123' },
  ])('$rule', ({ text, expected }) => {
    expect(requestIdPattern.exec(text)?.[0] ?? null).toBe(expected);
  });

  it('is not global, so sharing it leaks no lastIndex', () => {
    expect(requestIdPattern.global).toBe(false);
  });
});

describe('compareRequestIds', () => {
  it('orders by year, then sequence numerically (999999 before 1000000)', () => {
    const ids = ['SR-2026-1000000', 'SR-2027-000001', 'SR-2026-999999', 'SR-2025-500000', 'SR-2026-000002'];
    expect([...ids].sort(compareRequestIds)).toEqual(['SR-2025-500000', 'SR-2026-000002', 'SR-2026-999999', 'SR-2026-1000000', 'SR-2027-000001']);
  });

  it('plain string order would break past 999999, which is why compareRequestIds exists', () => {
    expect(['SR-2026-999999', 'SR-2026-1000000'].sort()).toEqual(['SR-2026-1000000', 'SR-2026-999999']);
  });

  it('refuses text that is not an ID', () => {
    expect(() => compareRequestIds('SR-2026-000001', 'nope')).toThrow(RangeError);
  });
});
