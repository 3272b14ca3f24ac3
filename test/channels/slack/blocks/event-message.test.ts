// The thread text of ticket events that carry money-and-terms rules: a mail to a closed request (Kerio ToS 2.4.9).
import { describe, expect, it } from 'vitest';
import { eventText } from '../../../../src/channels/slack/blocks/event-message.ts';
import { defaultPolicy } from '../../../../src/domain/policy.ts';

const policy = defaultPolicy();
const at = new Date('2026-11-17T15:00:00Z');

describe('eventText', () => {
  it.each([
    ['a mail to a closed request says the customer was asked for a new one and how to reopen', { afterClose: true }, /request is closed.*`\/support reopen`/],
    ['a mail to an open request says nothing about closing', {}, /^:incoming_envelope: Mail from jane@acme\.example$/],
  ])('%s', (_rule, extra, expected) => {
    const text = eventText({ type: 'mail-received', at, actor: 'jane@acme.example', detail: { messageId: '<m@x>', kind: 'reply', ...extra } }, policy);
    expect(text).toMatch(expected);
  });
});
