// What each outgoing mail template is given: the data contract between the use cases and the renderer behind the
// MailRenderer port (channels/email/templates.ts renders it with Handlebars). Types only; no rendering here.
import type { RequiredInfoItem, SupportDuration } from '../domain/policy.ts';
import type { SlaTarget } from '../domain/sla/index.ts';

/** The built-in templates, shipped in templates/<locale>/. */
export const templateNames = [
  'acknowledgement',
  'needs-info',
  'not-eligible',
  'engineer-reply',
  'closure',
  'sla-escalation',
  'sla-at-risk',
  'oversized-notice',
  'closed-request',
  'service-suspended',
  'licence-needed',
  'split-notice',
  'request-update',
] as const;
export type TemplateName = (typeof templateNames)[number];

export interface RenderedMail {
  /** One line: whitespace (including line breaks from the customer's own subject) collapsed. */
  subject: string;
  /** Plain text, never HTML-escaped. */
  text: string;
  /** HTML; every value is escaped unless a helper built safe markup from escaped parts. */
  html: string;
  /** The template set actually used (after falling back), for Content-Language. */
  locale: string;
}

/** What every template may use: the greeting and the signature. */
export interface TemplateContext {
  /** Display name of the person addressed; the greeting falls back to "Hello,". */
  recipientName?: string | null;
  /** SUPPORT_NAME. */
  supportName: string;
  /** SUPPORT_ADDRESS. */
  supportAddress: string;
}

/** SLA targets of one severity, as in the policy (`severityTargets(policy, severity)` fits). */
export interface TemplateTargets {
  initialResponse: SupportDuration;
  progressUpdate: SupportDuration;
  resolution: SupportDuration | null;
}

/** Due times of a running SLA clock (`computeDueTimes(...)` fits). */
export interface TemplateDueTimes {
  initialResponseDue: Date;
  progressUpdateDue: Date;
  resolutionDue: Date | null;
}

/** Acknowledgement of a new service request (support terms §6: ID, the defect as understood, what is missing). */
export interface AcknowledgementData extends TemplateContext {
  requestId: string;
  /** The customer's subject. */
  subject: string;
  /** The defect as deskbot understood it. */
  summary: string;
  severity: number;
  severityName: string;
  targets: TemplateTargets;
  /** null while the request is incomplete: the SLA clock has not started. */
  due: TemplateDueTimes | null;
  /** IANA zone of the customer's calendar; due times are shown in it. */
  timeZone: string;
  /** Items still needed before the clock starts; empty when complete. */
  missing: readonly RequiredInfoItem[];
  /**
   * The fee told at open (domain/fee-at-open.ts, Kerio ToS 3.2-3.3): the locked fee, charged at close, how to pay; or
   * free and why, with the last free day. A product defect is never charged.
   */
  fee?: AcknowledgementFee;
  /** The customer's first chargeable request: a reply containing "I agree" to the terms is needed before the clock starts. */
  agreement?: { termsUrl: string | null } | null;
  /**
   * A chargeable request that asks for the support terms (domain/terms-agreement.ts asksForTerms): the partial
   * `terms-request` answers it as the request update does, with their address or that an engineer sends them.
   */
  termsRequest?: { termsUrl: string | null } | null;
  /**
   * Severity 5 (Cryptzone §7): without a resolution target, work continues until the defect is resolved or worked
   * around. Other severities without a resolution target are told only that none applies.
   */
  untilResolved?: boolean;
  /** Initial response and progress updates count around the clock (an always-open calendar): durations in clock hours and days. */
  aroundTheClock?: boolean;
  /** Support Plus covers this severity around the clock (policy.sla.plusAlwaysOnSeverities, Cryptzone §2.2.2). */
  supportPlusAroundTheClock?: boolean;
  /** Support Plus: the resolution objective counts business days of the customer's calendar (Cryptzone §7), the others 24x7. */
  resolutionOnBusinessDays?: boolean;
  /** The version named is not supported (or not known) on the day (Cryptzone §2.3): which ones are. */
  unsupportedVersion?: { product: string; version: string; supported: readonly string[] } | null;
  /** When the request reached the mailbox, set only when that was longer ago than AUTO_NOTICE_MAX_AGE (a backlog). */
  receivedAt?: Date;
  /** Taken by telephone (`/support open`): this mail is the written confirmation the terms require. */
  byPhone?: boolean;
}

