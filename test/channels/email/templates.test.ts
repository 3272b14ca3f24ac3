// Mail templates: every built-in one renders with realistic data, HTML escapes what customers wrote and text does not,
// locales fall back to their language and then to en, TEMPLATES_DIR overrides by file, missing files are named.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy, paymentInstructionsIn, severityTargets } from '../../../src/domain/policy.ts';
import { computeDueTimes } from '../../../src/domain/sla/index.ts';
import {
  builtInTemplatesDir,
  createTemplateRenderer,
  formatBytes,
  formatInstant,
  localeChain,
  renderTemplate,
  subjectTopic,
  templateParts,
} from '../../../src/channels/email/templates.ts';
import { formatElapsed, formatMoney } from '../../../src/domain/format.ts';
import { templateNames, type TemplateDataMap } from '../../../src/app/mail-templates.ts';

const policy = defaultPolicy();
const signature = { supportName: 'Acme Support', supportAddress: 'support@acme.example' };
const hostile = 'Jane <script>alert("x")</script> & Co';
const receivedAt = new Date('2026-11-23T14:00:00Z'); // Mon 09:00 in New York
const due = computeDueTimes(policy, { calendar: 'US', supportLevel: 'normal', severity: 4, clockStartedAt: receivedAt });

/** What both managers' SLA mails are given. */
const slaNotice = {
  ...signature,
  requestId: 'SR-2026-000123',
  subject: 'VPN drops',
  customerName: 'Globex & Partners',
  severity: 5,
  severityName: 'Critical',
  target: 'initial-response' as const,
  dueAt: new Date('2026-11-23T18:00:00Z'),
  timeZone: 'America/New_York',
};

/** Realistic data for every built-in template; customer-written fields carry markup and ampersands. */
const samples: { [N in keyof TemplateDataMap]: TemplateDataMap[N] } = {
  acknowledgement: {
    ...signature,
    recipientName: hostile,
    requestId: 'SR-2026-000123',
    subject: 'Re: VPN drops <b>every</b> 5 minutes & reconnects',
    summary: 'The VPN tunnel drops every 5 minutes & <script>alert(1)</script> reconnects.',
    severity: 4,
    severityName: 'Major',
    targets: severityTargets(policy, 4),
    due,
    timeZone: 'America/New_York',
    missing: [],
  },
  'needs-info': {
    ...signature,
    recipientName: 'Jane Doe',
    requestId: 'SR-2026-000124',
    subject: 'Mail server crashes',
    missing: ['severity', 'version'],
    products: ['Mail Server', 'Firewall'],
  },
  'not-eligible': {
    ...signature,
    subject: 'Help! <urgent>',
    reason: 'not-an-eligible-caller',
    minEligibleCallers: policy.eligibility.minEligibleCallers,
    maxEligibleCallers: policy.eligibility.maxEligibleCallers,
    salesContact: 'sales@acme.example',
    customerName: 'Globex & Partners',
  },
  'engineer-reply': {
    ...signature,
    requestId: 'SR-2026-000123',
    subject: 'VPN drops',
    engineerName: 'Sam Engineer',
    body: 'Hi Jane,\n\nplease run `vpnctl --debug > log.txt` & send us log.txt.\nUse <Ctrl>+C to stop.\n\nThanks',
  },
  'split-notice': {
    ...signature,
    recipientName: 'Jane Doe',
    requestId: 'SR-2026-000124',
    originalRequestId: 'SR-2026-000123',
    subject: 'VPN drops & <reconnects>',
    severity: 4,
    severityName: 'Major',
    targets: severityTargets(policy, 4),
    due,
    timeZone: 'America/New_York',
    fee: { chargeable: true, amountMinor: 8000, currency: 'USD', taxesExcluded: true, paymentInstructions: 'Pay by card.' },
  },
  closure: {
    ...signature,
    recipientName: 'Jane Doe',
    requestId: 'SR-2026-000123',
    subject: 'VPN drops',
    outcome: 'Resolved: set MTU to 1380 & restart the service.',
    charge: {
      chargeable: true,
      amountMinor: 8000,
      currency: 'USD',
      taxesExcluded: true,
      paymentInstructions: paymentInstructionsIn(policy.billing.paymentInstructions, 'en'),
    },
  },
  'sla-escalation': { ...slaNotice, lateByMs: (2 * 60 + 15) * 60_000, assignee: null },
  'sla-at-risk': { ...slaNotice, leftMs: 45 * 60_000, assignee: 'Sam Novák' },
  'oversized-notice': {
    ...signature,
    subject: 'Logs & dumps',
    sizeBytes: 31 * 1024 * 1024 + 400 * 1024,
    maxBytes: 25 * 1024 * 1024,
    quarantineId: 42,
    requestId: 'SR-2026-000123',
  },
  'closed-request': { ...signature, recipientName: 'Jane Doe', requestId: 'SR-2026-000123', subject: 'Re: VPN drops again' },
  'licence-needed': { ...signature, recipientName: 'Jane Doe', subject: 'VPN drops' },
  'service-suspended': { ...signature, recipientName: 'Jane Doe', subject: 'VPN drops', customerName: 'Late Payer GmbH', salesContact: 'sales@vendor.example' },
  'request-update': {
    ...signature,
    recipientName: hostile,
    requestId: 'SR-2026-000123',
    subject: 'VPN drops & <reconnects>',
    received: ['severity'],
    agreed: false,
    missing: ['version'],
    agreement: null,
    sla: null,
  },
};

