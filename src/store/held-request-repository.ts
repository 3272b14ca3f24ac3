// Held requests in the database: the HeldRequest rows the licence-needed ending writes (with HeldRequestAttachment rows
// naming their stored attachment blobs) and the claim that takes one up once. What is held and when it is used is the
// intake's (app/intake/held-request.ts).
import type { Prisma } from '../generated/prisma/client.ts';
import type { NotKeptReason } from '../app/conversation-records.ts';
import type { HeldRequest, HeldRequestRepository, NewHeldRequest } from '../app/held-request-records.ts';
import type { Severity } from '../domain/policy.ts';
import type { SeveritySource } from '../domain/request-details.ts';
import type { PrismaClient } from './database.ts';

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

/**
 * Keeps a held request and its attachments; a Message-ID held already keeps its first row and attachments (a retried
 * message is held once).
 */
export async function holdRequest(db: Db, request: NewHeldRequest): Promise<void> {
  const { version, attachments, ...columns } = request;
  const created = await db.heldRequest.createManyAndReturn({ data: [{ ...columns, productVersion: version }], skipDuplicates: true, select: { id: true } });
  const heldRequestId = created[0]?.id;
  if (heldRequestId === undefined || attachments.length === 0) return;
  await db.heldRequestAttachment.createMany({ data: attachments.map((attachment) => ({ ...attachment, heldRequestId })) });
}

/** Deletes the held requests received before `cutoff`; returns how many. */
export async function forgetHeldRequests(db: Db, cutoff: Date): Promise<number> {
  return db.$executeRaw`DELETE FROM "HeldRequest" WHERE "receivedAt" < ${cutoff}::timestamptz`;
}

/** A claimed HeldRequest row as the driver returns it: the version under its column name, dates maybe as text. */
type ClaimedRow = Omit<HeldRequest, 'severity' | 'severitySource' | 'version' | 'receivedAt' | 'attachments'> & {
  id: number;
  severity: number | null;
  severitySource: string;
  productVersion: string | null;
  receivedAt: Date | string;
};

/** Marks the unused request held for `messageId` as used by itself (HeldRequestRepository.retire). */
export async function retireHeldRequest(db: Db, messageId: string, at: Date): Promise<void> {
  await db.$executeRawUnsafe(
    `UPDATE "HeldRequest" SET "usedAt" = $2::timestamptz, "usedByMessageId" = $1 WHERE "messageId" = $1 AND "usedAt" IS NULL`,
    messageId,
    at.toISOString(),
  );
}

/**
 * Claims the newest unused held request of `sender` since `since` that `messageIds` name (its own Message-ID or its
 * notice's), in one UPDATE: a concurrent claim of the same row waits, then finds it used and gets null.
 */
export async function claimHeldRequest(
  db: Db,
  query: { sender: string; messageIds: readonly string[]; since: Date; at: Date; by: string },
): Promise<HeldRequest | null> {
  if (query.messageIds.length === 0) return null;
  const rows = await db.$queryRawUnsafe<ClaimedRow[]>(
    `UPDATE "HeldRequest" SET "usedAt" = $4::timestamptz, "usedByMessageId" = $5
      WHERE "usedAt" IS NULL AND "id" = (
        SELECT "id" FROM "HeldRequest"
         WHERE "fromAddress" = $1 AND "usedAt" IS NULL AND "receivedAt" >= $2::timestamptz
           AND ("messageId" = ANY($3::text[]) OR "noticeMessageId" = ANY($3::text[]))
         ORDER BY "receivedAt" DESC, "id" DESC LIMIT 1)
      RETURNING "id", "messageId", "noticeMessageId", "fromName", COALESCE("toAddresses", '{}') AS "toAddresses",
                COALESCE("ccAddresses", '{}') AS "ccAddresses", "subject", "text", "displayText", "truncated", "severity", "severitySource",
                "product", "productVersion", "summary", "receivedAt"`,
    query.sender,
    query.since.toISOString(),
    [...query.messageIds],
    query.at.toISOString(),
    query.by,
  );
  const row = rows[0];
  if (!row) return null;
  const { id, productVersion, receivedAt, severity, severitySource, ...rest } = row;
  const attachments = await db.heldRequestAttachment.findMany({
    where: { heldRequestId: Number(id) },
    orderBy: { position: 'asc' },
    select: { position: true, filename: true, contentType: true, size: true, sha256: true, notKept: true },
  });
  return {
    ...rest,
    severity: severity === null ? null : (Number(severity) as Severity),
    severitySource: severitySource as SeveritySource,
    version: productVersion,
    receivedAt: new Date(receivedAt),
    attachments: attachments.map((attachment) => ({ ...attachment, notKept: attachment.notKept as NotKeptReason | null })),
  };
}

/** The HeldRequestRepository port over `db` (a transaction client or the client). */
export function heldRequestRepository(db: Db): HeldRequestRepository {
  return {
    hold: (request) => holdRequest(db, request),
    forgetBefore: (cutoff) => forgetHeldRequests(db, cutoff),
    claim: (query) => claimHeldRequest(db, query),
    retire: (messageId, at) => retireHeldRequest(db, messageId, at),
  };
}
