// The conversation of a ticket as use cases and channels see it: each inbound message with sender, time, full and
// display text and its attachments (content in deduplicated blobs), and the port that stores and reads them.
// The rows and the SQL are the store's (store/conversation-repository.ts).

/** Why an attachment's content was not kept. */
export const notKeptReasons = ['over-message-limit'] as const;
export type NotKeptReason = (typeof notKeptReasons)[number];

export interface NewConversationAttachment {
  position: number;
  filename: string | null;
  contentType: string;
  size: number;
  /** Set when the content is kept (the blob is stored before the message is recorded). */
  sha256: string | null;
  notKept: NotKeptReason | null;
}

export interface NewConversationMessage {
  ticketId: number;
  messageId: string;
  kind: 'request' | 'reply';
  fromAddress: string;
  fromName: string | null;
  /** The mail's To and Cc addresses (bare); empty for a request taken by phone. */
  toAddresses: string[];
  ccAddresses: string[];
  receivedAt: Date;
  text: string;
  displayText: string;
  truncated: boolean;
  attachments: NewConversationAttachment[];
}

/** A new ticket's first conversation message, written with the ticket: no ticket id yet, no attachments. */
export type NewTicketConversation = Omit<NewConversationMessage, 'ticketId' | 'attachments'>;

/** One attachment as shown and uploaded. */
export interface ConversationAttachment {
  id: number;
  filename: string | null;
  contentType: string;
  size: number;
  sha256: string | null;
  notKept: string | null;
}

/** One message of a ticket's conversation (what `deskbot tickets show` and `/support show` print). */
export interface ConversationEntry {
  id: number;
  messageId: string;
  kind: string;
  fromAddress: string;
  fromName: string | null;
  /** Whom the mail was addressed to and copied to (bare addresses). */
  toAddresses: string[];
  ccAddresses: string[];
  receivedAt: Date;
  /** The whole text, cut at 256 KB with a marker (`truncated`). */
  text: string;
  /** The new text: quoted history and signature stripped. */
  displayText: string;
  truncated: boolean;
  attachments: ConversationAttachment[];
}

/** An attachment with the ticket and message it came with, for the Slack upload. */
export type AttachmentForUpload = ConversationAttachment & { message: { ticketId: number; messageId: string } };

/** Writes blobs: claim a hash, then stream the content of each claimed one into chunk rows. */
export interface BlobWriter {
  /** True when this writer created the blob's row and must write its chunks; false when it is stored already. */
  claim(sha256: string, size: number): Promise<boolean>;
  /** Writes a claimed blob's content as it streams in; returns its size. Throws when it does not hash to `sha256`. */
  write(sha256: string, content: AsyncIterable<Buffer>): Promise<number>;
}

/** The stored conversation: messages, attachments and their content. */
export interface ConversationRepository {
  /** Records one message and its attachments; the attachment row ids in `position` order. */
  record(message: NewConversationMessage): Promise<{ id: number; attachmentIds: number[] }>;
  /** A ticket's conversation, oldest first; `last` keeps only the latest n messages. */
  conversationOf(ticketId: number, options?: { last?: number }): Promise<ConversationEntry[]>;
  /** The customer's latest message on a request, or null. */
  latestOf(requestId: string): Promise<ConversationEntry | null>;
  /** The stored message of a Message-ID, if it landed on a ticket. */
  messageOf(messageId: string): Promise<ConversationEntry | null>;
  attachmentForUpload(attachmentId: number): Promise<AttachmentForUpload | null>;
  /** A blob's content, one chunk at a time; empty when unknown. */
  readBlob(sha256: string): AsyncIterable<Buffer>;
  /**
   * Runs `work` with a blob writer in a transaction of its own, committed before the intake transaction that
   * references the blobs (never inside one).
   */
  withBlobWriter<T>(work: (writer: BlobWriter) => Promise<T>): Promise<T>;
  /** Deletes blobs no attachment references, created before `before`; how many. */
  deleteUnreferencedBlobs(before: Date): Promise<number>;
}