/** A fee as a mail states it: the acknowledgement's at open, the closure's when it is charged. */
export interface StatedFee {
  chargeable: true;
  /** Minor units of `currency` (cents). */
  amountMinor: number;
  /** ISO 4217. */
  currency: string;
  taxesExcluded: boolean;
  /** policy.billing.paymentInstructions. */
  paymentInstructions: string;
}

export type AcknowledgementFee =
  | (StatedFee & {
      /** The licence is not named yet, and naming one of the customer's (a trial, an installation period) makes it free. */
      freeWithLicence?: boolean;
    })
  | { chargeable: false; reason: 'partner' | 'pre-sales' | 'trial-licence' | 'installation-period'; until: string | null };

/** The acknowledgement's SLA lines of a running clock: severity, targets, due times and how they count (acknowledgementSla). */
export type SlaLines = Pick<
  AcknowledgementData,
  'severity' | 'severityName' | 'targets' | 'timeZone' | 'untilResolved' | 'aroundTheClock' | 'supportPlusAroundTheClock' | 'resolutionOnBusinessDays'
> & { due: TemplateDueTimes };

/**
 * A customer's answer to an incomplete request supplied something (items, or "I agree"): what was received, and either
 * what is still missing (the acknowledgement's labels) or, once complete, that the SLA clock runs with its due times.
 */
export interface RequestUpdateData extends TemplateContext {
  requestId: string;
  subject: string;
  /** Items this answer supplied. */
  received: readonly RequiredInfoItem[];
  /** This answer agreed to the paid-support terms. */
  agreed: boolean;
  /** The agreement was given by phone and recorded by an engineer (`/support agreed`): no answer to thank for. */
  byPhone?: boolean;
  /**
   * Set when the customer answered another request and that answer's "I agree" released this one (sendReleasedUpdates):
   * the ID of the request answered. The mail thanks for the answer there and says it released this request.
   */
  answeredRequestId?: string;
  /** Items still needed before the clock starts; empty when complete. */
  missing: readonly RequiredInfoItem[];
  /** Still waiting for "I agree" to the paid-support terms. */
  agreement: { termsUrl: string | null } | null;
  /**
   * The answer asked for the support terms: the mail gives their address (policy.billing.termsUrl), or, when none is
   * published, says an engineer sends them (the engineers are told in Slack).
   */
  termsRequest?: { termsUrl: string | null } | null;
  /** The request is complete now and its SLA clock runs: the targets and due times; null while incomplete. */
  sla: RequestUpdateSla | null;
  /**
   * Set when the answer changed what the incident costs (a licence named in it is a trial or in its installation period,
   * or is neither): the fee in the acknowledgement's words (the `fee` partial), or free and why.
   */
  fee?: AcknowledgementFee;
}

/** The request-update mail's SLA lines: the due times of the timers the clock start wrote. */
export type RequestUpdateSla = SlaLines & {
  /** An engineer answered before the clock started: the initial response is met at the start, and no due time is told. */
  initialResponseMet: boolean;
};

/** Asks for exactly the missing items. */
export interface NeedsInfoData extends TemplateContext {
  requestId: string;
  subject: string;
  missing: readonly RequiredInfoItem[];
  /** Products the customer holds licences for, offered as a hint when the product is missing. */
  products?: readonly string[];
}

/** Why a sender may not open requests; each has its own sentence in not-eligible. */
export const notEligibleReasons = [
  'unknown-sender',
  'not-an-eligible-caller',
  'maintenance-expired',
  'trial-expired',
  'partner-id-missing',
  'partner-id-not-for-sender',
  'no-licence',
] as const;
export type NotEligibleReason = (typeof notEligibleReasons)[number];

export interface NotEligibleData extends TemplateContext {
  subject: string;
  reason: NotEligibleReason;
  /** From policy.eligibility. */
  minEligibleCallers: number;
  maxEligibleCallers: number;
  /** The vendor's sales contact (address or URL). */
  salesContact: string;
  customerName?: string | null;
  /** The request the message replied to, when the sender may not write on it (thread.ts mayWriteOnTicket). */
  requestId?: string | null;
  /**
   * Set for an eligible caller of a known customer refused for the customer's licences (maintenance or trial ended, no
   * licence): the mail names the licences and the day their cover ended and says how to renew, instead of the generic
   * "how to become eligible" list, which does not apply to them.
   */
  known?: { licences: readonly RefusedLicence[] } | null;
}

/** A licence that refused a known caller, as the not-eligible mail names it. */
export interface RefusedLicence {
  number: string;
  product: string;
  type: 'commercial' | 'trial';
  /** The last day it was covered (YYYY-MM-DD): Software Maintenance, the installation period or the trial (eligibility.ts coverageEndedOn). */
  endedOn: string;
}

