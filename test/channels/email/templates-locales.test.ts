// Every template in templates/en must exist, render and read natively in every shipped language: no missing file, no
// data key the English template uses left out or misspelt, no unresolved Handlebars, no English leftovers, Content-Language.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Handlebars from 'handlebars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOutcomes } from '../../../src/domain/billing.ts';
import { defaultPolicy, paymentInstructionsIn, severityTargets } from '../../../src/domain/policy.ts';
import { computeDueTimes } from '../../../src/domain/sla/index.ts';
import { mailLanguages, type MailLanguage } from '../../../src/channels/email/locale-format.ts';
import { outgoingMailSchema } from '../../../src/app/outbox-messages.ts';
import type { RenderedMail, TemplateDataMap, TemplateName } from '../../../src/app/mail-templates.ts';
import { noFeeReasons, notEligibleReasons } from '../../../src/app/mail-templates.ts';
import { createFileSender, toNodemailerMessage } from '../../../src/channels/email/smtp-sender.ts';
import {
  builtInTemplatesDir,
  createTemplateRenderer,
  partialParts,
  partialsFolder,
  templateParts,
  templatePartials,
} from '../../../src/channels/email/templates.ts';

/** Template names as shipped: whatever templates/en holds, so a new English template needs all four languages at once. */
const englishFiles = fs.readdirSync(path.join(builtInTemplatesDir, 'en')).filter((file) => file.endsWith('.hbs'));
const englishTemplates = [...new Set(englishFiles.map((file) => file.replace(/\.(subject|text|html)\.hbs$/, '')))].sort();
/** Every file a language needs: each template's three parts and each partial's two (partials/<name>.<part>.hbs). */
const languageFiles = [
  ...englishTemplates.flatMap((name) => templateParts.map((part) => `${name}.${part}.hbs`)),
  ...templatePartials.flatMap((name) => partialParts.map((part) => path.join(partialsFolder, `${name}.${part}.hbs`))),
];

/**
 * English words and phrases that must never reach a German, Czech or Swedish customer. Whole words, any case; the
 * sample data below is written in each language, so a hit comes from a template or a helper.
 */
const englishMarkers = [
  'dear',
  'hello',
  'kind regards',
  'regards',
  'please',
  'thank you',
  'thanks',
  'the',
  'and',
  'of',
  'your',
  'we',
  'with',
  'request',
  'service request',
  'your request',
  'severity',
  'business hours',
  'business days?',
  'support hours?',
  'support minutes?',
  'hours?',
  'days?',
  'initial response',
  'progress update',
  'resolution',
  'outcome',
  'taxes excluded',
  'no fee',
  'fee',
  'late by',
  'assignee',
  'customer',
  'nobody',
  'automatic',
  'missed',
  'subject',
  'message',
  'reply',
  'keep',
  'closed',
  'information needed',
  'too large',
  'how to get support',
  'eligible callers?',
  'critical',
  'major',
  'minor',
  'feature request',
];
const englishPattern = new RegExp(`(?<![\\p{L}\\p{N}])(${englishMarkers.join('|')})(?![\\p{L}\\p{N}])`, 'iu');

/** Data keys a language leaves out on purpose (Czech greets with "Dobrý den," because a name would need the vocative). */
const unusedKeys: Partial<Record<MailLanguage, readonly string[]>> = { cs: ['recipientName'] };

const policy = defaultPolicy();
const signature = { supportName: 'Acme Support', supportAddress: 'support@acme.example' };
const receivedAt = new Date('2026-11-23T14:00:00Z'); // Mon 09:00 in New York, 15:00 in Stockholm and Prague
const due = computeDueTimes(policy, { calendar: 'EMEA', supportLevel: 'normal', severity: 4, clockStartedAt: receivedAt });

/** What customers and engineers write, in each language; English sample data would hide nothing and flag everything. */
const prose: Record<MailLanguage, { subject: string; summary: string; note: string; outcome: string; body: string; payment: string }> = {
  en: {
    subject: 'Re: VPN drops every 5 minutes',
    summary: 'The VPN tunnel drops every 5 minutes & reconnects.',
    note: 'We reproduced the drop with 9.4.2.\nA fix is being tested.',
    outcome: 'The problem is resolved.',
    body: 'Hi Jane,\n\nplease send us the log.',
    payment: paymentInstructionsIn(policy.billing.paymentInstructions, 'en'),
  },
  de: {
    subject: 'AW: VPN bricht alle 5 Minuten ab',
    summary: 'Der VPN-Tunnel bricht alle 5 Minuten ab & verbindet sich neu.',
    note: 'Wir konnten den Abbruch mit 9.4.2 nachstellen.\nEine Korrektur wird getestet.',
    outcome: 'Das Problem ist behoben.',
    body: 'Hallo Frau Schmidt,\n\nbitte senden Sie uns das Protokoll.',
    payment: 'Die Gebühr wird beim Abschluss von der hinterlegten Karte abgebucht; die Rechnung folgt per E-Mail.',
  },
  cs: {
    subject: 'Re: VPN se každých 5 minut odpojí',
    summary: 'Tunel VPN se každých 5 minut odpojí & znovu připojí.',
    note: 'Výpadek jsme reprodukovali ve verzi 9.4.2.\nOprava se testuje.',
    outcome: 'Problém je vyřešen.',
    body: 'Dobrý den,\n\npošlete nám prosím protokol.',
    payment: 'Poplatek bude stržen z uložené karty při uzavření; faktura přijde e-mailem.',
  },
  sv: {
    subject: 'SV: VPN kopplas ner var 5:e minut',
    summary: 'VPN-tunneln kopplas ner var 5:e minut & ansluter igen.',
    note: 'Vi har återskapat avbrottet med 9.4.2.\nEn rättning testas.',
    outcome: 'Problemet är löst.',
    body: 'Hej Anna,\n\nskicka loggfilen till oss.',
    payment: 'Avgiften dras från det registrerade kortet när ärendet avslutas; fakturan skickas via e-post.',
  },
};

