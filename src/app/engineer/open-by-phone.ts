// Use case: an engineer takes a request by telephone (`/support open`). The caller is checked exactly like the sender of
// a mail (eligible caller or partner contact, licence standing; a name said on the phone proves nothing, only the
// address counts), the ticket records that it came by phone and who opened it (the thread's phone-call line, with what
// the caller described), and the caller gets the usual acknowledgement by e-mail, which is the written confirmation the
// terms require. Nothing is opened for a caller who is not eligible. Mail-only concerns (loop rules, the auto-answer
// throttle, threading the caller's mail) do not apply.
import { z } from 'zod';
import { decideEligibility, type NotEligibleReason } from '../../domain/eligibility.ts';
import type { CustomerSuspension } from '../../domain/directory.ts';
import { severityLevels, type Severity } from '../../domain/policy.ts';
import { extractRequestDetails, licenceNumbersIn } from '../../domain/request-details.ts';
import { DeskbotError } from '../../errors.ts';
import { composeMail } from '../notify.ts';
import { openTicket, planTicket, type AutoAnswer } from '../intake/open-ticket.ts';
import { partnerIdCandidates } from '../intake/new-request.ts';
import { senderOf, transaction, type Actor, type EngineerActionDeps } from './common.ts';

export interface OpenByPhoneInput {
  /** The caller's e-mail address: who is checked and who gets the written confirmation. */
  callerEmail: string;
  severity: number;
  subject: string;
  /** What the caller described (optional); licence numbers, product and version are read from it as from a mail. */
  description?: string | undefined;
  actor: Actor;
}

export interface OpenByPhoneResult {
  ticketId: number;
  requestId: string;
  /** Items the policy still requires; empty when the SLA clock started at the call. */
  missing: string[];
  /** Whether the acknowledgement was queued. */
  acknowledged: boolean;
  /** The customer's first paid request: the clock waits for its agreement to the terms (issue 12 point 9). */
  awaitingAgreement: boolean;
  /** Set when the caller's customer is suspended (issue 12): opened anyway, the engineer is told. */
  suspended: CustomerSuspension | null;
}

const callerEmailSchema = z.string().trim().toLowerCase().email();

/** The caller's description as kept on the phone-call event: the phone form's limit (3,000 characters). */
const phoneDescriptionMaxChars = 3_000;

/** Why a caller may not open requests, told to the engineer on the phone (the mail's sentences speak to the sender). */
const callerRefusals: Record<NotEligibleReason, string> = {
  'sender-not-authenticated': 'The address could not be verified.',
  'unknown-sender':
    'The address is not an eligible caller of a customer nor a partner contact; only the eligible callers a customer named may open requests (`/support callers <customer>` lists them).',
  'licence-unknown': 'The licence number named is not registered, and the address is not an eligible caller.',
  'ambiguous-sender': 'The address is an eligible caller of more than one customer; ask for the licence number and name it in the request.',
  'maintenance-expired': "The customer's licence has no valid Software Maintenance, which technical support requires; the customer may renew it.",
  'trial-expired': "The customer's trial licence has ended; free support for a trial lasts for the life of the trial.",
  'no-licence': 'No licence is registered to the customer the address belongs to.',
  'partner-id-missing': 'The address is a partner contact; a partner request needs its Partner Support ID.',
  'partner-id-invalid': 'The Partner Support ID named is not one we know.',
  'partner-sender-mismatch': 'The Partner Support ID named is not registered for this address.',
};

/** A refusal the engineer reads in Slack: who, why (in the engineer's words), nothing opened. */
export function notEligibleMessage(callerEmail: string, reason: NotEligibleReason): string {
  return `Not opened: ${callerEmail} may not open support requests (${reason}). ${callerRefusals[reason]}`;
}

/**
 * Opens a ticket for a caller on the phone at `clock.now()` (the call). Throws INVALID_STATE with the reason when the
 * caller is not eligible, and for a bad address, severity or subject.
 */
