// The outbox: outgoing e-mail and Slack messages committed in the same transaction as the ticket work,
// claimed, finished and listed here for src/jobs/outbox-dispatcher.ts. The idempotency key makes a second enqueue a no-op.
import { Prisma, type PrismaClient } from '../generated/prisma/client.ts';
import type { OutboxEntry } from '../app/outbox-messages.ts';
import type { OutboxWriter as OutboxWriterPort } from '../app/ports.ts';
import type {
  ClaimDueManyOptions,
  ClaimDueOptions,
  ClaimedOutboxItem,
  OutboxChannel,
  OutboxDelivery,
  OutboxListItem,
  OutboxPendingSummary,
} from '../app/outbox-delivery.ts';

export type { ClaimDueManyOptions, ClaimDueOptions, ClaimedOutboxItem, OutboxChannel, OutboxListItem, OutboxPendingSummary };
/** The OutboxDelivery port (app/outbox-delivery.ts), implemented here. */
export type OutboxRepository = OutboxDelivery;
import { DeskbotError } from '../errors.ts';
import { rawExecuteSql, rawSqlRows } from './direct-raw.ts';
import { requestIdsOf } from './ticket-repository.ts';

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

/** Longest lastError kept; SMTP replies fit, stack traces do not need to. */
export const lastErrorMaxLength = 1_000;

/** Every finish clears the lease, so a row claimed while it still carries an (expired) lease was never finished. */
type ClaimedRow = {
  id: string;
  channel: string;
  kind: string;
  payload: unknown;
  ticketId: number | null;
  attempts: number;
  createdAt: Date | string;
  leaseExpired: boolean;
};

const iso = (instant: Date) => instant.toISOString();

function toListItem(row: Awaited<ReturnType<PrismaClient['outbox']['findFirstOrThrow']>>, requestIds: Map<number, string>): OutboxListItem {
  return {
    id: row.id.toString(),
    channel: row.channel,
    kind: row.kind,
    ticketId: row.ticketId,
    requestId: row.ticketId === null ? null : (requestIds.get(row.ticketId) ?? null),
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.nextAttemptAt,
    lockedUntil: row.lockedUntil,
    lastError: row.lastError,
    createdAt: row.createdAt,
    sentAt: row.sentAt,
  };
}

export function createOutboxRepository(prisma: PrismaClient): OutboxRepository {
  const finish = async (item: ClaimedOutboxItem, assignments: Prisma.Sql): Promise<boolean> => {
    const count = await rawExecuteSql(
      prisma,
      Prisma.sql`
      UPDATE "Outbox" SET ${assignments}
      WHERE "id" = ${item.id}::bigint AND "status" = 'pending' AND "lockedUntil" = ${iso(item.leaseUntil)}::timestamptz`,
    );
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
    const rows = await rawSqlRows<ClaimedRow>(
      prisma,
      Prisma.sql`
      UPDATE "Outbox" AS o
      SET "lockedUntil" = ${iso(leaseUntil)}::timestamptz, "attempts" = o."attempts" + 1
      FROM (SELECT p."id", p."lockedUntil" FROM "Outbox" AS p WHERE p."id" = ANY(${Prisma.join(candidates, ' || ')})) AS prev
      WHERE o."id" = prev."id"
      RETURNING o."id"::text AS "id", o."channel", o."kind", o."payload", o."ticketId", o."attempts", o."createdAt",
                (prev."lockedUntil" IS NOT NULL) AS "leaseExpired"`,
    );
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
    markSent: (item, sentAt) => finish(item, Prisma.sql`"status" = 'sent', "sentAt" = ${iso(sentAt)}::timestamptz, "lockedUntil" = NULL, "lastError" = NULL`),
    async markSentMany(items, sentAt) {
      if (items.length === 0) return new Set();
      const rows = await rawSqlRows<{ id: string }>(
        prisma,
        Prisma.sql`
        UPDATE "Outbox" AS o SET "status" = 'sent', "sentAt" = ${iso(sentAt)}::timestamptz, "lockedUntil" = NULL, "lastError" = NULL
        FROM unnest(${items.map((item) => item.id)}::text[], ${items.map((item) => iso(item.leaseUntil))}::text[]) AS f("id", "lease")
        WHERE o."id" = f."id"::bigint AND o."status" = 'pending' AND o."lockedUntil" = f."lease"::timestamptz
        RETURNING o."id"::text AS "id"`,
      );
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
      const requestIds = await requestIdsOf(
        prisma,
        rows.map((row) => row.ticketId),
      );
      return rows.map((row) => toListItem(row, requestIds));
    },

    async expireLeases(now) {
      const { count } = await prisma.outbox.updateMany({ where: { status: 'pending', lockedUntil: { gt: now } }, data: { lockedUntil: now } });
      return count;
    },

    async makeWaitingDue(now, channels) {
      const { count } = await prisma.outbox.updateMany({
        where: {
          status: 'pending',
          attempts: { gt: 0 },
          nextAttemptAt: { gt: now },
          OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }],
          ...(channels ? { channel: { in: [...channels] } } : {}),
        },
        data: { nextAttemptAt: now },
      });
      return count;
    },

    async retryDead(id, now) {
      if (!/^\d+$/.test(id)) throw new DeskbotError('NOT_FOUND', `Outbox row ${id} does not exist`, { details: { outboxId: id } });
      const key = BigInt(id);
      const row = await prisma.outbox.findUnique({ where: { id: key } });
      if (!row) throw new DeskbotError('NOT_FOUND', `Outbox row ${id} does not exist`, { details: { outboxId: id } });
      if (row.status !== 'dead') {
        throw new DeskbotError('INVALID_STATE', `Outbox row ${id} is ${row.status}; only dead rows can be retried`, {
          details: { outboxId: id, status: row.status },
        });
      }
      const updated = await prisma.outbox.updateManyAndReturn({
        where: { id: key, status: 'dead' },
        data: { status: 'pending', attempts: 0, nextAttemptAt: now, lockedUntil: null },
      });
      const first = updated[0];
      if (!first) throw new DeskbotError('INVALID_STATE', `Outbox row ${id} changed while being retried`, { details: { outboxId: id } });
      return toListItem(first, await requestIdsOf(prisma, [first.ticketId]));
    },
  };
}
