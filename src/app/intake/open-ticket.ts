// One new request = one ticket: plans the ticket from the eligibility decision and the request details (pure), then
// writes it inside the intake transaction with its request ID, SLA timers, events, threading refs, acknowledgement
// and Slack triage item, in as few statements as the rules allow (three: each one is a round trip inside the transaction,
// and on embedded PGlite the transaction holds the only connection). Deciding whether a message is a new request is handle-inbound-email.ts's work.
import type { MailAddress, ParsedMail } from '../parsed-mail.ts';
import type { AcknowledgementData, AcknowledgementFee, SlaLines, TemplateDueTimes } from '../mail-templates.ts';
import { feeAtOpen, type FeeAtOpen } from '../../domain/fee-at-open.ts';
import { isVersionSupported } from '../../domain/supported-versions.ts';
import { chargeTicketOf, lockPrice } from '../../domain/billing.ts';
import type { Customer, Directory, Licence, Partner } from '../../domain/directory.ts';
import type { EligibilityDecision } from '../../domain/eligibility.ts';
import { calendarTimeZone, paymentInstructionsIn, severityTargets, type Policy, type RequiredInfoItem } from '../../domain/policy.ts';
import { withoutRequestTags } from '../../domain/request-id.ts';
import { asksForTerms } from '../../domain/terms-agreement.ts';
import { autoMailWindowMs } from '../../domain/mail/loop-rules.ts';
import { needsInfoReminderDue } from '../../domain/needs-info-reminder.ts';
import { identifiedLicence, missingInfo, summarizeDefect, type RequestDetails } from '../../domain/request-details.ts';
import { computeDueTimes, targetCounting, worksUntilResolved, type DueTimes, type SupportLevel } from '../../domain/sla/index.ts';
import type { Repositories } from '../ports.ts';
import type { NewTicketConversation } from '../conversation-records.ts';
import type { AutoMailRecord, NewTicket, NewTicketInbound } from '../records.ts';

type Tx = Repositories;

export type AcceptedDecision = Exclude<EligibilityDecision, { kind: 'not-eligible' }>;

/** A new ticket as decided before any row is written. */
export interface TicketPlan {
  ticket: Omit<NewTicket, 'requestId' | 'customerId' | 'partnerId' | 'licenceId'>;
  customerKey: string | null;
  partnerId: string | null;
  licenceNumber: string | null;
  missing: RequiredInfoItem[];
  /** Whether the SLA clock starts now (nothing the policy requires is missing, and the terms are agreed if needed). */
  complete: boolean;
  /**
   * When deskbot takes the request up: the SLA clock, the needs-info reminder and the records start here. The ticket's
   * `openedAt` is when the request was received, which decides the fee; the two differ for a request that waited.
   */
  takenUpAt: Date;
  /** The fee told at open (Kerio ToS 3.2-3.3). */
  fee: FeeAtOpen;
  /** The customer's first chargeable request: the acknowledgement asks for "I agree" and the clock waits for it. */
  awaitingAgreement: boolean;
  /**
   * The request asks for the support terms (asksForTerms). The acknowledgement of a chargeable one answers it
   * (`termsAnswered`); a free one's does not (no fee, no agreement asked), and an engineer is asked in Slack instead.
   */
  termsRequested: boolean;
  /** The version named is not supported (or unknown) on the day: the supported ones (Cryptzone §2.3). */
  unsupportedVersion: { product: string; version: string; supported: string[] } | null;
  /** Set for a request an engineer took by telephone (`/support open`): the Slack user who opened it, what the caller described. */
  phone?: { openedBy: string; description?: string | undefined };
}

export interface PlanTicketInput {
  policy: Policy;
  /** The request: a parsed mail, or what an engineer typed for a phone call (messageIdSynthetic: no threading root). */
  mail: Pick<ParsedMail, 'subject' | 'text' | 'messageId' | 'messageIdSynthetic'>;
  sender: MailAddress;
  decision: AcceptedDecision;
  directory: Directory;
  details: RequestDetails;
  /** When the request was received (the ticket's openedAt; decides the fee and the supported version). */
  receivedAt: Date;
  /** When deskbot takes it up (the clock's start); `receivedAt` when absent. */
  now?: Date;
  /** The defect as understood when it was found elsewhere (a held request's); else summarizeDefect of the mail. */
  summary?: string | undefined;
}

/** The first licence the message names that the directory knows, with its customer (a partner's end customer). */
function namedLicence(directory: Directory, named: readonly string[]): { customer: Customer; licence: Licence } | undefined {
  for (const number of named) {
    for (const customer of directory.customers) {
      const licence = customer.licences.find((candidate) => candidate.number.toUpperCase() === number.toUpperCase());
      if (licence) return { customer, licence };
    }
  }
  return undefined;
}