type Variant = { [N in TemplateName]: { template: N; label: string; data: TemplateDataMap[N] } }[TemplateName];

/** Realistic data for every template, with a variant for each branch (each reason, complete and incomplete, charged or not). */
function variantsFor(language: MailLanguage): Variant[] {
  const text = prose[language];
  const base = { ...signature, recipientName: 'Jana Nováková', requestId: 'SR-2026-000123', subject: text.subject };
  const variants: Variant[] = [
    {
      template: 'acknowledgement',
      label: 'complete',
      data: {
        ...base,
        summary: text.summary,
        severity: 4,
        severityName: 'Major',
        targets: severityTargets(policy, 4),
        due,
        timeZone: 'Europe/Stockholm',
        missing: [],
      },
    },
    {
      template: 'acknowledgement',
      label: 'taken by telephone',
      data: {
        ...base,
        summary: text.summary,
        severity: 4,
        severityName: 'Major',
        targets: severityTargets(policy, 4),
        due,
        timeZone: 'Europe/Stockholm',
        missing: [],
        byPhone: true,
      },
    },
    {
      template: 'acknowledgement',
      label: 'chargeable, terms to agree, unsupported version, Support Plus resolution on business days',
      data: {
        ...base,
        summary: text.summary,
        severity: 4,
        severityName: 'Major',
        targets: severityTargets(policy, 4),
        due: null,
        timeZone: 'Europe/Prague',
        missing: [],
        fee: { chargeable: true, amountMinor: 160000, currency: 'CZK', taxesExcluded: true, paymentInstructions: text.payment },
        agreement: { termsUrl: 'https://vendor.example/support-terms' },
        resolutionOnBusinessDays: true,
        unsupportedVersion: { product: 'Gateway', version: '8.1', supported: ['9.4', '9.3.7'] },
      },
    },
    ...(['partner', 'pre-sales', 'trial-licence', 'installation-period'] as const).map((reason) => ({
      template: 'acknowledgement' as const,
      label: `free: ${reason}, terms offered on request`,
      data: {
        ...base,
        summary: text.summary,
        severity: 3,
        severityName: 'Minor',
        targets: severityTargets(policy, 3),
        due,
        timeZone: 'Europe/Prague',
        missing: [],
        fee: { chargeable: false as const, reason, until: reason === 'partner' || reason === 'pre-sales' ? null : '2027-02-14' },
        agreement: { termsUrl: null },
      },
    })),
    {
      template: 'acknowledgement',
      label: 'incomplete, no resolution target',
      data: {
        ...base,
        recipientName: null,
        summary: text.summary,
        severity: 5,
        severityName: 'Critical',
        targets: severityTargets(policy, 5),
        due: null,
        timeZone: 'America/New_York',
        missing: ['severity', 'licence', 'product', 'version'],
      },
    },
    {
      template: 'acknowledgement',
      label: 'received long before (a backlog worked through)',
      data: {
        ...base,
        summary: text.summary,
        severity: 3,
        severityName: 'Minor',
        targets: severityTargets(policy, 3),
        due,
        timeZone: 'Europe/Berlin',
        missing: [],
        receivedAt: new Date('2026-10-30T08:15:00Z'),
      },
    },
    {
      template: 'acknowledgement',
      label: 'complete, no resolution date',
      data: {
        ...base,
        summary: text.summary,
        severity: 2,
        severityName: 'Other',
        targets: severityTargets(policy, 2),
        due: { ...due, resolutionDue: null },
        timeZone: 'Europe/Prague',
        missing: [],
      },
    },
    {
      template: 'needs-info',
      label: 'everything missing',
      data: { ...base, missing: ['severity', 'licence', 'product', 'version'], products: ['Mail Server', 'Firewall'] },
    },
    { template: 'engineer-reply', label: 'reply', data: { ...base, engineerName: 'Sam Novák', body: text.body } },
    {
      template: 'split-notice',
      label: 'split, clock running',
      data: {
        ...base,
        originalRequestId: 'SR-2026-000122',
        subject: text.subject,
        severity: 4,
        severityName: 'Major',
        targets: severityTargets(policy, 4),
        due,
        timeZone: 'Europe/Stockholm',
        fee: { chargeable: true, amountMinor: 160000, currency: 'CZK', taxesExcluded: true, paymentInstructions: text.payment },
      },
    },
    {
      template: 'split-notice',
      label: 'split, incomplete, no resolution target',
      data: {
        ...base,
        recipientName: null,
        originalRequestId: 'SR-2026-000122',
        subject: text.subject,
        severity: 5,
        severityName: 'Critical',
        targets: severityTargets(policy, 5),
        due: null,
        timeZone: 'America/New_York',
        fee: { chargeable: false, reason: 'partner', until: null },
      },
    },
    {
      template: 'closure',
      label: 'charged in CZK',
      data: {
        ...base,
        outcome: text.outcome,
        charge: { chargeable: true, amountMinor: 160000, currency: 'CZK', taxesExcluded: true, paymentInstructions: text.payment },
      },
    },
    {
      template: 'closure',
      label: 'no fee, charged at an earlier close',
      data: { ...base, outcome: text.outcome, charge: { chargeable: false, reason: 'already-charged' } },
    },
    {
      template: 'sla-escalation',
      label: 'unassigned',
      data: {
        ...signature,
        requestId: 'SR-2026-000123',
        subject: text.subject,
        customerName: 'Globex s.r.o.',
        severity: 5,
        severityName: 'Critical',
        target: 'initial-response',
        dueAt: new Date('2026-11-23T18:00:00Z'),
        lateByMs: (26 * 60 + 15) * 60_000,
        assignee: null,
        timeZone: 'Europe/Stockholm',
      },
    },
    {
      template: 'oversized-notice',
      label: 'with request and quarantine reference',
      data: { ...base, sizeBytes: 31 * 1024 * 1024 + 400 * 1024, maxBytes: 25 * 1024 * 1024, quarantineId: 42 },
    },
    { template: 'closed-request', label: 'mail to a closed request', data: { ...base } },
    {
      template: 'request-update',
      label: 'partial answer, agreement still needed',
      data: {
        ...base,
        received: ['severity', 'licence'],
        agreed: false,
        missing: ['product', 'version'],
        agreement: { termsUrl: 'https://acme.example/terms' },
        sla: null,
      },
    },
    {
      template: 'request-update',
      label: 'agreed, complete, clock running',
      data: {
        ...base,
        received: ['version'],
        agreed: true,
        missing: [],
        agreement: null,
        sla: {
          severity: 4,
          severityName: 'Major',
          targets: severityTargets(policy, 4),
          due,
          timeZone: 'Europe/Stockholm',
          untilResolved: false,
          supportPlusAroundTheClock: true,
          resolutionOnBusinessDays: true,
          initialResponseMet: false,
        },
      },
    },
    { template: 'licence-needed', label: 'caller of two customers', data: { ...signature, recipientName: 'Jana Nováková', subject: text.subject } },
    {
      template: 'service-suspended',
      label: 'suspended customer',
      data: { ...signature, recipientName: 'Jana Nováková', subject: text.subject, customerName: 'Globex s.r.o.', salesContact: 'sales@acme.example' },
    },
  ];
  const notEligible = (reason: (typeof notEligibleReasons)[number]) => ({
    ...signature,
    recipientName: 'Jana Nováková',
    subject: text.subject,
    reason,
    minEligibleCallers: 3,
    maxEligibleCallers: 5,
    salesContact: 'sales@acme.example',
    customerName: 'Globex s.r.o.',
  });
  for (const reason of notEligibleReasons) variants.push({ template: 'not-eligible', label: reason, data: notEligible(reason) });
  const refused = [
    { number: '27A3-9F10-4C2B', product: 'Kerio Connect', type: 'commercial' as const, endedOn: '2026-03-14' },
    { number: '7E57-0004-BBBB', product: 'Kerio Control', type: 'trial' as const, endedOn: '2026-02-28' },
  ];
  for (const [reason, licences] of [
    ['maintenance-expired', refused],
    ['trial-expired', [refused[1]!]],
    ['no-licence', []],
  ] as const) {
    variants.push({
      template: 'not-eligible',
      label: `known caller, ${reason}`,
      data: { ...notEligible(reason), known: { licences } },
    });
  }
  variants.push({
    template: 'not-eligible',
    label: 'reply to a request the sender may not write on',
    data: {
      ...signature,
      recipientName: null,
      subject: text.subject,
      reason: 'unknown-sender',
      minEligibleCallers: 3,
      maxEligibleCallers: 5,
      salesContact: 'sales@acme.example',
      requestId: 'SR-2026-000123',
    },
  });
  for (const reason of ['pre-sales', 'trial-licence', 'installation-period'] as const) {
    const split = variants.find((variant) => variant.label === 'split, clock running')!.data as TemplateDataMap['split-notice'];
    const fee = { chargeable: false as const, reason, until: reason === 'pre-sales' ? null : '2027-02-14' };
    variants.push({ template: 'split-notice', label: `split, free: ${reason}`, data: { ...split, fee } });
  }
  for (const reason of noFeeReasons) {
    variants.push({ template: 'closure', label: `no fee: ${reason}`, data: { ...base, outcome: text.outcome, charge: { chargeable: false, reason } } });
  }
  // close-ticket sends its English outcome sentence with the outcome code; other languages must print their own.
  for (const outcomeCode of closeOutcomes) {
    const exclusions = outcomeCode === 'excluded' ? ['third-party', 'hardware', undefined] : [undefined];
    for (const exclusion of exclusions) {
      variants.push({
        template: 'closure',
        label: `outcome ${outcomeCode}${exclusion ? ` (${exclusion})` : ''}`,
        data: {
          ...base,
          outcome: 'The cause lies outside what technical support covers.',
          outcomeCode,
          ...(exclusion ? { exclusion } : {}),
          charge: { chargeable: false, reason: 'product-defect' },
        },
      });
    }
  }
  const running = variants.find((variant) => variant.label === 'agreed, complete, clock running')!.data as TemplateDataMap['request-update'];
  variants.push({
    template: 'request-update',
    label: 'agreed, complete, initial response already given before the clock',
    data: { ...running, sla: { ...running.sla!, initialResponseMet: true } },
  });
  variants.push({ template: 'request-update', label: 'agreed by phone, complete', data: { ...running, received: [], byPhone: true } });
  variants.push({
    template: 'request-update',
    label: 'released by the answer on another request, complete',
    data: { ...running, received: [], answeredRequestId: 'SR-2026-000122' },
  });
  variants.push({
    template: 'request-update',
    label: 'released by the answer on another request, still incomplete',
    data: { ...running, received: [], answeredRequestId: 'SR-2026-000122', sla: null, missing: ['version'] },
  });
  variants.push({
    template: 'request-update',
    label: 'agreed by phone, still incomplete',
    data: { ...running, received: [], byPhone: true, sla: null, missing: ['version'] },
  });
  variants.push({
    template: 'request-update',
    label: 'asked for the terms, none published, agreement still needed',
    data: { ...running, received: [], agreed: false, sla: null, missing: [], agreement: { termsUrl: null }, termsRequest: { termsUrl: null } },
  });
  variants.push({
    template: 'request-update',
    label: 'asked for the terms, published',
    data: {
      ...running,
      received: [],
      agreed: false,
      sla: null,
      missing: ['version'],
      agreement: { termsUrl: 'https://acme.example/terms' },
      termsRequest: { termsUrl: 'https://acme.example/terms' },
    },
  });
  const paid = variants.find((variant) => variant.label.startsWith('chargeable, terms to agree'))!.data as TemplateDataMap['acknowledgement'];
  variants.push({
    template: 'acknowledgement',
    label: 'chargeable, asked for the terms, none published, agreement needed',
    data: { ...paid, agreement: { termsUrl: null }, termsRequest: { termsUrl: null } },
  });
  variants.push({
    template: 'acknowledgement',
    label: 'chargeable, asked for the published terms, agreed before',
    data: { ...paid, agreement: null, termsRequest: { termsUrl: 'https://acme.example/terms' } },
  });
  variants.push({
    template: 'request-update',
    label: 'the licence named makes it free, complete',
    data: { ...running, received: ['licence'], agreed: false, fee: { chargeable: false, reason: 'installation-period', until: '2027-02-14' } },
  });
  variants.push({
    template: 'request-update',
    label: 'the licence named keeps the fee, agreement still needed',
    data: {
      ...running,
      received: ['licence'],
      agreed: false,
      sla: null,
      missing: [],
      agreement: { termsUrl: null },
      fee: { chargeable: true, amountMinor: 160000, currency: 'CZK', taxesExcluded: true, paymentInstructions: prose[language].payment },
    },
  });
  const escalation = variants.find((variant) => variant.template === 'sla-escalation')!.data as TemplateDataMap['sla-escalation'];
  for (const target of ['progress-update', 'resolution'] as const) {
    const data = { ...escalation, target, assignee: 'Sam Novák', severity: 3, severityName: 'Minor' };
    variants.push({ template: 'sla-escalation', label: `${target}, assigned`, data });
  }
  const { lateByMs: _late, ...notice } = escalation;
  variants.push({ template: 'sla-at-risk', label: 'unassigned', data: { ...notice, leftMs: 50 * 60_000 } });
  variants.push({
    template: 'sla-at-risk',
    label: 'progress update, assigned',
    data: { ...notice, target: 'progress-update', assignee: 'Sam Novák', leftMs: 3 * 3_600_000 },
  });
  return variants;
}

