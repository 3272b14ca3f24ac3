// The per-incident charge: the price locked when a ticket opens, and whether closing it charges that price.
// Rules from the vendor terms (shared/terms/000: FAQ, sections 2.2, 2.3, 2.4.6-2.4.9, 3.1-3.7). Leaves out taking
// the payment and sending the notice (app/close-ticket.ts and the outbox), and taxes, which the fee excludes.
import { DeskbotError } from '../errors.ts';
import type { IsoDate, LicenceType } from './directory.ts';
import { currencyMinorDigits, formatMoney, minorUnitsOf } from './format.ts';
import { addDays, isoDateIn } from './iso-date.ts';
import { exclusionCustomerText, exclusions, isExclusion, type Exclusion } from './exclusions.ts';
import { calendarTimeZone, currencies, type Currency, type Policy } from './policy.ts';

/**
 * How an incident closed (terms/000 2.4.9):
 * - `resolved`: the symptoms are gone — payable;
 * - `bug`: a product bug was reported, or it is a known bug — free;
 * - `rma`: hardware is replaced (RMA) — free;
 * - `excluded`: caused by something support does not cover (2.3), needs an `exclusion` — payable;
 * - `exceptional`: cannot be addressed or solved; the engineer decides the charge and gives a reason (2.4.9c);
 * - `duplicate`: the same incident as another request — free, the original carries the charge (one incident, 3.1);
 * - `documentation`: answered by referring to the documentation (2.4.6) — payable like `resolved`: the incident was
 *   addressed (3.1), the referral is the answer, and the terms list no such exception among the free cases.
 */
export const closeOutcomes = ['resolved', 'bug', 'rma', 'excluded', 'exceptional', 'duplicate', 'documentation'] as const;
export type CloseOutcome = (typeof closeOutcomes)[number];

// The excluded causes live in exclusions.ts; re-exported so existing imports keep working.
export { exclusionCatalogue, exclusionCustomerText, exclusionIds, exclusions, isExclusion, type Exclusion, type ExclusionEntry } from './exclusions.ts';

/**
 * Machine codes of a charge decision, in the order the rules are tried (first match wins):
 * 1. `override-charged` / `override-free`: a person's explicit decision (terms/000 3.4 lets the vendor charge
 *    regardless of outcome; waiving is the same power) — beats every rule;
 * 2. `partner`, `pre-sales`, `trial-licence`, `installation-period`: who asks and on what licence (2.2) — free whatever
 *    the outcome, even `excluded` (the free period is free support, 2.3 only withdraws the obligation to help);
 * 3. `bug`, `rma`, `duplicate`: free outcomes;
 * 4. `exceptional-charged` / `exceptional-free`: the engineer's choice on an exceptional closure;
 * 5. `excluded`, `documentation`, `resolved`: payable outcomes.
 */
export const chargeReasons = [
  'override-charged',
  'override-free',
  'partner',
  'pre-sales',
  'trial-licence',
  'installation-period',
  'bug',
  'rma',
  'duplicate',
  'terms-not-agreed',
  'exceptional-charged',
  'exceptional-free',
  'excluded',
  'documentation',
  'resolved',
] as const;
export type ChargeReason = (typeof chargeReasons)[number];

/** ISO 4217 minor-unit digits of the currencies deskbot bills in (CZK has 2 in ISO 4217, though cash rounds to 0). */
/** A price in minor units (cents, haléře, ...), as stored on the ticket. */
export interface LockedPrice {
  amountMinor: number;
  currency: Currency;
}

export interface ChargeTicket {
  requesterKind: 'eligible-caller' | 'partner';
  /** The price locked at open (`lockPrice`), never today's fee: the fee does not change once an incident is open (3.6). */
  priceMinor: number;
  priceCurrency: Currency;
  openedAt: Date;
  /**
   * The zone of the customer's calendar: the day the incident opened is the customer's day (a US customer writing at
   * 20:30 on the last free day is still in the installation period). UTC when absent.
   */
  timeZone?: string;
}

/** A stored ticket's charge facts: its requester kind, locked price, opening time and calendar (whose zone dates it). */
export function chargeTicketOf(
  policy: Policy,
  ticket: { requesterKind: string; priceMinor: number; priceCurrency: string; openedAt: Date; calendar: string },
): ChargeTicket {
  return {
    requesterKind: ticket.requesterKind as ChargeTicket['requesterKind'],
    priceMinor: ticket.priceMinor,
    priceCurrency: ticket.priceCurrency as Currency,
    openedAt: ticket.openedAt,
    timeZone: calendarTimeZone(policy, ticket.calendar),
  };
}

