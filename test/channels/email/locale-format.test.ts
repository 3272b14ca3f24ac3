// The mail's wording of elapsed time per language: lateness in the managers' breach mail reads "< 1 min", never "0 min".
import { describe, expect, it } from 'vitest';
import { formatElapsedIn } from '../../../src/channels/email/locale-format.ts';

describe('formatElapsedIn (mail)', () => {
  it('reads seconds as under a minute in each mail language', () => {
    expect(formatElapsedIn(10_000, 'en')).toBe('< 1 min');
    expect(formatElapsedIn(10_000, 'de')).toBe('< 1 Min.');
    // The sweeper wakes at the due instant, so a breach's usual lateness is exactly 0.
    expect(formatElapsedIn(0, 'en')).toBe('< 1 min');
    expect(formatElapsedIn(0, 'cs')).toBe('< 1 min');
    expect(formatElapsedIn(135 * 60_000, 'sv')).toBe('2 tim 15 min');
  });
});
