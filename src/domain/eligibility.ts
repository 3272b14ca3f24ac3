// Decides whether an inbound request comes from someone entitled to support: an eligible caller of a customer with
// valid Software Maintenance or a live trial, or a partner identified by Partner Support ID and address. Sender
// authentication is sender-authentication.ts. Leaves out billing (billing.ts) and reading mail (channels/email): the sender arrives parsed.
import type { Customer, CustomerSuspension, Directory, EligibleCaller, IsoDate, Licence, Partner } from './directory.ts';
import { installationPeriodLastDay, isInInstallationPeriod } from './billing.ts';
import { addDays, isoDateIn } from './iso-date.ts';
import { calendarTimeZone, type Policy } from './policy.ts';
import { findLicenceNumbers, normalizeLicenceNumber } from './request-details.ts';
import { domainOf, isSenderAccepted, normalizeAddress, normalizeDomain, type AuthenticationVerdicts } from './sender-authentication.ts';

export {
  authResults,
  isSenderAccepted,
  isSenderAuthenticated,
  normalizeAddress,
  normalizeDomain,
  parseAuthenticationResults,
  type AuthenticationVerdicts,
  type AuthResult,
} from './sender-authentication.ts';

/**
 * Why a request is refused, each with the sentence the not-eligible mail shows. The sentences are written for the
 * sender, who may be a stranger: they say what to do and never reveal whose licence or address matched.
 */
export const eligibilityReasons = {
  'sender-not-authenticated':
    'We could not verify that your message really came from the address it shows (it failed DMARC, or passed neither DKIM nor SPF for that domain), so we cannot accept it as a support request.',
  'unknown-sender':
    'Your address is not registered as an eligible caller of a licence holder or as a partner contact; only the eligible callers your organisation has named may open support requests.',
  'licence-unknown':
    'The licence number in your message is not registered with us, and your address is not a registered eligible caller; please check the number or ask your licence administrator.',
  'ambiguous-sender':
    'Your address is an eligible caller for more than one licence holder; please send the request again with the licence number so we know which account it is for.',
  'maintenance-expired':
    'The licence has no valid Software Maintenance, which technical support requires; please renew Software Maintenance and send the request again.',
  'trial-expired': 'The trial licence has ended; free support for a trial lasts for the life of the trial.',
  'no-licence': 'No licence is registered to the organisation your address belongs to.',
  'partner-id-missing':
    'Your message comes from a partner address but does not include your Partner Support ID; partners are identified by it (see the Partner Portal home page).',
  'partner-id-invalid': 'The Partner Support ID in your message is not one we know; please copy it from the Partner Portal home page or your Profile page.',
  'partner-sender-mismatch':
    'The Partner Support ID in your message is not registered for the address you wrote from; please write from an address registered for that partner.',
} as const;
export type NotEligibleReason = keyof typeof eligibilityReasons;

/** Why a request is accepted, strongest first (the order picks the reason when several licences qualify). */
export const acceptanceReasons = {
  'maintenance-valid': 'The sender is an eligible caller and the licence has valid Software Maintenance.',
  'installation-period': 'The sender is an eligible caller and the purchased licence is within its installation period.',
  'maintenance-grace': 'The sender is an eligible caller and the licence is within the grace period after its Software Maintenance expired.',
  'trial-active': 'The sender is an eligible caller and the registered trial licence is still running.',
  'partner-verified': 'The Partner Support ID and the sending address belong to the same partner.',
} as const;
export type AcceptanceReason = keyof typeof acceptanceReasons;
export type CallerAcceptanceReason = Exclude<AcceptanceReason, 'partner-verified'>;

export type EligibilityDecision =
  | {
      kind: 'eligible-caller';
      customerKey: string;
      caller: EligibleCaller;
      /** The licence the request is about: the one the message names, else the customer's only licence. */
      licence?: Licence;
      reason: CallerAcceptanceReason;
    }
  | { kind: 'partner'; partnerId: string; reason: 'partner-verified' }
  | {
      kind: 'not-eligible';
      reason: NotEligibleReason;
      /**
       * The eligible caller and customer the sender is, when the customer's licences are what refuses the request
       * (maintenance or trial ended, no licence): the notice then goes in the customer's language, by name, and names
       * `licences`, the ones that refused it (those the message named, else all the customer's; none for no-licence).
       */
      known?: { customer: Customer; caller: EligibleCaller; licences: Licence[] };
    };

