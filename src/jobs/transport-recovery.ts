// When a transport (SMTP, Slack) is known to work again after an outage, so that rows waiting out the outage's
// back-off can be made due at once instead of waiting out a pause that no longer applies. Pure bookkeeping: the
// dispatcher does the database update. Message-specific refusals (a 4xx to one recipient) are not outages: their
// rows keep backing off, else every later success would burn one of their attempts.
import { isDeskbotError } from '../errors.ts';

/** A retryable failure of the transport itself: no SMTP reply to the message (network, TLS, authentication) or a 421. */
export function isTransportOutage(error: unknown): boolean {
  if (!isDeskbotError(error) || !error.retryable || error.code !== 'SMTP_TRANSIENT') return false;
  const responseCode = (error.details as { responseCode?: number } | undefined)?.responseCode;
  return responseCode === undefined || responseCode === 421;
}

/** Per lane: outages seen, and which of them a later delivery already proved over. */
export class TransportRecovery {
  private outages = 0;
  private cleared = 0;

  /** Call when a delivery starts; pass the token to succeeded(). */
  started(): number {
    return this.outages;
  }

  /** Call for every failed delivery. */
  failed(error: unknown): void {
    if (isTransportOutage(error)) this.outages += 1;
  }

  /**
   * Call for every delivery that succeeded; true when it proves the transport works after an outage: it started after
   * the latest outage failure (one running alongside the failing one proves nothing) and no success said so already.
   */
  succeeded(startedToken: number): boolean {
    if (this.outages === this.cleared || startedToken !== this.outages) return false;
    this.cleared = this.outages;
    return true;
  }
}
