import { describe, expect, it } from 'vitest';
import { defaultPolicy, type RequiredInfoItem } from '../../src/domain/policy.ts';
import {
  extractRequestDetails,
  findLicenceNumbers,
  identifiedLicence,
  missingInfo,
  stripQuotedText,
  summarizeDefect,
  summaryMaxLength,
  type MissingInfoContext,
  type RequestDetails,
} from '../../src/domain/request-details.ts';
import { isForwardSubject } from '../../src/domain/quoted-text.ts';

const knownProducts = ['Kerio Connect', 'Kerio Control', 'Kerio Control Web Filter'];
const extract = (subject: string, body = '') => extractRequestDetails({ subject, body, knownProducts });

describe('extractRequestDetails: severity', () => {
  it.each([
    { rule: 'explicit "Severity: 4" in the body', subject: 'Mail stuck', body: 'Severity: 4\nMail is stuck.', severity: 4, source: 'number' },
    { rule: '"Sev 5" in the subject', subject: 'Sev 5 - server down', body: '', severity: 5, source: 'number' },
    { rule: 'German "Schweregrad: 3", as the German needs-info mail asks', subject: 'VPN', body: 'Schweregrad: 3', severity: 3, source: 'number' },
    { rule: 'Czech "Závažnost: 4"', subject: 'VPN', body: 'Závažnost: 4', severity: 4, source: 'number' },
    { rule: 'Swedish "Allvarlighetsgrad 2"', subject: 'VPN', body: 'Allvarlighetsgrad 2', severity: 2, source: 'number' },
    { rule: '"Sev4" without a space', subject: 'Sev4 queue stuck', body: '', severity: 4, source: 'number' },
    { rule: '"Severity level 2"', subject: 'Config', body: 'Severity level 2, please advise.', severity: 2, source: 'number' },
    { rule: '"severity=3" with an equals sign', subject: 'x', body: 'severity=3', severity: 3, source: 'number' },
    { rule: '"[S4]" tag in the subject', subject: '[S4] Slow webmail', body: '', severity: 4, source: 'number' },
    { rule: 'bare "S3" is not a severity (AWS S3)', subject: 'S3 bucket backup fails', body: '', severity: null, source: 'none' },
    { rule: 'bare "S4" in the body is not a severity (Galaxy S4)', subject: 'Phone sync', body: 'My Galaxy S4 does not sync.', severity: null, source: 'none' },
    { rule: '"[S4]" only counts in the subject', subject: 'Phone sync', body: '[S4] phone', severity: null, source: 'none' },
    { rule: 'a number outside 1-5 is no severity', subject: 'x', body: 'Severity: 7', severity: null, source: 'none' },
    { rule: 'a two-digit number is not read as its first digit', subject: 'x', body: 'Severity 10', severity: null, source: 'none' },
    { rule: 'a decimal is not a severity', subject: 'x', body: 'severity 3.5 of 5', severity: null, source: 'none' },
    { rule: 'a range is not a severity', subject: 'x', body: 'Which severity 1-5 applies here?', severity: null, source: 'none' },
    { rule: '"several" is not "sev"', subject: 'x', body: 'several 4 users complain', severity: null, source: 'none' },
    { rule: "the subject's number wins over the body's", subject: 'Sev 5: down', body: 'Severity: 3', severity: 5, source: 'number' },
    { rule: 'the first number in the body wins', subject: 'x', body: 'Severity: 2\nEarlier I wrote severity 4.', severity: 2, source: 'number' },
    { rule: 'an explicit number wins over words', subject: 'Critical: backups', body: 'Severity: 3', severity: 3, source: 'number' },
    { rule: '"Severity: Major" names a level', subject: 'Queue', body: 'Severity: Major', severity: 4, source: 'named' },
    { rule: '"Severity: Other" names level 2', subject: 'Queue', body: 'Severity: Other', severity: 2, source: 'named' },
    { rule: 'a named level wins over free words', subject: 'critical question', body: 'Severity: minor', severity: 3, source: 'named' },
    { rule: '"critical" means 5', subject: 'Critical outage of mail', body: '', severity: 5, source: 'keyword' },
    { rule: '"major" means 4', subject: 'Major problem with VPN', body: '', severity: 4, source: 'keyword' },
    { rule: '"minor" means 3', subject: 'Minor glitch in webmail', body: '', severity: 3, source: 'keyword' },
    { rule: '"question" means 2', subject: 'Question about quotas', body: '', severity: 2, source: 'keyword' },
    { rule: '"feature request" means 1', subject: 'Feature request: dark mode', body: '', severity: 1, source: 'keyword' },
    { rule: '"feature-request" with a hyphen means 1', subject: 'feature-request dark mode', body: '', severity: 1, source: 'keyword' },
    { rule: 'the highest keyword wins', subject: 'Quick question', body: 'The outage is critical.', severity: 5, source: 'keyword' },
    { rule: 'a negated keyword is ignored', subject: 'Webmail', body: 'This is not critical, just a question.', severity: 2, source: 'keyword' },
    { rule: '"not a major" is negated too', subject: 'x', body: 'It is not a major issue.', severity: null, source: 'none' },
    { rule: '"non-critical" is not critical', subject: 'x', body: 'A non-critical warning is logged.', severity: null, source: 'none' },
    { rule: '"noncritical" is one word, not critical', subject: 'x', body: 'noncritical warning', severity: null, source: 'none' },
    {
      rule: 'version words are not severities',
      subject: 'After the major upgrade',
      body: 'a minor update and a major version change',
      severity: null,
      source: 'none',
    },
    { rule: '"critical patch" is not a severity', subject: 'x', body: 'I installed the critical security patch.', severity: null, source: 'none' },
    { rule: 'words inside other words do not count', subject: 'x', body: 'The majority of minors...', severity: null, source: 'none' },
    { rule: 'quoted reply lines are ignored', subject: 'Re: help', body: 'Thanks.\n> Severity: 5\n> critical', severity: null, source: 'none' },
    { rule: 'indented quoted lines are ignored', subject: 'Re: help', body: 'Ok.\n  > Sev 5', severity: null, source: 'none' },
    { rule: 'the signature is ignored', subject: 'Hello', body: 'Mail is slow.\n-- \nCritical Systems Inc.', severity: null, source: 'none' },
    {
      rule: 'an Outlook original message is ignored',
      subject: 'RE: x',
      body: 'See below.\n-----Original Message-----\nSeverity: 5',
      severity: null,
      source: 'none',
    },
    { rule: 'no severity at all', subject: 'Mail is slow', body: 'Since Monday.', severity: null, source: 'none' },
  ])('$rule', ({ subject, body, severity, source }) => {
    const details = extract(subject, body);
    expect({ severity: details.severity, source: details.severitySource }).toEqual({ severity, source });
  });
});

