// Pins what the customer is told at open (Kerio ToS 3.2-3.3, 3.6, FAQ): the locked fee or why none applies, and until when.
import { describe, expect, it } from 'vitest';
import { decideCharge, type ChargeLicence, type ChargeTicket } from '../../src/domain/billing.ts';
import { feeAtOpen, feeAtOpenSummary, feeChanged, storedTicketFee, type FeeAtOpen, type FeeAtOpenOptions } from '../../src/domain/fee-at-open.ts';
import { defaultPolicy, resolvePolicy, type Policy } from '../../src/domain/policy.ts';

const policy = defaultPolicy();
const OPENED = new Date('2026-06-01T10:00:00Z');
const TICKET: ChargeTicket = { requesterKind: 'eligible-caller', priceMinor: 6500, priceCurrency: 'EUR', openedAt: OPENED };
const OLD: ChargeLicence = { type: 'commercial', registeredOn: '2025-01-01' };

function policyWith(partial: Record<string, unknown>): Policy {
  const resolved = resolvePolicy(partial);
  if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
  return resolved.policy;
}

function options(overrides: Partial<FeeAtOpenOptions> = {}): FeeAtOpenOptions {
  return { policy, ticket: TICKET, licence: OLD, ...overrides };
}

const chargeable: FeeAtOpen = {
  chargeable: true,
  amountMinor: 6500,
  currency: 'EUR',
  taxesExcluded: true,
  paymentInstructions: policy.billing.paymentInstructions,
  productDefectFree: true,
};

describe('feeAtOpen', () => {
  it.each<{ rule: string; options: FeeAtOpenOptions; expected: FeeAtOpen }>([
    { rule: 'Kerio 3.3/3.6: a paid licence is told the locked fee, taxes excluded, and how payment is made', options: options(), expected: chargeable },
    {
      rule: 'Kerio FAQ: a partner (Partner Support ID) is free',
      options: options({ ticket: { ...TICKET, requesterKind: 'partner' } }),
      expected: { chargeable: false, reason: 'partner', until: null },
    },
    {
      rule: 'Kerio FAQ: a directory customer marked partner is free',
      options: options({ customerIsPartner: true }),
      expected: { chargeable: false, reason: 'partner', until: null },
    },
    {
      rule: 'Kerio FAQ: an engineer-marked pre-sales request is free',
      options: options({ isPreSales: true, licence: null }),
      expected: { chargeable: false, reason: 'pre-sales', until: null },
    },
    {
      rule: 'Kerio 2.2c: a trial is free until its end date',
      options: options({ licence: { type: 'trial', registeredOn: '2026-05-20', trialEndsOn: '2026-06-19' } }),
      expected: { chargeable: false, reason: 'trial-licence', until: '2026-06-19' },
    },
    {
      rule: 'Kerio 2.2c: a trial without an end date is free for 30 days',
      options: options({ licence: { type: 'trial', registeredOn: '2026-05-20' } }),
      expected: { chargeable: false, reason: 'trial-licence', until: '2026-06-19' },
    },
    {
      rule: "Kerio 2.2a: the last free day is the customer's day (06-01 22:00 in New York is 06-02 UTC, still free)",
      options: options({
        ticket: { ...TICKET, openedAt: new Date('2026-06-02T02:00:00Z'), timeZone: 'America/New_York' },
        licence: { type: 'commercial', registeredOn: '2026-03-04' },
      }),
      expected: { chargeable: false, reason: 'installation-period', until: '2026-06-01' },
    },
    {
      rule: "no licence named, and one of the customer's licences is in its installation period: chargeable unless that one is named",
      options: options({ licence: null, otherLicences: [OLD, { type: 'commercial', registeredOn: '2026-05-20' }] }),
      expected: { ...chargeable, freeWithLicence: true },
    },
    {
      rule: "no licence named, and none of the customer's licences would be free: plainly chargeable",
      options: options({ licence: null, otherLicences: [OLD, { type: 'trial', registeredOn: '2026-01-01', trialEndsOn: '2026-01-31' }] }),
      expected: chargeable,
    },
    {
      rule: 'Kerio 2.2a: registered on the day of opening → free until day 89',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-06-01' } }),
      expected: { chargeable: false, reason: 'installation-period', until: '2026-08-29' },
    },
    {
      rule: 'Kerio 2.2a: opened on day 89 after registration → free until that day',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-04' } }),
      expected: { chargeable: false, reason: 'installation-period', until: '2026-06-01' },
    },
    {
      rule: 'Kerio 2.2a: opened on day 90 after registration → chargeable',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-03' } }),
      expected: chargeable,
    },
    { rule: 'no licence identified yet → chargeable', options: options({ licence: null }), expected: chargeable },
    {
      rule: 'without taxesExcluded the fee is not marked taxes excluded',
      options: options({ policy: policyWith({ billing: { taxesExcluded: false } }) }),
      expected: { ...chargeable, taxesExcluded: false },
    },
    {
      rule: 'partner beats pre-sales, as at close',
      options: options({ customerIsPartner: true, isPreSales: true }),
      expected: { chargeable: false, reason: 'partner', until: null },
    },
  ])('$rule', ({ options: feeOptions, expected }) => {
    expect(feeAtOpen(feeOptions)).toEqual(expected);
  });

  it.each([
    { rule: 'partner customer', extra: { customerIsPartner: true } },
    { rule: 'pre-sales', extra: { isPreSales: true } },
    { rule: 'trial', extra: { licence: { type: 'trial', registeredOn: '2026-05-20' } as ChargeLicence } },
    { rule: 'installation period', extra: { licence: { type: 'commercial', registeredOn: '2026-05-01' } as ChargeLicence } },
    { rule: 'paid', extra: {} },
  ])('what open says is what a resolved close decides: $rule', ({ extra }) => {
    const atOpen = feeAtOpen(options(extra));
    const atClose = decideCharge({ policy, ticket: TICKET, licence: OLD, outcome: 'resolved', ...extra });
    expect(atClose.chargeable).toBe(atOpen.chargeable);
    if (!atOpen.chargeable) expect(atClose.reason).toBe(atOpen.reason);
  });
});