/** Names the sender may sign a mail with: the directory's name of the caller, the mail's display name, the address. */
function signerNames(sender: MailAddress, decision: AcceptedDecision): string[] {
  const names = [sender.address.split('@')[0] ?? '', sender.name ?? ''];
  return decision.kind === 'eligible-caller' ? [...names, decision.caller.name] : names;
}

/**
 * The calendar of a partner ticket whose end customer is unknown: the policy's first calendar (US in the built-in
 * policy). Partners have no calendar of their own in the directory.
 */
export function partnerFallbackCalendar(policy: Policy): string {
  return Object.keys(policy.calendars)[0] ?? policy.sla.plusCalendar;
}

/**
 * Plans a new ticket:
 * - an eligible caller's ticket belongs to the customer, is priced in its currency and runs on its calendar and
 *   support level; the licence is the one eligibility chose, else the one the message names, else the only one;
 * - a partner's ticket is priced in the partner's currency; when the message names a licence of a known customer,
 *   the ticket records the licence and runs on that end customer's calendar and level (the customer itself is not
 *   attached: only the partner talks to us on it), else on `partnerFallbackCalendar`, level normal;
 * - severity is the one found or policy.sla.defaultSeverity; missing items follow policy.requiredInfo, so a
 *   defaulted severity still counts as missing when the policy requires it; status `new` until complete.
 */
export function planTicket(input: PlanTicketInput): TicketPlan {
  const { policy, mail, sender, decision, directory, details } = input;
  const customer = decision.kind === 'eligible-caller' ? directory.customers.find((candidate) => candidate.key === decision.customerKey) : undefined;
  const partner: Partner | undefined =
    decision.kind === 'partner' ? directory.partners.find((candidate) => candidate.partnerId === decision.partnerId) : undefined;
  if (!customer && !partner)
    throw new RangeError(`the directory passed holds no record for ${decision.kind === 'partner' ? decision.partnerId : decision.customerKey}`);
  const endCustomer = customer ? undefined : namedLicence(directory, details.licenceNumbers);
  const licence = customer
    ? ((decision.kind === 'eligible-caller' ? decision.licence : undefined) ?? identifiedLicence(details.licenceNumbers, customer.licences))
    : endCustomer?.licence;
  const missing = missingInfo(details, policy.requiredInfo, { customerLicences: customer ? customer.licences : null });
  const price = lockPrice(policy, customer?.currency ?? partner!.currency);
  const requesterKind = customer ? ('eligible-caller' as const) : ('partner' as const);
  const calendar = customer?.calendar ?? endCustomer?.customer.calendar ?? partnerFallbackCalendar(policy);
  const fee = feeAtOpen({
    policy,
    ticket: chargeTicketOf(policy, { requesterKind, priceMinor: price.amountMinor, priceCurrency: price.currency, openedAt: input.receivedAt, calendar }),
    licence: licence ? { type: licence.type, registeredOn: licence.registeredOn, trialEndsOn: licence.trialEndsOn } : null,
    customerIsPartner: customer?.isPartner === true,
    ...(customer && !licence ? { otherLicences: customer.licences } : {}),
  });
  // Kerio ToS preamble: paid support needs the customer's acceptance, asked once per customer; free incidents never ask.
  const awaitingAgreement = customer !== undefined && fee.chargeable && policy.billing.requireAgreement && customer.termsAgreed !== true;
  const product = details.product ?? licence?.product ?? null;
  const support = product && details.version ? isVersionSupported(policy.products, product, details.version, input.receivedAt) : null;
  const unsupportedVersion =
    support && (support.status === 'unsupported' || support.status === 'unknown-version')
      ? { product: product!, version: details.version!, supported: support.supported.map((release) => release.version) }
      : null;
  const complete = missing.length === 0 && !awaitingAgreement;
  const termsRequested = asksForTerms(mail.text);
  return {
    ticket: {
      requesterKind,
      requesterEmail: sender.address,
      requesterName: decision.kind === 'eligible-caller' ? decision.caller.name : sender.name,
      subject: withoutRequestTags(mail.subject) || '(no subject)',
      summary: input.summary ?? summarizeDefect(mail.subject, mail.text, signerNames(sender, decision)),
      severity: details.severity ?? policy.sla.defaultSeverity,
      status: complete ? 'open' : 'new',
      product,
      productVersion: details.version,
      missingInfo: missing,
      calendar,
      supportLevel: customer?.supportLevel ?? endCustomer?.customer.supportLevel ?? 'normal',
      locale: customer?.locale ?? partner!.locale,
      openedAt: input.receivedAt,
      priceMinor: price.amountMinor,
      priceCurrency: price.currency,
      rootMessageId: mail.messageIdSynthetic ? null : mail.messageId,
      awaitingAgreement,
    },
    customerKey: customer?.key ?? null,
    partnerId: partner?.partnerId ?? null,
    licenceNumber: licence?.number ?? null,
    missing,
    complete,
    takenUpAt: input.now ?? input.receivedAt,
    fee,
    awaitingAgreement,
    termsRequested,
    unsupportedVersion,
  };
}

