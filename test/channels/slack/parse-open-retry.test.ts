// Parsing `/support open` and `/support retry`: addresses as typed or as Slack links them, severities, Message-IDs with
// or without brackets and as Slack escapes them. Pure.
import { describe, expect, it } from 'vitest';
import { phoneOpenedReply } from '../../../src/channels/slack/blocks/command-replies.ts';
import { eventText } from '../../../src/channels/slack/blocks/event-message.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { helpText, parseSupportCommand } from '../../../src/channels/slack/commands/parse-support-command.ts';

describe('parseSupportCommand: open', () => {
  it.each([
    ['no arguments: the form', 'open', { name: 'open' }],
    [
      'address, severity, subject',
      'open jane@acme.example 4 VPN drops every hour',
      { name: 'open', call: { callerEmail: 'jane@acme.example', severity: 4, subject: 'VPN drops every hour' } },
    ],
    [
      'an address as Slack links it, upper case',
      'open <mailto:Jane@Acme.example|Jane@Acme.example> 5 Mail &amp; calendar down',
      { name: 'open', call: { callerEmail: 'jane@acme.example', severity: 5, subject: 'Mail & calendar down' } },
    ],
  ])('%s', (_rule, text, command) => {
    expect(parseSupportCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['not an address', 'open jane 4 VPN drops', 'Start with the caller’s e-mail address.'],
    ['severity out of range', 'open jane@acme.example 6 VPN drops', 'Severity is a whole number from 1 to 5.'],
    ['severity missing', 'open jane@acme.example VPN drops', 'Severity is a whole number from 1 to 5.'],
    ['subject missing', 'open jane@acme.example 3', 'Give the subject of the request.'],
  ])('%s', (_rule, text, error) => {
    expect(parseSupportCommand(text)).toMatchObject({ ok: false, error, usage: 'open <caller e-mail> <severity 1-5> <subject…>' });
  });
});

describe('parseSupportCommand: retry', () => {
  it.each([
    ['with brackets', 'retry <abc.1@mail.example>'],
    ['without brackets', 'retry abc.1@mail.example'],
    ['as Slack escapes the brackets', 'retry &lt;abc.1@mail.example&gt;'],
    ['as Slack links it', 'retry <mailto:abc.1@mail.example|abc.1@mail.example>'],
  ])('%s', (_rule, text) => {
    expect(parseSupportCommand(text)).toEqual({ ok: true, command: { name: 'retry', messageId: '<abc.1@mail.example>' } });
  });

  it.each([
    ['missing', 'retry'],
    ['two ids', 'retry a@b.example c@d.example'],
    ['not an id', 'retry hello'],
  ])('refuses %s', (_rule, text) => {
    expect(parseSupportCommand(text)).toMatchObject({ ok: false, usage: 'retry <message-id>' });
  });

  it('lists both in help', () => {
    expect(helpText('/support')).toContain('`/support open <caller e-mail> <severity 1-5> <subject…>`');
    expect(helpText('/support')).toContain('`/support retry <message-id>`');
  });
});

describe('phoneOpenedReply', () => {
  it('tells the engineer when the customer is suspended (opened anyway: the engineer decided on the phone)', () => {
    const text = phoneOpenedReply(
      {
        ticketId: 1,
        requestId: 'SR-2026-000001',
        missing: ['version'],
        awaitingAgreement: false,
        acknowledged: true,
        suspended: { since: '2026-11-01', reason: 'Invoice <117> unpaid' },
      },
      'jane@acme.example',
    );
    expect(text).toContain('Opened SR-2026-000001 for jane@acme.example (taken by phone).');
    expect(text).toContain('Still missing: version; the SLA clock starts once the request is complete.');
    expect(text).toContain(":warning: The customer's service is suspended since 2026-11-01: Invoice &lt;117&gt; unpaid");
  });
});

describe('thread lines of the new events', () => {
  const policy = defaultPolicy();
  it.each([
    [
      'phone-call',
      { caller: 'jane@acme.example' },
      'UENG00001',
      ':telephone_receiver: <@UENG00001> opened the request from a phone call with jane@acme.example.',
    ],
    ['needs-info-reminder', { missingInfo: ['version'] }, 'deskbot', ':bell: The request is still incomplete: a reminder of what is missing went by e-mail.'],
  ])('%s', (type, detail, actor, line) => {
    expect(eventText({ type, at: new Date('2026-11-30T15:00:00Z'), actor, detail }, policy)).toContain(line);
  });
});
