// What intake knows of one inbound message once parsed, and the MailParser port that produces it (implemented by
// channels/email/parse-message.ts over mailparser). Parsing rules live there; deciding what the mail is lives in intake/.
import type { MailHeaders } from '../domain/mail/headers.ts';

export interface MailAddress {
  /** Bare address, normalised as eligibility compares it (lower-cased, IDNA domain). */
  address: string;
  /** Display name as written; never used to identify anyone. */
  name: string | null;
}

/** What parsing keeps of an attachment: never its content (see AttachmentContentReader). */
export interface AttachmentSummary {
  filename: string | null;
  contentType: string;
  size: number;
  /** SHA-256 (hex) of the decoded content. */
  sha256: string;
}

/**
 * Reads the message again and hands the content of the wanted attachments (by index in `attachments`) to `visit`, one
 * at a time, as a stream of decoded slices: an attachment is never whole in memory. `visit` must consume the stream.
 */
export type AttachmentContentReader = (wanted: ReadonlySet<number>, visit: (index: number, content: AsyncIterable<Buffer>) => Promise<void>) => Promise<void>;

/** A delivery-status notification (RFC 3464) or another bounce that quotes the returned message's headers. */
export interface DeliveryReport {
  /** Message-IDs of the returned message, found in its returned headers or the DSN. */
  originalMessageIds: string[];
  /** Final-Recipient addresses (bare). */
  recipients: string[];
  /** The DSN's Action (failed, delayed, delivered, relayed, expanded); `failed` when the report does not say. */
  action: string;
  /** The DSN's Status code, e.g. 5.1.1. */
  status: string | null;
}

/** Why a message cannot be handled as mail from someone; such a message is quarantined unless it is a bounce. */
export const unusableReasons = ['unparseable', 'no-sender', 'sender-ambiguous', 'sender-invalid', 'no-content'] as const;
export type UnusableReason = (typeof unusableReasons)[number];

export interface ParsedMail {
  /** `<id@host>` from the Message-ID header, or a synthetic one derived from the raw bytes (see syntheticMessageId). */
  messageId: string;
  messageIdSynthetic: boolean;
  headers: MailHeaders;
  from: MailAddress | null;
  replyTo: MailAddress[];
  /** To and Cc as written (each address normalised, groups flattened): whom the sender addressed, for the conversation. */
  to: MailAddress[];
  cc: MailAddress[];
  subject: string;
  /** In-Reply-To Message-IDs. */
  inReplyTo: string[];
  references: string[];
  /** Plain text of the message; HTML-only mail converted to text. */
  text: string;
  /** The new text for display: quoted history and signature stripped (channels/email/reply-text.ts). */
  newText?: string;
  attachments: AttachmentSummary[];
  /** Streams attachment content from the raw message (only for messages parsed whole). */
  readAttachments?: AttachmentContentReader;
  /** Set for multipart/report; report-type=delivery-status, a message/delivery-status part, or a mailer-daemon bounce. */
  deliveryReport: DeliveryReport | null;
  rawSize: number;
  /** Repairs made to get here, for the log: boundary-guessed, body-as-text, html-converted, html-too-long. */
  repairs: string[];
  /** Set when nothing usable remains (see unusableReasons). */
  unusable: UnusableReason | null;
}

/** Parses raw RFC 822 mail into ParsedMail; never throws for a damaged message (it comes back `unusable`). */
export interface MailParser {
  parse(raw: Buffer): Promise<ParsedMail>;
  /** A message known by its header block alone (over the size cap): text and attachments empty. */
  parseHeaders(headerBlock: Buffer): Promise<ParsedMail>;
  /** The stable Message-ID of a message that has none (SHA-256 of its bytes). */
  syntheticMessageId(raw: Buffer): string;
}
