// Keeps what a customer wrote on a ticket, inside the intake transaction: the text (bounded), the display text, the
// attachments' content up to ATTACHMENT_MAX_BYTES a message (deduplicated blobs, streamed from a second parse of
// the raw message), and a Slack file upload queued per kept attachment. Deciding which ticket a mail belongs to is not here.
import type { ParsedMail } from '../../channels/email/parse-message.ts';
import { boundedText } from '../../domain/conversation.ts';
import { enqueueOutbox } from '../../store/outbox-repository.ts';
import { claimBlob, recordConversationMessage, writeBlobChunks, type NewConversationAttachment } from '../../store/conversation-repository.ts';
import type { IntakeContext, Tx } from './context.ts';

/** ATTACHMENT_MAX_BYTES's default (config.ts), for callers that pass no value. */
const defaultAttachmentMaxBytes = 25 * 1024 * 1024;

/** Which attachments' content is kept: in order, while the message's kept bytes stay within `maxBytes` (a repeat costs nothing). */
export function attachmentsToKeep(attachments: ParsedMail['attachments'], maxBytes: number): NewConversationAttachment[] {
  const kept = new Set<string>();
  let used = 0;
  return attachments.map((attachment, position) => {
    const repeat = kept.has(attachment.sha256);
    const fits = repeat || used + attachment.size <= maxBytes;
    if (fits && !repeat) {
      kept.add(attachment.sha256);
      used += attachment.size;
    }
    return {
      position,
      filename: attachment.filename,
      contentType: attachment.contentType,
      size: attachment.size,
      sha256: fits ? attachment.sha256 : null,
      notKept: fits ? null : 'over-message-limit',
    };
  });
}

/**
 * Records the message on the ticket with its attachments and queues one `ticket-file` Slack item per
 * attachment. Blob content is written before the rows that reference it, all in the caller's transaction.
 */
export async function keepConversation(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  ticketId: number,
  kind: 'request' | 'reply',
  mail: ParsedMail,
): Promise<void> {
  const { config, clock, log } = ctx;
  const limit = config.ATTACHMENT_MAX_BYTES ?? defaultAttachmentMaxBytes;
  const attachments = attachmentsToKeep(mail.attachments, limit);
  const toWrite = new Map<number, string>();
  for (const attachment of attachments) {
    if (attachment.sha256 === null || [...toWrite.values()].includes(attachment.sha256)) continue;
    if (await claimBlob(tx, attachment.sha256, attachment.size)) toWrite.set(attachment.position, attachment.sha256);
  }
  if (toWrite.size > 0) {
    if (!mail.readAttachments) throw new Error('attachment content is not readable for this message');
    await mail.readAttachments(new Set(toWrite.keys()), (position, content) => writeBlobChunks(tx, toWrite.get(position)!, content).then(() => undefined));
  }
  const notKept = attachments.filter((attachment) => attachment.notKept !== null);
  if (notKept.length) {
    log.warn(
      { event: 'attachments-not-kept', ticketId, messageId: mail.messageId, count: notKept.length, limit },
      'attachments over ATTACHMENT_MAX_BYTES: names and sizes only',
    );
  }
  const { text, truncated } = boundedText(mail.text);
  const { text: displayText } = boundedText(mail.newText ?? mail.text);
  const { attachmentIds } = await recordConversationMessage(tx, {
    ticketId,
    messageId: mail.messageId,
    kind,
    fromAddress: mail.from!.address,
    fromName: mail.from!.name,
    receivedAt: clock.now(),
    text,
    displayText,
    truncated,
    attachments,
  });
  // Every attachment gets its Slack item: kept ones are uploaded, the others listed by name and size.
  for (const attachmentId of attachmentIds) {
    await enqueueOutbox(
      tx,
      { idempotencyKey: `slack:ticket-file:${attachmentId}`, channel: 'slack', kind: 'ticket-file', payload: { ticketId, attachmentId }, ticketId },
      clock.now(),
    );
    state.queued += 1;
  }
}
