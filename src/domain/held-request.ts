// A request held while its sender is asked for a licence number, and the later mail that takes it up: which details
// that mail keeps, which come from the held one, whose subject the request gets, and how long a held mail stays usable.
// Pure: finding, claiming and storing the held mail are the intake's and the store's.
import type { Severity } from './policy.ts';
import { plainSubject, type RequestDetails, type SeveritySource } from './request-details.ts';

/** How long a held request can be taken up: an answer after 30 days opens the request from its own words only. */
export const heldRequestMaxAgeMs = 30 * 24 * 3_600_000;

/** The request details kept of a held mail (its licence numbers named no single customer, so they are not kept). */
export interface HeldRequestDetails {
  severity: Severity | null;
  severitySource: SeveritySource;
  product: string | null;
  version: string | null;
}

/** The oldest receive time of a held request still usable at `now`. */
export function heldRequestCutoff(now: Date): Date {
  return new Date(now.getTime() - heldRequestMaxAgeMs);
}

/**
 * The details of a request opened by a mail that answers a held one: what the answer says wins, what it leaves out comes
 * from the held mail. The held version is taken only with its product: not when the answer names another product.
 */
export function combineRequestDetails(answer: RequestDetails, held: HeldRequestDetails): RequestDetails {
  const severity =
    answer.severity !== null
      ? { severity: answer.severity, severitySource: answer.severitySource }
      : { severity: held.severity, severitySource: held.severity === null ? ('none' as const) : held.severitySource };
  const sameProduct = answer.product === null || held.product === null || answer.product === held.product;
  return {
    ...severity,
    licenceNumbers: answer.licenceNumbers,
    product: answer.product ?? held.product,
    version: answer.version ?? (sameProduct ? held.version : null),
  };
}

function subjectWords(subject: string): string {
  return plainSubject(subject).toLowerCase();
}

/**
 * Whether an answer to a held request has a subject of its own: not empty once "Re:" and request IDs are left out, and
 * not the held subject again (alone, or inside the notice's subject "Licence number needed: <subject>", in any language).
 * Without one, the request's subject and summary are the held mail's: "Our licence is DE11-…" describes no defect.
 */
export function answerHasOwnSubject(answerSubject: string, heldSubject: string): boolean {
  const own = subjectWords(answerSubject);
  const held = subjectWords(heldSubject);
  return own !== '' && (held === '' || !own.includes(held));
}
