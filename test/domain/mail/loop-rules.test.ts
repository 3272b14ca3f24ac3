// The RFC 3834 loop rules and the automatic-mail throttle, one case per rule.
import { describe, expect, it } from 'vitest';
import {
  answerSuppressedReason,
  autoMailLimits,
  autoReplyReason,
  bulkReason,
  classifyAutomaticMail,
  notEligibleNoticeDue,
  throttleAutoMail,
} from '../../../src/domain/mail/loop-rules.ts';
import type { MailHeaders } from '../../../src/domain/mail/headers.ts';

function headers(text: string): MailHeaders {
  const map = new Map<string, string[]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    map.set(name, [...(map.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  return map;
}

const base = { messageId: '<m1@acme.example>', from: 'ops@acme.example', supportAddress: 'support@deskbot.local', isDeliveryReport: false };

describe('classifyAutomaticMail', () => {
  it.each([
    ["a person's mail is not automatic", 'Subject: help', base, null],
    ['Auto-Submitted: no is a person', 'Auto-Submitted: no', base, null],
    ['Auto-Submitted: auto-replied', 'Auto-Submitted: auto-replied', base, { kind: 'auto-reply', reason: 'auto-submitted: auto-replied' }],
    [
      'Auto-Submitted: auto-generated with a comment',
      'Auto-Submitted: auto-generated (vacation)',
      base,
      { kind: 'auto-reply', reason: 'auto-submitted: auto-generated' },
    ],
    ['X-Autoreply', 'X-Autoreply: yes', base, { kind: 'auto-reply', reason: 'x-autoreply' }],
    ['X-Autorespond', 'X-Autorespond: on', base, { kind: 'auto-reply', reason: 'x-autorespond' }],
    ['Precedence: auto_reply', 'Precedence: auto_reply', base, { kind: 'auto-reply', reason: 'precedence: auto_reply' }],
    ['a null return path', 'Return-Path: <>', base, { kind: 'auto-reply', reason: 'null return path' }],
    ['Precedence: bulk', 'Precedence: bulk', base, { kind: 'bulk', reason: 'precedence: bulk' }],
    ['Precedence: junk', 'Precedence: Junk', base, { kind: 'bulk', reason: 'precedence: junk' }],
    ['Precedence: list', 'Precedence: list', base, { kind: 'bulk', reason: 'precedence: list' }],
    ['List-Id', 'List-Id: <users.lists.example>', base, { kind: 'bulk', reason: 'list-id' }],
    ['List-Unsubscribe alone', 'List-Unsubscribe: <mailto:leave@lists.example>', base, { kind: 'bulk', reason: 'list-unsubscribe' }],
    ['MAILER-DAEMON as sender', 'Subject: failure', { ...base, from: 'mailer-daemon@mx.example' }, { kind: 'delivery-report', reason: 'mailer-daemon' }],
    ['postmaster as sender', 'Subject: failure', { ...base, from: 'postmaster@mx.example' }, { kind: 'delivery-report', reason: 'mailer-daemon' }],
    ['a delivery-status report', 'Return-Path: <>', { ...base, isDeliveryReport: true }, { kind: 'delivery-report', reason: 'delivery-status report' }],
    [
      'our own Message-ID',
      'Subject: x',
      { ...base, messageId: '<deskbot.6f1c2a9e-0b7d-4c55-9a51-3e2f4b1d8c70@deskbot.local>' },
      { kind: 'own-mail', reason: 'own message-id' },
    ],
    ['our support address as sender', 'Subject: x', { ...base, from: 'support@deskbot.local' }, { kind: 'own-mail', reason: 'own address as sender' }],
    [
      'our support address in another case',
      'Subject: x',
      { ...base, from: 'support@deskbot.local', supportAddress: 'Support@Deskbot.Local' },
      { kind: 'own-mail', reason: 'own address as sender' },
    ],
    [
      'our support address with a +tag (issue 13 point 13)',
      'Subject: x',
      { ...base, from: 'support+billing@deskbot.local' },
      { kind: 'own-mail', reason: 'own address as sender' },
    ],
    ['another local part that starts like ours is not ours', 'Subject: x', { ...base, from: 'supporter@deskbot.local' }, null],
    ['our X-Deskbot-Request-Id header', 'X-Deskbot-Request-Id: SR-2026-000001', base, { kind: 'own-mail', reason: 'x-deskbot-request-id header' }],
    [
      'own mail wins over auto-reply markers',
      'Auto-Submitted: auto-replied\nX-Deskbot-Request-Id: SR-2026-000001',
      base,
      { kind: 'own-mail', reason: 'x-deskbot-request-id header' },
    ],
  ])('%s', (_rule, text, input, expected) => {
    expect(classifyAutomaticMail({ ...input, headers: headers(text) })).toEqual(expected);
  });
});

describe('single rules', () => {
  it('autoReplyReason ignores an ordinary Return-Path', () => {
    expect(autoReplyReason(headers('Return-Path: <ops@acme.example>'))).toBeNull();
  });

  it('bulkReason ignores Precedence: first-class', () => {
    expect(bulkReason(headers('Precedence: first-class'))).toBeNull();
  });

  it.each([
    ['All', 'x-auto-response-suppress: all'],
    ['OOF, AutoReply', 'x-auto-response-suppress: oof'],
    ['DR', 'x-auto-response-suppress: dr'],
    ['RN, NRN', 'x-auto-response-suppress: rn'],
    ['None', null],
  ])('X-Auto-Response-Suppress: %s', (value, expected) => {
    expect(answerSuppressedReason(headers(`X-Auto-Response-Suppress: ${value}`))).toBe(expected);
  });
});

describe('throttleAutoMail', () => {
  const now = new Date('2026-11-17T15:00:00Z');
  const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000);
  const sends = (count: number, spacingMinutes: number, offset = 0) => Array.from({ length: count }, (_, index) => minutesAgo(offset + index * spacingMinutes));

  it('keeps the limits in one place: 10 in 10 minutes, 25 an hour, 50 a day', () => {
    expect(autoMailLimits).toEqual([
      { windowMs: 600_000, max: 10 },
      { windowMs: 3_600_000, max: 25 },
      { windowMs: 86_400_000, max: 50 },
    ]);
  });

  it('allows the 10th mail in 10 minutes and refuses the 11th', () => {
    expect(throttleAutoMail(sends(9, 0.5), now)).toEqual({ allowed: true });
    expect(throttleAutoMail(sends(10, 0.5), now)).toEqual({ allowed: false, limit: autoMailLimits[0], sent: 10 });
  });

  it('forgets a send exactly 10 minutes old for the 10-minute step', () => {
    expect(throttleAutoMail([...sends(9, 0.5), minutesAgo(10)], now)).toEqual({ allowed: true });
  });

  it('refuses the 26th mail in an hour even when spread out', () => {
    expect(throttleAutoMail(sends(25, 2.3, 1), now)).toMatchObject({ allowed: false, limit: autoMailLimits[1], sent: 25 });
    expect(throttleAutoMail(sends(24, 2.3, 1), now)).toEqual({ allowed: true });
  });

  it('refuses the 51st mail in a day', () => {
    expect(throttleAutoMail(sends(50, 28, 1), now)).toMatchObject({ allowed: false, limit: autoMailLimits[2], sent: 50 });
  });

  it('ignores sends older than a day and sends in the future', () => {
    expect(throttleAutoMail([...sends(60, 1, 24 * 60 + 1), new Date(now.getTime() + 60_000)], now)).toEqual({ allowed: true });
  });
});

describe('notEligibleNoticeDue', () => {
  const now = new Date('2026-11-17T15:00:00Z');
  it('sends the first notice and one a day after', () => {
    expect(notEligibleNoticeDue(null, now)).toBe(true);
    expect(notEligibleNoticeDue(new Date(now.getTime() - 23 * 3_600_000), now)).toBe(false);
    expect(notEligibleNoticeDue(new Date(now.getTime() - 24 * 3_600_000), now)).toBe(true);
  });
});
