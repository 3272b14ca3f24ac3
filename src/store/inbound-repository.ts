// What intake records about mail: every inbound message and how it ended, quarantined mail kept for a retry,
// the Message-IDs that thread replies to tickets, and the log of automatic mail per address (throttling).
// Ticket rows live in ticket-repository.ts; deciding what a message is lives in app/handle-inbound-email.ts.
import { DeskbotError } from '../errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { advisoryKey, type PrismaClient } from './database.ts';
import type { InboundEntry } from '../app/read-models.ts';
import { requestIdsOf } from './ticket-repository.ts';
import type {
  AutoMailRecord,
  InboundRecord,
  InboundSourceKind,
  MessageDirection,
  QuarantinedRow,
  QuarantineEntry,
  QuarantineInput,
  StoredInbound,
} from '../app/records.ts';

export type { AutoMailRecord, InboundRecord, InboundSourceKind, MessageDirection, QuarantineEntry, QuarantineInput };

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

/**
 * Records how a message ended. Inside the handler's transaction a concurrent second delivery of the same Message-ID
 * blocks on the unique index and then fails with a unique violation (see store/errors.ts isUniqueViolation), rolling its work back.
 */
export async function recordInbound(db: Db, record: InboundRecord): Promise<number> {
  const row = await db.inboundMessage.create({ data: record, select: { id: true } });
  return row.id;
}

/** Rewrites the record of a quarantined message when `deskbot quarantine retry` processes it again. */
export async function replaceQuarantinedInbound(db: Db, record: InboundRecord): Promise<number> {
  const existing = await db.inboundMessage.findUnique({ where: { messageId: record.messageId }, select: { id: true, outcome: true } });
  if (!existing) return recordInbound(db, record);
  await db.inboundMessage.update({ where: { id: existing.id }, data: { ...record, source: 'quarantine' } });
  return existing.id;
}

/** InboundRepository.lockForRetry: the held request's row first, then the record (a take-up's order), both FOR UPDATE. */
export async function lockInboundForRetry(tx: Tx, messageId: string): Promise<string | null> {
  await tx.$executeRawUnsafe('SELECT 1 FROM "HeldRequest" WHERE "messageId" = $1 FOR UPDATE', messageId);
  const rows = await tx.$queryRawUnsafe<Array<{ outcome: string }>>('SELECT "outcome" FROM "InboundMessage" WHERE "messageId" = $1 FOR UPDATE', messageId);
  return rows[0]?.outcome ?? null;
}

/**
 * Ends a rejected record in `ending`, in one statement: the first rejection kept in previousOutcome / previousReason
 * (its notice stays in the outbox), retriedAt set when given, and the raw copy dropped once the message is no longer
 * rejected. `onlyRejected`: only a record still rejected changes. Returns the number of records changed.
 */
async function endRejection(
  db: Db,
  messageId: string,
  ending: { outcome: string; reason: string | null; ticketId: number | null; retriedAt: Date | null },
  onlyRejected: boolean,
): Promise<number> {
  return db.$executeRawUnsafe(
    `UPDATE "InboundMessage"
        SET "outcome" = $2::text, "reason" = $3::text, "ticketId" = $4::int, "retriedAt" = COALESCE($5::timestamptz, "retriedAt"),
            "raw" = CASE WHEN $2::text = 'rejected' THEN "raw" END,
            "previousOutcome" = COALESCE("previousOutcome", "outcome"),
            "previousReason" = CASE WHEN "previousOutcome" IS NULL THEN "reason" ELSE "previousReason" END
      WHERE "messageId" = $1${onlyRejected ? ` AND "outcome" = 'rejected'` : ''}`,
    messageId,
    ending.outcome,
    ending.reason,
    ending.ticketId,
    ending.retriedAt?.toISOString() ?? null,
  );
}

/** Rewrites the record of a rejected message that `deskbot inbound retry` ran again: its new ending (endRejection). */
export async function replaceRejectedInbound(db: Db, record: InboundRecord): Promise<void> {
  const changed = await endRejection(
    db,
    record.messageId,
    { outcome: record.outcome, reason: record.reason, ticketId: record.ticketId, retriedAt: record.receivedAt },
    false,
  );
  if (changed === 0) throw new DeskbotError('NOT_FOUND', `No inbound message ${record.messageId}`, { details: { messageId: record.messageId } });
}

/**
 * A held mail's rejected record once a request took it up (app/intake/held-request.ts): outcome ticket on its ticket,
 * the first rejection kept as for a retry (but no retriedAt: nobody retried it), and the raw copy dropped, so
 * `deskbot inbound retry` refuses it. False when there is no rejected record.
 */
