// A message that continues no ticket: eligibility decides; an eligible sender gets a ticket (open-ticket.ts) and an
// acknowledgement (answering a request for the support terms, recorded as terms-requested) in the same transaction,
// anyone else goes to rejected.ts.
import type { MailAddress, ParsedMail } from '../parsed-mail.ts';
import type { SenderLookup, SenderQuery } from '../read-models.ts';
import { decideEligibility, suspensionOf } from '../../domain/eligibility.ts';
import { extractRequestDetails, licenceNumbersIn } from '../../domain/request-details.ts';
import { metrics } from '../../metrics.ts';
import { openTicket, planTicket, termsAnswered, type AutoAnswer, type OpenedTicket } from './open-ticket.ts';
import {
  authenticationOf,
  commit,
  type Ending,
  inboundRow,
  type IntakeContext,
  lateReceivedAt,
  type Origin,
  record,
  requestReceivedAt,
  slackTicketEvent,
} from './context.ts';
import { prepareAutoMail } from './auto-mail.ts';
import { conversationRow, keepConversation, storeAttachments } from './conversation.ts';
import { reject } from './rejected.ts';
import { suspended } from './suspended.ts';
import { licenceNeeded } from './licence-needed.ts';
import { keepHeldRequest, takeUpHeldRequest, withHeldRequest } from './held-request.ts';

/** Tokens shaped like a Partner Support ID (KP-10001), for the directory lookup; eligibility decides which are real. */
export function partnerIdCandidates(text: string): string[] {
  const found = text.match(/(?<![A-Za-z0-9_-])[A-Za-z]{1,10}-[A-Za-z0-9]{1,20}(?![A-Za-z0-9_-])/g) ?? [];
  return [...new Set(found.map((token) => token.toUpperCase()))].slice(0, 100);
}

/** What the directory is asked about a message's sender: its address, and the partner IDs and licence numbers it names. */
export function senderQuery(mail: Pick<ParsedMail, 'subject' | 'text'>, sender: MailAddress): SenderQuery {
  return { email: sender.address, partnerIds: partnerIdCandidates(`${mail.subject}\n${mail.text}`), licenceNumbers: licenceNumbersIn(mail.subject, mail.text) };
}

/**
 * A message that continues no ticket: eligibility decides between a new ticket and a rejection. `lookup` is the
 * directory's answer to senderQuery when the caller read it already.
 */
