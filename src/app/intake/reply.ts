// A customer's reply on a ticket: recorded, completes an incomplete request (starting the SLA clock), resumes a
// clock paused for the customer. A closed ticket is not reopened here: that is a person's call.
import type { ParsedMail } from '../parsed-mail.ts';
import { extractRequestDetails, identifiedLicence, missingInfo, normalizeLicenceNumber, type RequestDetails } from '../../domain/request-details.ts';
import type { TicketRecord } from '../records.ts';
import { feeChanged, storedTicketFee, type FeeAtOpen } from '../../domain/fee-at-open.ts';
import { agreesToTerms, asksForTerms } from '../../domain/terms-agreement.ts';
import { normalizeAddress } from '../../domain/eligibility.ts';
import { recordAgreement } from '../terms-agreement.ts';
import type { RequiredInfoItem } from '../../domain/policy.ts';
import { autoMail } from './auto-mail.ts';
import { type AnswerEffect, sendReleasedUpdates, sendRequestUpdate } from './request-update.ts';
import type { AgreedTicket } from '../terms-agreement.ts';
import { keepConversation, storeAttachments } from './conversation.ts';
import { commit, type Ending, type IntakeContext, type Origin, record, slackTicketEvent, type Tx } from './context.ts';

/** The stored facts of an incomplete ticket as request details, so a reply only has to add what is missing. */
export function storedDetails(ticket: TicketRecord): RequestDetails {
  return {
    severity: ticket.missingInfo.includes('severity') ? null : (ticket.severity as RequestDetails['severity']),
    severitySource: ticket.missingInfo.includes('severity') ? 'none' : 'number',
    licenceNumbers: ticket.licence ? [ticket.licence.number] : [],
    product: ticket.missingInfo.includes('product') ? null : ticket.product,
    version: ticket.missingInfo.includes('version') ? null : ticket.productVersion,
  };
}

/**
 * The name to greet the sender of `mail` with: the requester's, the directory name of another eligible caller of the
 * customer, else the name in the mail's From. Any of them may write on the ticket, and the answer goes to the sender.
 */
export function senderName(ticket: Pick<TicketRecord, 'requesterEmail' | 'requesterName' | 'customer'>, mail: Pick<ParsedMail, 'from'>): string | null {
  const sender = normalizeAddress(mail.from!.address);
  if (normalizeAddress(ticket.requesterEmail) === sender) return ticket.requesterName;
  const caller = ticket.customer?.eligibleCallers.find((candidate) => normalizeAddress(candidate.email) === sender);
  return caller?.name || mail.from!.name || null;
}

/** What a reply did to an incomplete request (completeRequest). */
export interface RequestCompletion {
  /** The request-completed event, when the SLA clock started now. */
  completed: bigint | null;
  missing: RequiredInfoItem[];
  severity: number;
  awaitingAgreement: boolean;
  /** The reply named one of the customer's licences that the ticket did not hold. */
  licenceIdentified: boolean;
  /** The fee the licence now identified makes, when it differs from the one the acknowledgement told; else null. */
  fee: FeeAtOpen | null;
}

/**
 * A reply to an incomplete ticket: what it adds is merged into the ticket; when nothing the policy requires is
 * missing any more, the SLA clock starts now. Returns the event id of request-completed (if any), what is still
 * missing, the severity, whether the agreement is still awaited, and a change of the fee.
 */