describe('formatting helpers', () => {
  it.each([
    ['US Eastern winter time is EST', '2026-11-23T18:00:00Z', 'America/New_York', 'Mon 23 Nov 2026, 13:00 EST'],
    ['US Eastern summer time is EDT', '2026-07-20T17:00:00Z', 'America/New_York', 'Mon 20 Jul 2026, 13:00 EDT'],
    ['Stockholm is shown as CET', '2026-11-23T18:00:00Z', 'Europe/Stockholm', 'Mon 23 Nov 2026, 19:00 CET'],
    ['the 24x7 calendar is UTC', '2026-11-23T18:00:00Z', 'UTC', 'Mon 23 Nov 2026, 18:00 UTC'],
    ['the day changes with the zone', '2026-11-23T18:00:00Z', 'Australia/Sydney', 'Tue 24 Nov 2026, 05:00 AEDT'],
  ])('formatInstant: %s', (_rule, instant, zone, expected) => {
    expect(formatInstant(new Date(instant), zone, 'en')).toBe(expected);
  });

  it.each([
    ['USD has cents', 8000, 'USD', /^USD\s80\.00$/],
    ['CZK uses the minor unit too', 160000, 'CZK', /^CZK\s1,600\.00$/],
    ['AUD is not confused with USD', 7500, 'AUD', /^AUD\s75\.00$/],
  ])('formatMoney: %s', (_rule, minor, currency, expected) => {
    expect(formatMoney(minor, currency, 'en', { display: 'code' })).toMatch(expected);
  });

  it('formats lateness, sizes, subjects and locale chains', () => {
    expect(formatElapsed(135 * 60_000)).toBe('2 h 15 min');
    expect(formatElapsed(26 * 3_600_000)).toBe('1 d 2 h');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
    expect(subjectTopic('Re: AW: Fwd: [SR-2026-000123] VPN drops')).toBe('VPN drops');
    expect(localeChain('de-AT')).toEqual(['de-AT', 'de', 'en']);
    expect(localeChain('../../etc')).toEqual(['en']);
  });
});

