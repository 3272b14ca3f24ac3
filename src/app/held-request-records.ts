// A request held while its sender is asked for a licence number (intake/licence-needed.ts), as the intake stores and
// takes it up (intake/held-request.ts), and the port that does it. The rows and the SQL are the store's
// (store/held-request-repository.ts).
import type { HeldRequestDetails } from '../domain/held-request.ts';
import type { NewConversationAttachment } from './conversation-records.ts';

/** What a held mail said: its words as the conversation keeps them, and the request details found in it. */
export interface HeldRequest extends HeldRequestDetails {
  /** The held mail's Message-ID. */
  messageId: string;
  /** The licence-needed notice's Message-ID; null when no notice went. */
  noticeMessageId: string | null;
  fromName: string | null;
  /** The held mail's To and Cc addresses (bare), for its conversation entry. */
  toAddresses: string[];
  ccAddresses: string[];
  subject: string;
  /** The whole text, bounded as ConversationMessage.text (domain/conversation.ts boundedText). */
  text: string;
  /** The new text only, bounded. */
  displayText: string;
  truncated: boolean;
  /** The defect as understood (summarizeDefect). */
  summary: string;
  receivedAt: Date;
  /**
   * Its attachments in `position` order, as the conversation records them: the content of those kept is stored (a
   * blob) when the mail is held (intake/conversation.ts storeAttachments), the others are named with their size.
   */
  attachments: NewConversationAttachment[];
}

export interface NewHeldRequest extends HeldRequest {
  /** The sender's normalised address (normalizeAddress): only this sender takes the request up. */
  fromAddress: string;
}

/** Held requests (Repositories.heldRequests). */
export interface HeldRequestRepository {
  /** Keeps a held request and its attachments; a Message-ID held already keeps its first row and attachments. */
  hold(request: NewHeldRequest): Promise<void>;
  /** Deletes the held requests received before `cutoff` (too old to be taken up: their text is kept no longer). */
  forgetBefore(cutoff: Date): Promise<number>;
  /**
   * Takes up the newest unused request held for `sender` since `since` whose own or notice Message-ID is one of
   * `messageIds`, marking it used (at, by) in the same statement: a concurrent second claim gets null.
   */
  claim(query: { sender: string; messageIds: readonly string[]; since: Date; at: Date; by: string }): Promise<HeldRequest | null>;
  /**
   * Marks the request held for `messageId` used by that mail itself: a retry handled it on its own (its sender now
   * names one customer), so no later answer may take it up and open it a second time.
   */
  retire(messageId: string, at: Date): Promise<void>;
}
