// The IMAP resume point: the stored (mailbox, UIDVALIDITY, last UID) only ever moves over a contiguous run of
// committed UIDs, so a crash never skips a message still in hand. Pure bookkeeping; saving and IMAP stay outside.
import type { MailboxPosition } from '../../../store/mailbox-state-repository.ts';

/** The resume point of one connection (one UIDVALIDITY) and what it must not pass. */
export class ResumeFrontier {
  /** The in-memory position moved past what was last saved. */
  dirty = false;
  /** UIDs whose handler failed with a bug this session; skipped until the next reconnect or rescan. */
  readonly skipped = new Set<number>();
  /** UIDs committed above the resume point (a lower one is still in hand or skipped); not searched again. */
  readonly committedAhead = new Set<number>();

  constructor(public position: MailboxPosition) {}

  /** The first UID a search for new messages starts at. */
  get searchFrom(): bigint {
    return this.position.lastUid + 1n;
  }

  /** The UIDs of a search still to be handled, ascending (`n:*` also matches the highest UID below n: RFC 3501 6.4.8). */
  candidates(found: readonly number[]): number[] {
    const from = this.searchFrom;
    return found.filter((uid) => BigInt(uid) >= from && !this.skipped.has(uid) && !this.committedAhead.has(uid)).sort((a, b) => a - b);
  }

  /** Moves the resume point to `uid` when no skipped UID lies below it. */
  advance(uid: number): void {
    for (const skipped of this.skipped) if (skipped < uid) return;
    const next = BigInt(uid);
    if (next > this.position.lastUid) {
      this.position = { ...this.position, lastUid: next };
      this.dirty = true;
      for (const ahead of this.committedAhead) if (ahead <= uid) this.committedAhead.delete(ahead);
    }
  }

  /** `saving` (a position taken before an await) is stored; it stays dirty when a commit moved it on meanwhile. */
  saved(saving: MailboxPosition): void {
    if (this.position === saving) this.dirty = false;
  }

  /** Starts the frontier of one batch over `uids` (ascending). */
  batch(uids: readonly number[]): BatchFrontier {
    return new BatchFrontier(this, uids);
  }
}

/** Commits within one batch: the resume point moves over the prefix of the batch's UIDs that are all committed. */
export class BatchFrontier {
  /** Index of the first UID of `uids` not yet committed; everything before it is committed. */
  private next = 0;
  private readonly committed = new Set<number>();

  constructor(
    private readonly frontier: ResumeFrontier,
    private readonly uids: readonly number[],
  ) {}

  /** `uid` is committed (handled and marked, already processed, or gone from the mailbox). */
  commit(uid: number): void {
    this.committed.add(uid);
    let last: number | undefined;
    while (this.next < this.uids.length && this.committed.has(this.uids[this.next]!)) {
      last = this.uids[this.next]!;
      this.committed.delete(last);
      this.next += 1;
    }
    if (last !== undefined) this.frontier.advance(last);
    if (BigInt(uid) > this.frontier.position.lastUid) this.frontier.committedAhead.add(uid);
  }
}

/** Under a steady stream of commits the resume point is written at most every `intervalMs` (and when a run ends). */
export class SaveThrottle {
  private savedAt = 0;

  constructor(private readonly intervalMs: number) {}

  /** Milliseconds to wait before the next save at `now`; 0 or less means save now. */
  waitMs(now: number): number {
    return this.savedAt + this.intervalMs - now;
  }

  saving(now: number): void {
    this.savedAt = now;
  }
}