export async function markInboundTakenUp(db: Db, messageId: string, ending: { ticketId: number; reason: string }): Promise<boolean> {
  return (await endRejection(db, messageId, { outcome: 'ticket', reason: ending.reason, ticketId: ending.ticketId, retriedAt: null }, true)) === 1;
}

/** Keeps the whole of a rejected message (through SQL as base64: the PGlite adapter cannot bind Bytes parameters). */
export async function keepRejectedRaw(tx: Tx, messageId: string, raw: Buffer): Promise<void> {
  await tx.$executeRawUnsafe(`UPDATE "InboundMessage" SET "raw" = decode($1, 'base64') WHERE "messageId" = $2`, raw.toString('base64'), messageId);
}

/** The kept raw bytes of an inbound message, or null. */
export async function inboundRaw(db: Db, messageId: string): Promise<Buffer | null> {
  const rows = await db.$queryRawUnsafe<Array<{ raw: string | null }>>(
    `SELECT encode("raw", 'base64') AS "raw" FROM "InboundMessage" WHERE "messageId" = $1`,
    messageId,
  );
  const encoded = rows[0]?.raw;
  return encoded === null || encoded === undefined ? null : Buffer.from(encoded, 'base64');
}

/** Inbound messages, newest first, optionally of one outcome and since an instant; at most `limit`. */
export async function listInbound(db: Db, filter: { outcome?: string | undefined; since?: Date | undefined; limit?: number }): Promise<InboundEntry[]> {
  const rows = await db.inboundMessage.findMany({
    where: { ...(filter.outcome ? { outcome: filter.outcome } : {}), ...(filter.since ? { receivedAt: { gte: filter.since } } : {}) },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: filter.limit ?? 500,
    select: {
      id: true,
      messageId: true,
      receivedAt: true,
      source: true,
      fromAddress: true,
      subject: true,
      outcome: true,
      reason: true,
      ticketId: true,
      retriedAt: true,
      previousOutcome: true,
    },
  });
  if (rows.length === 0) return [];
  const kept = await db.$queryRawUnsafe<Array<{ id: number }>>(
    `SELECT "id" FROM "InboundMessage" WHERE "raw" IS NOT NULL AND "id" = ANY($1::int[])`,
    rows.map((row) => row.id),
  );
  const withRaw = new Set(kept.map((row) => Number(row.id)));
  const requestIds = await requestIdsOf(
    db,
    rows.map((row) => row.ticketId),
  );
  return rows.map(({ id, ...row }) => ({
    ...row,
    requestId: row.ticketId === null ? null : (requestIds.get(row.ticketId) ?? null),
    retryable: withRaw.has(id),
  }));
}

/** Replaces the recorded reason of a handled message (an ending that learns more after its first write). */
export async function setInboundReason(tx: Tx, messageId: string, reason: string): Promise<void> {
  await tx.inboundMessage.update({ where: { messageId }, data: { reason } });
}

export async function findInbound(db: Db, messageId: string): Promise<StoredInbound | null> {
  return db.inboundMessage.findUnique({ where: { messageId } });
}

/**
 * Keeps a message that could not be handled; `deskbot quarantine retry <id>` processes it again. The raw bytes go
 * in through SQL (base64): the PGlite driver adapter cannot bind Prisma's Bytes parameters.
 */
export async function quarantineMessage(db: Db, input: QuarantineInput): Promise<number> {
  const { raw, ...rest } = input;
  const row = await db.quarantinedMessage.create({ data: rest, select: { id: true } });
  if (raw) await db.$executeRawUnsafe(`UPDATE "QuarantinedMessage" SET "raw" = decode($1, 'base64') WHERE "id" = $2`, raw.toString('base64'), row.id);
  return row.id;
}

/** The raw bytes of a quarantined message kept in the database, or null. */
export async function quarantinedRaw(db: Db, id: number): Promise<Buffer | null> {
  const rows = await db.$queryRawUnsafe<Array<{ raw: string | null }>>(`SELECT encode("raw", 'base64') AS "raw" FROM "QuarantinedMessage" WHERE "id" = $1`, id);
  const encoded = rows[0]?.raw;
  return encoded === null || encoded === undefined ? null : Buffer.from(encoded, 'base64');
}

/** A retried message that failed again: the same quarantine row, held again with the new reason. */
export async function requarantine(db: Db, id: number, reason: string, at: Date): Promise<void> {
  await db.quarantinedMessage.update({ where: { id }, data: { reason, status: 'held', retriedAt: at } });
}

export async function markQuarantineRetried(db: Db, id: number, at: Date): Promise<void> {
  await db.quarantinedMessage.update({ where: { id }, data: { status: 'retried', retriedAt: at } });
}

const quarantineColumns = { id: true, receivedAt: true, reason: true, rawSize: true, messageId: true, status: true, rawPath: true, retriedAt: true } as const;