describe('built-in templates', () => {
  it('ships every part of every template in en', () => {
    for (const name of templateNames) {
      for (const part of templateParts) expect(fs.existsSync(path.join(builtInTemplatesDir, 'en', `${name}.${part}.hbs`)), `${name}.${part}.hbs`).toBe(true);
    }
  });

  it.each(templateNames.map((name) => [name]))('%s renders a subject, a text part and an HTML part', (name) => {
    const mail = renderTemplate(name, 'en', samples[name] as never);
    expect(mail.subject).not.toMatch(/\n|\{\{|\}\}/);
    expect(mail.subject.length).toBeGreaterThan(5);
    expect(mail.text).not.toMatch(/\{\{|\}\}|\[object Object\]|undefined|NaN/);
    expect(mail.html).not.toMatch(/\{\{|\}\}|\[object Object\]|undefined|NaN/);
    expect(mail.html).toMatch(/^<!DOCTYPE html>/);
  });

  it('acknowledgement: request ID, the defect as understood, severity with its name, due times in the customer zone', () => {
    const mail = renderTemplate('acknowledgement', 'en', samples.acknowledgement);
    expect(mail.subject).toBe('Re: VPN drops <b>every</b> 5 minutes & reconnects [SR-2026-000123]');
    expect(mail.text).toContain('opened service request SR-2026-000123');
    expect(mail.text).toContain('The VPN tunnel drops every 5 minutes');
    expect(mail.text).toContain('Severity: 4 (Major)');
    expect(mail.text).toContain(`Initial response by ${formatInstant(due.initialResponseDue, 'America/New_York', 'en')}`);
    expect(mail.text).toMatch(/Initial response by Mon 23 Nov 2026, 17:00 EST/);
    expect(mail.text).toContain(`Resolution by ${formatInstant(due.resolutionDue!, 'America/New_York', 'en')}`);
    expect(mail.text).not.toContain('we still need');
  });

  it.each([
    [
      'a chargeable incident: the locked fee, taxes excluded, charged at close, how to pay, defects never charged (Kerio ToS 3.2-3.3)',
      { fee: { chargeable: true, amountMinor: 8000, currency: 'USD', taxesExcluded: true, paymentInstructions: 'Pay by card.' } },
      [
        /Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded, charged when the incident is closed\. Pay by card\./,
        /defect in our product is never charged/,
      ],
    ],
    [
      'a trial: free until its last day',
      { fee: { chargeable: false, reason: 'trial-licence', until: '2026-12-17' } },
      [/free for your registered trial licence, until 17 Dec 2026\./],
    ],
    [
      'installation period: free until its last day',
      { fee: { chargeable: false, reason: 'installation-period', until: '2027-01-31' } },
      [/installation period of your licence, free until 31 Jan 2027\./],
    ],
    ['a partner: free', { fee: { chargeable: false, reason: 'partner', until: null } }, [/technical support is free for our partners/]],
    [
      'the first paid request asks for "I agree" to the terms at their URL',
      { agreement: { termsUrl: 'https://vendor.example/terms' } },
      [/accept our support terms at https:\/\/vendor\.example\/terms: reply to this message with the words "I agree"/],
    ],
    [
      'an unsupported version: the supported ones, and it may be charged as excluded (Cryptzone §2.3)',
      { unsupportedVersion: { product: 'Gateway', version: '8.1', supported: ['9.4', '9.3.7'] } },
      [/Gateway 8\.1 is not a supported version\. Supported versions today: 9\.4, 9\.3\.7\. The incident may be charged as excluded/],
    ],
    [
      'Support Plus: resolution on business days, the rest around the clock (Cryptzone §7)',
      { supportPlusAroundTheClock: true, resolutionOnBusinessDays: true },
      [/Support Plus: initial response and progress updates count around the clock; the resolution target counts business days/],
    ],
    [
      'Support Plus, severity 5: around the clock, no resolution target to count (Cryptzone §2.2.2)',
      { severity: 5, supportPlusAroundTheClock: true, targets: severityTargets(defaultPolicy(), 5) },
      [/Support Plus: initial response and progress updates count around the clock\./],
    ],
    ['a target on the 24x7 calendar counts clock hours and calendar days, not business days', { aroundTheClock: true }, [/Progress updates every 2 days,/]],
    [
      'targets around the clock: the heading does not claim support hours (the Support Plus line says how they count)',
      { aroundTheClock: true, supportPlusAroundTheClock: true, resolutionOnBusinessDays: true },
      [/^Our targets:$/m],
    ],
  ] as const)('acknowledgement: %s', (_rule, extra, expected) => {
    const mail = renderTemplate('acknowledgement', 'en', { ...samples.acknowledgement, ...extra });
    for (const pattern of expected) expect(mail.text).toMatch(pattern);
    const plain = renderTemplate('acknowledgement', 'en', samples.acknowledgement);
    for (const pattern of expected) expect(plain.text).not.toMatch(pattern);
    expect(plain.text).toContain('Our targets, counted in the support hours of your support calendar:');
    if ('aroundTheClock' in extra) expect(`${mail.text}${mail.html}`).not.toContain('counted in the support hours');
  });

  it("split-notice states the new incident's fee at open: the locked fee, or free and why (issue 12 point 8)", () => {
    const charged = renderTemplate('split-notice', 'en', samples['split-notice']);
    expect(charged.text).toMatch(
      /Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded, charged when the incident is closed\. Pay by card\./,
    );
    expect(charged.html).toMatch(/Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded/);
    const free = renderTemplate('split-notice', 'en', { ...samples['split-notice'], fee: { chargeable: false, reason: 'partner', until: null } });
    expect(free.text).toContain('Fee: no fee applies to this incident: technical support is free for our partners.');
    expect(free.text).not.toContain('chargeable at');
    const trial = renderTemplate('split-notice', 'en', {
      ...samples['split-notice'],
      fee: { chargeable: false, reason: 'trial-licence', until: '2026-12-17' },
    });
    expect(trial.text).toContain('support is free for your registered trial licence, until 17 Dec 2026.');
  });

  it('acknowledgement of an incomplete request lists what is missing and the targets without due times', () => {
    const mail = renderTemplate('acknowledgement', 'en', { ...samples.acknowledgement, due: null, missing: ['licence', 'version'] });
    expect(mail.text).toContain('initial response within 8 support hours, progress updates every 2 business days, resolution within 3 business days');
    expect(mail.text).toContain('- your licence number\n- the exact product version you run\n');
    expect(mail.text).not.toContain('the severity, a number');
    expect(mail.text).not.toContain('Initial response by');
  });

  it('needs-info explains exactly the missing items', () => {
    const mail = renderTemplate('needs-info', 'en', samples['needs-info']);
    expect(mail.text).toContain('5 Critical');
    expect(mail.text).toContain('1 Feature request');
    expect(mail.text).toContain('Version: the exact version');
    expect(mail.text).not.toContain('Licence number');
    expect(mail.text).not.toContain('Product: which');
    const product = renderTemplate('needs-info', 'en', { ...samples['needs-info'], missing: ['product'] });
    expect(product.text).toContain('(your licences cover Mail Server, Firewall)');
    expect(product.text).not.toContain('Severity:');
  });

  it('not-eligible says who may open requests, how partners quote their ID, the sales contact and the reason', () => {
    const mail = renderTemplate('not-eligible', 'en', samples['not-eligible']);
    expect(mail.text).toContain('3 to 5 members of its technical staff');
    expect(mail.text).toContain('Partner Support ID');
    expect(mail.text).toContain('sales@acme.example');
    expect(mail.text).toContain('not one of the named technical contacts (eligible callers) of Globex & Partners');
    const trial = renderTemplate('not-eligible', 'en', { ...samples['not-eligible'], reason: 'trial-expired' });
    expect(trial.text).toContain('Your trial licence has ended');
    expect(trial.text).not.toContain('eligible callers) of');
  });

  it('closure states amount, currency, taxes excluded and how to pay, or why no fee applies', () => {
    const mail = renderTemplate('closure', 'en', samples.closure);
    expect(mail.text).toMatch(/Charge for this incident: USD\s80\.00, taxes excluded\./);
    expect(mail.text).toContain('The fee is charged to your payment card; an invoice follows by e-mail.');
    const free = renderTemplate('closure', 'en', { ...samples.closure, charge: { chargeable: false, reason: 'partner' } });
    expect(free.text).toContain('No fee applies to this incident: technical support is free for our partners.');
    expect(free.text).not.toContain('Charge for this incident');
    const again = renderTemplate('closure', 'en', { ...samples.closure, charge: { chargeable: false, reason: 'already-charged' } });
    expect(again.text).toContain('No further fee applies: its fee was charged at an earlier close');
    expect(again.text).not.toContain('No fee applies');
  });

  it('closure says service on a closed request ends and a new problem is a new request (Kerio ToS 2.4.9)', () => {
    const mail = renderTemplate('closure', 'en', samples.closure);
    expect(mail.text).toContain('Once a request is closed, service on it ends.');
    expect(mail.text).toContain('please open a new request: write to us without the request ID SR-');
    expect(mail.text).not.toMatch(/reopen/i);
  });

  it('sla-escalation names ticket, customer, severity, target, lateness and assignee', () => {
    const mail = renderTemplate('sla-escalation', 'en', samples['sla-escalation']);
    expect(mail.subject).toBe('SLA missed: Initial response 2 h 15 min late, severity 5 (Critical) [SR-2026-000123]');
    expect(mail.text).toContain('Customer:  Globex & Partners');
    expect(mail.text).toContain('Target:    Initial response, due Mon 23 Nov 2026, 13:00 EST');
    expect(mail.text).toContain('Assignee:  nobody');
  });

  it('sla-at-risk names ticket, customer, severity, target, the time left and assignee, before the breach', () => {
    const mail = renderTemplate('sla-at-risk', 'en', samples['sla-at-risk']);
    expect(mail.subject).toBe('SLA at risk: Initial response due in 45 min, severity 5 (Critical) [SR-2026-000123]');
    expect(mail.text).toContain('is close to missing its Initial response target');
    expect(mail.text).toContain('Customer:  Globex & Partners');
    expect(mail.text).toContain('Target:    Initial response, due Mon 23 Nov 2026, 13:00 EST');
    expect(mail.text).toContain('Time left: 45 min');
    expect(mail.text).toContain('Assignee:  Sam Novák');
    expect(mail.html).toContain('Globex &amp; Partners');
  });

  it('closed-request: the request is closed, a new problem needs a new request without the tag, an engineer was told', () => {
    const mail = renderTemplate('closed-request', 'en', samples['closed-request']);
    expect(mail.subject).toBe('Request closed: VPN drops again [SR-2026-000123]');
    expect(mail.text).toContain('Service request SR-2026-000123 is closed');
    expect(mail.text).toContain('without the request ID SR-2026-000123');
    expect(mail.text).toContain('passed on to an engineer');
  });

  it('service-suspended: support for the customer is suspended, no request opened, whom to contact; no internal reason', () => {
    const mail = renderTemplate('service-suspended', 'en', samples['service-suspended']);
    expect(mail.subject).toBe('Service suspended: VPN drops');
    expect(mail.text).toContain('Technical support for Late Payer GmbH is currently suspended, so we cannot open a service request');
    expect(mail.text).toContain('sales team (sales@vendor.example)');
  });

  it('oversized-notice gives the size, the limit, the quarantine reference and how to send smaller', () => {
    const mail = renderTemplate('oversized-notice', 'en', samples['oversized-notice']);
    expect(mail.text).toContain('was 31.4 MB, more than the 25 MB we accept');
    expect(mail.text).toContain('reference Q-42');
    expect(mail.text).toContain('compress large attachments');
  });
});

