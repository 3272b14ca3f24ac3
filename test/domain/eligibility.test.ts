import { describe, expect, it } from 'vitest';
import type { Customer, Directory, Licence } from '../../src/domain/directory.ts';
import {
  coverageEndedOn,
  decideEligibility,
  eligibilityReasons,
  acceptanceReasons,
  isPartnerContact,
  isSenderAuthenticated,
  normalizeAddress,
  parseAuthenticationResults,
  type AuthenticationVerdicts,
  type DecideEligibilityOptions,
  type EligibilityDecision,
} from '../../src/domain/eligibility.ts';
import { defaultPolicy, resolvePolicy, type Policy, type PolicyInput } from '../../src/domain/policy.ts';

const NOW = new Date('2026-03-15T12:00:00Z');

function policyWith(partial: PolicyInput | Record<string, unknown>): Policy {
  const resolved = resolvePolicy(partial);
  if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
  return resolved.policy;
}

const licence = (number: string, overrides: Partial<Licence> = {}): Licence => ({
  number,
  product: 'Kerio Connect',
  type: 'commercial',
  registeredOn: '2024-01-10',
  maintenanceUntil: '2027-01-10',
  trialEndsOn: null,
  ...overrides,
});

const customer = (key: string, callers: string[], licences: Licence[]): Customer => ({
  key,
  name: key.toUpperCase(),
  supportLevel: 'normal',
  calendar: 'EMEA',
  currency: 'EUR',
  isPartner: false,
  locale: 'en',
  licences,
  eligibleCallers: callers.map((email) => ({ email, name: `Caller ${email}` })),
});

const L = {
  acmeConnect: licence('27A3-9F10-4C2B'),
  acmeControl: licence('B0B0-1111-C2C2', { product: 'Kerio Control', registeredOn: '2023-01-01', maintenanceUntil: '2025-12-31' }),
  oldco: licence('DEAD-0001-BEEF', { maintenanceUntil: '2026-03-14' }),
  lastday: licence('CAFE-0002-F00D', { maintenanceUntil: '2026-03-15' }),
  trial: licence('7E57-0003-AAAA', { type: 'trial', registeredOn: '2026-02-13', trialEndsOn: '2026-03-15', maintenanceUntil: null }),
  pastTrial: licence('7E57-0004-BBBB', { type: 'trial', registeredOn: '2026-02-01', trialEndsOn: '2026-03-14', maintenanceUntil: null }),
  openTrial: licence('7E57-0005-CCCC', { type: 'trial', registeredOn: '2026-02-20', trialEndsOn: null, maintenanceUntil: null }),
  newBuy: licence('1EAF-0006-DDDD', { registeredOn: '2026-01-10', maintenanceUntil: null }),
  clientA: licence('A0A0-0007-EEEE'),
  clientB: licence('B1B1-0008-FFFF'),
  buero: licence('B0E0-0009-ABCD'),
};

const directory: Directory = {
  customers: [
    customer('acme', ['jane@acme.example', 'ops@acme.example', 'pete@reseller.example'], [L.acmeConnect, L.acmeControl]),
    customer('oldco', ['bob@oldco.example', 'sam@msp.example'], [L.oldco]),
    customer('lastday', ['carl@lastday.example'], [L.lastday]),
    { ...customer('uslastday', ['dana@uslastday.example'], [licence('CAFE-0010-F00D', { maintenanceUntil: '2026-03-15' })]), calendar: 'US' },
    customer('trialco', ['tina@trial.example'], [L.trial]),
    customer('pasttrial', ['pat@pasttrial.example'], [L.pastTrial]),
    customer('opentrial', ['olga@opentrial.example'], [L.openTrial]),
    customer('newco', ['nina@newco.example'], [L.newBuy]),
    customer('empty', ['eve@empty.example'], []),
    customer('client-a', ['max@msp.example', 'sam@msp.example'], [L.clientA]),
    customer('client-b', ['max@msp.example'], [L.clientB]),
    customer('buero', ['Anna@Bücher.example'], [L.buero]),
  ],
  partners: [
    { partnerId: 'KP-10001', name: 'Reseller', contacts: ['@reseller.example', 'alice@freemail.example'], currency: 'USD', locale: 'en' },
    { partnerId: 'KP-20002', name: 'Other Partner', contacts: ['@other-partner.example', '@bücher-partner.example'], currency: 'EUR', locale: 'en' },
  ],
};