/** Data paths a template reads ({{requestId}}, {{#if due.resolutionDue}}, (eq charge.reason ...)), helpers and @data excluded. */
function pathsOf(source: string): Set<string> {
  const paths = new Set<string>();
  type Node = { type: string; [key: string]: unknown };
  const visit = (node: unknown, isHelperName = false): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    const current = node as Node;
    if (current.type === 'PathExpression') {
      const original = String(current.original);
      if (!isHelperName && !(current.data as boolean) && original !== 'this') paths.add(original);
      return;
    }
    if (['MustacheStatement', 'BlockStatement', 'SubExpression'].includes(current.type)) {
      const params = (current.params as unknown[]) ?? [];
      const hasArguments = params.length > 0 || current.hash !== undefined;
      visit(current.path, hasArguments || current.type !== 'MustacheStatement');
      visit(params);
      visit(current.hash);
      visit(current.program);
      visit(current.inverse);
      return;
    }
    for (const value of Object.values(current)) if (value && typeof value === 'object') visit(value);
  };
  visit(Handlebars.parse(source));
  return paths;
}

const renderer = createTemplateRenderer({ builtInDir: builtInTemplatesDir });
const render = (variant: Variant, locale: string): RenderedMail => renderer.render(variant.template, locale, variant.data as never);
const everyPart = (mail: RenderedMail) => [mail.subject, mail.text, mail.html.replace(/<[^>]+>/g, ' ')].join('\n');