describe('escaping', () => {
  it('escapes customer-supplied <script> and & in the HTML part', () => {
    const mail = renderTemplate('acknowledgement', 'en', samples.acknowledgement);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('Hello Jane &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,');
    expect(mail.html).toContain('every 5 minutes &amp; &lt;script&gt;alert(1)&lt;/script&gt; reconnects');
  });

  it('leaves the text part and the subject unescaped', () => {
    const mail = renderTemplate('acknowledgement', 'en', samples.acknowledgement);
    expect(mail.text).toContain(`Hello ${hostile},`);
    expect(mail.text).toContain('every 5 minutes & <script>alert(1)</script> reconnects');
    expect(mail.text).not.toContain('&amp;');
    expect(mail.subject).toContain('<b>every</b> 5 minutes & reconnects');
  });

  it('keeps the engineer text as written in text and as escaped paragraphs in HTML', () => {
    const mail = renderTemplate('engineer-reply', 'en', samples['engineer-reply']);
    expect(mail.text.startsWith(samples['engineer-reply'].body)).toBe(true);
    expect(mail.html).toContain('<p>Hi Jane,</p>');
    expect(mail.html).toContain('please run &#x60;vpnctl --debug &gt; log.txt&#x60; &amp; send us log.txt.<br>\nUse &lt;Ctrl&gt;+C to stop.</p>');
  });
});