export interface ChargeLicence {
  type: LicenceType;
  registeredOn: IsoDate;
  /** A trial's last day, when the directory records it (fee at open states "free until" this day). */
  trialEndsOn?: IsoDate | null;
}

export interface ChargeOverride {
  chargeable: boolean;
  reason: string;
  /** Who decided (Slack user ID or name). */
  by: string;
}

export interface ExceptionalChoice {
  chargeable: boolean;
  reason: string;
}

export interface DecideChargeOptions {
  policy: Policy;
  ticket: ChargeTicket;
  /** The licence the incident is about; null when none was identified. */
  licence: ChargeLicence | null;
  outcome: CloseOutcome;
  /** Required with outcome `excluded`, refused otherwise. */
  exclusion?: Exclusion;
  /**
   * The directory marks the customer `partner: true` (directory.ts `Customer.isPartner`): its incidents are free with
   * reason `partner` like a partner identified by Partner Support ID (Kerio FAQ: support "remains free for partners").
   */
  customerIsPartner?: boolean;
  /** An engineer marked the request pre-sales (a question before buying): free with reason `pre-sales` (Kerio FAQ). */
  isPreSales?: boolean;
  /**
   * The customer was asked to accept the paid-support terms and never did (Kerio ToS preamble; issue 12 point 9): no
   * paid incident without that acceptance, so the close is free with reason `terms-not-agreed` (a person may override).
   */
  termsNotAgreed?: boolean;
  override?: ChargeOverride;
  /** Required with outcome `exceptional`, refused otherwise. */
  exceptional?: ExceptionalChoice;
}

export interface ChargeDecision {
  chargeable: boolean;
  /** The locked price when chargeable, 0 when free. */
  amountMinor: number;
  currency: Currency;
  reason: ChargeReason;
  /** One sentence for Slack, the billing notice and the charges export; quotes an override's or exceptional reason. */
  explanation: string;
  /** The customer's sentence (`customerChargeText`): fixed per reason, never an engineer's note (issue 12 point 4). */
  customerText: string;
  /** True when a person's override decided (even if it agrees with the rules). */
  overridden: boolean;
  overrideReason?: string;
  overriddenBy?: string;
  /** What the rules alone decide; equals `reason` unless overridden. */
  ruleReason: ChargeReason;
}

function invalid(message: string, details?: Record<string, unknown>): DeskbotError {
  return new DeskbotError('INVALID_STATE', message, details ? { details } : {});
}

/**
 * The fee of `currency` in minor units, to store on a ticket when it opens: 80 USD → { amountMinor: 8000 }.
 * Throws POLICY_INVALID when the policy has no fee for the currency or a fee with more decimals than the currency has.
 */
export function lockPrice(policy: Policy, currency: Currency): LockedPrice {
  const fee = policy.billing.fees[currency];
  const digits = currencyMinorDigits[currency];
  if (fee === undefined || digits === undefined) {
    throw new DeskbotError('POLICY_INVALID', `no fee for currency ${currency}`, { details: { field: `billing.fees.${currency}` } });
  }
  const amountMinor = minorUnitsOf(fee, currency);
  if (amountMinor === null) {
    throw new DeskbotError('POLICY_INVALID', `fee ${fee} ${currency} is not a non-negative amount with at most ${digits} decimals`, {
      details: { field: `billing.fees.${currency}` },
    });
  }
  return { amountMinor, currency };
}

/**
 * The last free day of a purchased licence's installation period: "90 days of the registration" (Kerio 2.2a, FAQ) are
 * the registration day and the 89 days after it, so registered 2026-03-03 → last free day 2026-05-31; day 90 after
 * registration is charged. A policy of 0 days has no installation period (the day before registration).
 */
export function installationPeriodLastDay(policy: Policy, registeredOn: IsoDate): IsoDate {
  return addDays(registeredOn, policy.billing.installationPeriodDays - 1);
}

/** Whether `openedOn` (the customer's date) falls in the installation period of a licence registered on `registeredOn`. */
export function isInInstallationPeriod(policy: Policy, registeredOn: IsoDate, openedOn: IsoDate): boolean {
  return registeredOn <= openedOn && openedOn <= installationPeriodLastDay(policy, registeredOn);
}

/** Whether the ticket opened within the installation period of a purchased licence, by the customer's date. */
function inInstallationPeriod(policy: Policy, licence: ChargeLicence | null, ticket: ChargeTicket): boolean {
  if (licence === null || licence.type !== 'commercial') return false;
  return isInInstallationPeriod(policy, licence.registeredOn, isoDateIn(ticket.openedAt, ticket.timeZone ?? 'UTC'));
}