export interface DecideEligibilityOptions {
  /** The parsed From address, bare (`jane@acme.example`), never the display name. */
  sender: string;
  authentication: AuthenticationVerdicts;
  /**
   * The records to check against. A store may pass a subset, but it must include the customers whose eligible callers
   * or licences (named in the message) match, and the partners whose contacts or IDs match; otherwise the decision
   * degrades to `unknown-sender`.
   */
  directory: Directory;
  subject: string;
  /** Plain-text body. Used to find partner IDs and, when `licenceNumbers` is omitted, licence numbers. */
  body: string;
  /** Licence numbers already extracted from the message; extracted from subject + body when omitted. */
  licenceNumbers?: readonly string[];
  now: Date;
  policy: Policy;
  /**
   * Strict mode (AUTH_REQUIRED): refuse messages that fail `isSenderAuthenticated`. Without it only a recorded
   * `dmarc=fail` refuses (see `isSenderAccepted`).
   */
  authRequired: boolean;
}

/** Trial length assumed when a trial licence has no end date: the terms' "usually 30 days" (terms/000, 2.2c). */
export const defaultTrialDays = 30;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `id` as a whole token (not inside KP-100012 or XKP-10001), case-insensitive. */
function tokenPattern(source: string): RegExp {
  return new RegExp(`(?<![A-Za-z0-9_-])${source}(?![A-Za-z0-9_-])`, 'i');
}

/** The partners whose Partner Support ID appears in the text as a whole token, case-insensitively. */
export function findPartnerIds(text: string, partners: readonly Partner[]): Partner[] {
  return partners.filter((partner) => partner.partnerId.trim() !== '' && tokenPattern(escapeRegExp(partner.partnerId.trim())).test(text));
}

/** Whether the text holds something shaped like a Partner Support ID (a known ID prefix, a dash, letters/digits). */
function hasPartnerIdShape(text: string, partners: readonly Partner[]): boolean {
  const prefixes = new Set(
    partners.map((partner) => /^([A-Za-z]+)-/.exec(partner.partnerId.trim())?.[1]?.toLowerCase()).filter((prefix) => prefix !== undefined),
  );
  return [...prefixes].some((prefix) => tokenPattern(`${escapeRegExp(prefix)}-[A-Za-z0-9]+`).test(text));
}

/**
 * Whether a normalised sender belongs to a partner: an exact address in its contacts, or an "@domain" contact equal to
 * the sender's domain. Subdomains and look-alikes (evil-reseller.example, reseller.example.attacker.com,
 * sub.reseller.example) do not match; list them as their own "@domain" contacts.
 */
export function isPartnerContact(partner: Partner, sender: string): boolean {
  const senderDomain = domainOf(sender);
  return partner.contacts.some((contact) => {
    const trimmed = contact.trim();
    if (trimmed.startsWith('@')) return normalizeDomain(trimmed.slice(1)) === senderDomain;
    return normalizeAddress(trimmed) === sender;
  });
}

type Standing = { eligible: true; reason: CallerAcceptanceReason } | { eligible: false; reason: 'maintenance-expired' | 'trial-expired' };

const acceptanceRank: readonly CallerAcceptanceReason[] = ['maintenance-valid', 'installation-period', 'maintenance-grace', 'trial-active'];

/**
 * One licence on `today`:
 * - trial: running until trialEndsOn inclusive (registeredOn + `defaultTrialDays` when no end is recorded);
 * - commercial: maintenanceUntil inclusive, then policy.eligibility.maintenanceGraceDays more days; also, with or
 *   without a maintenance date, the installation period (the registration day and the 89 days after it, billing.ts
 *   installationPeriodLastDay), because a new purchase includes Software Maintenance from registration (terms/000,
 *   Licensing FAQ) and the terms promise free support then (2.2a): a missing date in the directory must not turn a
 *   new buyer away.
 */
/** A trial's last day: trialEndsOn, else registeredOn + `defaultTrialDays`. */
const trialLastDay = (licence: Licence): IsoDate => licence.trialEndsOn ?? addDays(licence.registeredOn, defaultTrialDays);

