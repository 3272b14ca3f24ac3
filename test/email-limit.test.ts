// The e-mail lane serve() builds from the config: queued rows per claim stay within 5 s of sending under a rate cap.
import { describe, expect, it } from 'vitest';
import { emailLimit } from '../src/main.ts';

describe('emailLimit', () => {
  it('lets a claim take 4 rows per SMTP connection beyond the free ones', () => {
    expect(emailLimit({ SMTP_MAX_CONNECTIONS: 10, SMTP_MAX_PER_SECOND: undefined })).toEqual({ maxConcurrent: 10, queued: 40 });
  });

  it('keeps the queued rows within 5 s of sending under SMTP_MAX_PER_SECOND', () => {
    expect(emailLimit({ SMTP_MAX_CONNECTIONS: 10, SMTP_MAX_PER_SECOND: 2 })).toEqual({ maxConcurrent: 10, queued: 10, perSecond: 2 });
    expect(emailLimit({ SMTP_MAX_CONNECTIONS: 3, SMTP_MAX_PER_SECOND: 0.1 })).toEqual({ maxConcurrent: 3, queued: 0, perSecond: 0.1 });
  });
});