export async function completeRequest(ctx: IntakeContext, tx: Tx, ticket: TicketRecord, mail: ParsedMail, products: string[]): Promise<RequestCompletion> {
  const { policy, clock } = ctx;
  const now = clock.now();
  const stored = storedDetails(ticket);
  const added = extractRequestDetails({ subject: mail.subject, body: mail.text, knownProducts: products });
  const merged: RequestDetails = {
    severity: stored.severity ?? added.severity,
    severitySource: stored.severity !== null ? stored.severitySource : added.severitySource,
    licenceNumbers: [...new Set([...stored.licenceNumbers, ...added.licenceNumbers])],
    product: stored.product ?? added.product,
    version: stored.version ?? added.version,
  };
  const customerLicences = ticket.customer ? ticket.customer.licences : null;
  const missing = missingInfo(merged, policy.requiredInfo, { customerLicences });
  const licence = customerLicences ? identifiedLicence(merged.licenceNumbers, customerLicences) : undefined;
  const licenceNumber = licence?.number ?? ticket.licence?.number ?? merged.licenceNumbers[0] ?? null;
  const { licenceId } = await tx.tickets.directoryIds({ customerKey: null, partnerId: null, licenceNumber });
  const severity = merged.severity ?? ticket.severity;
  // The fee as the acknowledgement told it, and as the licence now identified makes it (a trial, an installation period
  // make it free; a licence that is neither ends "free if the licence you name is…"): the update tells a change.
  const toldFee = storedTicketFee(policy, ticket, ticket.licence === null && ticket.customer ? { otherLicences: ticket.customer.licences } : {});
  const fee = licence !== undefined ? storedTicketFee(policy, { ...ticket, licence }) : toldFee;
  const namedNow = added.licenceNumbers.map(normalizeLicenceNumber);
  const licenceIdentified = licence !== undefined && licence.number !== ticket.licence?.number && namedNow.includes(normalizeLicenceNumber(licence.number));
  // A free incident needs no agreement.
  const freeByLicence = ticket.awaitingAgreement && licence !== undefined && !fee.chargeable;
  // The clock also waits for the customer's agreement to the paid-support terms (issue 12 point 9).
  const complete = missing.length === 0 && (!ticket.awaitingAgreement || freeByLicence);
  await tx.tickets.update(ticket.id, {
    severity,
    product: merged.product ?? licence?.product ?? ticket.product,
    productVersion: merged.version,
    missingInfo: missing,
    ...(licenceId !== null ? { licenceId } : {}),
    ...(freeByLicence ? { awaitingAgreement: false } : {}),
    ...(complete ? { status: 'open' } : {}),
  });
  const awaitingAgreement = ticket.awaitingAgreement && !freeByLicence;
  const told = { licenceIdentified, fee: feeChanged(toldFee, fee) ? fee : null };
  if (!complete) return { completed: null, missing, severity, awaitingAgreement, ...told };
  await tx.slaTimers.start({ id: ticket.id, severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
  const completed = await tx.events.append(ticket.id, {
    type: 'request-completed',
    at: now,
    actor: mail.from!.address,
    detail: { messageId: mail.messageId, severity, clockStartedAt: now.toISOString() },
  });
  return { completed, missing, severity, awaitingAgreement, ...told };
}

/**
 * A reply on a ticket: recorded with its Message-ID; completes an incomplete request; resumes the clock of a ticket
 * waiting on the customer. A reply to a closed ticket is recorded and engineers are told, but the ticket is not
 * reopened: whether it is the same incident (free follow-up) or a new, chargeable one is a person's call.
 */
export async function reply(ctx: IntakeContext, mail: ParsedMail, origin: Origin, thread: { ticket: TicketRecord; via: string }): Promise<Ending> {
  const { repositories, clock } = ctx;
  const products = await repositories.tickets.knownProducts();
  const attachments = await storeAttachments(ctx, mail);
  return commit(ctx, mail, origin, async (tx, state) => {
    const now = clock.now();
    const row = await tx.tickets.lock(thread.ticket.id);
    const ticket = {
      ...thread.ticket,
      status: row.status as TicketRecord['status'],
      missingInfo: row.missingInfo,
      severity: row.severity,
      product: row.product,
      productVersion: row.productVersion,
      awaitingAgreement: row.awaitingAgreement,
    };
    let reason: string | null = null;
    if (ticket.status === 'closed') reason = 'ticket-closed';
    await record(ctx, tx, mail, origin, { outcome: 'reply', reason, ticketId: ticket.id });
    await tx.threads.remember(ticket.id, [mail.messageId], 'in', now);
    const received = await tx.events.append(ticket.id, {
      type: 'mail-received',
      at: now,
      actor: mail.from!.address,
      detail: {
        messageId: mail.messageId,
        kind: 'reply',
        via: thread.via,
        attachments: mail.attachments.length,
        ...(ticket.status === 'closed' ? { afterClose: true } : {}),
      },
    });
    await slackTicketEvent(ctx, tx, state, ticket.id, received);
    // After the mail's own thread post: the outbox keeps a ticket's Slack rows in order, so its files follow its text.
    await keepConversation(ctx, tx, state, { ticketId: ticket.id, kind: 'reply', mail, attachments });
    // What the answer changes on an incomplete request, for the request-update mail.
    const incomplete = ticket.status === 'new';
    const effect: AnswerEffect = {
      missingBefore: row.missingInfo,
      missingAfter: row.missingInfo as RequiredInfoItem[],
      agreed: false,
      awaitingAgreement: row.awaitingAgreement,
      clockStarted: false,
      licenceIdentified: false,
      fee: null,
      termsRequested: false,
    };
    // The customer's requests the answer's "I agree" released, this one among them.
    let released: AgreedTicket[] = [];
    if (ticket.awaitingAgreement && row.customerId !== null && agreesToTerms(mail.text)) {
      // Recorded before completing: a reply that agrees and adds the last missing item starts the clock once.
      released = await recordAgreement(tx, row.customerId, { at: now, by: mail.from!.address, messageId: mail.messageId, via: 'mail' });
      for (const agreed of released) for (const eventId of agreed.eventIds) await slackTicketEvent(ctx, tx, state, agreed.ticketId, eventId);
      ticket.awaitingAgreement = false;
      const self = released.find((agreed) => agreed.ticketId === ticket.id);
      reason = self?.clockStarted ? 'request-completed' : 'terms-agreed';
      if (self?.clockStarted) ticket.status = 'open';
      Object.assign(effect, { agreed: self !== undefined, awaitingAgreement: false, clockStarted: self?.clockStarted === true });
    }
    // Asking for the terms (not agreeing to them) on a request still taken in: never silence. The request update of an
    // incomplete request answers it (the terms' address, or that an engineer sends them); the engineers are told in Slack.
    const termsAsked = ticket.status !== 'closed' && !effect.agreed && asksForTerms(mail.text);
    effect.termsRequested = termsAsked && incomplete;
    if (ticket.status === 'closed') {
      // Kerio ToS 2.4.9: service on a closed incident has ended; the customer is told so (throttled like every
      // automatic answer) and engineers saw the mail in Slack above; reopening stays a person's call.
      const notice = await autoMail(ctx, tx, state, mail, {
        template: 'closed-request',
        locale: ticket.locale,
        data: {
          recipientName: senderName(ticket, mail),
          supportName: ctx.config.SUPPORT_NAME,
          supportAddress: ctx.config.SUPPORT_ADDRESS,
          requestId: ticket.requestId,
          subject: mail.subject,
        },
        to: { address: mail.from!.address, name: mail.from!.name },
        idempotencyKey: `closed-request:${mail.messageId}`,
        requestId: ticket.requestId,
        ticketId: ticket.id,
      });
      await tx.events.append(ticket.id, {
        type: notice.sent ? 'closed-request-notice' : 'closed-request-notice-suppressed',
        at: now,
        actor: 'deskbot',
        detail: notice.sent ? { messageId: notice.messageId, inReplyTo: mail.messageId } : { reason: notice.reason, inReplyTo: mail.messageId },
      });
      if (notice.sent) await tx.threads.remember(ticket.id, [notice.messageId], 'out', now);
    } else if (ticket.status === 'new') {
      const { completed, missing, severity, awaitingAgreement, licenceIdentified, fee } = await completeRequest(ctx, tx, ticket, mail, products);
      Object.assign(effect, { missingAfter: missing, awaitingAgreement, clockStarted: completed !== null, licenceIdentified, fee });
      ticket.severity = severity;
      if (completed !== null) {
        reason = 'request-completed';
        await slackTicketEvent(ctx, tx, state, ticket.id, completed);
      }
    } else if (ticket.status === 'waiting') {
      await tx.slaTimers.resume({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
      await tx.tickets.update(ticket.id, { status: 'open' });
      const resumed = await tx.events.append(ticket.id, {
        type: 'status-change',
        at: now,
        actor: mail.from!.address,
        detail: { from: 'waiting', to: 'open', reason: 'customer-reply', messageId: mail.messageId },
      });
      // After the mail's own post: the thread says the request is open again, below the mail that reopened it.
      await slackTicketEvent(ctx, tx, state, ticket.id, resumed);
      reason = 'clock-resumed';
    }
    if (incomplete) {
      const update = await sendRequestUpdate(ctx, tx, state, mail, ticket, effect);
      if (update !== null) await slackTicketEvent(ctx, tx, state, ticket.id, update);
    }
    if (termsAsked) {
      const termsUrl = ctx.policy.billing.termsUrl;
      const asked = await tx.events.append(ticket.id, {
        type: 'terms-requested',
        at: now,
        actor: mail.from!.address,
        detail: { messageId: mail.messageId, termsUrl, toldByMail: incomplete },
      });
      await slackTicketEvent(ctx, tx, state, ticket.id, asked);
    }
    // The customer's other requests the agreement released are told too, each in its own mail.
    const others = released.filter((agreed) => agreed.ticketId !== ticket.id);
    for (const other of await sendReleasedUpdates(ctx, tx, state, mail, ticket.requestId, others))
      await slackTicketEvent(ctx, tx, state, other.ticketId, other.eventId);
    if (reason !== null && reason !== 'ticket-closed') await tx.inbound.setReason(mail.messageId, reason);
    return { outcome: 'reply', ...(reason ? { reason } : {}), ticketId: ticket.id, requestId: ticket.requestId };
  });
}
