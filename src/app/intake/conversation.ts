// Keeps what a customer wrote on a ticket: the attachments' content up to ATTACHMENT_MAX_BYTES a message
// (deduplicated blobs, streamed from a second parse of the raw message, committed just before the intake), then in
// the intake transaction the text (bounded), the display text and a Slack file item per attachment. Deciding which ticket a mail belongs to is not here.
import { boundedText } from '../../domain/conversation.ts';
import type { NewConversationAttachment, NewConversationMessage, NewTicketConversation } from '../conversation-records.ts';
import type { ParsedMail } from '../parsed-mail.ts';
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
 * Stores the content of the attachments kept (ATTACHMENT_MAX_BYTES) before the intake transaction opens, in a
 * transaction of its own (withBlobWriter), streamed from a second parse; content already stored is not read again.
 * Returns the attachment rows keepConversation records.
 */
export async function storeAttachments(ctx: IntakeContext, mail: ParsedMail): Promise<NewConversationAttachment[]> {
  const { config, log, repositories } = ctx;
  const limit = config.ATTACHMENT_MAX_BYTES ?? defaultAttachmentMaxBytes;
  const attachments = attachmentsToKeep(mail.attachments, limit);
  const notKept = attachments.filter((attachment) => attachment.notKept !== null);
  if (notKept.length) {
    log.warn(
      { event: 'attachments-not-kept', messageId: mail.messageId, count: notKept.length, limit },
      'attachments over ATTACHMENT_MAX_BYTES: names and sizes only',
    );
  }
  const kept = attachments.filter((attachment) => attachment.sha256 !== null);
  if (kept.length === 0) return attachments;
  await repositories.conversations.withBlobWriter(async (writer) => {
    const toWrite = new Map<number, string>();
    for (const attachment of kept) {
      if ([...toWrite.values()].includes(attachment.sha256!)) continue;
      if (await writer.claim(attachment.sha256!, attachment.size)) toWrite.set(attachment.position, attachment.sha256!);
    }
    if (toWrite.size === 0) return;
    if (!mail.readAttachments) throw new Error('attachment content is not readable for this message');
    await mail.readAttachments(new Set(toWrite.keys()), async (position, content) => {
      await writer.write(toWrite.get(position)!, content);
    });
  });
  return attachments;
}

/** The stored message without its ticket and attachments: the text bounded, the display text (new text only) bounded. */
export function conversationRow(ctx: IntakeContext, kind: 'request' | 'reply', mail: ParsedMail): NewTicketConversation {
  const { text, truncated } = boundedText(mail.text);
  const { text: displayText } = boundedText(mail.newText ?? mail.text);
  return {
    messageId: mail.messageId,
    kind,
    fromAddress: mail.from!.address,
    fromName: mail.from!.name,
    toAddresses: mail.to.map((recipient) => recipient.address),
    ccAddresses: mail.cc.map((recipient) => recipient.address),
    receivedAt: ctx.clock.now(),
    text,
    displayText,
    truncated,
  };
}

/**
 * Records the message on the ticket with its attachments (stored by storeAttachments) and queues one `ticket-file`
 * Slack item per attachment, in the caller's transaction.
 */
export async function keepConversation(
  ctx: IntakeContext,
  tx: Tx,
  state: { queued: number },
  conversation: { ticketId: number; kind: 'request' | 'reply'; mail: ParsedMail; attachments: NewConversationAttachment[] },
): Promise<void> {
  const { ticketId, kind, mail, attachments } = conversation;
  await recordConversation(ctx, tx, state, { ticketId, ...conversationRow(ctx, kind, mail), attachments });
}

/**
 * Records a message with its attachments (their content stored already) and queues one `ticket-file` Slack item per
 * attachment, in the caller's transaction: keepConversation's, and a held mail's taken up (held-request.ts).
 */
export async function recordConversation(ctx: IntakeContext, tx: Tx, state: { queued: number }, message: NewConversationMessage): Promise<void> {
  const { clock } = ctx;
  const { ticketId } = message;
  const { attachmentIds } = await tx.conversations.record(message);
  // Every attachment gets its Slack item: kept ones are uploaded, the others listed by name and size.
  for (const attachmentId of attachmentIds) {
    await tx.outbox.enqueue(
      { idempotencyKey: `slack:ticket-file:${attachmentId}`, channel: 'slack', kind: 'ticket-file', payload: { ticketId, attachmentId }, ticketId },
      clock.now(),
    );
    state.queued += 1;
  }
}
