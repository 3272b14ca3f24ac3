// How old an inbound message is, for the rule that automatic notices never answer old mail (a first start on a
// mailbox full of month-old messages must not mail every past correspondent). Pure: `now` comes in.

/** Automatic answers that old mail never gets: the not-eligible and oversized notices. */
export const noticesWithheldForOldMail = ['not-eligible', 'oversized-notice'] as const;

/** When a message reached us: the server's INTERNALDATE when known, else its `Date:` header, else unknown. */
export function messageReceivedAt(serverReceivedAt: Date | undefined, dateHeader: Date | undefined): Date | undefined {
  for (const instant of [serverReceivedAt, dateHeader]) {
    if (instant && !Number.isNaN(instant.getTime())) return instant;
  }
  return undefined;
}

/**
 * True when a message received at `receivedAt` is older than `maxAgeMs` at `now` (AUTO_NOTICE_MAX_AGE). A message of
 * unknown age, or dated in the future, is not old: it is answered as before.
 */
export function tooOldForAutoNotice(receivedAt: Date | undefined, now: Date, maxAgeMs: number): boolean {
  if (!receivedAt) return false;
  return now.getTime() - receivedAt.getTime() > maxAgeMs;
}