/** Quarantined messages, oldest first; only those still held unless `all`. */
export async function listQuarantined(db: Db, options: { all?: boolean } = {}): Promise<QuarantineEntry[]> {
  const rows = await db.quarantinedMessage.findMany({ where: options.all ? {} : { status: 'held' }, orderBy: { id: 'asc' }, select: quarantineColumns });
  const kept = await db.$queryRawUnsafe<Array<{ id: number }>>(`SELECT "id" FROM "QuarantinedMessage" WHERE "raw" IS NOT NULL`);
  const withRaw = new Set(kept.map((row) => Number(row.id)));
  return rows.map(({ rawPath, retriedAt: _retriedAt, ...row }) => ({ ...row, retryable: withRaw.has(row.id) || rawPath !== null }));
}

/** One quarantine row without its raw bytes (see quarantinedRaw). */
export async function findQuarantined(db: Db, id: number): Promise<QuarantinedRow | null> {
  return db.quarantinedMessage.findUnique({ where: { id }, select: quarantineColumns });
}

/** Remembers Message-IDs of a ticket's mail for threading; an ID already known keeps its first ticket. */
export async function recordMessageRefs(db: Db, ticketId: number, messageIds: readonly string[], direction: MessageDirection, at: Date): Promise<void> {
  if (messageIds.length === 0) return;
  await db.messageRef.createMany({ data: messageIds.map((messageId) => ({ messageId, ticketId, direction, at })), skipDuplicates: true });
}

/** The ticket each known Message-ID belongs to. */
export async function ticketsByMessageId(db: Db, messageIds: readonly string[]): Promise<Map<string, { ticketId: number; direction: MessageDirection }>> {
  if (messageIds.length === 0) return new Map();
  const rows = await db.messageRef.findMany({ where: { messageId: { in: [...messageIds] } } });
  return new Map(rows.map((row) => [row.messageId, { ticketId: row.ticketId, direction: row.direction as MessageDirection }]));
}

/**
 * Serialises automatic mail to one address until the transaction ends (a transaction-level advisory lock), so two
 * concurrent messages cannot both pass the throttle.
 */
export async function lockAutoMailAddress(tx: Tx, address: string): Promise<void> {
  await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::bigint)', autoMailLockKey(address).toString());
}

/** The advisory-lock key lockAutoMailAddress takes, for a statement that takes it along with other work. */
export function autoMailLockKey(address: string): bigint {
  return advisoryKey(`deskbot:auto-mail:${address}`);
}

/** When automatic mail of any kind (or of `kind`) went to `address` since `since`, newest first. */
export async function autoMailSentSince(db: Db, address: string, since: Date, kind?: string): Promise<Date[]> {
  const rows = await db.autoMailLog.findMany({
    where: { address, sentAt: { gt: since }, ...(kind ? { kind } : {}) },
    orderBy: { sentAt: 'desc' },
    select: { sentAt: true },
  });
  return rows.map((row) => row.sentAt);
}

/**
 * The three writes of an automatic answer in one statement (data-modifying CTEs): the e-mail outbox row
 * (enqueueOutbox's rules: skipped when the idempotency key is queued already), the throttle log entry (read by
 * autoMailSentSince) and, on a ticket, the outgoing Message-ID (recordMessageRefs). Returns whether the outbox row was new.
 */
export async function recordAutoMail(tx: Tx, record: AutoMailRecord): Promise<boolean> {
  const at = record.at.toISOString();
  const ticketId = record.outbox.ticketId ?? null;
  const rows = await tx.$queryRaw<Array<{ queued: number | bigint }>>`
    WITH "queued" AS (
      INSERT INTO "Outbox" ("idempotencyKey", "channel", "kind", "payload", "ticketId", "nextAttemptAt", "createdAt")
      VALUES (${record.outbox.idempotencyKey}, 'email', ${record.outbox.kind}, ${JSON.stringify(record.outbox.payload)}::jsonb, ${ticketId}::int,
              ${(record.outbox.notBefore ?? record.at).toISOString()}::timestamptz, ${new Date().toISOString()}::timestamptz)
      ON CONFLICT DO NOTHING
      RETURNING 1
    ), "logged" AS (
      INSERT INTO "AutoMailLog" ("address", "kind", "sentAt") VALUES (${record.address}, ${record.kind}, ${at}::timestamptz)
    ), "threaded" AS (
      INSERT INTO "MessageRef" ("messageId", "ticketId", "direction", "at")
      SELECT ${record.messageId}, ${ticketId}::int, 'out', ${at}::timestamptz WHERE ${ticketId}::int IS NOT NULL
      ON CONFLICT DO NOTHING
    )
    SELECT count(*) AS "queued" FROM "queued"`;
  return Number(rows[0]?.queued ?? 0) === 1;
}