describe('extractRequestDetails: licence numbers', () => {
  it.each([
    { rule: 'a 4-4-4 number with letters and digits', subject: 'x', body: 'Our licence is 27A3-9F10-4C2B.', expected: ['27A3-9F10-4C2B'] },
    { rule: 'lower case is upper-cased', subject: 'x', body: 'key 27a3-9f10-4c2b', expected: ['27A3-9F10-4C2B'] },
    { rule: 'a number in the subject', subject: 'Licence 27A3-9F10-4C2B expired?', body: '', expected: ['27A3-9F10-4C2B'] },
    {
      rule: '4 and 5 groups are licence shapes too',
      subject: 'x',
      body: 'AB12-CD34-EF56-7890 and 1A2B-3C4D-5E6F-7A8B-9C0D',
      expected: ['AB12-CD34-EF56-7890', '1A2B-3C4D-5E6F-7A8B-9C0D'],
    },
    { rule: '"License number:" labels any token with a digit', subject: 'x', body: 'License number: 12345678', expected: ['12345678'] },
    { rule: '"Licence no." label', subject: 'x', body: 'Licence no. KC-998877', expected: ['KC-998877'] },
    { rule: '"Licence #" label', subject: 'x', body: 'licence #A1B2C3D4', expected: ['A1B2C3D4'] },
    { rule: '"Licence key:" label', subject: 'x', body: 'Licence key: 77777777', expected: ['77777777'] },
    { rule: 'labelled and shaped number is reported once', subject: 'x', body: 'License number: 27A3-9F10-4C2B', expected: ['27A3-9F10-4C2B'] },
    {
      rule: 'several numbers keep their order, repeats dropped',
      subject: 'BBBB-2222-CCC3',
      body: 'AAAA-1111-BBB2 and bbbb-2222-ccc3',
      expected: ['BBBB-2222-CCC3', 'AAAA-1111-BBB2'],
    },
    { rule: 'an all-digit phone number is not a licence', subject: 'x', body: 'Call me on 0800-1234-5678.', expected: [] },
    { rule: 'hyphenated words are not a licence', subject: 'x', body: 'WITH-THAT-KIND of error', expected: [] },
    { rule: 'a UUID fragment is not a licence', subject: 'x', body: 'id 123e4567-e89b-12d3-a456-426614174000', expected: [] },
    { rule: 'a labelled word without digits is not a licence', subject: 'x', body: 'License: expired', expected: [] },
    { rule: 'a labelled short token is not a licence', subject: 'x', body: 'License: 5-user pack', expected: [] },
    { rule: 'a licence only in quoted text is ignored', subject: 'Re: x', body: 'Yes.\n> Licence 27A3-9F10-4C2B', expected: [] },
  ])('$rule', ({ subject, body, expected }) => {
    expect(extract(subject, body).licenceNumbers).toEqual(expected);
  });

  it('findLicenceNumbers works on any text', () => {
    expect(findLicenceNumbers('27A3-9F10-4C2B')).toEqual(['27A3-9F10-4C2B']);
  });
});

