// The fee told to the customer when a request opens (Kerio ToS 3.2-3.3, 3.6, FAQ: the fee is agreed before work
// starts): whether the incident will be chargeable at close and why. Pure; the acknowledgement and the triage message
// render it. Leaves out the outcome-dependent rules (bug, RMA, exclusions), which only closing decides (billing.ts).
import { chargeTicketOf, installationPeriodLastDay, type ChargeLicence, type ChargeTicket } from './billing.ts';
import { formatMoney } from './format.ts';
import type { IsoDate } from './directory.ts';
import { defaultTrialDays } from './eligibility.ts';
import { addDays, isoDateIn } from './iso-date.ts';
import type { Currency, PaymentInstructions, Policy } from './policy.ts';

/** Why an incident is free from the start, in the order the rules are tried (the same order as decideCharge). */
export const freeAtOpenReasons = ['partner', 'pre-sales', 'trial-licence', 'installation-period'] as const;
export type FreeAtOpenReason = (typeof freeAtOpenReasons)[number];

export interface FeeAtOpenOptions {
  policy: Policy;
  /** The ticket as it opens: requester kind, the price just locked (`lockPrice`) and the opening instant. */
  ticket: ChargeTicket;
  /** The licence the request is about; null when none was identified yet. */
  licence: ChargeLicence | null;
  /** The directory marks the customer `partner: true`. */
  customerIsPartner?: boolean;
  /** An engineer marked the request pre-sales. */
  isPreSales?: boolean;
  /**
   * The customer's licences, when the request names none of them yet (it has several): if naming one of them would
   * make the incident free (a trial, an installation period), the chargeable answer says so (`freeWithLicence`).
   */
  otherLicences?: readonly ChargeLicence[];
}

/** A chargeable incident: the locked fee, charged when the incident is closed unless it ends in a product defect. */
export interface ChargeableAtOpen {
  chargeable: true;
  amountMinor: number;
  currency: Currency;
  /** The fee excludes taxes (policy.billing.taxesExcluded). */
  taxesExcluded: boolean;
  /** How payment is made (policy.billing.paymentInstructions; the mail takes its language's text). */
  paymentInstructions: PaymentInstructions;
  /** Always true: a product defect (bug report, known bug, RMA) is never charged (Kerio FAQ, 2.4.9b). */
  productDefectFree: true;
  /**
   * The licence is not known yet and one of the customer's licences would make the incident free: the fee applies
   * unless the licence named is that trial or within its installation period.
   */
  freeWithLicence?: boolean;
}

/** A free incident and why; `until` is the last free day (UTC date) when the reason expires. */
export interface FreeAtOpen {
  chargeable: false;
  reason: FreeAtOpenReason;
  /** Trial: its last day; installation period: its last day; null for partner and pre-sales. */
  until: IsoDate | null;
}

export type FeeAtOpen = ChargeableAtOpen | FreeAtOpen;

/**
 * Whether the incident opening now will be chargeable when it closes, and why not when it is free. Mirrors the
 * entitlement rules of decideCharge exactly (partner → pre-sales → trial → installation period, measured at open), so
 * what the customer is told at open is what closing decides unless the incident ends in a free outcome or an engineer
 * overrides it.
 */
export function feeAtOpen(options: FeeAtOpenOptions): FeeAtOpen {
  const { policy, ticket, licence } = options;
  if (ticket.requesterKind === 'partner' || options.customerIsPartner === true) return { chargeable: false, reason: 'partner', until: null };
  if (options.isPreSales === true) return { chargeable: false, reason: 'pre-sales', until: null };
  if (licence?.type === 'trial') {
    return { chargeable: false, reason: 'trial-licence', until: licence.trialEndsOn ?? addDays(licence.registeredOn, defaultTrialDays) };
  }
  // The customer's day of opening (its calendar's zone), for the installation period of this or another licence.
  const openedOn = isoDateIn(ticket.openedAt, ticket.timeZone ?? 'UTC');
  if (licence?.type === 'commercial') {
    const lastDay = installationPeriodLastDay(policy, licence.registeredOn);
    if (licence.registeredOn <= openedOn && openedOn <= lastDay) return { chargeable: false, reason: 'installation-period', until: lastDay };
  }
  const freeWithLicence =
    licence === null &&
    (options.otherLicences ?? []).some((other) => {
      const fee = feeAtOpen({ policy, ticket, licence: other });
      return !fee.chargeable && fee.until !== null && openedOn <= fee.until;
    });
  return {
    chargeable: true,
    amountMinor: ticket.priceMinor,
    currency: ticket.priceCurrency,
    taxesExcluded: policy.billing.taxesExcluded,
    paymentInstructions: policy.billing.paymentInstructions,
    productDefectFree: true,
    ...(freeWithLicence ? { freeWithLicence: true } : {}),
  };
}