describe('feeAtOpenSummary (engineers: card, split, tickets show)', () => {
  it.each<{ rule: string; fee: FeeAtOpen; expected: string }>([
    {
      rule: 'chargeable: the locked fee, taxes, when charged, product defects free',
      fee: chargeable,
      expected: 'Fee at open: EUR\u00a065.00 per incident, taxes excluded, charged at close; a product defect is never charged',
    },
    { rule: 'partner', fee: { chargeable: false, reason: 'partner', until: null }, expected: 'Free: partner (support is free for partners)' },
    {
      rule: 'trial until its last day',
      fee: { chargeable: false, reason: 'trial-licence', until: '2026-06-19' },
      expected: 'Free: trial licence until 2026-06-19',
    },
  ])('$rule', ({ fee, expected }) => {
    expect(feeAtOpenSummary(fee)).toBe(expected);
  });
});

describe('feeChanged (a request update tells the customer a fee that is no longer the one told at open)', () => {
  const maybeFree: FeeAtOpen = { ...chargeable, freeWithLicence: true };
  const installation: FeeAtOpen = { chargeable: false, reason: 'installation-period', until: '2026-06-20' };
  it.each<[string, FeeAtOpen, FeeAtOpen, boolean]>([
    ['the same fee is no change', chargeable, { ...chargeable }, false],
    ['the same free reason and day is no change', installation, { ...installation }, false],
    ['chargeable becoming free is a change', maybeFree, installation, true],
    ['free becoming chargeable is a change', installation, chargeable, true],
    ['another free reason is a change', installation, { chargeable: false, reason: 'trial-licence', until: '2026-06-20' }, true],
    ['another last free day is a change', installation, { ...installation, until: '2026-07-01' }, true],
    ['another amount is a change', chargeable, { ...chargeable, amountMinor: 8000 }, true],
    ['another currency is a change', chargeable, { ...chargeable, currency: 'USD' }, true],
    ['"free if the licence you name is new" settled as chargeable is a change', maybeFree, chargeable, true],
  ])('%s', (_rule, before, after, changed) => {
    expect(feeChanged(before, after)).toBe(changed);
  });

  it("storedTicketFee with the customer's other licences says what the acknowledgement said: may be free", () => {
    const stored = {
      requesterKind: 'eligible-caller',
      priceMinor: 6500,
      priceCurrency: 'EUR',
      openedAt: OPENED,
      calendar: 'EMEA',
      preSales: false,
      customer: { isPartner: false },
      licence: null,
    };
    expect(storedTicketFee(policy, stored)).toEqual(chargeable);
    expect(storedTicketFee(policy, stored, { otherLicences: [OLD, { type: 'commercial', registeredOn: '2026-05-20' }] })).toEqual(maybeFree);
  });
});
