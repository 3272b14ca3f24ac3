// Customer text and attachments as the ticket's thread shows them: a later mail's new text cut to ~3,000 characters
// with a pointer to `/support show`, an attachment that is not uploaded listed by name and size. Escaping is the
// caller's (event-message.ts quotes the excerpt) or done here for file names.
import { excerpt, formatSize, threadExcerptChars } from '../../../domain/conversation.ts';
import { escapeLine } from '../escape.ts';

/** Event detail fields for a mail-received thread post: the excerpt, and where to read the rest when it was cut. */
export function mailExcerpt(displayText: string, requestId: string, command = '/support'): { excerpt?: string; more?: string } {
  if (displayText.trim() === '') return {};
  const cut = excerpt(displayText, threadExcerptChars);
  return cut.cut ? { excerpt: cut.text, more: `${command} show ${requestId}` } : { excerpt: cut.text };
}

/** The thread line of an attachment that is not uploaded: kept but over SLACK_FILE_MAX_BYTES, or not kept at all. */
export function attachmentLine(
  attachment: { filename: string | null; size: number; sha256: string | null; id: number },
  options: { requestId: string; fileMaxBytes: number; command?: string },
): string {
  const name = escapeLine(attachment.filename ?? `attachment-${attachment.id}`, 200);
  const size = formatSize(attachment.size);
  if (attachment.sha256 === null) {
    return `:paperclip: ${name} (${size}) was not kept: the mail's attachments exceed ATTACHMENT_MAX_BYTES. Ask the customer for it another way.`;
  }
  const show = `\`${options.command ?? '/support'} show ${options.requestId}\``;
  const limit = formatSize(options.fileMaxBytes);
  return `:paperclip: ${name} (${size}) is larger than ${limit}, so it is not uploaded to Slack; it is kept with the ticket (${show}).`;
}
