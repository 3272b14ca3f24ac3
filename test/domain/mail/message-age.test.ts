// The age rule for automatic notices, with fixed instants.
import { describe, expect, it } from 'vitest';
import { messageReceivedAt, tooOldForAutoNotice } from '../../../src/domain/mail/message-age.ts';

const now = new Date('2026-11-30T12:00:00Z');
const HOUR = 3_600_000;
const at = (iso: string) => new Date(iso);

describe('messageReceivedAt', () => {
  it.each([
    {
      rule: 'the server INTERNALDATE wins over Date:',
      server: at('2026-11-01T08:00:00Z'),
      header: at('2026-11-29T08:00:00Z'),
      expected: at('2026-11-01T08:00:00Z'),
    },
    { rule: 'Date: when the server gave none', server: undefined, header: at('2026-11-29T08:00:00Z'), expected: at('2026-11-29T08:00:00Z') },
    {
      rule: 'an invalid INTERNALDATE falls back to Date:',
      server: new Date(Number.NaN),
      header: at('2026-11-29T08:00:00Z'),
      expected: at('2026-11-29T08:00:00Z'),
    },
    { rule: 'unknown when neither is known', server: undefined, header: undefined, expected: undefined },
  ])('$rule', ({ server, header, expected }) => {
    expect(messageReceivedAt(server, header)).toEqual(expected);
  });
});

describe('tooOldForAutoNotice (AUTO_NOTICE_MAX_AGE 48 h)', () => {
  it.each([
    { rule: 'a month-old message is too old', receivedAt: at('2026-10-30T12:00:00Z'), expected: true },
    { rule: 'just over 48 h is too old', receivedAt: new Date(now.getTime() - 48 * HOUR - 1), expected: true },
    { rule: 'exactly 48 h is still answered', receivedAt: new Date(now.getTime() - 48 * HOUR), expected: false },
    { rule: 'an hour-old message is answered', receivedAt: new Date(now.getTime() - HOUR), expected: false },
    { rule: 'a message dated in the future is answered', receivedAt: at('2026-12-01T12:00:00Z'), expected: false },
    { rule: 'a message of unknown age is answered', receivedAt: undefined, expected: false },
  ])('$rule', ({ receivedAt, expected }) => {
    expect(tooOldForAutoNotice(receivedAt, now, 48 * HOUR)).toBe(expected);
  });
});