describe('extractRequestDetails: product', () => {
  it.each([
    { rule: 'a known product, case-insensitive, spelled as known', subject: 'kerio connect crashes', body: '', expected: 'Kerio Connect' },
    {
      rule: 'the longest product starting at the same place wins',
      subject: 'x',
      body: 'Kerio Control Web Filter blocks Google',
      expected: 'Kerio Control Web Filter',
    },
    { rule: "the subject's product wins over the body's", subject: 'Kerio Control VPN', body: 'Kerio Connect is fine', expected: 'Kerio Control' },
    { rule: 'the first product named in the body', subject: 'help', body: 'Kerio Connect and Kerio Control', expected: 'Kerio Connect' },
    { rule: 'a product name wrapped across lines', subject: 'x', body: 'We run Kerio\nConnect on Linux', expected: 'Kerio Connect' },
    { rule: 'a product must be whole words', subject: 'x', body: 'The Kerio Connector plugin', expected: null },
    { rule: 'an unknown product is not reported', subject: 'Outlook crashes', body: '', expected: null },
    { rule: 'a product only in quoted text is ignored', subject: 'Re: x', body: 'Ok\n> Kerio Connect', expected: null },
  ])('$rule', ({ subject, body, expected }) => {
    expect(extract(subject, body).product).toBe(expected);
  });

  it('no known products means no product', () => {
    expect(extractRequestDetails({ subject: 'Kerio Connect', body: '', knownProducts: [] }).product).toBeNull();
  });
});

describe('extractRequestDetails: version', () => {
  it.each([
    { rule: '"version 9.4.2"', subject: 'x', body: 'We run version 9.4.2 on Linux.', expected: '9.4.2' },
    { rule: 'the Czech label the needs-info mail asks with, "Verze: v9.4.2"', subject: 'x', body: 'Verze: v9.4.2', expected: '9.4.2' },
    { rule: 'a Czech answer in the accusative, "používáme verzi 9.4.2"', subject: 'x', body: 'Dobrý den, používáme verzi 9.4.2.', expected: '9.4.2' },
    { rule: 'the German "Versionsnummer: 10.0.2"', subject: 'x', body: 'Versionsnummer: 10.0.2', expected: '10.0.2' },
    { rule: '"v9.4"', subject: 'Crash in v9.4', body: '', expected: '9.4' },
    { rule: '"Version: 10.0.1 build 1234" keeps the build', subject: 'x', body: 'Version: 10.0.1 build 1234', expected: '10.0.1 build 1234' },
    { rule: '"(build 5678)" in parentheses', subject: 'x', body: 'version 9.4.2 (build 5678)', expected: '9.4.2 build 5678' },
    { rule: '"ver. 9" with a label needs no dot', subject: 'x', body: 'ver. 9 here', expected: '9' },
    { rule: 'a product followed by a number is its version', subject: 'Kerio Connect 9.4.2 crashes', body: '', expected: '9.4.2' },
    { rule: "the product's version wins over the OS version", subject: 'x', body: 'Windows version 10, Kerio Connect 9.4.2', expected: '9.4.2' },
    { rule: 'a pre-release suffix is kept', subject: 'x', body: 'version 9.4.2-beta1', expected: '9.4.2-beta1' },
    { rule: 'a patch suffix is kept', subject: 'x', body: 'version 9.4.2p1', expected: '9.4.2p1' },
    { rule: 'a sentence-ending period is not part of the version', subject: 'x', body: 'We use version 9.4.', expected: '9.4' },
    { rule: '"V8" without a dot is no version', subject: 'x', body: 'The V8 engine', expected: null },
    { rule: '"TLSv1.2" is not a product version', subject: 'x', body: 'TLSv1.2 handshake fails', expected: null },
    { rule: 'an IP address is not a version', subject: 'x', body: 'server 10.0.0.1 is unreachable', expected: null },
    { rule: 'five dotted groups are not a version', subject: 'x', body: 'version 1.2.3.4.5', expected: null },
    { rule: 'the subject wins over the body', subject: 'version 9.3', body: 'version 9.4', expected: '9.3' },
    { rule: 'a version only in quoted text is ignored', subject: 'Re: x', body: 'Ok\n> version 9.4.2', expected: null },
    { rule: '"version" without a number', subject: 'x', body: 'the latest version of Kerio', expected: null },
  ])('$rule', ({ subject, body, expected }) => {
    expect(extract(subject, body).version).toBe(expected);
  });
});

