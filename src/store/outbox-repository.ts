// The outbox: outgoing e-mail and Slack messages committed in the same transaction as the ticket work,
// claimed, finished and listed here for src/jobs/outbox-dispatcher.ts. The idempotency key makes a second enqueue a no-op.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { OutboxEntry } from '../app/outbox-messages.ts';
import type { OutboxWriter as OutboxWriterPort } from '../app/ports.ts';
import { DeskbotError } from '../errors.ts';

export type OutboxChannel = 'email' | 'slack';

/** A row to queue: one of the messages of app/outbox-messages.ts, so a misspelt kind or payload does not compile. */
export type OutboxItemInput = OutboxEntry;

/** A row of any kind and payload: the dispatcher's own tests write these; use cases write OutboxItemInput. */
export interface OutboxRowInput {
  idempotencyKey: string;
  channel: OutboxChannel;
  kind: string;
  payload: Prisma.InputJsonValue;
  ticketId?: number | null;
  notBefore?: Date;
}

type OutboxWriter = Pick<Prisma.TransactionClient, 'outbox'>;

/** Adds a message to the outbox inside the caller's transaction; returns false when the key was already queued. */
export function enqueueOutbox(tx: OutboxWriter, item: OutboxItemInput, now: Date): Promise<boolean> {
  return enqueueOutboxRow(tx, { ...item, payload: item.payload as Prisma.InputJsonValue }, now);
}

/** The OutboxWriter port over one transaction, stamping rows with `now`. */
export function outboxIn(tx: OutboxWriter, now: Date): OutboxWriterPort {
  return { enqueue: (entry) => enqueueOutbox(tx, entry, now) };
}

/** enqueueOutbox without the message contract (see OutboxRowInput). */
export async function enqueueOutboxRow(tx: OutboxWriter, item: OutboxRowInput, now: Date): Promise<boolean> {
  const result = await tx.outbox.createMany({
    data: [
      {
        idempotencyKey: item.idempotencyKey,
        channel: item.channel,
        kind: item.kind,
        payload: item.payload,
        ticketId: item.ticketId ?? null,
        nextAttemptAt: item.notBefore ?? now,
      },
    ],
    skipDuplicates: true,
  });
  return result.count === 1;
}

/** Row states: waiting to go out, delivered, or given up on (see `retryDead`). */
export const outboxStatuses = ['pending', 'sent', 'dead'] as const;
export type OutboxStatus = (typeof outboxStatuses)[number];