function validate(options: DecideChargeOptions): void {
  const { ticket, outcome, exclusion, exceptional, override } = options;
  if (!Number.isSafeInteger(ticket.priceMinor) || ticket.priceMinor < 0) throw invalid(`locked price must be a non-negative integer, got ${ticket.priceMinor}`);
  if (!(currencies as readonly string[]).includes(ticket.priceCurrency)) throw invalid(`unknown price currency ${String(ticket.priceCurrency)}`);
  if (Number.isNaN(ticket.openedAt.getTime())) throw invalid('openedAt is an invalid Date');
  if (!(closeOutcomes as readonly string[]).includes(outcome)) throw invalid(`unknown close outcome ${String(outcome)}`);
  if (outcome === 'excluded' && !isExclusion(exclusion)) {
    throw invalid('an excluded closure needs an exclusion', { outcome, exclusion });
  }
  if (outcome !== 'excluded' && exclusion !== undefined) throw invalid(`an exclusion is only for excluded closures, not ${outcome}`, { outcome, exclusion });
  if (outcome === 'exceptional' && (exceptional === undefined || exceptional.reason.trim() === '')) {
    throw invalid("an exceptional closure needs the engineer's charge decision and a reason", { outcome });
  }
  if (outcome !== 'exceptional' && exceptional !== undefined)
    throw invalid(`an exceptional decision is only for exceptional closures, not ${outcome}`, { outcome });
  if (override !== undefined && (override.reason.trim() === '' || override.by.trim() === '')) {
    throw invalid('a charge override needs a reason and who decided', { outcome });
  }
}

type RuleDecision = { chargeable: boolean; reason: ChargeReason };

function ruleDecision(options: DecideChargeOptions): RuleDecision {
  const { policy, ticket, licence, outcome } = options;
  if (ticket.requesterKind === 'partner' || options.customerIsPartner === true) return { chargeable: false, reason: 'partner' };
  if (options.isPreSales === true) return { chargeable: false, reason: 'pre-sales' };
  if (licence?.type === 'trial') return { chargeable: false, reason: 'trial-licence' };
  if (inInstallationPeriod(policy, licence, ticket)) return { chargeable: false, reason: 'installation-period' };
  if (outcome === 'bug' || outcome === 'rma' || outcome === 'duplicate') return { chargeable: false, reason: outcome };
  if (options.termsNotAgreed === true) return { chargeable: false, reason: 'terms-not-agreed' };
  if (outcome === 'exceptional') {
    return options.exceptional?.chargeable ? { chargeable: true, reason: 'exceptional-charged' } : { chargeable: false, reason: 'exceptional-free' };
  }
  return { chargeable: true, reason: outcome };
}

function chargedPrefix(policy: Policy, amount: string): string {
  return `Charged ${amount}${policy.billing.taxesExcluded ? ' plus applicable taxes' : ''}`;
}

function explain(reason: ChargeReason, options: DecideChargeOptions, amount: string): string {
  const { policy } = options;
  const charged = chargedPrefix(policy, amount);
  const note = (text: string): string => text.trim().replace(/[.\s]+$/, '');
  switch (reason) {
    case 'override-charged':
      return `${charged} by decision of ${note(options.override!.by)}: ${note(options.override!.reason)}.`;
    case 'override-free':
      return `Free by decision of ${note(options.override!.by)}: ${note(options.override!.reason)}.`;
    case 'partner':
      return 'Free: technical support is free for partners.';
    case 'pre-sales':
      return 'Free: pre-sales questions are not charged.';
    case 'trial-licence':
      return 'Free: support for a registered trial licence is free for the life of the trial.';
    case 'installation-period':
      return `Free: the incident was opened within ${policy.billing.installationPeriodDays} days of registering the purchased licence (installation period).`;
    case 'bug':
      return 'Free: the incident ended in a bug report or a known product bug.';
    case 'rma':
      return 'Free: the incident ended in a hardware replacement (RMA).';
    case 'duplicate':
      return 'Free: the incident duplicates another request, which carries the charge.';
    case 'terms-not-agreed':
      return 'Free: the customer never accepted the support terms, which a paid incident needs.';
    case 'exceptional-charged':
      return `${charged}: closed as an exceptional case by the engineer's decision (${note(options.exceptional!.reason)}).`;
    case 'exceptional-free':
      return `Free: closed as an exceptional case by the engineer's decision (${note(options.exceptional!.reason)}).`;
    case 'excluded':
      return `${charged}: the incident was caused by ${exclusions[options.exclusion!]}, which support does not cover.`;
    case 'documentation':
      return `${charged}: the incident was answered by referring to the documentation.`;
    case 'resolved':
      return `${charged}: the incident was resolved.`;
  }
}