const PASS: AuthenticationVerdicts = { dmarc: 'pass', dkim: 'pass', spf: 'pass' };

function decide(overrides: Partial<DecideEligibilityOptions>): EligibilityDecision {
  return decideEligibility({
    sender: 'jane@acme.example',
    authentication: PASS,
    directory,
    subject: 'Mail server down',
    body: 'It crashed.',
    now: NOW,
    policy: defaultPolicy(),
    authRequired: false,
    ...overrides,
  });
}

type Case = { rule: string; options: Partial<DecideEligibilityOptions>; expected: Partial<EligibilityDecision> & { licenceNumber?: string | undefined } };

function check({ options, expected }: Case): void {
  const decision = decide(options);
  const { licenceNumber, ...shape } = expected;
  expect(decision).toMatchObject(shape);
  if ('licenceNumber' in expected) expect(decision.kind === 'eligible-caller' ? decision.licence?.number : 'not a caller').toBe(licenceNumber);
}

describe('decideEligibility: eligible callers', () => {
  it.each<Case>([
    {
      rule: 'an eligible caller with valid maintenance on at least one commercial licence is eligible',
      options: {},
      expected: { kind: 'eligible-caller', customerKey: 'acme', reason: 'maintenance-valid', licenceNumber: undefined },
    },
    {
      rule: 'the caller record of the directory is returned',
      options: { sender: 'ops@acme.example' },
      expected: { kind: 'eligible-caller', caller: { email: 'ops@acme.example', name: 'Caller ops@acme.example' } },
    },
    {
      rule: 'the local part and the domain match case-insensitively',
      options: { sender: 'JANE@Acme.EXAMPLE' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: 'surrounding whitespace and one pair of angle brackets are trimmed',
      options: { sender: '  <jane@acme.example> ' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: 'a trailing dot on the domain is the same domain',
      options: { sender: 'jane@acme.example.' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: 'an IDN domain matches its punycode form, in any case',
      options: { sender: 'ANNA@XN--BCHER-KVA.EXAMPLE' },
      expected: { kind: 'eligible-caller', customerKey: 'buero' },
    },
    { rule: 'an IDN domain matches its Unicode form', options: { sender: 'anna@bücher.example' }, expected: { kind: 'eligible-caller', customerKey: 'buero' } },
    {
      rule: "a display name never makes someone eligible: an eligible caller's name and address as display name, another address",
      options: { sender: 'mallory@evil.example', subject: 'From Jane Doe <jane@acme.example>', body: 'Jane Doe, jane@acme.example' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'a whole From header is not a bare address, even if the display name is an eligible address',
      options: { sender: '"jane@acme.example" <mallory@evil.example>' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'an eligible address followed by another address is refused',
      options: { sender: 'jane@acme.example <mallory@evil.example>' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'a sub-address is a different mailbox',
      options: { sender: 'jane+support@acme.example' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'a look-alike domain is a different mailbox',
      options: { sender: 'jane@acme.example.evil.example' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'a named licence of the customer decides: its expired maintenance refuses although another licence is valid',
      options: { body: 'Licence B0B0-1111-C2C2 fails' },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: 'a named valid licence is attached to the decision',
      options: { subject: '27A3-9F10-4C2B down' },
      expected: { kind: 'eligible-caller', reason: 'maintenance-valid', licenceNumber: '27A3-9F10-4C2B' },
    },
    {
      rule: 'of several named licences the first valid one is attached',
      options: { body: 'B0B0-1111-C2C2 and 27A3-9F10-4C2B' },
      expected: { kind: 'eligible-caller', licenceNumber: '27A3-9F10-4C2B' },
    },
    {
      rule: 'licenceNumbers passed in are used instead of reading the text',
      options: { body: 'nothing here', licenceNumbers: ['b0b0-1111-c2c2'] },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: "an eligible caller's unknown licence number is ignored: the address identifies the customer",
      options: { body: 'Licence FFFF-0000-AAA1' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: "another customer's licence named by an eligible caller is ignored",
      options: { body: 'Licence DEAD-0001-BEEF' },
      expected: { kind: 'eligible-caller', customerKey: 'acme', licenceNumber: undefined },
    },
    {
      rule: 'a partner ID quoted by an eligible caller neither helps nor blocks',
      options: { body: 'Our reseller is KP-10001.' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: "the customer's only licence is attached when none is named",
      options: { sender: 'carl@lastday.example' },
      expected: { kind: 'eligible-caller', licenceNumber: 'CAFE-0002-F00D' },
    },
    {
      rule: 'maintenance is valid through its last day',
      options: { sender: 'carl@lastday.example' },
      expected: { kind: 'eligible-caller', reason: 'maintenance-valid' },
    },
    {
      rule: 'maintenance that ended yesterday refuses',
      options: { sender: 'bob@oldco.example' },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: 'grace days extend expired maintenance',
      options: { sender: 'bob@oldco.example', policy: policyWith({ eligibility: { maintenanceGraceDays: 1 } }) },
      expected: { kind: 'eligible-caller', reason: 'maintenance-grace' },
    },
    {
      rule: 'grace ends after the configured days',
      options: { sender: 'bob@oldco.example', now: new Date('2026-03-16T00:00:00Z'), policy: policyWith({ eligibility: { maintenanceGraceDays: 1 } }) },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: '"today" is the customer\'s date: 03-15 23:30 in New York is 03-16 in Stockholm (EMEA), a day after maintenance ended',
      options: { sender: 'carl@lastday.example', now: new Date('2026-03-15T23:30:00-05:00') },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: '"today" is the customer\'s date: a US customer writing 03-15 23:30 New York time (EDT) is still on its last maintenance day',
      options: { sender: 'dana@uslastday.example', now: new Date('2026-03-15T23:30:00-04:00') },
      expected: { kind: 'eligible-caller', reason: 'maintenance-valid' },
    },
    {
      rule: '"today" is the customer\'s date: the next New York morning is past it',
      options: { sender: 'dana@uslastday.example', now: new Date('2026-03-16T09:00:00-05:00') },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    {
      rule: 'a registered trial licence is eligible through its end date',
      options: { sender: 'tina@trial.example' },
      expected: { kind: 'eligible-caller', reason: 'trial-active', licenceNumber: '7E57-0003-AAAA' },
    },
    { rule: 'a trial past its end date refuses', options: { sender: 'pat@pasttrial.example' }, expected: { kind: 'not-eligible', reason: 'trial-expired' } },
    {
      rule: 'a trial without an end date runs 30 days from registration',
      options: { sender: 'olga@opentrial.example', now: new Date('2026-03-22T12:00:00Z') },
      expected: { kind: 'eligible-caller', reason: 'trial-active' },
    },
    {
      rule: 'a trial without an end date ends after 30 days',
      options: { sender: 'olga@opentrial.example', now: new Date('2026-03-23T00:00:00Z') },
      expected: { kind: 'not-eligible', reason: 'trial-expired' },
    },
    {
      rule: 'a new purchase without a maintenance date is eligible in its installation period',
      options: { sender: 'nina@newco.example' },
      expected: { kind: 'eligible-caller', reason: 'installation-period' },
    },
    // Registered 2026-01-10: the 90 days are Jan 10 (day 0) to Apr 9 (day 89); Apr 10 is day 90 after registration.
    {
      rule: 'installation period (Kerio 2.2a): its last day is day 89 after registration (23:59 in Stockholm, the EMEA calendar)',
      options: { sender: 'nina@newco.example', now: new Date('2026-04-09T23:59:00+02:00') },
      expected: { kind: 'eligible-caller', reason: 'installation-period' },
    },
    {
      rule: 'installation period (Kerio 2.2a): day 90 after registration is past it, so a purchase without maintenance refuses',
      options: { sender: 'nina@newco.example', now: new Date('2026-04-10T00:00:00Z') },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
    { rule: 'a customer without licences refuses', options: { sender: 'eve@empty.example' }, expected: { kind: 'not-eligible', reason: 'no-licence' } },
    {
      rule: 'an eligible caller of two qualifying customers is ambiguous',
      options: { sender: 'max@msp.example' },
      expected: { kind: 'not-eligible', reason: 'ambiguous-sender' },
    },
    {
      rule: 'naming a licence picks the customer among several',
      options: { sender: 'max@msp.example', body: 'Licence B1B1-0008-FFFF' },
      expected: { kind: 'eligible-caller', customerKey: 'client-b', licenceNumber: 'B1B1-0008-FFFF' },
    },
    {
      rule: 'of two customers only the one that qualifies is chosen',
      options: { sender: 'sam@msp.example' },
      expected: { kind: 'eligible-caller', customerKey: 'client-a' },
    },
    {
      rule: 'naming the expired customer licence refuses even if another customer qualifies',
      options: { sender: 'sam@msp.example', body: 'DEAD-0001-BEEF' },
      expected: { kind: 'not-eligible', reason: 'maintenance-expired' },
    },
  ])('$rule', (testCase) => check(testCase));
});

describe('decideEligibility: partners', () => {
  it.each<Case>([
    {
      rule: 'a known partner ID plus a sender at its "@domain" contact is a partner',
      options: { sender: 'ops@reseller.example', subject: '[KP-10001] VPN issue at a customer' },
      expected: { kind: 'partner', partnerId: 'KP-10001', reason: 'partner-verified' },
    },
    {
      rule: 'the partner ID matches case-insensitively in the body',
      options: { sender: 'ops@reseller.example', body: 'partner id kp-10001.' },
      expected: { kind: 'partner', partnerId: 'KP-10001' },
    },
    {
      rule: 'an exact-address contact is the partner',
      options: { sender: 'alice@freemail.example', body: 'KP-10001' },
      expected: { kind: 'partner', partnerId: 'KP-10001' },
    },
    {
      rule: 'an upper-case sender at the partner domain matches',
      options: { sender: 'OPS@RESELLER.EXAMPLE', body: 'KP-10001' },
      expected: { kind: 'partner', partnerId: 'KP-10001' },
    },
    {
      rule: 'an IDN partner domain matches its punycode form',
      options: { sender: 'x@XN--BCHER-PARTNER-WOB.EXAMPLE', body: 'KP-20002' },
      expected: { kind: 'partner', partnerId: 'KP-20002' },
    },
    {
      rule: 'a partner listed as a customer caller is a partner when it gives its ID',
      options: { sender: 'pete@reseller.example', body: 'KP-10001' },
      expected: { kind: 'partner', partnerId: 'KP-10001' },
    },
    {
      rule: 'a partner listed as a customer caller is that customer without its ID',
      options: { sender: 'pete@reseller.example' },
      expected: { kind: 'eligible-caller', customerKey: 'acme' },
    },
    {
      rule: 'another address at a free-mail contact domain is not the partner',
      options: { sender: 'bob@freemail.example', body: 'KP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: 'a look-alike domain (evil-reseller.example) is not the partner',
      options: { sender: 'ops@evil-reseller.example', body: 'KP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: 'a suffix attack (reseller.example.attacker.com) is not the partner',
      options: { sender: 'ops@reseller.example.attacker.com', body: 'KP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: 'a subdomain of the partner domain is not the partner',
      options: { sender: 'ops@mail.reseller.example', body: 'KP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: "a partner contact quoting another partner's ID is a mismatch",
      options: { sender: 'ops@reseller.example', body: 'KP-20002' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: 'a stranger quoting a partner ID is a mismatch',
      options: { sender: 'someone@elsewhere.example', body: 'KP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-sender-mismatch' },
    },
    {
      rule: 'a partner contact without an ID is told to include it',
      options: { sender: 'ops@reseller.example' },
      expected: { kind: 'not-eligible', reason: 'partner-id-missing' },
    },
    {
      rule: 'an ID-shaped token that is no known ID is invalid',
      options: { sender: 'ops@reseller.example', body: 'Partner KP-99999' },
      expected: { kind: 'not-eligible', reason: 'partner-id-invalid' },
    },
    {
      rule: 'the ID must be a whole token: KP-100012 is not KP-10001',
      options: { sender: 'ops@reseller.example', body: 'KP-100012' },
      expected: { kind: 'not-eligible', reason: 'partner-id-invalid' },
    },
    {
      rule: 'the ID must be a whole token: XKP-10001 is no ID at all',
      options: { sender: 'ops@reseller.example', body: 'XKP-10001' },
      expected: { kind: 'not-eligible', reason: 'partner-id-missing' },
    },
    {
      rule: 'the ID must be a whole token: KP-10001-B is no ID at all',
      options: { sender: 'ops@reseller.example', body: 'KP-10001-B' },
      expected: { kind: 'not-eligible', reason: 'partner-id-missing' },
    },
  ])('$rule', (testCase) => check(testCase));
});

describe('decideEligibility: strangers', () => {
  it.each<Case>([
    {
      rule: 'an unknown sender naming nothing is unknown',
      options: { sender: 'someone@elsewhere.example' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    {
      rule: 'an unknown sender naming only an unknown licence gets licence-unknown',
      options: { sender: 'someone@elsewhere.example', body: 'Licence number: FFFF-0000-AAA1' },
      expected: { kind: 'not-eligible', reason: 'licence-unknown' },
    },
    {
      rule: 'an unknown sender naming a known licence is still unknown (the licence does not make them a caller)',
      options: { sender: 'someone@elsewhere.example', body: 'Licence 27A3-9F10-4C2B' },
      expected: { kind: 'not-eligible', reason: 'unknown-sender' },
    },
    { rule: 'an empty sender is unknown', options: { sender: '' }, expected: { kind: 'not-eligible', reason: 'unknown-sender' } },
    { rule: 'a sender without a domain is unknown', options: { sender: 'jane@' }, expected: { kind: 'not-eligible', reason: 'unknown-sender' } },
  ])('$rule', (testCase) => check(testCase));
});

describe('decideEligibility: sender authentication', () => {
  it.each<Case>([
    {
      rule: 'DMARC fail refuses even with DKIM and SPF pass',
      options: { authRequired: true, authentication: { dmarc: 'fail', dkim: 'pass', spf: 'pass' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'no passing DKIM and no passing SPF refuses',
      options: { authRequired: true, authentication: { dmarc: 'none', dkim: 'fail', spf: 'softfail' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'no verdicts at all refuse',
      options: { authRequired: true, authentication: {} },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    { rule: 'DMARC pass accepts', options: { authRequired: true, authentication: { dmarc: 'pass' } }, expected: { kind: 'eligible-caller' } },
    {
      rule: 'a DKIM pass alone accepts when DMARC is absent',
      options: { authRequired: true, authentication: { dkim: 'pass' } },
      expected: { kind: 'eligible-caller' },
    },
    {
      rule: 'an SPF pass alone accepts when DMARC is none',
      options: { authRequired: true, authentication: { dmarc: 'none', spf: 'pass' } },
      expected: { kind: 'eligible-caller' },
    },
    {
      rule: 'a DKIM pass for an unrelated domain does not authenticate',
      options: { authRequired: true, authentication: { dkim: 'pass', dkimDomains: ['evil.example'] } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'a DKIM pass for a subdomain of the sender domain is aligned',
      options: { authRequired: true, authentication: { dkim: 'pass', dkimDomains: ['mail.acme.example'] } },
      expected: { kind: 'eligible-caller' },
    },
    {
      rule: 'a DKIM pass for a look-alike suffix is not aligned',
      options: { authRequired: true, authentication: { dkim: 'pass', dkimDomains: ['evilacme.example'] } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'an SPF pass for an unrelated envelope domain does not authenticate',
      options: { authRequired: true, authentication: { spf: 'pass', spfDomain: 'bulkmailer.example' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'a DMARC pass for another From domain is no pass',
      options: { authRequired: true, authentication: { dmarc: 'pass', dmarcDomain: 'evil.example' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'authentication is checked before the directory (a spoofed stranger learns nothing)',
      options: { sender: 'someone@elsewhere.example', body: 'FFFF-0000-AAA1', authRequired: true, authentication: { dmarc: 'fail' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'a spoofed partner is refused before its ID is checked',
      options: { sender: 'ops@reseller.example', body: 'KP-10001', authRequired: true, authentication: { dmarc: 'fail', dkim: 'pass' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'by default a recorded DMARC fail refuses the forged From of an eligible caller',
      options: { authRequired: false, authentication: { dmarc: 'fail' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'by default DMARC fail refuses even with DKIM and SPF pass',
      options: { authRequired: false, authentication: { dmarc: 'fail', dkim: 'pass', spf: 'pass' } },
      expected: { kind: 'not-eligible', reason: 'sender-not-authenticated' },
    },
    {
      rule: 'by default mail without Authentication-Results passes',
      options: { authRequired: false, authentication: {} },
      expected: { kind: 'eligible-caller' },
    },
    {
      rule: 'by default DMARC none with failing DKIM and SPF passes (only strict mode asks for a pass)',
      options: { authRequired: false, authentication: { dmarc: 'none', dkim: 'fail', spf: 'fail' } },
      expected: { kind: 'eligible-caller' },
    },
    {
      rule: 'by default a DMARC temperror passes',
      options: { authRequired: false, authentication: { dmarc: 'temperror' } },
      expected: { kind: 'eligible-caller' },
    },
    { rule: 'by default a DMARC pass passes', options: { authRequired: false, authentication: { dmarc: 'pass' } }, expected: { kind: 'eligible-caller' } },
  ])('$rule', (testCase) => check(testCase));
});

describe('isSenderAuthenticated', () => {
  it.each([
    {
      rule: 'DMARC temperror falls back to an aligned DKIM pass',
      verdicts: { dmarc: 'temperror', dkim: 'pass', dkimDomains: ['acme.example'] },
      domain: 'acme.example',
      expected: true,
    },
    {
      rule: 'SPF pass of the parent domain is aligned (relaxed)',
      verdicts: { spf: 'pass', spfDomain: 'acme.example' },
      domain: 'eu.acme.example',
      expected: true,
    },
    { rule: 'an unparseable sender domain is never authenticated', verdicts: { dmarc: 'pass' }, domain: '', expected: false },
  ] satisfies { rule: string; verdicts: AuthenticationVerdicts; domain: string; expected: boolean }[])('$rule', ({ verdicts, domain, expected }) => {
    expect(isSenderAuthenticated(verdicts, domain)).toBe(expected);
  });
});

describe('parseAuthenticationResults', () => {
  const gmail =
    'mx.google.com;\r\n       dkim=pass header.i=@acme.example header.s=20230601 header.b=AbC123;\r\n' +
    '       spf=pass (google.com: domain of jane@acme.example designates 192.0.2.1 as permitted sender) smtp.mailfrom=jane@acme.example;\r\n' +
    '       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=acme.example';

  it.each<{ rule: string; headers: string[]; trusted?: string; expected: AuthenticationVerdicts }>([
    {
      rule: 'reads dkim, spf and dmarc with their domains from a folded header',
      headers: [gmail],
      expected: { dkim: 'pass', dkimDomains: ['acme.example'], spf: 'pass', spfDomain: 'acme.example', dmarc: 'pass', dmarcDomain: 'acme.example' },
    },
    {
      rule: 'ignores headers of other authserv-ids when one is trusted',
      headers: ['attacker.example; dmarc=pass header.from=acme.example', 'mx.ours.example; dmarc=fail header.from=acme.example'],
      trusted: 'mx.ours.example',
      expected: { dmarc: 'fail', dmarcDomain: 'acme.example' },
    },
    {
      rule: 'the trusted authserv-id is compared case-insensitively',
      headers: ['MX.Ours.Example; spf=pass smtp.mailfrom=acme.example'],
      trusted: 'mx.ours.EXAMPLE',
      expected: { spf: 'pass', spfDomain: 'acme.example' },
    },
    { rule: 'a trusted id with no header of its own gives nothing', headers: ['attacker.example; dmarc=pass'], trusted: 'mx.ours.example', expected: {} },
    {
      rule: "without a trusted id only the topmost header's authserv-id counts",
      headers: ['mx.ours.example; spf=fail smtp.mailfrom=jane@acme.example', 'attacker.example; spf=pass smtp.mailfrom=jane@acme.example; dmarc=pass'],
      expected: { spf: 'fail', spfDomain: 'acme.example' },
    },
    {
      rule: 'several headers of the trusted id are combined',
      headers: ['mx.ours.example; dkim=pass header.d=acme.example', 'other.example; dmarc=fail', 'mx.ours.example; dmarc=pass header.from=acme.example'],
      trusted: 'mx.ours.example',
      expected: { dkim: 'pass', dkimDomains: ['acme.example'], dmarc: 'pass', dmarcDomain: 'acme.example' },
    },
    {
      rule: 'any passing DKIM signature counts and lists only passing domains',
      headers: ['mx; dkim=fail header.d=bulk.example; dkim=pass header.d=acme.example header.i=@mail.acme.example; dkim=pass header.d=esp.example'],
      expected: { dkim: 'pass', dkimDomains: ['acme.example', 'esp.example'] },
    },
    {
      rule: 'the DKIM domain comes from header.i when header.d is absent',
      headers: ['mx; dkim=pass header.i=jane@Acme.Example'],
      expected: { dkim: 'pass', dkimDomains: ['acme.example'] },
    },
    { rule: 'a failing DKIM alone is reported as fail', headers: ['mx; dkim=fail header.d=acme.example'], expected: { dkim: 'fail' } },
    {
      rule: 'DMARC fail wins over a DMARC pass',
      headers: ['mx; dmarc=pass header.from=acme.example; dmarc=fail header.from=acme.example'],
      expected: { dmarc: 'fail', dmarcDomain: 'acme.example' },
    },
    {
      rule: 'comments, nested and with semicolons, are ignored',
      headers: ['mx; spf=pass (sender (nested; really) ok; yes) smtp.mailfrom=jane@acme.example'],
      expected: { spf: 'pass', spfDomain: 'acme.example' },
    },
    {
      rule: 'quoted property values are unquoted',
      headers: ['mx; spf=pass smtp.mailfrom="jane;x@acme.example"'],
      expected: { spf: 'pass', spfDomain: 'acme.example' },
    },
    { rule: 'SPF falls back to smtp.helo', headers: ['mx; spf=pass smtp.helo=out.acme.example'], expected: { spf: 'pass', spfDomain: 'out.acme.example' } },
    {
      rule: 'a method version ("dkim/1") is accepted',
      headers: ['mx; dkim/1=pass header.d=acme.example'],
      expected: { dkim: 'pass', dkimDomains: ['acme.example'] },
    },
    {
      rule: 'an authserv-id version is not part of the id',
      headers: ['mx.ours.example 1; dkim=pass header.d=acme.example'],
      trusted: 'mx.ours.example',
      expected: { dkim: 'pass', dkimDomains: ['acme.example'] },
    },
    {
      rule: 'result words and method names are case-insensitive',
      headers: ['mx; DKIM=PASS header.d=acme.example'],
      expected: { dkim: 'pass', dkimDomains: ['acme.example'] },
    },
    { rule: '"none" means no results', headers: ['mx.ours.example 1; none'], expected: {} },
    { rule: 'unknown methods and result words are skipped', headers: ['mx; auth=pass smtp.auth=jane; dkim=maybe header.d=acme.example'], expected: {} },
    {
      rule: 'a header name prefix is tolerated',
      headers: ['Authentication-Results: mx; spf=pass smtp.mailfrom=acme.example'],
      expected: { spf: 'pass', spfDomain: 'acme.example' },
    },
    { rule: 'no headers give no verdicts', headers: [], expected: {} },
  ])('$rule', ({ headers, trusted, expected }) => {
    expect(parseAuthenticationResults(headers, trusted)).toEqual(expected);
  });

  it('feeds decideEligibility: a parsed DMARC fail refuses', () => {
    const authentication = parseAuthenticationResults(
      ['mx.ours.example; dkim=pass header.d=acme.example; dmarc=fail header.from=acme.example'],
      'mx.ours.example',
    );
    expect(decide({ authRequired: true, authentication })).toEqual({ kind: 'not-eligible', reason: 'sender-not-authenticated' });
  });
});

describe('address helpers', () => {
  it.each([
    { rule: 'lower-cases local part and domain', address: 'Jane.Doe@ACME.Example', expected: 'jane.doe@acme.example' },
    { rule: 'punycodes a Unicode domain', address: 'anna@Bücher.example', expected: 'anna@xn--bcher-kva.example' },
    { rule: 'refuses a display name', address: 'Jane <jane@acme.example>', expected: null },
    { rule: 'refuses two addresses', address: 'a@x.example,b@x.example', expected: null },
    { rule: 'refuses a quoted local part', address: '"jane doe"@acme.example', expected: null },
    { rule: 'refuses a missing local part', address: '@acme.example', expected: null },
    { rule: 'refuses no @ at all', address: 'jane', expected: null },
  ])('normalizeAddress $rule', ({ address, expected }) => {
    expect(normalizeAddress(address)).toBe(expected);
  });

  it('isPartnerContact expects a normalised sender and matches "@domain" exactly', () => {
    const partner = directory.partners[0]!;
    expect(isPartnerContact(partner, 'x@reseller.example')).toBe(true);
    expect(isPartnerContact(partner, 'x@sub.reseller.example')).toBe(false);
  });
});

describe('reason tables', () => {
  it('every not-eligible reason has a sentence ending in a period', () => {
    for (const sentence of Object.values(eligibilityReasons)) expect(sentence).toMatch(/^[A-Z].+\.$/);
    for (const sentence of Object.values(acceptanceReasons)) expect(sentence).toMatch(/^[A-Z].+\.$/);
  });
});

describe('a known caller refused for the licences: which licences, and when their cover ended', () => {
  const knownOf = (options: Partial<DecideEligibilityOptions>) => {
    const decision = decide(options);
    if (decision.kind !== 'not-eligible' || !decision.known) throw new Error(`expected a known caller refused, got ${JSON.stringify(decision)}`);
    return decision.known;
  };

  it.each<[string, Partial<DecideEligibilityOptions>, string[]]>([
    ['the named licence that refused, not the valid one it was not about', { body: 'Licence B0B0-1111-C2C2 fails' }, ['B0B0-1111-C2C2']],
    ["all of the customer's licences when none is named and none qualifies", { sender: 'bob@oldco.example' }, ['DEAD-0001-BEEF']],
    ['a trial that ended', { sender: 'pat@pasttrial.example' }, ['7E57-0004-BBBB']],
    ['none for a customer without a licence', { sender: 'eve@empty.example' }, []],
  ])('%s', (_rule, options, numbers) => {
    expect(knownOf(options).licences.map((licence) => licence.number)).toEqual(numbers);
  });

  it.each<[string, Licence, string]>([
    ['maintenance: its last day', L.oldco, '2026-03-14'],
    ['a recorded trial: its last day', L.pastTrial, '2026-03-14'],
    ['a trial without an end: registration + 30 days', L.openTrial, '2026-03-22'],
    ['a purchase without a maintenance date: the last day of its installation period', L.newBuy, '2026-04-09'],
  ])('coverageEndedOn, %s', (_rule, licence, day) => {
    expect(coverageEndedOn(licence, defaultPolicy())).toBe(day);
  });
});