function standingOf(licence: Licence, today: IsoDate, policy: Policy): Standing {
  if (licence.type === 'trial') {
    return today <= trialLastDay(licence) ? { eligible: true, reason: 'trial-active' } : { eligible: false, reason: 'trial-expired' };
  }
  if (licence.maintenanceUntil !== null && today <= licence.maintenanceUntil) return { eligible: true, reason: 'maintenance-valid' };
  if (isInInstallationPeriod(policy, licence.registeredOn, today)) {
    return { eligible: true, reason: 'installation-period' };
  }
  if (licence.maintenanceUntil !== null && today <= addDays(licence.maintenanceUntil, policy.eligibility.maintenanceGraceDays)) {
    return { eligible: true, reason: 'maintenance-grace' };
  }
  return { eligible: false, reason: 'maintenance-expired' };
}

type CustomerStanding =
  | { eligible: true; customer: Customer; licence?: Licence; reason: CallerAcceptanceReason }
  | { eligible: false; customer: Customer; reason: 'maintenance-expired' | 'trial-expired' | 'no-licence'; licences: Licence[] };

/**
 * The last day a refused licence was covered: a trial's end (registration + `defaultTrialDays` when none is recorded);
 * a purchased licence's Software Maintenance end, else the end of its installation period (maintenance included from
 * registration). The grace days of policy.eligibility are leniency, not maintenance: not counted.
 */
export function coverageEndedOn(licence: Licence, policy: Policy): IsoDate {
  if (licence.type === 'trial') return trialLastDay(licence);
  return licence.maintenanceUntil ?? installationPeriodLastDay(policy, licence.registeredOn);
}

/**
 * A customer on `today`, the customer's own date (in its calendar's zone): the maintenance, trial and free days it was
 * told are its days. When the message names some of its licences, those decide (the first that qualifies, in the
 * order named; else the first named one's reason). Otherwise any licence qualifies (the strongest reason wins), and the
 * decision carries the licence only when the customer has exactly one.
 */
function standingOfCustomer(customer: Customer, named: readonly string[], today: IsoDate, policy: Policy): CustomerStanding {
  const namedOwn = named
    .map((number) => customer.licences.find((licence) => normalizeLicenceNumber(licence.number) === number))
    .filter((licence) => licence !== undefined);
  if (namedOwn.length > 0) {
    for (const licence of namedOwn) {
      const standing = standingOf(licence, today, policy);
      if (standing.eligible) return { eligible: true, customer, licence, reason: standing.reason };
    }
    const first = standingOf(namedOwn[0]!, today, policy);
    return { eligible: false, customer, reason: first.reason as 'maintenance-expired' | 'trial-expired', licences: namedOwn };
  }
  if (customer.licences.length === 0) return { eligible: false, customer, reason: 'no-licence', licences: [] };
  const standings = customer.licences.map((licence) => standingOf(licence, today, policy));
  const best = acceptanceRank.find((reason) => standings.some((standing) => standing.eligible && standing.reason === reason));
  if (best !== undefined) {
    const only = customer.licences.length === 1 ? customer.licences[0] : undefined;
    return only ? { eligible: true, customer, licence: only, reason: best } : { eligible: true, customer, reason: best };
  }
  const hasCommercial = customer.licences.some((licence) => licence.type === 'commercial');
  return { eligible: false, customer, reason: hasCommercial ? 'maintenance-expired' : 'trial-expired', licences: [...customer.licences] };
}

const notEligible = (reason: NotEligibleReason): EligibilityDecision => ({ kind: 'not-eligible', reason });

/**
 * Decides who is asking. Order, first match wins:
 * 1. A sender that is not a bare address → `unknown-sender`. A sender failing `isSenderAccepted` (DMARC fail; with
 *    `authRequired`, `isSenderAuthenticated`) → `sender-not-authenticated`, before the directory is consulted (a
 *    spoofer learns nothing).
 * 2. A Partner Support ID of a partner whose contacts include the sender → `partner`. Partners come first because the
 *    terms make their support free once they identify themselves (terms/000 2.2b), even if they are also listed as an
 *    eligible caller of a customer they serve.
 * 3. An eligible caller (any of their customers) → that customer's standing (see `standingOfCustomer`). Partner IDs
 *    quoted by a customer are ignored: an ID never makes a non-partner eligible, and never blocks a customer.
 *    If the sender is a caller of several customers, the customers owning a named licence decide; if more than one
 *    qualifies → `ambiguous-sender` (we could not tell whom to bill); if none does → `maintenance-expired` if any of
 *    them says so (renewing is the action that helps), else `trial-expired`, else `no-licence`.
 * 4. A partner contact without its own ID: another partner's ID → `partner-sender-mismatch`; an ID-shaped token that
 *    is no known ID → `partner-id-invalid`; nothing → `partner-id-missing`.
 * 5. A stranger quoting a known partner ID → `partner-sender-mismatch`.
 * 6. A stranger naming only licence numbers that belong to no customer → `licence-unknown` (the number is all we have
 *    to go by, and "check the number" is the useful answer). A stranger naming a known licence, or nothing → `unknown-sender`.
 *    An eligible caller's unknown licence number is ignored: the address already identifies the customer.
 */
