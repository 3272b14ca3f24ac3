// Whether a customer's mail agrees to the paid-support terms (issue 12 point 9): only the customer's own words count.
import { describe, expect, it } from 'vitest';
import { agreesToTerms } from '../../src/domain/terms-agreement.ts';

describe('agreesToTerms', () => {
  it.each([
    ['the words asked for', 'I agree', true],
    ['any case and spacing, with punctuation', 'Hello,\n\ni  AGREE.\n\nAna', true],
    ['in a sentence', 'Yes, I agree to the terms.', true],
    ['"I disagree" does not agree', 'I disagree with the fee.', false],
    ['"I do not agree" does not agree', 'I do not agree.', false],
    ['"I agreed before" is not the words asked for', 'I agreed before by phone', false],
    ['a quote of our question does not agree', 'Logs attached.\n\n> reply to this message with the words "I agree"\n', false],
    ['an empty mail does not agree', '', false],
  ])('%s', (_rule, body, expected) => {
    expect(agreesToTerms(body)).toBe(expected);
  });
});