/** A row claimed for delivery. `leaseUntil` is both the lease and the fencing token of the finishing update. */
export interface ClaimedOutboxItem {
  /** BIGINT as text (pino and JSON cannot carry bigint). */
  id: string;
  channel: string;
  kind: string;
  payload: unknown;
  ticketId: number | null;
  /** Attempts including this one. */
  attempts: number;
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
  status: string;
  attempts: number;
  nextAttemptAt: Date;
  lockedUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** Longest lastError kept; SMTP replies fit, stack traces do not need to. */
export const lastErrorMaxLength = 1_000;

/** Every finish clears the lease, so a row claimed while it still carries an (expired) lease was never finished. */
type ClaimedRow = { id: string; channel: string; kind: string; payload: unknown; ticketId: number | null; attempts: number; createdAt: Date | string; leaseExpired: boolean };

const iso = (instant: Date) => instant.toISOString();

function toListItem(row: Awaited<ReturnType<PrismaClient['outbox']['findFirstOrThrow']>>): OutboxListItem {
  return {
    id: row.id.toString(),
    channel: row.channel,
    kind: row.kind,
    ticketId: row.ticketId,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lockedUntil: row.lockedUntil,
    lastError: row.lastError,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
  };
}

export interface OutboxRepository {
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
}

export function createOutboxRepository(prisma: PrismaClient): OutboxRepository {
  const finish = async (item: ClaimedOutboxItem, assignments: Prisma.Sql): Promise<boolean> => {
    const count = await prisma.$executeRaw`
      UPDATE "Outbox" SET ${assignments}
      WHERE "id" = ${item.id}::bigint AND "status" = 'pending' AND "lockedUntil" = ${iso(item.leaseUntil)}::timestamptz`;
    return count === 1;
  };
  const truncate = (text: string) => (text.length > lastErrorMaxLength ? `${text.slice(0, lastErrorMaxLength - 1)}…` : text);

  // One locking sub-select per channel (each with its own LIMIT and SKIP LOCKED), their ids joined into one array.
  const claimDueMany = async ({ channels, now, leaseUntil }: ClaimDueManyOptions): Promise<ClaimedOutboxItem[]> => {
    const wanted = channels.filter((entry) => entry.limit > 0);
    if (wanted.length === 0) return [];
    const candidates = wanted.map(
      ({ channel, limit }) => Prisma.sql`ARRAY(
          SELECT c."id" FROM "Outbox" AS c
          WHERE c."status" = 'pending'
            AND c."channel" = ${channel}
            AND c."nextAttemptAt" <= ${iso(now)}::timestamptz
            AND (c."lockedUntil" IS NULL OR c."lockedUntil" <= ${iso(now)}::timestamptz)
            AND NOT EXISTS (
              SELECT 1 FROM "Outbox" AS e
              WHERE c."ticketId" IS NOT NULL
                AND e."ticketId" = c."ticketId"
                AND e."channel" = c."channel"
                AND e."status" = 'pending'
                AND e."id" < c."id"
                AND (e."attempts" > 0 OR e."nextAttemptAt" <= ${iso(now)}::timestamptz)
            )
          ORDER BY c."nextAttemptAt", c."id"
          LIMIT ${limit}::int
          FOR UPDATE SKIP LOCKED
        )`,
    );
    const rows = await prisma.$queryRaw<ClaimedRow[]>`
      UPDATE "Outbox" AS o
      SET "lockedUntil" = ${iso(leaseUntil)}::timestamptz, "attempts" = o."attempts" + 1
      FROM (SELECT p."id", p."lockedUntil" FROM "Outbox" AS p WHERE p."id" = ANY(${Prisma.join(candidates, ' || ')})) AS prev
      WHERE o."id" = prev."id"
      RETURNING o."id"::text AS "id", o."channel", o."kind", o."payload", o."ticketId", o."attempts", o."createdAt",
                (prev."lockedUntil" IS NOT NULL) AS "leaseExpired"`;
    return rows
      .map((row) => ({
        id: String(row.id),
        channel: row.channel,
        kind: row.kind,
        payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
        ticketId: row.ticketId === null ? null : Number(row.ticketId),
        attempts: Number(row.attempts),
        enqueuedAt: new Date(row.createdAt),
        redelivery: Boolean(row.leaseExpired),
        leaseUntil,
      }))
      .sort((left, right) => (BigInt(left.id) < BigInt(right.id) ? -1 : 1));
  };

  return {
    claimDue: ({ channel, limit, now, leaseUntil }) => claimDueMany({ channels: [{ channel, limit }], now, leaseUntil }),
    claimDueMany,
    markSent: (item, sentAt) =>
      finish(item, Prisma.sql`"status" = 'sent', "sentAt" = ${iso(sentAt)}::timestamptz, "lockedUntil" = NULL, "lastError" = NULL`),
    async markSentMany(items, sentAt) {
      if (items.length === 0) return new Set();
      const rows = await prisma.$queryRaw<Array<{ id: string }>>`
        UPDATE "Outbox" AS o SET "status" = 'sent', "sentAt" = ${iso(sentAt)}::timestamptz, "lockedUntil" = NULL, "lastError" = NULL
        FROM unnest(${items.map((item) => item.id)}::text[], ${items.map((item) => iso(item.leaseUntil))}::text[]) AS f("id", "lease")
        WHERE o."id" = f."id"::bigint AND o."status" = 'pending' AND o."lockedUntil" = f."lease"::timestamptz
        RETURNING o."id"::text AS "id"`;
      return new Set(rows.map((row) => String(row.id)));
    },
    reschedule: (item, nextAttemptAt, lastError) =>
      finish(item, Prisma.sql`"nextAttemptAt" = ${iso(nextAttemptAt)}::timestamptz, "lockedUntil" = NULL, "lastError" = ${truncate(lastError)}`),
    markDead: (item, lastError) => finish(item, Prisma.sql`"status" = 'dead', "lockedUntil" = NULL, "lastError" = ${truncate(lastError)}`),
    release: (item) => finish(item, Prisma.sql`"lockedUntil" = NULL, "attempts" = GREATEST("attempts" - 1, 0)`),

    async pendingSummary(now) {
      const groups = await prisma.outbox.groupBy({
        by: ['channel', 'kind'],
        where: { status: 'pending' },
        _count: { _all: true },
        _min: { createdAt: true },
        orderBy: [{ channel: 'asc' }, { kind: 'asc' }],
      });
      return groups.map((group) => {
        const oldestCreatedAt = group._min.createdAt ?? now;
        return {
          channel: group.channel,
          kind: group.kind,
          count: group._count._all,
          oldestCreatedAt,
          oldestAgeMs: Math.max(0, now.getTime() - oldestCreatedAt.getTime()),
        };
      });
    },

    async listPending(limit, options = {}) {
      const rows = await prisma.outbox.findMany({
        where: options.all ? {} : { status: { in: ['pending', 'dead'] } },
        orderBy: options.all ? [{ id: 'desc' }] : [{ status: 'desc' }, { nextAttemptAt: 'asc' }, { id: 'asc' }],
        take: limit,
      });
      return rows.map(toListItem);
    },

    async retryDead(id, now) {
      if (!/^\d+$/.test(id)) throw new DeskbotError('NOT_FOUND', `Outbox row ${id} does not exist`, { details: { outboxId: id } });
      const key = BigInt(id);
      const row = await prisma.outbox.findUnique({ where: { id: key } });
      if (!row) throw new DeskbotError('NOT_FOUND', `Outbox row ${id} does not exist`, { details: { outboxId: id } });
      if (row.status !== 'dead') {
        throw new DeskbotError('INVALID_STATE', `Outbox row ${id} is ${row.status}; only dead rows can be retried`, { details: { outboxId: id, status: row.status } });
      }
      const updated = await prisma.outbox.updateManyAndReturn({
        where: { id: key, status: 'dead' },
        data: { status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null },
      });
      const first = updated[0];
      if (!first) throw new DeskbotError('INVALID_STATE', `Outbox row ${id} changed while being retried`, { details: { outboxId: id } });
      return toListItem(first);
    },
  };
}