export async function openByPhone(deps: EngineerActionDeps, input: OpenByPhoneInput): Promise<OpenByPhoneResult> {
  const parsedEmail = callerEmailSchema.safeParse(input.callerEmail);
  if (!parsedEmail.success) throw new DeskbotError('INVALID_STATE', `"${input.callerEmail.slice(0, 80)}" is not an e-mail address`);
  const callerEmail = parsedEmail.data;
  if (!(severityLevels as readonly number[]).includes(input.severity)) throw new DeskbotError('INVALID_STATE', 'Severity is a whole number from 1 to 5');
  const subject = input.subject.replace(/\s+/g, ' ').trim().slice(0, 500);
  if (subject === '') throw new DeskbotError('INVALID_STATE', 'Give the subject of the request');
  const text = input.description?.trim() || subject;
  const now = deps.clock.now();
  const { directory, knownProducts } = await deps.repositories.directory.lookupSender({
    email: callerEmail,
    partnerIds: partnerIdCandidates(`${subject}\n${text}`),
    licenceNumbers: licenceNumbersIn(subject, text),
  });
  const details = { ...extractRequestDetails({ subject, body: text, knownProducts }), severity: input.severity as Severity, severitySource: 'number' as const };
  // A phone call carries no mail authentication: the engineer vouches for the call, eligibility for the caller.
  const decision = decideEligibility({
    sender: callerEmail,
    authentication: {},
    directory,
    subject,
    body: text,
    licenceNumbers: details.licenceNumbers,
    now,
    policy: deps.policy,
    authRequired: false,
  });
  // Hook for issue 12: when eligibility refuses a suspended customer's callers, an engineer on the phone may still open
  // (let such a reason through here); today eligibility does not look at `suspended`, so only the answer mentions it.
  if (decision.kind === 'not-eligible') {
    throw new DeskbotError('INVALID_STATE', notEligibleMessage(callerEmail, decision.reason), { details: { callerEmail, reason: decision.reason } });
  }
  const customer = decision.kind === 'eligible-caller' ? directory.customers.find((candidate) => candidate.key === decision.customerKey) : undefined;
  const plan = {
    ...planTicket({
      policy: deps.policy,
      mail: { subject, text, messageId: '', messageIdSynthetic: true },
      sender: { address: callerEmail, name: null },
      decision,
      directory,
      details,
      receivedAt: now,
    }),
    // The engineer's notes are no mail of the customer's: a caller who wants the terms is answered on the phone.
    termsRequested: false,
    phone: {
      openedBy: input.actor.slackId,
      ...(input.description?.trim() ? { description: input.description.trim().slice(0, phoneDescriptionMaxChars) } : {}),
    },
  };
  const autoAnswer: AutoAnswer = async (_tx, answer) => {
    const payload = composeMail(senderOf(deps), {
      template: answer.template,
      locale: answer.locale,
      data: answer.data,
      to: [plan.ticket.requesterName ? { address: callerEmail, name: plan.ticket.requesterName } : { address: callerEmail }],
      autoSubmitted: 'auto-generated',
      requestId: answer.requestId,
      headers: { 'X-Deskbot-Request-Id': answer.requestId },
      // No mail of the caller's is answered: the acknowledgement subject's reply prefix (Re:, AW:, SV:) goes.
      subject: (rendered) => rendered.replace(/^(?:Re|AW|SV):\s*/i, ''),
    });
    return {
      sent: true,
      messageId: payload.messageId,
      record: {
        outbox: { idempotencyKey: `ack:${answer.requestId}`, kind: 'acknowledgement', payload, ticketId: null },
        address: callerEmail,
        kind: 'acknowledgement',
        messageId: payload.messageId,
        at: now,
      },
    };
  };
  const context = { policy: deps.policy, autoAnswer, supportName: deps.config.SUPPORT_NAME, supportAddress: deps.config.SUPPORT_ADDRESS };
  const opened = await transaction(deps, async (tx) => {
    const result = await openTicket(tx, context, plan, null, null);
    await tx.tickets.update(result.ticketId, { source: 'phone', openedBy: input.actor.slackId });
    // The thread's first line: who took the call from whom, and what the caller described (after ticket-opened).
    const phoneCall = (await tx.events.recent(result.ticketId, 10)).find((event) => event.type === 'phone-call');
    if (phoneCall) {
      await tx.outbox.enqueue(
        {
          idempotencyKey: `slack:ticket-event:${phoneCall.id}`,
          channel: 'slack',
          kind: 'ticket-event',
          payload: { ticketId: result.ticketId, eventId: Number(phoneCall.id) },
          ticketId: result.ticketId,
        },
        now,
      );
    }
    return result;
  });
  return {
    ticketId: opened.ticketId,
    requestId: opened.requestId,
    missing: plan.missing,
    acknowledged: opened.acknowledgement.sent,
    awaitingAgreement: plan.awaitingAgreement,
    suspended: customer?.suspended ?? null,
  };
}
