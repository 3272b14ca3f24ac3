import { describe, expect, it } from 'vitest';
import {
  chargeReasons,
  closeOutcomes,
  customerChargeText,
  decideCharge,
  installationPeriodLastDay,
  reCloseReasons,
  type CustomerChargeReason,
  exclusions,
  lockPrice,
  type ChargeDecision,
  type DecideChargeOptions,
  type Exclusion,
} from '../../src/domain/billing.ts';
import { currencies, defaultPolicy, resolvePolicy, type Currency, type Policy } from '../../src/domain/policy.ts';
import { isDeskbotError } from '../../src/errors.ts';

function policyWith(partial: Record<string, unknown>): Policy {
  const resolved = resolvePolicy(partial);
  if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
  return resolved.policy;
}

const policy = defaultPolicy();
const OPENED = new Date('2026-06-01T10:00:00Z');
const OLD_LICENCE = { type: 'commercial' as const, registeredOn: '2025-01-01' };

function options(overrides: Partial<DecideChargeOptions> = {}, ticket: Partial<DecideChargeOptions['ticket']> = {}): DecideChargeOptions {
  return {
    policy,
    ticket: { requesterKind: 'eligible-caller', priceMinor: 8000, priceCurrency: 'USD', openedAt: OPENED, ...ticket },
    licence: OLD_LICENCE,
    outcome: 'resolved',
    ...overrides,
  };
}

describe('lockPrice', () => {
  it.each([
    { rule: '80 USD is 8000 cents', currency: 'USD', expected: 8000 },
    { rule: '65 EUR is 6500 cents', currency: 'EUR', expected: 6500 },
    { rule: '55 GBP is 5500 pence', currency: 'GBP', expected: 5500 },
    { rule: '1600 CZK is 160000 haléře (2 minor digits in ISO 4217)', currency: 'CZK', expected: 160_000 },
    { rule: '75 AUD is 7500 cents', currency: 'AUD', expected: 7500 },
  ] satisfies { rule: string; currency: Currency; expected: number }[])('$rule', ({ currency, expected }) => {
    expect(lockPrice(policy, currency)).toEqual({ amountMinor: expected, currency });
  });

  it.each([
    { rule: 'a fee with cents converts without float error (19.99 → 1999)', fee: 19.99, expected: 1999 },
    { rule: 'a fee with cents converts without float error (0.29 → 29)', fee: 0.29, expected: 29 },
    { rule: 'a zero fee locks zero', fee: 0, expected: 0 },
  ])('$rule', ({ fee, expected }) => {
    expect(lockPrice(policyWith({ billing: { fees: { USD: fee } } }), 'USD').amountMinor).toBe(expected);
  });

  it('refuses a fee with more decimals than the currency has (a policy built around the load check)', () => {
    const broken = { ...policy, billing: { ...policy.billing, fees: { USD: 80.555 } } } as Policy;
    const call = () => lockPrice(broken, 'USD');
    expect(call).toThrow(/at most 2 decimals/);
    try {
      call();
    } catch (error) {
      expect(isDeskbotError(error, 'POLICY_INVALID')).toBe(true);
    }
  });

  it('refuses a currency the policy has no fee for', () => {
    const broken = { ...policy, billing: { ...policy.billing, fees: { USD: 80 } } } as Policy;
    expect(() => lockPrice(broken, 'EUR')).toThrow(expect.objectContaining({ code: 'POLICY_INVALID' }));
  });
});

type Expected = Partial<ChargeDecision>;