export async function newRequest(
  ctx: IntakeContext,
  mail: ParsedMail,
  origin: Origin,
  raw: Buffer | null = null,
  lookup: SenderLookup | null = null,
  /** The request the message replied to although its sender may not write on it: the notice names it. */
  refusedRequestId: string | null = null,
): Promise<Ending> {
  const { policy, config, clock, repositories } = ctx;
  const sender = mail.from!;
  const { directory, knownProducts: products } = lookup ?? (await repositories.directory.lookupSender(senderQuery(mail, sender)));
  const details = extractRequestDetails({ subject: mail.subject, body: mail.text, knownProducts: products });
  // Licence standing and fee are judged when the mailbox received the request; the clock starts when deskbot sees it.
  const now = clock.now();
  const receivedAt = requestReceivedAt(origin, now);
  const decision = decideEligibility({
    sender: sender.address,
    authentication: authenticationOf(ctx, mail),
    directory,
    subject: mail.subject,
    body: mail.text,
    licenceNumbers: details.licenceNumbers,
    now: receivedAt,
    policy,
    authRequired: config.AUTH_REQUIRED,
  });
  if (decision.kind === 'not-eligible' && decision.reason === 'ambiguous-sender') {
    // Issue 12 point 7: not "not registered" but the licence number asked for as missing information.
    const caller = directory.customers
      .flatMap((customer) => customer.eligibleCallers)
      .find((candidate) => candidate.email.toLowerCase() === sender.address.toLowerCase());
    return licenceNeeded(ctx, mail, origin, caller?.name ?? null, details);
  }
  if (decision.kind === 'not-eligible') return reject(ctx, mail, origin, decision.reason, raw, refusedRequestId, decision.known);
  const suspension = suspensionOf(decision, directory);
  if (suspension) return suspended(ctx, mail, origin, suspension.customer, suspension.suspension);
  const attachments = await storeAttachments(ctx, mail);
  // An old request (a backlog worked through) still opens a ticket; its acknowledgement says when it reached us.
  const receivedLate = lateReceivedAt(ctx, mail, origin);
  // Planned before the transaction (pure work, not under the embedded database's one connection); again inside it
  // only for an answer to a request held for its licence number, which opens with what that request said.
  const planned = planTicket({ policy, mail, sender, decision, directory, details, receivedAt, now });
  let severity: number | undefined;
  const ending = await commit(ctx, mail, origin, async (tx, state) => {
    const held = await takeUpHeldRequest(ctx, tx, mail);
    const request = withHeldRequest(mail, details, held);
    const plan = held
      ? planTicket({ policy, mail: request.mail, sender, decision, directory, details: request.details, summary: request.summary, receivedAt, now })
      : planned;
    severity = plan.ticket.severity;
    const autoAnswer: AutoAnswer = (innerTx, answer) =>
      prepareAutoMail(ctx, innerTx, state, mail, {
        template: answer.template,
        locale: answer.locale,
        data: receivedLate ? { ...answer.data, receivedAt: receivedLate } : answer.data,
        to: { address: sender.address, name: plan.ticket.requesterName },
        idempotencyKey: `ack:${answer.requestId}`,
        requestId: answer.requestId,
        addressLocked: true,
        sentInWindow: answer.sentInWindow,
      });
    const waits = [...(plan.missing.length ? [`missing ${plan.missing.join(', ')}`] : []), ...(plan.awaitingAgreement ? ['awaiting the terms agreement'] : [])];
    const reason = plan.complete ? decision.reason : `incomplete: ${waits.join('; ')}`;
    // Recorded last, complete, in openTicket's final statement: a concurrent delivery of the same Message-ID
    // still fails there on the unique index (DuplicateInboundMessage) and rolls back everything, request ID included.
    // A quarantine retry rewrites its existing record instead (record(ctx) below).
    const inbound = origin.retryOf ? null : inboundRow(ctx, mail, origin, { outcome: 'ticket', reason, ticketId: null });
    // Without attachments the text goes in openTicket's final statement; attachments need their ids back (keepConversation).
    // With a held request its text goes first (keepHeldRequest), and the mail's own text after it, not in openTicket.
    const conversation = attachments.length === 0 && !held ? conversationRow(ctx, 'request', mail) : null;
    const opened: OpenedTicket = await openTicket(
      tx,
      { policy, autoAnswer, supportName: config.SUPPORT_NAME, supportAddress: config.SUPPORT_ADDRESS },
      plan,
      mail,
      inbound,
      conversation,
    );
    state.queued += 1;
    if (plan.termsRequested) {
      // The request asked for the support terms: recorded after the acknowledgement, with reply.ts's detail, and shown in
      // Slack (an engineer sends them when the mail could not: none published, a free incident, an answer withheld).
      const asked = await tx.events.append(opened.ticketId, {
        type: 'terms-requested',
        at: plan.takenUpAt,
        actor: sender.address,
        detail: { messageId: mail.messageId, termsUrl: policy.billing.termsUrl, toldByMail: termsAnswered(plan) && opened.acknowledgement.sent },
      });
      await slackTicketEvent(ctx, tx, state, opened.ticketId, asked);
    }
    if (held) await keepHeldRequest(ctx, tx, state, opened, held, mail);
    if (!conversation) await keepConversation(ctx, tx, state, { ticketId: opened.ticketId, kind: 'request', mail, attachments });
    if (origin.retryOf) await record(ctx, tx, mail, origin, { outcome: 'ticket', reason, ticketId: opened.ticketId });
    return { outcome: 'ticket', reason, ticketId: opened.ticketId, requestId: opened.requestId };
  });
  if (ending.outcome === 'ticket' && severity !== undefined) metrics.ticketsOpened.inc({ severity: String(severity) });
  return ending;
}