/** An automatic answer decided and rendered but not written: the caller writes `record` with its other rows. */
export type PreparedAnswer = { sent: true; messageId: string; record: AutoMailRecord } | { sent: false; reason: string };

/**
 * Decides (loop rules, throttle) and renders one automatic answer without writing it; implemented by the intake.
 * openTicket holds the throttle lock of the recipient already (taken by reserveRequest), so the answer does not lock,
 * and passes what reserveRequest read of the recipient's throttle window after that lock (`sentInWindow`).
 */
export type AutoAnswer = (
  tx: Tx,
  answer: { template: 'acknowledgement'; data: AcknowledgementData; locale: string; requestId: string; sentInWindow?: Date[] },
) => Promise<PreparedAnswer>;

export interface OpenTicketContext {
  policy: Policy;
  autoAnswer: AutoAnswer;
  supportName: string;
  supportAddress: string;
}

export interface OpenedTicket {
  ticketId: number;
  requestId: string;
  plan: TicketPlan;
  due: DueTimes | null;
  acknowledgement: { sent: true; messageId: string } | { sent: false; reason: string };
}

/** The fee told at open as the mail templates read it (the acknowledgement and the split notice render it alike). */
export function acknowledgementFee(fee: FeeAtOpen, locale: string): AcknowledgementFee {
  return fee.chargeable
    ? {
        chargeable: true,
        amountMinor: fee.amountMinor,
        currency: fee.currency,
        taxesExcluded: fee.taxesExcluded,
        paymentInstructions: paymentInstructionsIn(fee.paymentInstructions, locale),
        ...(fee.freeWithLicence ? { freeWithLicence: true } : {}),
      }
    : { chargeable: false, reason: fee.reason, until: fee.until };
}

/**
 * Whether the acknowledgement answers the request's ask for the support terms: only a chargeable incident's, whose
 * terms govern what the customer pays (and, on a first paid request, what they are asked to agree to).
 */
export function termsAnswered(plan: Pick<TicketPlan, 'termsRequested' | 'fee'>): boolean {
  return plan.termsRequested && plan.fee.chargeable;
}

/** The acknowledgement's data: the request ID, the defect as understood, severity, targets, due times, what is missing. */
export function acknowledgementData(
  context: OpenTicketContext,
  plan: TicketPlan,
  requestId: string,
  due: DueTimes | null,
  recipientName: string | null,
): AcknowledgementData {
  const { due: dueTimes, ...sla } = acknowledgementSla(context.policy, plan.ticket, due);
  return {
    recipientName,
    supportName: context.supportName,
    supportAddress: context.supportAddress,
    requestId,
    subject: plan.ticket.subject,
    summary: plan.ticket.summary,
    ...sla,
    due: dueTimes,
    missing: plan.missing,
    fee: acknowledgementFee(plan.fee, plan.ticket.locale),
    agreement: plan.awaitingAgreement ? { termsUrl: context.policy.billing.termsUrl } : null,
    ...(termsAnswered(plan) ? { termsRequest: { termsUrl: context.policy.billing.termsUrl } } : {}),
    unsupportedVersion: plan.unsupportedVersion,
    ...(plan.phone ? { byPhone: true } : {}),
  };
}

/**
 * The acknowledgement's SLA lines of a ticket: severity, targets, due times (null before the clock starts) and how
 * they count. Also what the request-update mail states once an answer completes the request.
 */
export function acknowledgementSla(
  policy: Policy,
  ticket: { severity: number; calendar: string; supportLevel: string },
  due: DueTimes | null,
): Omit<SlaLines, 'due'> & { due: TemplateDueTimes | null } {
  const targets = severityTargets(policy, ticket.severity);
  return {
    severity: ticket.severity,
    severityName: targets.name,
    targets: { initialResponse: targets.initialResponse, progressUpdate: targets.progressUpdate, resolution: targets.resolution },
    due: due ? { initialResponseDue: due.initialResponseDue, progressUpdateDue: due.progressUpdateDue, resolutionDue: due.resolutionDue } : null,
    timeZone: calendarTimeZone(policy, ticket.calendar),
    untilResolved: worksUntilResolved(ticket.severity),
    ...targetCounting(policy, { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity }),
  };
}

