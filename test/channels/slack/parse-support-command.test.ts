// The /support grammar, table-driven: each case is named after the rule it pins.
import { describe, expect, it } from 'vitest';
import { helpText, parseSupportCommand, periodRange, parseBreachPeriod } from '../../../src/channels/slack/commands/parse-support-command.ts';

describe('parseSupportCommand', () => {
  it.each([
    ['empty text is help', '', { name: 'help' }],
    ['list defaults to open', 'list', { name: 'list', filter: 'open' }],
    ['sub-commands are case-insensitive', 'LIST Mine', { name: 'list', filter: 'mine' }],
    ['request IDs are canonicalised', 'show sr-2026-000123', { name: 'show', requestId: 'SR-2026-000123' }],
    ['an escaped mention names the assignee', 'assign SR-2026-000123 <@U0ABC|jane>', { name: 'assign', requestId: 'SR-2026-000123', assignee: 'U0ABC' }],
    ['"me" assigns oneself', 'assign SR-2026-000123 me', { name: 'assign', requestId: 'SR-2026-000123', assignee: 'me' }],
    ['severity is 1-5', 'severity SR-2026-000123 1', { name: 'severity', requestId: 'SR-2026-000123', severity: 1 }],
    [
      'respond keeps the text as written',
      'respond SR-2026-000123 Line one\n  line two',
      { name: 'respond', requestId: 'SR-2026-000123', text: 'Line one\n  line two' },
    ],
    ['close with the rules', 'close SR-2026-000123 resolved', { name: 'close', requestId: 'SR-2026-000123', outcome: 'resolved' }],
    [
      'close excluded names the cause, then an override and its reason',
      'close SR-2026-000123 excluded hardware charge customer insisted',
      { name: 'close', requestId: 'SR-2026-000123', outcome: 'excluded', exclusion: 'hardware', charge: 'charge', reason: 'customer insisted' },
    ],
    [
      'close exceptional needs decision and reason',
      'close SR-2026-000123 exceptional no-charge cannot reproduce',
      { name: 'close', outcome: 'exceptional', charge: 'no-charge', reason: 'cannot reproduce' },
    ],
    ['a reason alone is a note', 'close SR-2026-000123 documentation see KB 12', { name: 'close', outcome: 'documentation', reason: 'see KB 12' }],
    ['split takes an optional subject', 'split SR-2026-000123 Second issue', { name: 'split', subject: 'Second issue' }],
    ['callers takes the rest as the customer', 'callers Acme Corp', { name: 'callers', customer: 'Acme Corp' }],
    ['breaches defaults to 7 days', 'breaches', { name: 'breaches', period: { kind: 'days', days: 7 } }],
    ['breaches in weeks', 'breaches 2w', { name: 'breaches', period: { kind: 'days', days: 14 } }],
    [
      'workaround keeps the text as written',
      'workaround SR-2026-000123 Turn off  IPv6',
      { name: 'workaround', requestId: 'SR-2026-000123', text: 'Turn off  IPv6' },
    ],
    ['agreed records a phone agreement', 'agreed sr-2026-000123', { name: 'agreed', requestId: 'SR-2026-000123' }],
    ['presales marks the request free', 'presales SR-2026-000123', { name: 'presales', requestId: 'SR-2026-000123' }],
    ['postmortem takes notes', 'postmortem SR-2026-000123 Rota gap at night', { name: 'postmortem', requestId: 'SR-2026-000123', notes: 'Rota gap at night' }],
    ['reply is respond', 'Reply SR-2026-000123 Try again', { name: 'respond', requestId: 'SR-2026-000123', text: 'Try again' }],
    ['pause is wait', 'pause SR-2026-000123', { name: 'wait', requestId: 'SR-2026-000123' }],
    ['unpause is resume', 'unpause SR-2026-000123', { name: 'resume', requestId: 'SR-2026-000123' }],
    [
      'close excluded unsupported-version',
      'close SR-2026-000123 excluded unsupported-version',
      { name: 'close', outcome: 'excluded', exclusion: 'unsupported-version' },
    ],
  ])('%s', (_rule, text, expected) => {
    const result = parseSupportCommand(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.command).toMatchObject(expected);
  });

  it.each([
    [
      'respond',
      'respond SR-2026-000123 Use a &lt;tag&gt; &amp; see <https://kb.example.com/a|kb article>',
      { text: 'Use a <tag> & see kb article (https://kb.example.com/a)' },
    ],
    ['workaround', 'workaround SR-2026-000123 Set &lt;ipv6&gt; off &amp; restart', { text: 'Set <ipv6> off & restart' }],
    ['postmortem', 'postmortem SR-2026-000123 Rota gap &amp; <https://wiki.example/pm>', { notes: 'Rota gap & https://wiki.example/pm' }],
    ['reopen', 'reopen SR-2026-000123 Customer &amp; <@U1|jane> say it is back', { reason: 'Customer & @jane say it is back' }],
    ['split', 'split SR-2026-000123 VPN &lt;-&gt; LDAP', { subject: 'VPN <-> LDAP' }],
    ['close', 'close SR-2026-000123 bug no-charge see <https://bugs.example/1|bug 1> &amp; KB', { reason: 'see bug 1 (https://bugs.example/1) & KB' }],
    ['callers', 'callers Smith &amp; Co', { customer: 'Smith & Co' }],
    ['open', 'open jane@acme.example 4 Mail &amp; <!here> down', { call: { subject: 'Mail & @here down' } }],
  ])('decodes the free text of %s once, at parse time', (_name, text, expected) => {
    const result = parseSupportCommand(text);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.command).toMatchObject(expected);
  });

  it.each([
    ['a seven-digit sequence with a leading zero is not an ID', 'show SR-2026-0000123'],
    ['severity 0', 'severity SR-2026-000123 0'],
    ['severity as a word', 'severity SR-2026-000123 high'],
    ['a plain @name is not a mention', 'assign SR-2026-000123 @jane'],
    ['an unknown exclusion', 'close SR-2026-000123 excluded aliens'],
    ['an override without reason', 'close SR-2026-000123 bug charge'],
    ['extra words after show', 'show SR-2026-000123 please'],
    ['a workaround without text', 'workaround SR-2026-000123'],
    ['a post-mortem without notes', 'postmortem SR-2026-000123'],
    ['extra words after agreed', 'agreed SR-2026-000123 by phone'],
    ['breaches over a year', 'breaches 400d'],
    ['a name only the prototype of the table has', 'constructor SR-2026-000123'],
    ['an alias without its request', 'reply'],
  ])('refuses %s', (_rule, text) => {
    expect(parseSupportCommand(text).ok).toBe(false);
  });
});

it('names a close outcome it does not know, and lists the outcomes', () => {
  const result = parseSupportCommand('close SR-2026-000123 whatever');
  expect(result).toMatchObject({ ok: false, error: expect.stringContaining('"whatever" is no outcome. Give the outcome: one of resolved,') });
});

describe('help', () => {
  it('names the aliases, and `help reply` is the help of respond', () => {
    expect(helpText('/support')).toContain('`reply` = `respond`');
    expect(helpText('/support', 'reply')).toContain('/support respond SR-2026-000123 <text>');
  });
});

describe('breach periods', () => {
  const now = new Date('2026-03-02T10:00:00Z');
  it('this-month runs from the first of the month (UTC) to now', () => {
    expect(periodRange(parseBreachPeriod('this-month')!, now)).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: now });
  });
  it('last-month is the whole previous calendar month', () => {
    expect(periodRange(parseBreachPeriod('last-month')!, now)).toEqual({ from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-03-01T00:00:00Z') });
  });
  it('30d is the last 30 days', () => {
    expect(periodRange(parseBreachPeriod('30d')!, now).from).toEqual(new Date('2026-01-31T10:00:00Z'));
  });
});
