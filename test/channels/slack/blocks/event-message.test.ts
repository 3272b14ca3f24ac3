// The thread text of ticket events: a mail to a closed request (Kerio ToS 2.4.9), and what engineers did, with their words.
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

describe('eventText: what engineers did, with their words', () => {
  const engineer = 'UENG1';
  const hostile = 'Turn off <!channel> & IPv6 <@U123>';
  const escaped = 'Turn off &lt;!channel&gt; &amp; IPv6 &lt;@U123&gt;';

  it.each([
    [
      'a workaround shows its text, quoted and escaped, and that it met the resolution objective',
      { type: 'workaround', detail: { text: hostile, resolutionMet: true, initialResponse: false } },
      `:hammer_and_wrench: <@UENG1> sent the customer a workaround by e-mail. The resolution objective is met; the request stays open until it is closed.\n>${escaped}`,
    ],
    [
      'a workaround after the objective was met says only that the request stays open',
      { type: 'workaround', detail: { text: 'Reboot', resolutionMet: false } },
      ':hammer_and_wrench: <@UENG1> sent the customer a workaround by e-mail. The request stays open until it is closed.\n>Reboot',
    ],
    [
      'post-mortem notes are in the thread, quoted and escaped',
      { type: 'post-mortem', detail: { notes: hostile } },
      `:memo: <@UENG1> recorded the post-mortem of the missed SLA objective.\n>${escaped}`,
    ],
    [
      'pre-sales says what it means: free, no terms to agree',
      { type: 'pre-sales', detail: { clockStarted: true } },
      ':gift: <@UENG1> marked the request as a pre-sales question: it is free, no support fee is charged and no agreement to the paid terms is needed. The SLA clock started.',
    ],
    [
      'a reopen shows its reason, quoted and escaped',
      { type: 'status-change', detail: { from: 'closed', to: 'open', reopened: true, reason: hostile } },
      `:arrows_counterclockwise: <@UENG1> reopened the request, saying:\n>${escaped}`,
    ],
    [
      'a reopen without a reason is one line',
      { type: 'status-change', detail: { from: 'closed', to: 'open', reopened: true } },
      ':arrows_counterclockwise: <@UENG1> reopened the request.',
    ],
    [
      'a customer reply that ends a wait says the request is open again and the clock runs',
      { type: 'status-change', detail: { from: 'waiting', to: 'open', reason: 'customer-reply', messageId: '<m@x>' } },
      ':arrow_forward: The customer replied: the request is open again and the SLA clock runs again.',
    ],
    [
      'an engineer resuming says who did',
      { type: 'status-change', detail: { from: 'waiting', to: 'open' } },
      ':arrow_forward: <@UENG1> resumed the request; the SLA clock runs again.',
    ],
    [
      'a phone call names who took it from whom and quotes what the caller described, escaped',
      { type: 'phone-call', detail: { caller: 'carla@phone.example', missingInfo: [], description: hostile } },
      `:telephone_receiver: <@UENG1> opened the request from a phone call with carla@phone.example. The caller described:\n>${escaped}`,
    ],
    [
      'a phone call without a description is one line',
      { type: 'phone-call', detail: { caller: 'carla@phone.example', missingInfo: [] } },
      ':telephone_receiver: <@UENG1> opened the request from a phone call with carla@phone.example.',
    ],
    [
      'an agreement by phone: the customer agreed, the engineer recorded it',
      { type: 'terms-agreed', detail: { via: 'phone', messageId: null } },
      ':handshake: The customer agreed to the paid-support terms by phone; <@UENG1> recorded it for the customer.',
    ],
    [
      'the written confirmation of a phone agreement, the clock running',
      { type: 'request-update', detail: { byPhone: true, complete: true, messageId: '<c@x>' } },
      ':outbox_tray: The customer was sent the terms agreed by phone in writing, with the SLA due times.',
    ],
    [
      'the written confirmation of a phone agreement, the request still incomplete',
      { type: 'request-update', detail: { byPhone: true, complete: false, messageId: '<c@x>' } },
      ':outbox_tray: The customer was sent the terms agreed by phone in writing, and what is still missing.',
    ],
    [
      'the mail to a request another request\'s "I agree" released names that request',
      { type: 'request-update', detail: { released: true, answeredRequestId: 'SR-2026-000001', complete: true, messageId: '<c@x>' } },
      ':outbox_tray: The customer\'s "I agree" in their answer on SR-2026-000001 also released this request; they were told so, with its SLA due times.',
    ],
    [
      'the same with the request still incomplete',
      { type: 'request-update', detail: { released: true, answeredRequestId: 'SR-2026-000001', complete: false, messageId: '<c@x>' } },
      ':outbox_tray: The customer\'s "I agree" in their answer on SR-2026-000001 also released this request; they were told so, and what it still misses.',
    ],
    [
      'an answer that changed the fee says what the customer was told about it',
      { type: 'request-update', detail: { complete: true, fee: 'Free: installation period of the licence until 2027-02-07', messageId: '<c@x>' } },
      ':outbox_tray: The customer was told the request is complete and its SLA targets run, with the due times. Their answer changed the fee; told: Free: installation period of the licence until 2027-02-07.',
    ],
    [
      'a request for unpublished terms answered by the update asks an engineer to send them',
      { type: 'terms-requested', detail: { messageId: '<q@x>', termsUrl: null, toldByMail: true } },
      ':page_facing_up: The customer asked for the support terms, which are not published (policy `billing.termsUrl`); they were told an engineer will send them: please send them with `/support reply`.',
    ],
    [
      'a request for published terms answered by the update needs nothing more',
      { type: 'terms-requested', detail: { messageId: '<q@x>', termsUrl: 'https://vendor.example/terms', toldByMail: true } },
      ':page_facing_up: The customer asked for the support terms; the update mail gave them the link https://vendor.example/terms.',
    ],
    [
      'a request for the terms on a running request is for an engineer to answer',
      { type: 'terms-requested', detail: { messageId: '<q@x>', termsUrl: null, toldByMail: false } },
      ':page_facing_up: The customer asked for the support terms, which are not published (policy `billing.termsUrl`): please send them with `/support reply`.',
    ],
  ])('%s', (_rule, event, expected) => {
    expect(eventText({ ...event, at, actor: engineer }, policy)).toBe(expected);
  });

  it('a long workaround is cut like an engineer reply, as long as a customer mail, and says where the rest went', () => {
    const long = 'x'.repeat(5_000);
    const text = eventText({ type: 'workaround', at, actor: engineer, detail: { text: long, resolutionMet: true } }, policy);
    const reply = eventText({ type: 'engineer-response', at, actor: engineer, detail: { text: long } }, policy);
    expect(text.split('\n').slice(1)).toEqual(reply.split('\n').slice(1));
    expect(reply.length).toBeGreaterThan(3_000);
    expect(reply.length).toBeLessThan(3_200);
    expect(reply).toMatch(/_Cut here; the customer got the whole text by e-mail\._$/);
    const short = eventText({ type: 'engineer-response', at, actor: engineer, detail: { text: 'x'.repeat(700) } }, policy);
    expect(short).toContain('x'.repeat(700));
    expect(short).not.toContain('Cut here');
  });

  it('a reply says whether it was the initial response, a progress update or sent before the SLA clock started', () => {
    const line = (detail: Record<string, unknown>) =>
      eventText({ type: 'engineer-response', at, actor: engineer, detail: { text: 'hi', ...detail } }, policy).split('\n')[0];
    expect(line({ initialResponse: true })).toMatch(/\(initial response\)\.$/);
    expect(line({ initialResponse: false })).toMatch(/\(progress update\)\.$/);
    expect(line({ initialResponse: false, beforeClock: true })).toMatch(
      /\(before the SLA clock started: it meets the initial response when the clock starts\)\.$/,
    );
  });

  it('an agreement by mail names the customer', () => {
    expect(eventText({ type: 'terms-agreed', at, actor: 'jane@acme.example', detail: { via: 'mail', messageId: '<m@x>' } }, policy)).toBe(
      ':handshake: jane@acme.example agreed to the paid-support terms by mail; recorded for the customer.',
    );
  });
});
