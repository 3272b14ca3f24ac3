// Keeps what a request said while its sender is asked for a licence number (licence-needed.ts), and takes it up when
// the same sender's next request answers that mail or the notice: the ticket then opens with both mails' details, and
// the held text and attachments go on its conversation first. Deciding eligibility and sending mail are not here.
import { boundedText } from '../../domain/conversation.ts';
import { normalizeAddress } from '../../domain/eligibility.ts';
import { answerHasOwnSubject, combineRequestDetails, heldRequestCutoff } from '../../domain/held-request.ts';
import { summarizeDefect, type RequestDetails } from '../../domain/request-details.ts';
import type { NewConversationAttachment } from '../conversation-records.ts';
import type { HeldRequest } from '../held-request-records.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import type { IntakeContext, Tx } from './context.ts';
import { recordConversation } from './conversation.ts';

/** Message-IDs of In-Reply-To and References looked up for a held request, at most. */
const maxThreadIds = 50;

/**
 * Keeps the request of a caller asked for the licence number: subject, text (bounded as the conversation keeps it),
 * the request details and summary, keyed by its Message-ID, with the notice's Message-ID when one went, and its
 * attachments (their content stored before the transaction by storeAttachments, as for any first mail).
 */
export async function holdRequest(
  ctx: IntakeContext,
  tx: Tx,
  mail: ParsedMail,
  held: { details: RequestDetails; callerName: string | null; noticeMessageId: string | null; attachments: NewConversationAttachment[] },
): Promise<void> {
  const sender = mail.from!;
  // Held mails past the age at which they can be taken up are dropped here: holding is rare, and their text (up to
  // ~512 KB each) is then kept no longer than it can serve.
  await tx.heldRequests.forgetBefore(heldRequestCutoff(ctx.clock.now()));
  const { text, truncated } = boundedText(mail.text);
  const { text: displayText } = boundedText(mail.newText ?? mail.text);
  const signerNames = [sender.address.split('@')[0] ?? '', sender.name ?? '', held.callerName ?? ''];
  await tx.heldRequests.hold({
    messageId: mail.messageId,
    noticeMessageId: held.noticeMessageId,
    fromAddress: normalizeAddress(sender.address) ?? sender.address.toLowerCase(),
    fromName: sender.name,
    toAddresses: mail.to.map((recipient) => recipient.address),
    ccAddresses: mail.cc.map((recipient) => recipient.address),
    subject: mail.subject,
    text,
    displayText,
    truncated,
    severity: held.details.severity,
    severitySource: held.details.severitySource,
    product: held.details.product,
    version: held.details.version,
    summary: summarizeDefect(mail.subject, mail.text, signerNames),
    receivedAt: ctx.clock.now(),
    attachments: held.attachments,
  });
}

/**
 * Takes up (once) the request held for this mail's sender that its In-Reply-To or References name (the held mail or
 * the notice), held within heldRequestMaxAgeMs; null when there is none. Another sender never gets it.
 */
export async function takeUpHeldRequest(ctx: IntakeContext, tx: Tx, mail: ParsedMail): Promise<HeldRequest | null> {
  const sender = mail.from ? normalizeAddress(mail.from.address) : null;
  const messageIds = [...new Set([...mail.inReplyTo, ...mail.references.slice(-maxThreadIds)])].filter((id) => id !== mail.messageId);
  if (!sender || messageIds.length === 0) return null;
  const now = ctx.clock.now();
  const held = await tx.heldRequests.claim({ sender, messageIds, since: heldRequestCutoff(now), at: now, by: mail.messageId });
  if (held) ctx.log.info({ event: 'held-request-taken-up', messageId: mail.messageId, heldMessageId: held.messageId }, 'request opened with the held mail');
  return held;
}

/**
 * The request a mail opens with its held request: the mail's details win, the held ones fill the gaps; the subject and
 * summary are the held mail's unless the mail has a subject of its own (answerHasOwnSubject).
 */
export function withHeldRequest(
  mail: ParsedMail,
  details: RequestDetails,
  held: HeldRequest | null,
): { mail: ParsedMail; details: RequestDetails; summary?: string } {
  if (!held) return { mail, details };
  const combined = combineRequestDetails(details, held);
  if (answerHasOwnSubject(mail.subject, held.subject)) return { mail, details: combined };
  return { mail: { ...mail, subject: held.subject }, details: combined, summary: held.summary };
}

/**
 * Puts the held mail on the new ticket: its text and attachments in the conversation (with its own receive time, so
 * before the mail that took it up; a Slack file item per attachment, as for any first mail), its and the notice's
 * Message-IDs for threading, so an answer to either continues the ticket; the held mail's inbound record then ends in
 * the request (InboundRepository.takenUp).
 */
export async function keepHeldRequest(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  opened: { ticketId: number; requestId: string },
  held: HeldRequest,
  mail: ParsedMail,
): Promise<void> {
  const { ticketId } = opened;
  await recordConversation(ctx, tx, state, {
    ticketId,
    messageId: held.messageId,
    kind: 'request',
    fromAddress: mail.from!.address,
    fromName: held.fromName,
    toAddresses: held.toAddresses,
    ccAddresses: held.ccAddresses,
    receivedAt: held.receivedAt,
    text: held.text,
    displayText: held.displayText,
    truncated: held.truncated,
    attachments: held.attachments,
  });
  const at = ctx.clock.now();
  await tx.threads.remember(ticketId, [held.messageId], 'in', at);
  if (held.noticeMessageId) await tx.threads.remember(ticketId, [held.noticeMessageId], 'out', at);
  // The held mail's own record said it was refused for its ambiguous sender: it now ended in this request (`deskbot
  // inbound list`: "ticket (was rejected)", which request took it up), so `deskbot inbound retry` cannot run it again.
  const first = await tx.inbound.find(held.messageId);
  if (first?.outcome === 'rejected') {
    await tx.inbound.takenUp(held.messageId, { ticketId, reason: `${first.reason ?? 'ambiguous-sender'}; taken up by ${opened.requestId}` });
  }
}
