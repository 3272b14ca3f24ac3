// The closure mail's English "Outcome" paragraph per close outcome (other languages print their own sentence from
// the outcome code: channels/email/locale-format.ts). A fixed text: never the engineer's own words or reasons.
import { exclusionCustomerText, type CloseOutcome, type Exclusion } from '../domain/billing.ts';

/** The closure mail's "Outcome" paragraph. */
export function outcomeText(outcome: CloseOutcome, exclusion: Exclusion | undefined): string {
  switch (outcome) {
    case 'resolved':
      return 'The problem is resolved.';
    case 'bug':
      return 'The problem is caused by a product bug, which has been reported to our developers (or is a known bug).';
    case 'rma':
      return 'The hardware will be replaced under a return merchandise authorisation (RMA).';
    case 'excluded':
      // The exclusion's own customer sentence: its Slack label is a noun phrase for engineers, often with a relative
      // clause of its own, and reads badly inside another sentence ("a version that is no longer supported that ...").
      return `The cause lies outside what technical support covers.${exclusion ? ` ${exclusionCustomerText(exclusion)}` : ''}`;
    case 'exceptional':
      return 'The request could not be addressed or solved within technical support.';
    case 'duplicate':
      return 'This request duplicates another service request of yours, which continues under its own ID.';
    case 'documentation':
      return 'The question is answered by the product documentation we referred you to.';
  }
}
