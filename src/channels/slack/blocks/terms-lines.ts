// The money-and-terms lines of a ticket's triage message (issue 12): the fee told at open (or free and why), a wait
// for the customer's agreement to the terms, and an unsupported version. Pure: computed from the card and the policy.
import { feeAtOpenSummary, storedTicketFee } from '../../../domain/fee-at-open.ts';
import type { Policy } from '../../../domain/policy.ts';
import { isVersionSupported } from '../../../domain/supported-versions.ts';
import type { TicketCard } from '../../../store/ticket-queries.ts';
import { escapeLine } from '../escape.ts';

/** mrkdwn lines, each escaped; empty when there is nothing to say (never for the fee). */
export function termsLines(card: TicketCard, policy: Policy): string[] {
  const fee = storedTicketFee(policy, card);
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