describe('template sets', () => {
  it('finds the English templates to check', () => {
    expect(englishTemplates).toEqual(expect.arrayContaining(['acknowledgement', 'closure', 'needs-info', 'not-eligible', 'sla-escalation']));
  });

  it('ships a template set for exactly the languages locale-format.ts has wording for', () => {
    const folders = fs
      .readdirSync(builtInTemplatesDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect(folders.sort()).toEqual([...mailLanguages].sort());
  });

  it('has realistic sample data for every English template (add a variant here when adding a template)', () => {
    const covered = new Set(variantsFor('en').map((variant) => variant.template as string));
    expect(englishTemplates.filter((name) => !covered.has(name))).toEqual([]);
  });

  describe.each(mailLanguages.map((language) => [language]))('%s', (language) => {
    it.each(languageFiles.map((file) => [file]))('has %s', (file) => {
      expect(fs.existsSync(path.join(builtInTemplatesDir, language, file)), `templates/${language}/${file} is missing`).toBe(true);
    });

    it.each(languageFiles.map((file) => [file]))('%s reads the same data keys as English', (file) => {
      const read = (locale: string) => pathsOf(fs.readFileSync(path.join(builtInTemplatesDir, locale, file), 'utf8'));
      const english = read('en');
      const translated = read(language);
      const skipped = unusedKeys[language] ?? [];
      expect(
        [...english].filter((key) => !translated.has(key) && !skipped.includes(key)),
        `keys missing from templates/${language}/${file}`,
      ).toEqual([]);
      expect(
        [...translated].filter((key) => !english.has(key)),
        `keys in templates/${language}/${file} that English does not use`,
      ).toEqual([]);
    });

    it.each(variantsFor(language).map((variant) => [`${variant.template} (${variant.label})`, variant]))('renders %s', (_label, variant) => {
      const mail = render(variant, language);
      expect(mail.locale).toBe(language);
      const all = [mail.subject, mail.text, mail.html].join('\n');
      expect(all).not.toMatch(/\{\{|\}\}|undefined|NaN|\[object Object\]|Invalid DateTime/);
      expect(mail.subject.trim()).not.toBe('');
      expect(mail.text).toContain(
        variant.template === 'not-eligible' || variant.template === 'service-suspended'
          ? 'sales@acme.example'
          : variant.template === 'licence-needed'
            ? 'ABC-1234-5678'
            : 'SR-2026-000123',
      );
      if (language !== 'en') expect(everyPart(mail).match(englishPattern)?.[0], 'English leftover').toBeUndefined();
    });
  });
});

describe('subjects answering our own mail', () => {
  /** Templates whose subject wraps the customer's topic; the SLA mails to managers name no topic. */
  const topicTemplates = englishTemplates.filter((name) =>
    fs.readFileSync(path.join(builtInTemplatesDir, 'en', `${name}.subject.hbs`), 'utf8').includes('{{topic subject}}'),
  );

  it('covers the templates that wrap a topic', () => {
    expect(topicTemplates).toEqual(expect.arrayContaining(['closed-request', 'closure', 'not-eligible', 'split-notice']));
  });

  // A customer answering any mail of ours gets a subject with one prefix of ours: "Request closed: <topic>", never
  // "Request closed: Closed: <topic>" or "Re: <topic> (how to get support) (how to get support)".
  it.each(mailLanguages.map((language) => [language]))('%s: no template stacks its prefix on the subject of another', (language) => {
    const variants = variantsFor(language).filter((variant) => topicTemplates.includes(variant.template));
    const withSubject = (variant: Variant, subject: string) => render({ ...variant, data: { ...variant.data, subject } } as Variant, language).subject;
    for (const answered of variants) {
      const ours = render(answered, language).subject;
      for (const variant of variants) {
        const reply = ['Re: ', 'AW: ', 'SV: ', 'Fwd: '].map((prefix) => withSubject(variant, `${prefix}${ours}`));
        for (const subject of reply) expect(subject, `${variant.template} answering ${answered.template}`).toBe(render(variant, language).subject);
      }
    }
  });

  it('keeps a subject that is only one of our prefixes as written', () => {
    const variant = variantsFor('en').find((candidate) => candidate.template === 'closed-request')!;
    expect(render({ ...variant, data: { ...variant.data, subject: 'Closed:' } } as Variant, 'en').subject).toBe('Request closed: Closed: [SR-2026-000123]');
  });
});

describe('request-update of a request released by the answer on another', () => {
  // One "I agree" on SR-2026-000122 released SR-2026-000123 too: its mail thanks for the answer on the request answered
  // and says that answer released this one; it never thanks for an answer on SR-2026-000123, which got none.
  it.each([
    [
      'en',
      'answer on service request SR-2026-000122: your agreement to our support terms in it also released service request SR-2026-000123',
      'answer on service request SR-2026-000123',
    ],
    [
      'de',
      'Antwort zur Serviceanfrage SR-2026-000122: Ihre Zustimmung zu unseren Supportbedingungen darin hat auch die Serviceanfrage SR-2026-000123 freigegeben',
      'Antwort zur Serviceanfrage SR-2026-000123',
    ],
    [
      'cs',
      'odpověď k požadavku SR-2026-000122: Váš souhlas s našimi podmínkami podpory v ní uvolnil také požadavek SR-2026-000123',
      'odpověď k požadavku SR-2026-000123',
    ],
    [
      'sv',
      'svar i ärende SR-2026-000122: ert godkännande av våra supportvillkor i det svaret frigjorde även ärende SR-2026-000123',
      'svar i ärende SR-2026-000123',
    ],
  ])('%s: names the request answered and this one, in text and html', (language, released, answeredHere) => {
    const variants = variantsFor(language as MailLanguage).filter((variant) => variant.label.startsWith('released by the answer on another request'));
    expect(variants).toHaveLength(2);
    for (const variant of variants) {
      const mail = render(variant, language);
      expect(mail.subject).toContain('[SR-2026-000123]');
      expect(mail.subject).not.toContain('SR-2026-000122');
      const html = mail.html.replace(/<\/?strong>/g, '');
      for (const part of [mail.text, html]) {
        expect(part).toContain(released);
        expect(part).not.toContain(answeredHere);
      }
    }
    // The answered request's own mail still thanks for the answer on it.
    const own = variantsFor(language as MailLanguage).find((variant) => variant.label === 'agreed, complete, clock running')!;
    expect(render(own, language).text).toContain(answeredHere);
  });
});

describe('the answer to a request for the support terms', () => {
  // The acknowledgement of a first mail asking for the terms and the update to an answer asking for them say it in the
  // same words (partials/terms-request), and neither offers again, in the agreement paragraph, what it just answered.
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');
  it.each(
    mailLanguages.flatMap((language) => [
      [language, 'none published', null],
      [language, 'published', 'https://acme.example/terms'],
    ]),
  )('%s, %s: the acknowledgement says what the request update says', (language, _published, termsUrl) => {
    const all = variantsFor(language as MailLanguage);
    const ack = all.find((variant) => variant.label.startsWith('chargeable, terms to agree'))! as Variant & { template: 'acknowledgement' };
    const update = all.find((variant) => variant.label === 'asked for the terms, none published, agreement still needed')! as Variant & {
      template: 'request-update';
    };
    const asked = { termsRequest: { termsUrl: termsUrl as string | null }, agreement: { termsUrl: termsUrl as string | null } };
    const withAnswer = (variant: Variant, answer: boolean) =>
      render({ ...variant, data: { ...variant.data, ...asked, ...(answer ? {} : { termsRequest: null }) } } as Variant, language as string);
    for (const part of ['text', 'html'] as const) {
      const answered = lines(withAnswer(ack, true)[part]);
      const plain = lines(withAnswer(ack, false)[part]);
      const added = answered.filter((line) => !plain.includes(line) && !/I agree/.test(line));
      expect(added).toHaveLength(1);
      expect(lines(withAnswer(update, true)[part])).toContain(added[0]);
      expect(added[0]).toContain(termsUrl ?? '');
      // Without published terms, the agreement paragraph loses its "we send them on request": the answer said it.
      const agreement = (mailLines: string[]) => mailLines.find((line) => line.includes('"I agree"'))!;
      if (termsUrl === null) expect(agreement(answered).length).toBeLessThan(agreement(plain).length);
      else expect(agreement(answered)).toBe(agreement(plain));
    }
  });
});

describe('the subject of a request update that only answers a request for the terms', () => {
  // "Information received" would claim what the answer did not give; any other update keeps its subject.
  it.each([
    ['en', 'Our support terms', 'Information received'],
    ['de', 'Unsere Supportbedingungen', 'Angaben erhalten'],
    ['cs', 'Naše podmínky podpory', 'Údaje přijaty'],
    ['sv', 'Våra supportvillkor', 'Uppgifter mottagna'],
  ])('%s: "%s", while an update that received something stays "%s"', (language, terms, received) => {
    const all = variantsFor(language as MailLanguage);
    const asked = all.filter((variant) => variant.label.startsWith('asked for the terms'));
    expect(asked).toHaveLength(2);
    const update = asked[0]!.data as TemplateDataMap['request-update'];
    const subjectWith = (data: Partial<TemplateDataMap['request-update']>) =>
      render({ template: 'request-update', label: 'answered', data: { ...update, ...data } }, language).subject;
    // The topic as our subjects give it (the customer's "Re:" dropped), then the request ID.
    const topic = subjectWith({ received: ['version'] }).replace(/^[^:]+: /, '');
    expect(topic).toMatch(/^\S.* \[SR-2026-000123\]$/);
    for (const variant of asked) expect(render(variant, language).subject).toBe(`${terms}: ${topic}`);
    expect(subjectWith({ received: ['version'] })).toBe(`${received}: ${topic}`);
    expect(subjectWith({ agreed: true, agreement: null })).toBe(`${received}: ${topic}`);
    expect(subjectWith({ termsRequest: null, received: ['licence'] })).toBe(`${received}: ${topic}`);
  });
});

describe('locale-aware values', () => {
  const acknowledgement = variantsFor('en')[0]! as Variant & { template: 'acknowledgement' };
  it.each([
    ['de', /Statusmeldungen alle 2 Werktage/, /Erstreaktion bis Di\.,\s24\.\sNov\.\s2026,\s14:00\sMEZ/],
    ['cs', /v intervalu: 2 pracovní dny/, /první odezva nejpozději: út\s24\.\s11\.\s2026\s14:00\sSEČ/],
    ['sv', /intervallet 2 arbetsdagar/, /Första svar senast tis\s24\snov\.\s2026\s14:00\sCET/],
    ['en', /every 2 business days/, /Initial response by Tue 24 Nov 2026, 14:00 CET/],
  ])('%s: durations and due times in the language', (language, duration, dueTime) => {
    const mail = renderer.render('acknowledgement', language, { ...acknowledgement.data, ...prose[language as MailLanguage] });
    expect(mail.text).toMatch(duration);
    expect(mail.text).toMatch(dueTime);
  });

  it.each([
    ['de', /1\.600,00\sCZK/, /Kritisch/, /1 Tg\. 2 Std\./],
    ['cs', /1\s600,00\sCZK/, /Kritická/, /1 d 2 h/],
    ['sv', /1\s600,00\sCZK/, /Kritisk/, /1 d 2 tim/],
  ])('%s: money, severity names and lateness in the language', (language, money, severity, late) => {
    const variants = variantsFor(language as MailLanguage);
    const closure = render(variants.find((variant) => variant.label === 'charged in CZK')!, language);
    const escalation = render(variants.find((variant) => variant.label === 'unassigned')!, language);
    expect(closure.text).toMatch(money);
    expect(escalation.subject).toMatch(severity);
    expect(escalation.subject).toMatch(late);
  });

  // Cryptzone §7 promises work until the defect is resolved or worked around to Critical (5) only; 2 and 1 have no target.
  it.each([
    ['en', /keep working until the problem is resolved/, /No resolution target applies to this severity/],
    ['de', /Wir arbeiten weiter, bis das Problem gelöst ist/, /Für diesen Schweregrad gilt keine Zielzeit für die Lösung/],
    ['cs', /na problému pracujeme, dokud není vyřešen/, /pro tuto závažnost není stanovena lhůta pro vyřešení/],
    ['sv', /arbetet fortsätter tills problemet är löst/, /Ingen måltid för lösning gäller för den här allvarlighetsgraden/],
  ])('%s: only severity 5 is promised work until resolved; other severities without a target are told none applies', (language, untilResolved, none) => {
    const variants = variantsFor(language as MailLanguage);
    const other = variants.find((variant) => variant.label === 'complete, no resolution date')!.data as TemplateDataMap['acknowledgement'];
    const critical = { ...other, severity: 5, severityName: 'Critical', targets: severityTargets(policy, 5), untilResolved: true };
    for (const template of ['acknowledgement', 'split-notice'] as const) {
      const data = { ...other, originalRequestId: 'SR-2026-000122' };
      const plain = renderer.render(template, language, data as never);
      const severe = renderer.render(template, language, { ...critical, originalRequestId: 'SR-2026-000122' } as never);
      for (const part of ['text', 'html'] as const) {
        expect(plain[part]).toMatch(none);
        expect(plain[part]).not.toMatch(untilResolved);
        expect(severe[part]).toMatch(untilResolved);
        expect(severe[part]).not.toMatch(none);
      }
    }
  });

  it.each([
    ['en', 'Progress updates every 2 days,', /business days?,/, 'initial response and progress updates count around the clock;'],
    ['de', 'Statusmeldungen alle 2 Tage,', /Werktage,/, 'Erstreaktion und Statusmeldungen laufen rund um die Uhr;'],
    ['cs', 'v intervalu: 2 dny,', /pracovní dny,/, 'první odezva a průběžné informace běží nepřetržitě;'],
    ['sv', 'intervallet 2 dagar,', /arbetsdagar,/, 'första svar och lägesrapporter räknas dygnet runt;'],
  ])('%s: Support Plus severity 4 counts progress updates around the clock, in calendar days', (language, days, businessDays, plus) => {
    const data = { ...acknowledgement.data, aroundTheClock: true, supportPlusAroundTheClock: true, resolutionOnBusinessDays: true };
    const mail = renderer.render('acknowledgement', language, data);
    expect(mail.text).toContain(days);
    expect(mail.text).not.toMatch(businessDays);
    expect(mail.text).toContain(plus);
    const split = renderer.render('split-notice', language, { ...data, fee: data.fee!, originalRequestId: 'SR-2026-000122' });
    expect(split.text).toContain(days);
  });

  it.each([
    ['en', 'support is free for your registered trial licence, until 14 Feb 2027.', 'free until 14 Feb 2027.'],
    ['de', 'ist der Support bis 14. Februar 2027 kostenfrei.', 'kostenfrei bis 14. Februar 2027.'],
    ['cs', 'bezplatná do 14. února 2027.', 'bezplatně do 14. února 2027.'],
    ['sv', 'kostnadsfri till och med 14 februari 2027.', 'kostnadsfritt till och med 14 februari 2027.'],
  ])('%s: the last free day is a date in the language, not an ISO date', (language, trial, installation) => {
    const variants = variantsFor(language as MailLanguage);
    for (const [reason, expected] of [
      ['trial-licence', trial],
      ['installation-period', installation],
    ] as const) {
      const mail = render(variants.find((variant) => variant.label === `free: ${reason}, terms offered on request`)!, language);
      expect(mail.text).toContain(expected);
      expect(mail.html).toContain(expected);
      expect(everyPart(mail)).not.toMatch(/\d{4}-\d{2}-\d{2}/);
    }
  });

  it('keeps a severity name the operator set in the policy as written', () => {
    const variant = variantsFor('de').find((candidate) => candidate.label === 'unassigned')!;
    const mail = renderer.render('sla-escalation', 'de', { ...(variant.data as TemplateDataMap['sla-escalation']), severityName: 'Produktionsstillstand' });
    expect(mail.subject).toContain('(Produktionsstillstand)');
  });
});

describe('the fee told at open', () => {
  /** The lines `fee` adds to a mail: rendered with it, less the lines rendered without it. */
  const feeLines = (name: 'acknowledgement' | 'split-notice' | 'request-update', language: MailLanguage, data: object, fee: unknown) => {
    const lines = (part: 'text' | 'html', value: unknown) => renderer.render(name, language, { ...data, fee: value } as never)[part].split('\n');
    return (['text', 'html'] as const).map((part) => {
      const without = new Set(lines(part, undefined));
      return lines(part, fee).filter((line) => !without.has(line));
    });
  };
  const fees = (language: MailLanguage): Array<TemplateDataMap['split-notice']['fee']> => [
    { chargeable: true, amountMinor: 160000, currency: 'CZK', taxesExcluded: true, paymentInstructions: prose[language].payment },
    ...(['partner', 'pre-sales', 'trial-licence', 'installation-period'] as const).map((reason) => ({
      chargeable: false as const,
      reason,
      until: reason === 'partner' || reason === 'pre-sales' ? null : '2027-02-14',
    })),
  ];

  it.each(mailLanguages.flatMap((language) => fees(language).map((fee) => [language, fee.chargeable ? 'chargeable' : fee.reason, fee] as const)))(
    "%s: the split notice states the new incident's fee (%s) exactly as the acknowledgement of a new request does",
    (language, _case, fee) => {
      const variants = variantsFor(language);
      const acknowledgement = variants.find((variant) => variant.template === 'acknowledgement')!.data;
      const split = variants.find((variant) => variant.template === 'split-notice')!.data;
      const told = feeLines('acknowledgement', language, acknowledgement, fee);
      expect(told[0]!.join('\n')).not.toBe('');
      expect(feeLines('split-notice', language, split, fee)).toEqual(told);
    },
  );

  it.each(mailLanguages.flatMap((language) => fees(language).map((fee) => [language, fee.chargeable ? 'chargeable' : fee.reason, fee] as const)))(
    '%s: a request update whose answer changed the fee (%s) states it exactly as the acknowledgement does',
    (language, _case, fee) => {
      const variants = variantsFor(language);
      const acknowledgement = variants.find((variant) => variant.template === 'acknowledgement')!.data;
      const update = variants.find((variant) => variant.label === 'partial answer, agreement still needed')!.data;
      const told = feeLines('acknowledgement', language, acknowledgement, fee);
      expect(told[0]!.join('\n')).not.toBe('');
      expect(feeLines('request-update', language, update, fee)).toEqual(told);
    },
  );
});

describe('fallback and Content-Language', () => {
  let copy: string;
  let outbox: string;
  beforeAll(() => {
    copy = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-locales-'));
    outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-locales-outbox-'));
    fs.cpSync(builtInTemplatesDir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'de', 'closure.html.hbs'));
  });
  afterAll(() => {
    fs.rmSync(copy, { recursive: true, force: true });
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  it('falls back to en per template: a German set without closure.html still sends German acknowledgements', () => {
    const partial = createTemplateRenderer({ builtInDir: copy });
    const variants = variantsFor('de');
    const closure = partial.render('closure', 'de-AT', variants.find((variant) => variant.template === 'closure')!.data as TemplateDataMap['closure']);
    const acknowledgement = partial.render('acknowledgement', 'de-AT', variants[0]!.data as TemplateDataMap['acknowledgement']);
    expect(closure.locale).toBe('en');
    expect(closure.subject).toMatch(/^Closed:/);
    expect(acknowledgement.locale).toBe('de');
    expect(acknowledgement.text).toContain('Serviceanfrage');
  });

  it.each([['de'], ['cs'], ['sv'], ['en'], ['fr-CA']])('a mail rendered for locale %s carries the Content-Language of the set used', async (locale) => {
    const mail = render(variantsFor('en')[0]!, locale);
    const expected = locale === 'fr-CA' ? 'en' : locale;
    const outgoing = outgoingMailSchema.parse({
      template: 'acknowledgement',
      to: [{ address: 'jana@globex.example' }],
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      language: mail.locale,
      messageId: `<deskbot.locale-${locale}@acme.example>`,
      autoSubmitted: 'auto-replied',
      headers: { 'content-language': 'xx' },
    });
    expect(toNodemailerMessage(outgoing, { name: 'Acme Support', address: 'support@acme.example' }).headers).toMatchObject({ 'Content-Language': expected });
    const sent = await createFileSender({ dir: outbox, from: { name: 'Acme Support', address: 'support@acme.example' } }).send(outgoing);
    const eml = fs.readFileSync(sent.response, 'utf8');
    expect(eml.match(/^Content-Language: [^\r\n]*/gim)).toEqual([`Content-Language: ${expected}`]);
  });

  it('sends no Content-Language for a mail queued before the language was recorded', () => {
    const outgoing = outgoingMailSchema.parse({
      template: 'closure',
      to: [{ address: 'jana@globex.example' }],
      subject: 'Closed',
      text: 'x',
      messageId: '<deskbot.old@acme.example>',
      autoSubmitted: 'auto-generated',
    });
    expect(toNodemailerMessage(outgoing, { name: 'Acme Support', address: 'support@acme.example' }).headers).not.toHaveProperty('Content-Language');
  });
});
