// The stored-mail queue port (implemented by store/inbound-queue-repository.ts): the IMAP leader stores fetched mail,
// jobs/inbound-worker.ts on every process claims, handles and finishes it. Only the shapes live here.

/** One fetched message as the leader stores it. */
export interface StoredMailInput {
  mailbox: string;
  uidValidity: bigint;
  uid: bigint;
  messageId: string | null;
  /** The sender's address, lower case. */
  sender: string | null;
  /** Message-IDs of In-Reply-To and References. */
  answers: string[];
  size: number;
  /** `raw` holds only the header block (the message is over MAIL_MAX_BYTES). */
  oversized: boolean;
  raw: Buffer;
  /** INTERNALDATE. */
  receivedAt: Date | null;
}

/** A row a worker claimed. */
export interface ClaimedMail {
  id: bigint;
  mailbox: string;
  uidValidity: bigint;
  uid: bigint;
  messageId: string | null;
  size: number;
  oversized: boolean;
  /** Null when the message is larger than the claim's inline limit: load it with rawOf when its turn comes. */
  raw: Buffer | null;
  receivedAt: Date | null;
  failures: number;
}

export interface InboundQueueRepository {
  /** Stores messages (a row already stored for the same mailbox, UIDVALIDITY and UID is kept); returns how many were new. */
  store(mails: readonly StoredMailInput[]): Promise<number>;
  /**
   * Claims up to `limit` rows for `leaseMs`, oldest first. A row is claimable when no earlier row is from the same
   * sender or is the message it answers: a follow-up waits until its request is handled, whichever process holds it.
   * `finished`: rows handled since the last claim (outcomes committed), deleted by the same statement.
   */
  claim(limit: number, leaseMs: number, worker: string, inlineBytes?: number, finished?: readonly bigint[]): Promise<ClaimedMail[]>;
  /** The stored bytes of a row (a claim leaves out those larger than its inline limit); null when it is gone. */
  rawOf(id: bigint): Promise<Buffer | null>;
  /** Extends the lease of rows still in hand. */
  renew(ids: readonly bigint[], leaseMs: number, worker: string): Promise<void>;
  /** Deletes handled rows (their outcome is committed in InboundMessage). */
  finish(ids: readonly bigint[]): Promise<void>;
  /** Hands a row back, claimable again after `delayMs`; `failed` counts a non-retryable failure. Returns the failures so far. */
  release(id: bigint, delayMs: number, failed: boolean, error: string): Promise<number>;
  /**
   * Gives a row up for good: the raw message goes to quarantine (`deskbot quarantine retry`), the outcome
   * `quarantined` is recorded (shown by `deskbot inbound list`) unless the Message-ID already has one, and the row
   * is deleted, all in one transaction.
   */
  quarantine(mail: ClaimedMail, reason: string, at: Date): Promise<void>;
  /** Makes every claimed row claimable now (embedded back end at start: no other process can hold one). */
  releaseAllClaims(): Promise<number>;
  /** Rows waiting or in hand. */
  depth(): Promise<number>;
}