describe('locales and overrides', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-templates-'));
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    };
    write('en/closure.text.hbs', 'Override: {{requestId}} closed & done.\n');
    write('de/closure.subject.hbs', 'Geschlossen: {{topic subject}} [{{requestId}}]');
    write('de/closure.text.hbs', 'Anfrage {{requestId}} ist geschlossen.\n');
    write('de/closure.html.hbs', '<p>Anfrage {{requestId}} ist geschlossen.</p>');
    write('fr/closure.subject.hbs', 'Fermé: {{requestId}}');
    write('broken/en/closure.subject.hbs', '{{#if requestId}}unclosed');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('falls back from an unknown locale to en', () => {
    const english = renderTemplate('closure', 'en', samples.closure);
    expect(renderTemplate('closure', 'fr-FR', samples.closure)).toEqual(english);
  });

  it('uses the language of a regional locale (de-AT -> de) from the override folder', () => {
    const renderer = createTemplateRenderer({ templatesDir: dir });
    const mail = renderer.render('closure', 'de-AT', samples.closure);
    expect(mail.subject).toBe('Geschlossen: VPN drops [SR-2026-000123]');
    expect(mail.text).toBe('Anfrage SR-2026-000123 ist geschlossen.\n');
  });

  it('skips a locale that lacks a part rather than mixing languages in one mail', () => {
    const renderer = createTemplateRenderer({ templatesDir: dir });
    const mail = renderer.render('closure', 'fr', samples.closure);
    expect(mail.subject).toBe('Closed: VPN drops [SR-2026-000123]');
  });

  it('lets a file in TEMPLATES_DIR replace the built-in file of the same name, part by part', () => {
    const mail = renderTemplate('closure', 'en', samples.closure, { templatesDir: dir });
    expect(mail.text).toBe('Override: SR-2026-000123 closed & done.\n');
    expect(mail.subject).toBe('Closed: VPN drops [SR-2026-000123]');
    expect(mail.html).toContain('taxes excluded');
  });

  it('fails with TEMPLATE_MISSING naming the file', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-no-templates-'));
    try {
      fs.mkdirSync(path.join(empty, 'en'));
      fs.writeFileSync(path.join(empty, 'en', 'closure.subject.hbs'), 'x');
      fs.writeFileSync(path.join(empty, 'en', 'closure.text.hbs'), 'x');
      const renderer = createTemplateRenderer({ builtInDir: empty });
      expect(() => renderer.render('closure', 'en', samples.closure)).toThrow(
        expect.objectContaining({ code: 'TEMPLATE_MISSING', message: expect.stringContaining(path.join(empty, 'en', 'closure.html.hbs')) }),
      );
      expect(() => renderer.render('acknowledgement', 'de', samples.acknowledgement)).toThrow(
        expect.objectContaining({
          code: 'TEMPLATE_MISSING',
          details: expect.objectContaining({ file: path.join(empty, 'en', 'acknowledgement.subject.hbs') }),
        }),
      );
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('names the file of a template that does not compile', () => {
    const renderer = createTemplateRenderer({ templatesDir: path.join(dir, 'broken') });
    expect(() => renderer.render('closure', 'en', samples.closure)).toThrow(/closure\.subject\.hbs does not compile/);
  });

  it('warm() compiles every template of every locale up front, so later renders read no file', async () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-warm-'));
    try {
      fs.cpSync(builtInTemplatesDir, copy, { recursive: true });
      const renderer = createTemplateRenderer({ builtInDir: copy });
      const locales = fs.readdirSync(copy).length;
      const names = new Set(
        fs
          .readdirSync(path.join(copy, 'en'))
          .filter((file) => file.endsWith('.hbs'))
          .map((file) => file.split('.')[0]),
      ).size;
      expect(await renderer.warm()).toBe(locales * names);
      // Removed after warm(): a render that still had to read or compile a file would fail.
      fs.rmSync(copy, { recursive: true, force: true });
      expect(renderer.render('acknowledgement', 'de', samples.acknowledgement).locale).toBe('de');
      expect(renderer.render('closure', 'sv', samples.closure).locale).toBe('sv');
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('warm() rejects naming the file of an override that does not compile', async () => {
    const renderer = createTemplateRenderer({ templatesDir: path.join(dir, 'broken') });
    await expect(renderer.warm()).rejects.toThrow(/closure\.subject\.hbs does not compile/);
  });

  it('compiles once and serves later renders from the cache', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-cache-'));
    try {
      fs.cpSync(path.join(builtInTemplatesDir, 'en'), path.join(copy, 'en'), { recursive: true });
      const renderer = createTemplateRenderer({ builtInDir: copy });
      const first = renderer.render('closure', 'en', samples.closure);
      fs.writeFileSync(path.join(copy, 'en', 'closure.text.hbs'), 'changed');
      expect(renderer.render('closure', 'en', samples.closure)).toEqual(first);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