export function decideEligibility(options: DecideEligibilityOptions): EligibilityDecision {
  const sender = normalizeAddress(options.sender);
  if (sender === null) return notEligible('unknown-sender');
  if (!isSenderAccepted(options.authentication, domainOf(sender), options.authRequired)) return notEligible('sender-not-authenticated');

  const { directory, policy } = options;
  const text = `${options.subject}\n${options.body}`;
  const named = [...new Set((options.licenceNumbers ?? findLicenceNumbers(text)).map(normalizeLicenceNumber))];

  const partnersById = findPartnerIds(text, directory.partners);
  const senderPartners = directory.partners.filter((partner) => isPartnerContact(partner, sender));
  const verified = senderPartners.find((partner) => partnersById.includes(partner));
  if (verified) return { kind: 'partner', partnerId: verified.partnerId, reason: 'partner-verified' };

  const callerCustomers = directory.customers
    .map((customer) => ({ customer, caller: customer.eligibleCallers.find((caller) => normalizeAddress(caller.email) === sender) }))
    .filter((entry): entry is { customer: Customer; caller: EligibleCaller } => entry.caller !== undefined);
  if (callerCustomers.length > 0) {
    const owningNamed = callerCustomers.filter(({ customer }) => customer.licences.some((licence) => named.includes(normalizeLicenceNumber(licence.number))));
    const pool = owningNamed.length > 0 ? owningNamed : callerCustomers;
    const standings = pool.map(({ customer, caller }) => ({
      caller,
      standing: standingOfCustomer(customer, named, isoDateIn(options.now, calendarTimeZone(policy, customer.calendar)), policy),
    }));
    const qualifying = standings.filter(({ standing }) => standing.eligible);
    if (qualifying.length > 1) return notEligible('ambiguous-sender');
    const chosen = qualifying[0];
    if (chosen && chosen.standing.eligible) {
      const { standing, caller } = chosen;
      return standing.licence
        ? { kind: 'eligible-caller', customerKey: standing.customer.key, caller, licence: standing.licence, reason: standing.reason }
        : { kind: 'eligible-caller', customerKey: standing.customer.key, caller, reason: standing.reason };
    }
    const reasons = standings.map(({ standing }) => standing.reason);
    const reason = (['maintenance-expired', 'trial-expired', 'no-licence'] as const).find((candidate) => reasons.includes(candidate));
    const known = standings.find(({ standing }) => standing.reason === reason);
    if (!reason || !known || known.standing.eligible) return notEligible('unknown-sender');
    return { kind: 'not-eligible', reason, known: { customer: known.standing.customer, caller: known.caller, licences: known.standing.licences } };
  }

  if (senderPartners.length > 0) {
    if (partnersById.length > 0) return notEligible('partner-sender-mismatch');
    return notEligible(hasPartnerIdShape(text, directory.partners) ? 'partner-id-invalid' : 'partner-id-missing');
  }
  if (partnersById.length > 0) return notEligible('partner-sender-mismatch');

  if (named.length > 0) {
    const known = directory.customers.some((customer) => customer.licences.some((licence) => named.includes(normalizeLicenceNumber(licence.number))));
    return notEligible(known ? 'unknown-sender' : 'licence-unknown');
  }
  return notEligible('unknown-sender');
}

/**
 * The suspension of the customer an eligible caller's mail belongs to (Kerio ToS 2.4.3, 9), or null. Intake refuses a
 * ticket for it; an engineer's `/support open` skips this check on purpose.
 */
export function suspensionOf(decision: EligibilityDecision, directory: Directory): { customer: Customer; suspension: CustomerSuspension } | null {
  if (decision.kind !== 'eligible-caller') return null;
  const customer = directory.customers.find((candidate) => candidate.key === decision.customerKey);
  return customer?.suspended ? { customer, suspension: customer.suspended } : null;
}