describe('decideCharge: rules', () => {
  it.each<{ rule: string; options: DecideChargeOptions; expected: Expected }>([
    {
      rule: 'resolved is payable at the locked price',
      options: options(),
      expected: { chargeable: true, amountMinor: 8000, currency: 'USD', reason: 'resolved', overridden: false },
    },
    {
      rule: "the price locked at open is charged, not today's fee",
      options: options({ policy: policyWith({ billing: { fees: { USD: 95 } } }) }),
      expected: { chargeable: true, amountMinor: 8000 },
    },
    {
      rule: 'the locked currency is kept',
      options: options({}, { priceMinor: 160_000, priceCurrency: 'CZK' }),
      expected: { chargeable: true, amountMinor: 160_000, currency: 'CZK' },
    },
    {
      rule: 'a documentation referral is payable like resolved',
      options: options({ outcome: 'documentation' }),
      expected: { chargeable: true, amountMinor: 8000, reason: 'documentation' },
    },
    { rule: 'a bug report or known bug is free', options: options({ outcome: 'bug' }), expected: { chargeable: false, amountMinor: 0, reason: 'bug' } },
    { rule: 'an RMA is free', options: options({ outcome: 'rma' }), expected: { chargeable: false, amountMinor: 0, reason: 'rma' } },
    {
      rule: 'a duplicate is free (the original carries the charge)',
      options: options({ outcome: 'duplicate' }),
      expected: { chargeable: false, amountMinor: 0, reason: 'duplicate' },
    },
    {
      rule: 'a paid incident whose customer never accepted the support terms is free (Kerio ToS preamble)',
      options: options({ termsNotAgreed: true }),
      expected: { chargeable: false, amountMinor: 0, reason: 'terms-not-agreed' },
    },
    {
      rule: 'a bug stays the reason when the terms were not accepted either',
      options: options({ termsNotAgreed: true, outcome: 'bug' }),
      expected: { chargeable: false, reason: 'bug' },
    },
    {
      rule: 'a partner is free even when resolved',
      options: options({}, { requesterKind: 'partner' }),
      expected: { chargeable: false, amountMinor: 0, reason: 'partner' },
    },
    {
      rule: 'partner (Kerio FAQ, 2.2b): a directory customer marked partner: true is free when resolved',
      options: options({ customerIsPartner: true }),
      expected: { chargeable: false, amountMinor: 0, reason: 'partner' },
    },
    {
      rule: 'partner (Kerio FAQ, 2.2b): a directory partner customer is free even when excluded',
      options: options({ customerIsPartner: true, outcome: 'excluded', exclusion: 'eula-breach' }),
      expected: { chargeable: false, reason: 'partner' },
    },
    {
      rule: 'partner: customerIsPartner false changes nothing',
      options: options({ customerIsPartner: false }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'partner: a directory partner customer can still be charged by an override (3.4)',
      options: options({ customerIsPartner: true, override: { chargeable: true, reason: 'End-customer work', by: 'U1' } }),
      expected: { chargeable: true, reason: 'override-charged', ruleReason: 'partner' },
    },
    {
      rule: 'pre-sales (Kerio FAQ): an engineer-marked pre-sales request is free even when resolved on a paid licence',
      options: options({ isPreSales: true }),
      expected: { chargeable: false, amountMinor: 0, reason: 'pre-sales' },
    },
    {
      rule: 'a partner is free even when excluded',
      options: options({ outcome: 'excluded', exclusion: 'misuse' }, { requesterKind: 'partner' }),
      expected: { chargeable: false, reason: 'partner' },
    },
    { rule: 'a pre-sales question is free', options: options({ isPreSales: true, licence: null }), expected: { chargeable: false, reason: 'pre-sales' } },
    { rule: 'isPreSales false changes nothing', options: options({ isPreSales: false }), expected: { chargeable: true, reason: 'resolved' } },
    {
      rule: 'a registered trial licence is free',
      options: options({ licence: { type: 'trial', registeredOn: '2026-05-20' } }),
      expected: { chargeable: false, reason: 'trial-licence' },
    },
    {
      rule: 'an incident opened on the registration day is in the installation period',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-06-01' } }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    // Opened 2026-06-01: registered 2026-03-04 is day 89 after registration, 2026-03-03 day 90 (Mar 28 + Apr 30 + May 31 + 1).
    {
      rule: 'installation period (Kerio 2.2a): day 89 after registration is its last free day',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-04' } }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: 'installation period (Kerio 2.2a): day 90 after registration is payable',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-03' } }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'installation period (Kerio 2.2a): day 91 after registration is payable',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-02' } }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'installation period: without a zone, measured by UTC date (06-02 03:00+05 is 06-01 UTC, day 89)',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-04' } }, { openedAt: new Date('2026-06-02T03:00:00+05:00') }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: 'installation period: without a zone, measured by UTC date (06-01 23:30-05 is 06-02 UTC, day 90)',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-04' } }, { openedAt: new Date('2026-06-01T23:30:00-05:00') }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: "installation period: measured at open by the customer's date (06-01 23:30 in New York is day 89 there)",
      options: options(
        { licence: { type: 'commercial', registeredOn: '2026-03-04' } },
        { openedAt: new Date('2026-06-01T23:30:00-04:00'), timeZone: 'America/New_York' },
      ),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: "installation period: measured at open by the customer's date (06-01 20:30 UTC is 06-02 in Tokyo, day 90)",
      options: options({ licence: { type: 'commercial', registeredOn: '2026-03-04' } }, { openedAt: new Date('2026-06-01T20:30:00Z'), timeZone: 'Asia/Tokyo' }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'installation period: a policy of 0 days has none, not even the registration day',
      options: options({ policy: policyWith({ billing: { installationPeriodDays: 0 } }), licence: { type: 'commercial', registeredOn: '2026-06-01' } }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'installation period: a policy of 1 day is the registration day alone',
      options: options({ policy: policyWith({ billing: { installationPeriodDays: 1 } }), licence: { type: 'commercial', registeredOn: '2026-06-01' } }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: 'the installation period length comes from the policy',
      options: options({ policy: policyWith({ billing: { installationPeriodDays: 30 } }), licence: { type: 'commercial', registeredOn: '2026-04-01' } }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'an incident opened before the licence was registered is not in its installation period',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-06-02' } }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'without an identified licence there is no installation period',
      options: options({ licence: null }),
      expected: { chargeable: true, reason: 'resolved' },
    },
    {
      rule: 'free reasons take precedence over payable outcomes: installation period beats excluded',
      options: options({ outcome: 'excluded', exclusion: 'third-party', licence: { type: 'commercial', registeredOn: '2026-05-01' } }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: 'entitlement is reported before outcome: partner beats bug',
      options: options({ outcome: 'bug' }, { requesterKind: 'partner' }),
      expected: { chargeable: false, reason: 'partner' },
    },
    {
      rule: 'entitlement is reported before outcome: installation period beats RMA',
      options: options({ outcome: 'rma', licence: { type: 'commercial', registeredOn: '2026-05-01' } }),
      expected: { chargeable: false, reason: 'installation-period' },
    },
    {
      rule: 'pre-sales beats trial',
      options: options({ isPreSales: true, licence: { type: 'trial', registeredOn: '2026-05-20' } }),
      expected: { reason: 'pre-sales' },
    },
    {
      rule: "an exceptional closure is charged by the engineer's choice",
      options: options({ outcome: 'exceptional', exceptional: { chargeable: true, reason: 'Two days of remote work' } }),
      expected: { chargeable: true, amountMinor: 8000, reason: 'exceptional-charged' },
    },
    {
      rule: "an exceptional closure is free by the engineer's choice",
      options: options({ outcome: 'exceptional', exceptional: { chargeable: false, reason: 'Customer withdrew the request' } }),
      expected: { chargeable: false, amountMinor: 0, reason: 'exceptional-free' },
    },
    {
      rule: 'an exceptional charge cannot charge a partner (free reasons first)',
      options: options({ outcome: 'exceptional', exceptional: { chargeable: true, reason: 'much work' } }, { requesterKind: 'partner' }),
      expected: { chargeable: false, reason: 'partner' },
    },
    {
      rule: 'an override charges even a partner (terms 3.4)',
      options: options({ override: { chargeable: true, reason: 'Work for the end customer', by: 'U123' } }, { requesterKind: 'partner' }),
      expected: {
        chargeable: true,
        amountMinor: 8000,
        reason: 'override-charged',
        ruleReason: 'partner',
        overridden: true,
        overrideReason: 'Work for the end customer',
        overriddenBy: 'U123',
      },
    },
    {
      rule: 'an override waives a resolved incident',
      options: options({ override: { chargeable: false, reason: 'Goodwill', by: 'U9' } }),
      expected: { chargeable: false, amountMinor: 0, reason: 'override-free', ruleReason: 'resolved', overridden: true },
    },
    {
      rule: 'an override that agrees with the rules is still recorded as a person’s decision',
      options: options({ override: { chargeable: true, reason: 'Confirmed', by: 'U9' } }),
      expected: { chargeable: true, reason: 'override-charged', ruleReason: 'resolved', overridden: true },
    },
    {
      rule: 'override reasons are trimmed',
      options: options({ override: { chargeable: false, reason: '  Goodwill  ', by: ' U9 ' } }),
      expected: { overrideReason: 'Goodwill', overriddenBy: 'U9' },
    },
    {
      rule: 'without an override the rule reason is the reason',
      options: options({ outcome: 'bug' }),
      expected: { reason: 'bug', ruleReason: 'bug', overridden: false },
    },
  ])('$rule', ({ options: chargeOptions, expected }) => {
    expect(decideCharge(chargeOptions)).toMatchObject(expected);
  });

  it.each(Object.keys(exclusions) as Exclusion[])('an excluded closure (%s) is payable and names the cause', (exclusion) => {
    const decision = decideCharge(options({ outcome: 'excluded', exclusion }));
    expect(decision).toMatchObject({ chargeable: true, amountMinor: 8000, reason: 'excluded' });
    expect(decision.explanation).toContain(exclusions[exclusion]);
  });

  it('a free decision carries no override fields', () => {
    expect(decideCharge(options({ outcome: 'bug' }))).not.toHaveProperty('overrideReason');
  });

  it('every outcome is decided by some rule', () => {
    for (const outcome of closeOutcomes) {
      const extra: Partial<DecideChargeOptions> =
        outcome === 'excluded' ? { exclusion: 'other' } : outcome === 'exceptional' ? { exceptional: { chargeable: false, reason: 'x' } } : {};
      expect(() => decideCharge(options({ outcome, ...extra }))).not.toThrow();
    }
  });
});

describe('decideCharge: explanations', () => {
  it.each<{ rule: string; options: DecideChargeOptions; expected: string }>([
    {
      rule: 'a charge names the amount and that taxes are excluded',
      options: options(),
      expected: 'Charged $80.00 plus applicable taxes: the incident was resolved.',
    },
    {
      rule: 'without taxesExcluded there is no tax note',
      options: options({ policy: policyWith({ billing: { taxesExcluded: false } }) }),
      expected: 'Charged $80.00: the incident was resolved.',
    },
    {
      rule: 'a CZK charge shows 2 minor digits',
      options: options({}, { priceMinor: 160_000, priceCurrency: 'CZK' }),
      expected: 'Charged CZK\u00a01,600.00 plus applicable taxes: the incident was resolved.',
    },
    {
      rule: 'the installation period names its length',
      options: options({ licence: { type: 'commercial', registeredOn: '2026-05-01' } }),
      expected: 'Free: the incident was opened within 90 days of registering the purchased licence (installation period).',
    },
    {
      rule: 'an exceptional closure quotes the engineer',
      options: options({ outcome: 'exceptional', exceptional: { chargeable: false, reason: 'Customer withdrew.' } }),
      expected: "Free: closed as an exceptional case by the engineer's decision (Customer withdrew).",
    },
    {
      rule: 'an override names who decided and why',
      options: options({ override: { chargeable: false, reason: 'Goodwill after outage', by: 'Eva' } }),
      expected: 'Free by decision of Eva: Goodwill after outage.',
    },
  ])('$rule', ({ options: chargeOptions, expected }) => {
    expect(decideCharge(chargeOptions).explanation).toBe(expected);
  });

  it('every decision explains itself in one sentence', () => {
    for (const outcome of closeOutcomes) {
      const extra: Partial<DecideChargeOptions> =
        outcome === 'excluded' ? { exclusion: 'hardware' } : outcome === 'exceptional' ? { exceptional: { chargeable: true, reason: 'x' } } : {};
      expect(decideCharge(options({ outcome, ...extra })).explanation).toMatch(/^[A-Z][^\n]*\.$/);
    }
  });
});

describe('decideCharge: refusals', () => {
  it.each<{ rule: string; options: DecideChargeOptions }>([
    { rule: 'an exceptional closure needs the engineer’s choice', options: options({ outcome: 'exceptional' }) },
    { rule: 'an exceptional closure needs a non-empty reason', options: options({ outcome: 'exceptional', exceptional: { chargeable: true, reason: '   ' } }) },
    { rule: 'an exceptional choice is refused on another outcome', options: options({ outcome: 'resolved', exceptional: { chargeable: false, reason: 'x' } }) },
    { rule: 'an override needs a reason', options: options({ override: { chargeable: false, reason: '', by: 'U1' } }) },
    { rule: 'an override needs who decided', options: options({ override: { chargeable: false, reason: 'Goodwill', by: ' ' } }) },
    { rule: 'an excluded closure needs an exclusion', options: options({ outcome: 'excluded' }) },
    { rule: 'an excluded closure needs a known exclusion', options: options({ outcome: 'excluded', exclusion: 'weather' as Exclusion }) },
    { rule: 'an exclusion is refused on another outcome', options: options({ outcome: 'resolved', exclusion: 'misuse' }) },
    { rule: 'an unknown outcome is refused', options: options({ outcome: 'won' as 'resolved' }) },
    { rule: 'a negative locked price is refused', options: options({}, { priceMinor: -1 }) },
    { rule: 'a fractional locked price is refused', options: options({}, { priceMinor: 80.5 }) },
    { rule: 'an unknown currency is refused', options: options({}, { priceCurrency: 'XXX' as Currency }) },
    { rule: 'an invalid openedAt is refused', options: options({}, { openedAt: new Date('nope') }) },
  ])('$rule (INVALID_STATE)', ({ options: chargeOptions }) => {
    let thrown: unknown;
    try {
      decideCharge(chargeOptions);
    } catch (error) {
      thrown = error;
    }
    expect(isDeskbotError(thrown, 'INVALID_STATE')).toBe(true);
  });

  it('the currency list and minor digits cover every policy currency', () => {
    for (const currency of currencies) expect(() => lockPrice(policy, currency)).not.toThrow();
  });
});

describe('installationPeriodLastDay (Kerio 2.2a: registration day + 89 days)', () => {
  it.each([
    { rule: 'registered 2026-03-04 → last free day 2026-06-01', registeredOn: '2026-03-04', days: 90, expected: '2026-06-01' },
    { rule: 'registered 2026-01-10 → last free day 2026-04-09', registeredOn: '2026-01-10', days: 90, expected: '2026-04-09' },
    { rule: 'a leap year counts Feb 29: registered 2028-01-01 → 2028-03-30', registeredOn: '2028-01-01', days: 90, expected: '2028-03-30' },
    { rule: 'a 1-day period is the registration day', registeredOn: '2026-06-01', days: 1, expected: '2026-06-01' },
  ])('$rule', ({ registeredOn, days, expected }) => {
    expect(installationPeriodLastDay(policyWith({ billing: { installationPeriodDays: days } }), registeredOn)).toBe(expected);
  });
});

describe('customer-facing charge texts (issue 12 point 4)', () => {
  const text = (reason: CustomerChargeReason, extra: { exclusion?: Exclusion } = {}) =>
    customerChargeText(reason, { policy, amountMinor: 8000, currency: 'USD', ...extra });

  it.each<{ rule: string; reason: CustomerChargeReason; expected: string }>([
    {
      rule: 'override-charged (Kerio 3.4) names no engineer and no reason',
      reason: 'override-charged',
      expected: 'Charged $80.00 plus applicable taxes: after reviewing the incident, our support team applied the per-incident fee.',
    },
    { rule: 'override-free names no engineer and no reason', reason: 'override-free', expected: 'Free: our support team waived the fee for this incident.' },
    { rule: 'partner (Kerio FAQ)', reason: 'partner', expected: 'Free: technical support is free for partners.' },
    {
      rule: 'installation period (Kerio 2.2a) names its length',
      reason: 'installation-period',
      expected: 'Free: the incident was opened within the 90-day installation period after registering the purchased licence.',
    },
    {
      rule: 'bug (Kerio FAQ, 2.4.9b): a product defect is never charged',
      reason: 'bug',
      expected: 'Free: the incident ended in a bug report or a known product bug; product defects are never charged.',
    },
    {
      rule: 'exceptional-charged (2.4.9c) quotes no engineer reason',
      reason: 'exceptional-charged',
      expected: 'Charged $80.00 plus applicable taxes: the incident was closed as an exceptional case after work by our engineers.',
    },
    {
      rule: 'exceptional-free (2.4.9c) quotes no engineer reason',
      reason: 'exceptional-free',
      expected: 'Free: the incident was closed as an exceptional case without a fee.',
    },
    {
      rule: 're-close already-charged (3.1, 3.3)',
      reason: 'already-charged',
      expected: 'No further charge: the fee of $80.00 for this incident was charged at an earlier close; it is charged once per incident and not refunded.',
    },
    {
      rule: 're-close previously-free quotes no earlier explanation',
      reason: 'previously-free',
      expected: 'Free: the incident was closed without a fee before; closing it again after a reopen adds no fee.',
    },
  ])('$rule', ({ reason, expected }) => {
    expect(text(reason)).toBe(expected);
  });

  it('excluded (Kerio 2.3) appends the fixed sentence of the cause', () => {
    expect(text('excluded', { exclusion: 'force-majeure' })).toBe(
      'Charged $80.00 plus applicable taxes: the cause lies outside what technical support covers. ' +
        'The problem was caused by an accident, a natural disaster or another event beyond anyone’s control (force majeure).',
    );
  });

  it.each([...chargeReasons, ...reCloseReasons])('%s has a fixed sentence', (reason) => {
    expect(text(reason)).toMatch(/^(Charged|Free|No further charge)[^\n]*\.$/);
  });

  it('a decision with an override carries the internal reason in explanation, never in customerText', () => {
    const decision = decideCharge(options({ override: { chargeable: false, reason: 'Angry CEO, see #vip', by: 'U0SECRET' } }));
    expect(decision.explanation).toContain('Angry CEO');
    expect(decision.customerText).toBe('Free: our support team waived the fee for this incident.');
    expect(decision.customerText).not.toMatch(/Angry|U0SECRET/);
  });

  it('an exceptional decision keeps the engineer reason out of customerText', () => {
    const decision = decideCharge(options({ outcome: 'exceptional', exceptional: { chargeable: true, reason: 'internal: customer rude' } }));
    expect(decision.customerText).not.toContain('rude');
    expect(decision.customerText).toBe(customerChargeText('exceptional-charged', { policy, amountMinor: 8000, currency: 'USD' }));
  });
});