describe('stripQuotedText', () => {
  it.each([
    { rule: 'drops ">" lines and keeps inline answers', body: 'Answer one\n> question one\nAnswer two\n> question two', expected: 'Answer one\nAnswer two' },
    { rule: 'drops a reply attribution', body: 'Thanks!\nOn Mon, 2 Mar 2026 at 10:00, Support <s@x.example> wrote:\n> old', expected: 'Thanks!' },
    { rule: 'stops at the "-- " signature separator', body: 'Body\n-- \nJane Doe\nACME', expected: 'Body' },
    { rule: 'stops at "--" when a client trimmed the space', body: 'Body\n--\nJane', expected: 'Body' },
    { rule: 'keeps a "--" inside a line', body: 'Body -- more', expected: 'Body -- more' },
    { rule: 'stops at an Outlook original message', body: 'New\n-----Original Message-----\nFrom: x\nold', expected: 'New' },
    { rule: 'stops at an Outlook reply header block', body: 'New\n\nFrom: Support <s@x.example>\nSent: Monday\nold text', expected: 'New' },
    { rule: 'stops at an Outlook rule', body: 'New\n________________________________\nFrom: x', expected: 'New' },
    {
      rule: 'stops at a German Outlook reply header block',
      body: 'Version: 10.0.2\n\nVon: Support <s@x.example>\nGesendet: Montag, 30. November 2026 15:08\nSchweregrad: 3 (Gering)',
      expected: 'Version: 10.0.2',
    },
    {
      rule: 'stops at a Czech Outlook reply header block',
      body: 'Verze 9.4\n\nOd: Support <s@x.example>\nOdesláno: pondělí\nZávažnost: 3',
      expected: 'Verze 9.4',
    },
    {
      rule: 'stops at a Swedish Outlook reply header block with the address line between',
      body: 'Version: 9.4.2\n\n*Från:* Support\n*Till:* Anna\n*Skickat:* den 30 november\nAllvarlighetsgrad: 3',
      expected: 'Version: 9.4.2',
    },
    { rule: 'stops at a German original message', body: 'Neu\n-----Ursprüngliche Nachricht-----\nalt', expected: 'Neu' },
    { rule: 'drops a German attribution', body: 'Danke\nAm 30.11.2026 um 15:07 schrieb Support <s@x.example>:\n> alt', expected: 'Danke' },
    { rule: 'drops a Czech attribution', body: 'Díky\nDne 30. 11. 2026 v 15:07 Support <s@x.example> napsal(a):\n> staré', expected: 'Díky' },
    { rule: 'drops a Swedish attribution', body: 'Tack\nDen 30 nov. 2026 kl. 15:08 skrev Support <s@x.example>:\n> gammalt', expected: 'Tack' },
    {
      rule: 'keeps forwarded content without its headers',
      body: 'See below.\n---------- Forwarded message ---------\nFrom: User <u@x.example>\nDate: Mon\nSubject: VPN\nTo: me\n\nVPN is down since 9am.',
      expected: 'See below.\nVPN is down since 9am.',
    },
    { rule: 'handles CRLF line ends', body: 'One\r\n> quoted\r\nTwo', expected: 'One\nTwo' },
  ])('$rule', ({ body, expected }) => {
    expect(stripQuotedText(body)).toBe(expected);
  });
});