/** What a stored ticket holds of its fee at open; licence days may be dates (as the store reads them) or YYYY-MM-DD. */
export interface StoredFeeFacts {
  requesterKind: string;
  priceMinor: number;
  priceCurrency: string;
  openedAt: Date;
  calendar: string;
  preSales: boolean;
  customer: { isPartner: boolean } | null;
  licence: { type: string; registeredOn: Date | string; trialEndsOn?: Date | string | null } | null;
}

const dayOf = (day: Date | string): IsoDate => (typeof day === 'string' ? day : day.toISOString().slice(0, 10));

type StoredLicence = NonNullable<StoredFeeFacts['licence']>;

const chargeLicenceOf = (licence: StoredLicence): ChargeLicence => ({
  type: licence.type as ChargeLicence['type'],
  registeredOn: dayOf(licence.registeredOn),
  trialEndsOn: licence.trialEndsOn ? dayOf(licence.trialEndsOn) : null,
});

/**
 * The fee told at open of a ticket as stored (the Slack card, `deskbot tickets show`, a split). Pass `otherLicences`
 * (the customer's, while the ticket names none) for the acknowledgement's exact words, `freeWithLicence` included.
 */
export function storedTicketFee(policy: Policy, ticket: StoredFeeFacts, options: { otherLicences?: readonly StoredLicence[] } = {}): FeeAtOpen {
  const { licence } = ticket;
  return feeAtOpen({
    policy,
    ticket: chargeTicketOf(policy, ticket),
    licence: licence ? chargeLicenceOf(licence) : null,
    customerIsPartner: ticket.customer?.isPartner === true,
    isPreSales: ticket.preSales,
    ...(options.otherLicences ? { otherLicences: options.otherLicences.map(chargeLicenceOf) } : {}),
  });
}

/**
 * Whether the customer would now be told something else about money than `before` said: chargeable or free, the fee,
 * why it is free or until when, or the "free if the licence you name is a trial or new" caveat.
 */
export function feeChanged(before: FeeAtOpen, after: FeeAtOpen): boolean {
  if (!before.chargeable && !after.chargeable) return before.reason !== after.reason || before.until !== after.until;
  if (!before.chargeable || !after.chargeable) return true;
  return (
    before.amountMinor !== after.amountMinor || before.currency !== after.currency || (before.freeWithLicence === true) !== (after.freeWithLicence === true)
  );
}

const freeLabels: Record<FreeAtOpenReason, string> = {
  partner: 'partner (support is free for partners)',
  'pre-sales': 'pre-sales question',
  'trial-licence': 'trial licence',
  'installation-period': 'installation period of the licence',
};

/**
 * The fee told at open in engineers' words, e.g. "Fee at open: USD 80.00 per incident, taxes excluded, charged at close; a
 * product defect is never charged" or "Free: trial licence until 2026-04-30": the triage message, `/support split` and
 * `deskbot tickets show` say it. Customers read the acknowledgement's own sentences (templates).
 */
export function feeAtOpenSummary(fee: FeeAtOpen): string {
  return fee.chargeable
    ? `Fee at open: ${formatMoney(fee.amountMinor, fee.currency, 'en', { display: 'code' })} per incident${fee.taxesExcluded ? ', taxes excluded' : ''}, charged at close; a product defect is never charged`
    : `Free: ${freeLabels[fee.reason]}${fee.until ? ` until ${fee.until}` : ''}`;
}