/**
 * Writes a planned ticket inside the intake transaction: request ID, ticket row, SLA timers (complete requests only,
 * from `receivedAt`), the inbound Message-ID, events mail-received and acknowledgement (or acknowledgement-suppressed),
 * the acknowledgement mail, the Slack `ticket-opened` item and, when given, the inbound record (written last, so a
 * second delivery of the same Message-ID fails on its unique index and rolls everything back, request ID included)
 * and, when given, the request's text (`conversation`: a message without attachments).
 * Two statements: the request ID with the directory ids, the recipient's throttle lock and the throttle read (after
 * the lock, so it sees every answer committed before: reserveRequest), then every row in one (insertNewTicket).
 */
export async function openTicket(
  tx: Tx,
  context: OpenTicketContext,
  plan: TicketPlan,
  mail: Pick<ParsedMail, 'messageId' | 'attachments'> | null,
  inbound: NewTicketInbound | null,
  conversation: NewTicketConversation | null = null,
): Promise<OpenedTicket> {
  // The clock, the reminder and the records start when deskbot takes the request up, not when it was received.
  const at = plan.takenUpAt;
  const { requestId, autoMailSent, ...ids } = await tx.tickets.reserveRequest({
    year: at.getUTCFullYear(),
    keys: { customerKey: plan.customerKey, partnerId: plan.partnerId, licenceNumber: plan.licenceNumber },
    lockAutoMailTo: plan.ticket.requesterEmail,
    autoMailSince: new Date(at.getTime() - autoMailWindowMs),
  });
  const clock = { id: 0, severity: plan.ticket.severity, calendar: plan.ticket.calendar, supportLevel: plan.ticket.supportLevel };
  const due = plan.complete ? computeDueTimes(context.policy, { ...clock, supportLevel: clock.supportLevel as SupportLevel, clockStartedAt: at }) : null;
  const prepared = await context.autoAnswer(tx, {
    template: 'acknowledgement',
    data: acknowledgementData(context, plan, requestId, due, plan.ticket.requesterName),
    locale: plan.ticket.locale,
    requestId,
    ...(autoMailSent ? { sentInWindow: autoMailSent } : {}),
  });
  const answer = prepared.sent ? prepared.record : null;
  const { id: ticketId } = await tx.tickets.insertWithWrites({
    // A complete request's clock starts with the ticket row itself, its timers in the same statement.
    // An incomplete one instead gets its needs-info reminder date (the SLA sweeper sends it).
    ticket: {
      ...plan.ticket,
      requestId,
      ...ids,
      ...(plan.complete ? { clockStartedAt: at } : { needsInfoRemindAt: needsInfoReminderDue(context.policy, plan.ticket.calendar, at) }),
    },
    timers: plan.complete ? tx.slaTimers.firstTimerRows(clock, at) : [],
    // Both events in this order (mail-received first), once the acknowledgement's fate is known.
    events: [
      mail
        ? {
            type: 'mail-received',
            at,
            actor: plan.ticket.requesterEmail,
            detail: { messageId: mail.messageId, kind: 'new-request', attachments: mail.attachments.length, missingInfo: plan.missing },
          }
        : {
            type: 'phone-call',
            at,
            actor: plan.phone?.openedBy ?? null,
            detail: {
              caller: plan.ticket.requesterEmail,
              missingInfo: plan.missing,
              ...(plan.phone?.description ? { description: plan.phone.description } : {}),
            },
          },
      {
        type: prepared.sent ? 'acknowledgement' : 'acknowledgement-suppressed',
        at,
        actor: 'deskbot',
        detail: prepared.sent ? { messageId: prepared.messageId, missingInfo: plan.missing } : { reason: prepared.reason },
      },
    ],
    messageRefs: [
      ...(mail ? [{ messageId: mail.messageId, direction: 'in' as const, at }] : []),
      ...(answer ? [{ messageId: answer.messageId, direction: 'out' as const, at: answer.at }] : []),
    ],
    outbox: [
      ...(answer
        ? [
            {
              idempotencyKey: answer.outbox.idempotencyKey,
              channel: 'email' as const,
              kind: answer.outbox.kind,
              payload: answer.outbox.payload,
              nextAttemptAt: answer.outbox.notBefore ?? answer.at,
              createdAt: new Date(),
            },
          ]
        : []),
      {
        idempotencyKey: `slack:ticket-opened:${requestId}`,
        channel: 'slack',
        kind: 'ticket-opened',
        payload: { requestId },
        withTicketId: true,
        nextAttemptAt: at,
      },
    ],
    autoMailLog: answer ? [{ address: answer.address, kind: answer.kind, sentAt: answer.at }] : [],
    inbound,
    conversation,
  });
  const acknowledgement = prepared.sent ? { sent: true as const, messageId: prepared.messageId } : prepared;
  return { ticketId, requestId, plan, due, acknowledgement };
}