export interface EngineerReplyData extends TemplateContext {
  requestId: string;
  subject: string;
  engineerName: string;
  /** The engineer's own words, sent as written. */
  body: string;
}

/** `/support split`: the customer learns the new request ID, that it is a separate incident, and its SLA targets. */
export interface SplitNoticeData extends TemplateContext {
  /** The new request. */
  requestId: string;
  /** The request it was split from. */
  originalRequestId: string;
  /** What the new request is about. */
  subject: string;
  severity: number;
  severityName: string;
  targets: TemplateTargets;
  /** null while the new request is incomplete: its SLA clock has not started. */
  due: TemplateDueTimes | null;
  timeZone: string;
  /** The new incident's fee told at open, as in the acknowledgement (domain/fee-at-open.ts): the locked fee, or free and why. */
  fee: AcknowledgementFee;
  /** Initial response and progress updates count around the clock (an always-open calendar): durations in clock hours and days. */
  aroundTheClock?: boolean;
  /**
   * Severity 5 (Cryptzone §7): without a resolution target, work continues until the defect is resolved or worked
   * around. Other severities without a resolution target are told only that none applies.
   */
  untilResolved?: boolean;
}

/** Why no fee applies; each has its own fixed sentence in closure (never an engineer's internal reason). */
export const noFeeReasons = [
  'installation-period',
  'partner',
  'trial',
  'pre-sales',
  'product-defect',
  'rma',
  'duplicate',
  'terms-not-agreed',
  'waived',
  'exceptional',
  'already-charged',
  'previously-free',
] as const;
export type NoFeeReason = (typeof noFeeReasons)[number];

export type ChargeNotice = StatedFee | { chargeable: false; reason: NoFeeReason };

export interface ClosureData extends TemplateContext {
  requestId: string;
  subject: string;
  /** How the request ended, in the engineer's words. */
  outcome: string;
  /** The close outcome and exclusion codes, so other languages print their own sentence instead of `outcome`. */
  outcomeCode?: string;
  exclusion?: string;
  charge: ChargeNotice;
}

/** What the managers' SLA mails share: which request, whose, how severe, which target and when it is due. */
interface SlaNoticeData extends TemplateContext {
  requestId: string;
  subject: string;
  customerName: string;
  severity: number;
  severityName: string;
  target: SlaTarget;
  dueAt: Date;
  /** Display name or Slack ID; null when nobody is assigned. */
  assignee: string | null;
  timeZone: string;
}

/** A target was missed (the breach). */
export interface SlaEscalationData extends SlaNoticeData {
  /** Wall-clock time past the due instant. */
  lateByMs: number;
}

/** A target is at risk (its warning, before the breach): managers are pinged before and at a breach. */
export interface SlaAtRiskData extends SlaNoticeData {
  /** Wall-clock time until the due instant. */
  leftMs: number;
}

export interface OversizedNoticeData extends TemplateContext {
  subject: string;
  sizeBytes: number;
  maxBytes: number;
  /** ID of the quarantined copy, quoted so support can find it. */
  quarantineId?: string | number | null;
  requestId?: string | null;
}

/** A customer wrote to a closed request (Kerio ToS 2.4.9): service on it ended, a new problem is a new request. */
export interface ClosedRequestData extends TemplateContext {
  requestId: string;
  /** The subject of the customer's new message. */
  subject: string;
}

/** A suspended customer's caller wrote (Kerio ToS 2.4.3, 9): no ticket. The internal reason is never in it. */
export interface ServiceSuspendedData extends TemplateContext {
  subject: string;
  customerName: string;
  /** The vendor's sales contact (address or URL). */
  salesContact: string;
}

/** A caller listed for more than one customer (issue 12 point 7): the licence number is the missing information. */
export interface LicenceNeededData extends TemplateContext {
  subject: string;
}

export interface TemplateDataMap {
  'licence-needed': LicenceNeededData;
  'closed-request': ClosedRequestData;
  'service-suspended': ServiceSuspendedData;
  acknowledgement: AcknowledgementData;
  'needs-info': NeedsInfoData;
  'not-eligible': NotEligibleData;
  'engineer-reply': EngineerReplyData;
  closure: ClosureData;
  'sla-escalation': SlaEscalationData;
  'sla-at-risk': SlaAtRiskData;
  'oversized-notice': OversizedNoticeData;
  'split-notice': SplitNoticeData;
  'request-update': RequestUpdateData;
}