describe("a forward from Outlook: the forwarded request is the customer's", () => {
  const outlookForward = (rule: string) =>
    `Please see below, this hits all users.\n\n${rule}From: Jane User <jane@acme.example>\nSent: Monday, November 30, 2026 9:12 AM\nTo: IT <it@acme.example>\nSubject: Cannot send mail\n\nEvery mail to gmail.com bounces on Kerio Connect 10.0.1. Severity: 4`;
  it.each([
    { rule: 'a header block after "FW:"', subject: 'FW: Cannot send mail', body: outlookForward('') },
    { rule: 'a rule and a header block after "WG:"', subject: 'WG: Cannot send mail', body: outlookForward('________________________________\n') },
    { rule: 'an original message after "VB:"', subject: 'VB: Cannot send mail', body: outlookForward('-----Original Message-----\n') },
  ])('$rule: severity and version are read, the summary keeps it', ({ subject, body }) => {
    expect(extract(subject, body)).toMatchObject({ severity: 4, version: '10.0.1', product: 'Kerio Connect' });
    expect(summarizeDefect(subject, body)).toContain('Every mail to gmail.com bounces');
  });

  it('the same block under "Re:" is quoted history', () => {
    expect(extract('Re: Cannot send mail', outlookForward(''))).toMatchObject({ severity: null, version: null });
  });

  it.each([
    ['FW: x', true],
    ['Fwd: x', true],
    ['WG: x', true],
    ['PŘ: x', true],
    ['Re: FW: x', false],
    ['Forward planning', false],
  ])('isForwardSubject(%j) is %s', (subject, expected) => {
    expect(isForwardSubject(subject)).toBe(expected);
  });
});

const policy = defaultPolicy();
const details = (overrides: Partial<RequestDetails> = {}): RequestDetails => ({
  severity: 4,
  severitySource: 'number',
  licenceNumbers: [],
  product: 'Kerio Connect',
  version: '9.4.2',
  ...overrides,
});
const twoLicences = [
  { number: '27A3-9F10-4C2B', product: 'Kerio Connect' },
  { number: 'B0B0-1111-C2C2', product: 'Kerio Control' },
];
const oneLicence = [{ number: '27A3-9F10-4C2B', product: 'Kerio Connect' }];

describe('missingInfo', () => {
  it.each<{ rule: string; details: RequestDetails; context: MissingInfoContext; required?: RequiredInfoItem[]; expected: RequiredInfoItem[] }>([
    {
      rule: 'nothing missing when everything is named',
      details: details({ licenceNumbers: ['27A3-9F10-4C2B'] }),
      context: { customerLicences: twoLicences },
      expected: [],
    },
    {
      rule: 'severity is missing when none was found',
      details: details({ severity: null, severitySource: 'none', licenceNumbers: ['27A3-9F10-4C2B'] }),
      context: { customerLicences: twoLicences },
      expected: ['severity'],
    },
    {
      rule: 'a keyword severity counts as given',
      details: details({ severity: 2, severitySource: 'keyword', licenceNumbers: ['27A3-9F10-4C2B'] }),
      context: { customerLicences: twoLicences },
      expected: [],
    },
    { rule: 'licence is present when the only licence is implied', details: details(), context: { customerLicences: oneLicence }, expected: [] },
    {
      rule: 'licence is missing when the customer has several and names none',
      details: details(),
      context: { customerLicences: twoLicences },
      expected: ['licence'],
    },
    {
      rule: "another customer's licence number does not count",
      details: details({ licenceNumbers: ['FFFF-0000-AAA1'] }),
      context: { customerLicences: twoLicences },
      expected: ['licence'],
    },
    {
      rule: 'a named licence matches case-insensitively',
      details: details({ licenceNumbers: ['b0b0-1111-c2c2'] }),
      context: { customerLicences: twoLicences },
      expected: [],
    },
    {
      rule: 'a customer without licences always misses the licence',
      details: details({ licenceNumbers: ['27A3-9F10-4C2B'] }),
      context: { customerLicences: [] },
      expected: ['licence'],
    },
    {
      rule: 'for a partner any licence number counts',
      details: details({ licenceNumbers: ['FFFF-0000-AAA1'] }),
      context: { customerLicences: null },
      expected: [],
    },
    { rule: 'for a partner no licence number is missing', details: details(), context: { customerLicences: null }, expected: ['licence'] },
    {
      rule: 'the identified licence tells the product',
      details: details({ product: null, licenceNumbers: ['B0B0-1111-C2C2'] }),
      context: { customerLicences: twoLicences },
      expected: [],
    },
    { rule: 'the only licence tells the product', details: details({ product: null }), context: { customerLicences: oneLicence }, expected: [] },
    {
      rule: 'product is missing when neither named nor implied',
      details: details({ product: null }),
      context: { customerLicences: twoLicences },
      expected: ['licence', 'product'],
    },
    {
      rule: 'version is missing when not found',
      details: details({ version: null, licenceNumbers: ['27A3-9F10-4C2B'] }),
      context: { customerLicences: twoLicences },
      expected: ['version'],
    },
    {
      rule: 'everything missing, in policy order',
      details: details({ severity: null, severitySource: 'none', product: null, version: null }),
      context: { customerLicences: twoLicences },
      expected: ['severity', 'licence', 'product', 'version'],
    },
    {
      rule: 'only required items are reported, in the order required',
      details: details({ severity: null, severitySource: 'none', product: null, version: null }),
      context: { customerLicences: twoLicences },
      required: ['version', 'severity'],
      expected: ['version', 'severity'],
    },
    {
      rule: 'nothing is required',
      details: details({ severity: null, severitySource: 'none' }),
      context: { customerLicences: twoLicences },
      required: [],
      expected: [],
    },
  ])('$rule', ({ details: requestDetails, context, required, expected }) => {
    expect(missingInfo(requestDetails, required ?? policy.requiredInfo, context)).toEqual(expected);
  });

  it.each([
    { rule: 'the first named licence of the customer', named: ['FFFF-0000-AAA1', 'B0B0-1111-C2C2'], licences: twoLicences, expected: 'B0B0-1111-C2C2' },
    { rule: 'the only licence when none is named', named: [], licences: oneLicence, expected: '27A3-9F10-4C2B' },
    { rule: 'nothing when several and none named', named: [], licences: twoLicences, expected: undefined },
  ])('identifiedLicence: $rule', ({ named, licences, expected }) => {
    expect(identifiedLicence(named, licences)?.number).toBe(expected);
  });
});

