// The money-and-terms lines of a ticket's triage message (issue 12): the fee told at open (or free and why), a wait
// for the customer's agreement to the terms, and an unsupported version. Pure: computed from the card and the policy.
import { feeAtOpen, type FeeAtOpen } from '../../../domain/fee-at-open.ts';
import { formatMoney } from '../../../domain/format.ts';
import { calendarTimeZone, type Currency, type Policy } from '../../../domain/policy.ts';
import { isVersionSupported } from '../../../domain/supported-versions.ts';
import type { TicketCard } from '../../../store/ticket-queries.ts';
import { escapeLine } from '../escape.ts';

const freeLabels = {
  partner: 'partner (support is free for partners)',
  'pre-sales': 'pre-sales question',
  'trial-licence': 'trial licence',
  'installation-period': 'installation period of the licence',
} as const;

const isoDay = (date: Date | null | undefined): string | null => (date ? date.toISOString().slice(0, 10) : null);

/**
 * The fee told at open in engineers' words, e.g. "Fee at open: USD 80.00 per incident, taxes excluded, charged at close; a
 * product defect is never charged" or "Free: trial licence until 2026-04-30": the triage message and `/support split` say it.
 */
export function feeAtOpenSummary(fee: FeeAtOpen): string {
  return fee.chargeable
    ? `Fee at open: ${formatMoney(fee.amountMinor, fee.currency, 'en', { display: 'code' })} per incident${fee.taxesExcluded ? ', taxes excluded' : ''}, charged at close; a product defect is never charged`
    : `Free: ${freeLabels[fee.reason]}${fee.until ? ` until ${fee.until}` : ''}`;
}

/** mrkdwn lines, each escaped; empty when there is nothing to say (never for the fee). */
export function termsLines(card: TicketCard, policy: Policy): string[] {
  const fee = feeAtOpen({
    policy,
    ticket: {
      requesterKind: card.requesterKind as 'eligible-caller' | 'partner',
      priceMinor: card.priceMinor,
      priceCurrency: card.priceCurrency as Currency,
      openedAt: card.openedAt,
      timeZone: calendarTimeZone(policy, card.calendar),
    },
    licence: card.licence
      ? { type: card.licence.type as 'commercial' | 'trial', registeredOn: isoDay(card.licence.registeredOn)!, trialEndsOn: isoDay(card.licence.trialEndsOn) }
      : null,
    customerIsPartner: card.customer?.isPartner === true,
    isPreSales: card.preSales,
  });
  const lines = [`${fee.chargeable ? ':moneybag:' : ':gift:'} ${feeAtOpenSummary(fee)}`];
  if (card.awaitingAgreement) {
    lines.push(
      ':handshake: Waiting for the customer\'s "I agree" to the support terms: the SLA clock has not started, and a close before it charges nothing (`/support agreed` records a phone agreement)',
    );
  }
  if (card.product && card.productVersion) {
    const support = isVersionSupported(policy.products, card.product, card.productVersion, card.openedAt);
    if (support.status === 'unsupported' || support.status === 'unknown-version') {
      const supported = support.supported.map((release) => release.version).join(', ') || 'none';
      lines.push(
        `:warning: ${escapeLine(card.product, 60)} ${escapeLine(card.productVersion, 30)} is ${support.status === 'unsupported' ? 'not supported' : 'not a known version'} ` +
          `(supported: ${escapeLine(supported, 200)}); the customer was told it may be charged as excluded \`unsupported-version\``,
      );
    }
  }
  return lines;
}

/** The request names a version that is not supported (or not known) on the day it opened: closing suggests the exclusion. */
export function versionUnsupported(card: Pick<TicketCard, 'product' | 'productVersion' | 'openedAt'>, policy: Policy): boolean {
  if (!card.product || !card.productVersion) return false;
  const status = isVersionSupported(policy.products, card.product, card.productVersion, card.openedAt).status;
  return status === 'unsupported' || status === 'unknown-version';
}