/** Re-close reasons of the close use case (app/close-ticket.ts), which the customer is told about too. */
export const reCloseReasons = ['already-charged', 'previously-free'] as const;
export type CustomerChargeReason = ChargeReason | (typeof reCloseReasons)[number];

export interface CustomerChargeTextOptions {
  policy: Policy;
  /** The incident's locked price: what this close charges, or what an earlier close charged (`already-charged`). */
  amountMinor: number;
  currency: Currency;
  /** Locale of the amount (formatMoney); English when omitted. */
  locale?: string;
  /** The cause of an `excluded` closure; its fixed sentence is appended. */
  exclusion?: Exclusion;
}

/**
 * The fixed, customer-facing sentence of a charge reason for the closure mail (issue 12 point 4): the same text for
 * every incident with that reason, never quoting an engineer's override or exceptional reason, a Slack user or a
 * date of an internal decision. Internal explanations stay in `ChargeDecision.explanation` (Slack, billing, export).
 */
export function customerChargeText(reason: CustomerChargeReason, options: CustomerChargeTextOptions): string {
  const { policy } = options;
  const charged = chargedPrefix(policy, formatMoney(options.amountMinor, options.currency, options.locale));
  switch (reason) {
    case 'override-charged':
      return `${charged}: after reviewing the incident, our support team applied the per-incident fee.`;
    case 'override-free':
      return 'Free: our support team waived the fee for this incident.';
    case 'partner':
      return 'Free: technical support is free for partners.';
    case 'pre-sales':
      return 'Free: pre-sales questions are not charged.';
    case 'trial-licence':
      return 'Free: support for a registered trial licence is free for the life of the trial.';
    case 'installation-period':
      return (
        `Free: the incident was opened within the ${policy.billing.installationPeriodDays}-day installation period ` +
        'after registering the purchased licence.'
      );
    case 'bug':
      return 'Free: the incident ended in a bug report or a known product bug; product defects are never charged.';
    case 'rma':
      return 'Free: the incident ended in a hardware replacement (RMA).';
    case 'duplicate':
      return 'Free: the incident duplicates another request, which carries the charge.';
    case 'terms-not-agreed':
      return 'Free: our support terms were not accepted for this incident, so no fee applies.';
    case 'exceptional-charged':
      return `${charged}: the incident was closed as an exceptional case after work by our engineers.`;
    case 'exceptional-free':
      return 'Free: the incident was closed as an exceptional case without a fee.';
    case 'excluded': {
      const cause = options.exclusion !== undefined && isExclusion(options.exclusion) ? ` ${exclusionCustomerText(options.exclusion)}` : '';
      return `${charged}: the cause lies outside what technical support covers.${cause}`;
    }
    case 'documentation':
      return `${charged}: the incident was answered by referring to the documentation.`;
    case 'resolved':
      return `${charged}: the incident was resolved.`;
    case 'already-charged':
      return (
        `No further charge: the fee of ${formatMoney(options.amountMinor, options.currency, options.locale)} for this incident was charged ` +
        'at an earlier close; it is charged once per incident and not refunded.'
      );
    case 'previously-free':
      return 'Free: the incident was closed without a fee before; closing it again after a reopen adds no fee.';
  }
}

/**
 * Whether closing an incident charges its locked price, and why (see `chargeReasons` for the order of the rules).
 * Throws INVALID_STATE for a closure the rules cannot decide: `excluded` without an exclusion, `exceptional` without
 * the engineer's choice and a non-empty reason, an override without a reason or author, or a malformed ticket price.
 */
export function decideCharge(options: DecideChargeOptions): ChargeDecision {
  validate(options);
  const { ticket, override } = options;
  const rules = ruleDecision(options);
  const chargeable = override ? override.chargeable : rules.chargeable;
  const reason: ChargeReason = override ? (override.chargeable ? 'override-charged' : 'override-free') : rules.reason;
  const amountMinor = chargeable ? ticket.priceMinor : 0;
  const decision: ChargeDecision = {
    chargeable,
    amountMinor,
    currency: ticket.priceCurrency,
    reason,
    explanation: explain(reason, options, formatMoney(ticket.priceMinor, ticket.priceCurrency)),
    customerText: customerChargeText(reason, {
      policy: options.policy,
      amountMinor: ticket.priceMinor,
      currency: ticket.priceCurrency,
      ...(options.exclusion !== undefined ? { exclusion: options.exclusion } : {}),
    }),
    overridden: override !== undefined,
    ruleReason: rules.reason,
  };
  if (override) {
    decision.overrideReason = override.reason.trim();
    decision.overriddenBy = override.by.trim();
  }
  return decision;
}
