// Pins the closure mail's outcome sentence for excluded causes: whole sentences in every language, never an engineer's
// label spliced into a second relative clause ("a version that is no longer supported that technical support ...").
import { describe, expect, it } from 'vitest';
import { outcomeText } from '../../src/app/close-outcome-text.ts';
import { exclusionCustomerText, exclusionIds } from '../../src/domain/billing.ts';
import { closeOutcomeIn } from '../../src/channels/email/locale-format.ts';

describe('excluded outcome sentence', () => {
  it('unsupported version: the reason, then the cause in its own sentence', () => {
    expect(outcomeText('excluded', 'unsupported-version')).toBe(
      'The cause lies outside what technical support covers. ' +
        'The problem concerns a product version that is no longer supported; supported versions are listed in our support terms.',
    );
  });

  it('without a recorded exclusion: one sentence', () => {
    expect(outcomeText('excluded', undefined)).toBe('The cause lies outside what technical support covers.');
  });

  it.each(exclusionIds)('%s: the customer sentence of the exclusion, never its Slack label', (id) => {
    const text = outcomeText('excluded', id);
    expect(text).toContain(exclusionCustomerText(id));
    expect(text).not.toMatch(/ that technical support does not cover/);
    expect(text).toMatch(/^[A-Z][^\n]*\.$/);
  });

  it.each([
    ['de', 'Ursache des Problems ist eine Produktversion, die nicht mehr unterstützt wird; dies deckt der technische Support nicht ab.'],
    ['cs', 'Příčinou problému je verze produktu, která již není podporována; na tuto příčinu se technická podpora nevztahuje.'],
    ['sv', 'Problemet orsakas av en produktversion som inte längre stöds, vilket inte omfattas av den tekniska supporten.'],
  ])('%s: one relative clause, then what support does not cover', (language, sentence) => {
    expect(closeOutcomeIn('excluded', 'unsupported-version', 'English text', language)).toBe(sentence);
  });
});