describe('summarizeDefect', () => {
  it.each([
    {
      rule: 'the subject followed by the first sentences of the body',
      subject: 'Mail server crashes',
      body: 'Since the upgrade to 9.4.2 the server crashes every night. It happens at 2am.',
      expected: 'Mail server crashes. Since the upgrade to 9.4.2 the server crashes every night. It happens at 2am.',
    },
    { rule: 'Re:/Fwd: prefixes and request tags leave the subject', subject: 'Re: Fwd: [SR-2026-000123] VPN down', body: '', expected: 'VPN down' },
    {
      rule: 'a bare request ID leaves the subject like a tag',
      subject: 'RE: sr-2026-000022 spam filter logs SR-2026-000023',
      body: '',
      expected: 'spam filter logs',
    },
    { rule: 'an ID inside a longer token stays in the subject', subject: 'Re: XSR-2026-000022 logs', body: '', expected: 'XSR-2026-000022 logs' },
    {
      rule: 'a greeting line is dropped',
      subject: 'VPN down',
      body: 'Dear Support Team,\n\nThe VPN drops every hour.',
      expected: 'VPN down. The VPN drops every hour.',
    },
    { rule: 'an inline greeting is dropped', subject: 'VPN down', body: 'Hi team, the VPN drops every hour.', expected: 'VPN down. The VPN drops every hour.' },
    { rule: 'a greeting before a comma goes, the sentence after it stays', subject: 'VPN', body: 'Hi, the VPN drops.', expected: 'VPN. The VPN drops.' },
    {
      rule: 'a greeting line with "Hi" and a sentence is not a greeting line',
      subject: 'VPN',
      body: 'Hi there is a crash. Really.',
      expected: 'VPN. Hi there is a crash. Really.',
    },
    {
      rule: 'a greeting word opening a sentence is not a greeting to strip ("Hello our mail server is down: …")',
      subject: 'Problem',
      body: 'Hello our mail server is down: users cannot log in since 9am.',
      expected: 'Problem. Hello our mail server is down: users cannot log in since 9am.',
    },
    {
      rule: '"Hi all servers crash!" keeps its words',
      subject: 'Problem',
      body: 'Hi all servers crash! Please call me.',
      expected: 'Problem. Hi all servers crash! Please call me.',
    },
    {
      rule: 'a greeting to a named person and team goes',
      subject: 'VPN',
      body: 'Hello Jane and Support Team, the VPN drops.',
      expected: 'VPN. The VPN drops.',
    },
    {
      rule: 'a greeting to the customer service desk goes',
      subject: 'VPN',
      body: 'Dear customer service team,\n\nThe VPN drops.',
      expected: 'VPN. The VPN drops.',
    },
    {
      rule: '"Best regards," ends the text',
      subject: 'Login loops',
      body: 'It started after the change.\n\nBest regards,\nIvan',
      expected: 'Login loops. It started after the change.',
    },
    {
      rule: '"Thank you," ends the text',
      subject: 'Login loops',
      body: 'It fails.\n\nThank you,\nErika Muster\nMuster GmbH IT',
      expected: 'Login loops. It fails.',
    },
    { rule: '"Vielen Dank im Voraus" ends the text', subject: 'VPN', body: 'Es geht nicht.\n\nVielen Dank im Voraus', expected: 'VPN. Es geht nicht.' },
    { rule: 'a greeting line without punctuation goes', subject: 'VPN', body: 'Hello Jane\n\nThe VPN drops.', expected: 'VPN. The VPN drops.' },
    {
      rule: 'a short line starting with a greeting word is text',
      subject: 'VPN',
      body: 'Hi all servers crash\nsince Monday.',
      expected: 'VPN. Hi all servers crash since Monday.',
    },
    { rule: 'quoted text is left out', subject: 'Re: VPN', body: 'Still failing today.\n\n> Please try a restart.', expected: 'VPN. Still failing today.' },
    { rule: 'the signature is left out', subject: 'VPN', body: 'It fails.\n-- \nJane Doe, ACME. Phone 555.', expected: 'VPN. It fails.' },
    { rule: 'a closing ends the text', subject: 'VPN', body: 'It fails.\n\nThanks,\nJane\n\nACME Corp, 1 Main St.', expected: 'VPN. It fails.' },
    {
      rule: "the sender's name alone after the text is a sign-off, not the defect",
      subject: 'Server down',
      body: 'Hello, our server crashed and all users are down.\n\nLars',
      expected: 'Server down. Our server crashed and all users are down.',
      senders: ['Lars Berg', 'lars@nordic.example'],
    },
    {
      rule: "the sender's full name right after the last sentence is a sign-off",
      subject: 'VPN',
      body: 'It fails.\nJane Doe',
      expected: 'VPN. It fails.',
      senders: ['Jane Doe'],
    },
    {
      rule: 'a dashed first name from the address is a sign-off',
      subject: 'VPN',
      body: 'It fails.\n\n- Jürgen',
      expected: 'VPN. It fails.',
      senders: ['jurgen.gross@example.de', 'Jürgen Groß'],
    },
    {
      rule: "a short capitalised line that is not the sender's name stays",
      subject: 'VPN',
      body: 'It fails.\nSince Monday',
      expected: 'VPN. It fails. Since Monday',
      senders: ['Jane Doe'],
    },
    {
      rule: 'a capitalised line continuing a sentence is not a sign-off',
      subject: 'Crash',
      body: 'The crash happens only with\nJane Doe',
      expected: 'Crash. The crash happens only with Jane Doe',
      senders: ['Jane Doe'],
    },
    { rule: 'a body that is only the name stays', subject: 'VPN', body: 'Jane', expected: 'VPN. Jane', senders: ['Jane Doe'] },
    { rule: 'a closing with a name ends the text', subject: 'VPN', body: 'It fails.\nKind regards, Jane Doe\nACME', expected: 'VPN. It fails.' },
    {
      rule: '"Best practice" is no closing',
      subject: 'VPN',
      body: 'Best practice says restart it. It still fails.',
      expected: 'VPN. Best practice says restart it. It still fails.',
    },
    {
      rule: 'hard-wrapped lines become one sentence',
      subject: 'VPN',
      body: 'The VPN drops every\nhour on the hour.',
      expected: 'VPN. The VPN drops every hour on the hour.',
    },
    {
      rule: 'a subject ending in punctuation needs no period',
      subject: 'Why does the VPN drop?',
      body: 'Every hour.',
      expected: 'Why does the VPN drop? Every hour.',
    },
    {
      rule: 'a body sentence repeating the subject is not doubled',
      subject: 'VPN drops every hour',
      body: 'VPN drops every hour.\nSince Monday.',
      expected: 'VPN drops every hour. Since Monday.',
    },
    { rule: 'an empty body gives the subject', subject: 'VPN down', body: '', expected: 'VPN down' },
    { rule: 'an empty subject gives the body', subject: '', body: 'The VPN is down.', expected: 'The VPN is down.' },
    {
      rule: 'an Outlook original message is left out',
      subject: 'RE: VPN',
      body: 'Still broken.\n-----Original Message-----\nWe fixed it.',
      expected: 'VPN. Still broken.',
    },
  ])('$rule', ({ subject, body, expected, senders }: { subject: string; body: string; expected: string; senders?: string[] }) => {
    expect(summarizeDefect(subject, body, senders)).toBe(expected);
  });

  // A German summary read "VPN bricht ab. Hallo,. der VPN-Tunnel …": greetings and closings of every language we answer in.
  it.each([
    {
      rule: 'de: "Hallo," is a greeting line and "Mit freundlichen Grüßen" a closing',
      subject: 'VPN bricht ab',
      body: 'Hallo,\n\nder VPN-Tunnel bricht alle 5 Minuten ab.\n\nMit freundlichen Grüßen\nHans Müller',
      expected: 'VPN bricht ab. Der VPN-Tunnel bricht alle 5 Minuten ab.',
    },
    {
      rule: 'de: "Guten Tag," and "Viele Grüße"',
      subject: 'VPN bricht ab',
      body: 'Guten Tag,\nder Tunnel bricht ab. Seit Montag.\n\nViele Grüße\nHans',
      expected: 'VPN bricht ab. Der Tunnel bricht ab. Seit Montag.',
    },
    {
      rule: 'de: "Sehr geehrte Damen und Herren," and a closing with a name after a comma',
      subject: 'Absturz',
      body: 'Sehr geehrte Damen und Herren,\n\nder Server stürzt ab.\n\nMit freundlichen Grüßen, Jörg Weiß',
      expected: 'Absturz. Der Server stürzt ab.',
    },
    { rule: 'de: an inline "Hallo Team,"', subject: 'VPN', body: 'Hallo Team, der Tunnel bricht ab.', expected: 'VPN. Der Tunnel bricht ab.' },
    {
      rule: 'cs: "Dobrý den," and "S pozdravem"',
      subject: 'VPN',
      body: 'Dobrý den,\n\ntunel VPN se odpojuje.\n\nS pozdravem\nJan Novák',
      expected: 'VPN. Tunel VPN se odpojuje.',
    },
    {
      rule: 'sv: "Hej," and "Med vänliga hälsningar"',
      subject: 'VPN',
      body: 'Hej,\n\nVPN-tunneln kopplas ner.\n\nMed vänliga hälsningar\nAnna',
      expected: 'VPN. VPN-tunneln kopplas ner.',
    },
    { rule: 'a greeting alone gives the subject', subject: 'VPN', body: 'Hallo,', expected: 'VPN' },
    {
      rule: 'a paragraph ending in a comma never reads ",." (an unknown greeting)',
      subject: 'VPN,',
      body: 'Howdy partner,\n\nthe tunnel drops.',
      expected: 'VPN. Howdy partner. the tunnel drops.',
    },
  ])('$rule', ({ subject, body, expected }) => {
    const summary = summarizeDefect(subject, body);
    expect(summary).toBe(expected);
    expect(summary).not.toMatch(/[,;]\./);
  });

  it('stops at a whole sentence before 300 characters', () => {
    const sentence = 'The mail queue grows by about a hundred messages every single minute. ';
    const summary = summarizeDefect('Queue grows', sentence.repeat(10));
    expect(summary.length).toBeLessThanOrEqual(summaryMaxLength);
    expect(summary.endsWith('minute.')).toBe(true);
    expect(summary.startsWith('Queue grows. The mail queue')).toBe(true);
  });

  it('cuts a single overlong first sentence at a word, with an ellipsis', () => {
    const summary = summarizeDefect('Queue', `The ${'very '.repeat(100)}long sentence.`);
    expect(summary.length).toBeLessThanOrEqual(summaryMaxLength);
    expect(summary).toMatch(/^Queue\. The very very .*very…$/);
  });

  it('cuts an overlong subject too', () => {
    const summary = summarizeDefect('word '.repeat(100), 'Body.');
    expect(summary.length).toBeLessThanOrEqual(summaryMaxLength);
    expect(summary.endsWith('…')).toBe(true);
  });
});
