// The outbox from the delivering side: rows claimed under a lease, finished (sent, rescheduled, dead, released) only
// while the lease holds, and listed for operators. Writing rows is OutboxQueue (ports.ts) with outbox-messages.ts.
import type { OutboxItem } from './ports.ts';

export type OutboxChannel = 'email' | 'slack';

/** A row claimed for delivery. `leaseUntil` is both the lease and the fencing token of the finishing update. */
export interface ClaimedOutboxItem extends OutboxItem {
  /** When the row was written (with the work that caused it, e.g. the intake commit). */
  enqueuedAt: Date;
  /**
   * An earlier attempt's lease ran out with no outcome recorded (its process died mid-delivery): the receiver may
   * already have this item, so delivering it again may duplicate it.
   */
  redelivery: boolean;
  leaseUntil: Date;
}

export interface ClaimDueOptions {
  channel: string;
  limit: number;
  now: Date;
  leaseUntil: Date;
}

/** claimDue for several channels at once, each with its own limit. */
export interface ClaimDueManyOptions {
  channels: ReadonlyArray<{ channel: string; limit: number }>;
  now: Date;
  leaseUntil: Date;
}

export interface OutboxPendingSummary {
  channel: string;
  kind: string;
  count: number;
  oldestCreatedAt: Date;
  /** now - oldestCreatedAt. */
  oldestAgeMs: number;
}

export interface OutboxListItem {
  id: string;
  channel: string;
  kind: string;
  ticketId: number | null;
  /** The ticket's service-request ID (SR-…), or null without a ticket. */
  requestId: string | null;
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** The outbox as the dispatcher and `deskbot outbox` work it; src/store/outbox-repository.ts implements it. */
export interface OutboxDelivery {
  /**
   * Claims up to `limit` due rows of one channel: pending, `nextAttemptAt <= now`, no live lease. Sets the lease and
   * counts the attempt in one statement whose subquery takes `FOR UPDATE SKIP LOCKED`, so concurrent dispatchers on
   * PostgreSQL never claim the same row. Per ticket and channel, rows go out in enqueue order: a row waits while an
   * older row of its ticket is due, leased or being retried; an older row scheduled for later (notBefore) does not
   * hold it back.
   */
  claimDue(options: ClaimDueOptions): Promise<ClaimedOutboxItem[]>;
  /** claimDue for several channels in one statement (one round trip per dispatcher pass); rows in id order. */
  claimDueMany(options: ClaimDueManyOptions): Promise<ClaimedOutboxItem[]>;
  /** The finishing updates apply only while the row still carries this claim's lease; false means the lease was lost. */
  markSent(item: ClaimedOutboxItem, sentAt: Date): Promise<boolean>;
  /** markSent for several rows in one statement; returns the ids marked (a missing id lost its lease). */
  markSentMany(items: readonly ClaimedOutboxItem[], sentAt: Date): Promise<Set<string>>;
  reschedule(item: ClaimedOutboxItem, nextAttemptAt: Date, lastError: string): Promise<boolean>;
  markDead(item: ClaimedOutboxItem, lastError: string): Promise<boolean>;
  /** Hands back a claimed row that was never tried: lease cleared, attempt uncounted. */
  release(item: ClaimedOutboxItem): Promise<boolean>;
  /** Pending rows per channel and kind: how many, and since when the oldest waits. */
  pendingSummary(now: Date): Promise<OutboxPendingSummary[]>;
  /** Undelivered rows (pending and dead), oldest first; `all` adds sent rows (newest first). */
  listPending(limit: number, options?: { all?: boolean }): Promise<OutboxListItem[]>;
  /** Puts a dead row back to pending with a fresh attempt budget. NOT_FOUND / INVALID_STATE otherwise. */
  retryDead(id: string, now: Date): Promise<OutboxListItem>;
  /**
   * Makes pending rows that wait out a failure's back-off (tried before, next attempt later, no live lease) due at
   * `now`, of the given channels or all; rows never tried keep their time. Returns how many.
   */
  makeWaitingDue(now: Date, channels?: readonly string[]): Promise<number>;
  /**
   * Ends every live lease at `now` (claimable at once, still known as tried, so a handler checks what its delivery
   * already did). Only for a single process that knows the holders are gone: the embedded database after a crash.
   */
  expireLeases(now: Date): Promise<number>;
}
