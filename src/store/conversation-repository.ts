// The stored conversation of a ticket: each inbound message's text (full and for display) with sender and time, its
// attachments, and their content as blobs deduplicated by SHA-256 and kept in 256 KB chunk rows. Chunks live in the
// database on PGlite and PostgreSQL alike: several processes on several machines need no shared disk, and one
// backup holds everything. Blobs commit just before the intake transaction that references them. Leaves out what is kept (app/intake).
import { createHash } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.ts';
import type {
  AttachmentForUpload,
  BlobWriter,
  ConversationAttachment,
  ConversationEntry,
  ConversationRepository,
  NewConversationMessage,
} from '../app/conversation-records.ts';
import type { PrismaClient } from './database.ts';
import { directPoolOf } from './direct-pool.ts';

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

/** Bytes per chunk row. */
export const blobChunkBytes = 256 * 1024;

const attachmentSelect = { id: true, filename: true, contentType: true, size: true, sha256: true, notKept: true } as const;

/** Records one message and its attachments; returns the ids of the attachment rows in `position` order. */
export async function recordConversationMessage(tx: Tx, message: NewConversationMessage): Promise<{ id: number; attachmentIds: number[] }> {
  const { attachments, ...columns } = message;
  const row = await tx.conversationMessage.create({ data: columns, select: { id: true } });
  if (attachments.length === 0) return { id: row.id, attachmentIds: [] };
  const created = await tx.messageAttachment.createManyAndReturn({
    data: attachments.map((attachment) => ({ ...attachment, conversationMessageId: row.id })),
    select: { id: true, position: true },
  });
  return { id: row.id, attachmentIds: created.sort((a, b) => a.position - b.position).map((attachment) => attachment.id) };
}

const claimSql = `INSERT INTO "AttachmentBlob" ("sha256", "size") VALUES ($1, $2) ON CONFLICT ("sha256") DO NOTHING`;

/**
 * Runs `work` with a blob writer in a transaction of its own, committed before the caller's intake transaction uses
 * the blobs: on PostgreSQL on a pool connection of its own with chunks sent as binary parameters; on PGlite through
 * Prisma. A concurrent writer of the same hash waits for this one and then finds it stored. A blob whose intake
 * then rolls back stays unreferenced: harmless (a redelivery reuses it) and removed by deleteUnreferencedBlobs.
 */
export async function withBlobWriter<T>(prisma: PrismaClient, work: (writer: BlobWriter) => Promise<T>): Promise<T> {
  const pool = directPoolOf(prisma);
  if (!pool) {
    return prisma.$transaction(
      (tx) =>
        work({
          claim: async (sha256, size) => (await tx.$executeRawUnsafe(claimSql, sha256, size)) === 1,
          write: (sha256, content) => writeBlobChunks((seq, data) => insertChunk(tx, sha256, seq, data), sha256, content),
        }),
      { maxWait: 15_000, timeout: 120_000 },
    );
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work({
      claim: async (sha256, size) => (await client.query(claimSql, [sha256, size])).rowCount === 1,
      write: (sha256, content) =>
        writeBlobChunks(
          async (seq, data) => void (await client.query('INSERT INTO "AttachmentChunk" ("sha256", "seq", "data") VALUES ($1, $2, $3)', [sha256, seq, data])),
          sha256,
          content,
        ),
    });
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function insertChunk(tx: Tx, sha256: string, seq: number, data: Buffer): Promise<void> {
  await tx.$executeRawUnsafe(
    `INSERT INTO "AttachmentChunk" ("sha256", "seq", "data") VALUES ($1, $2, decode($3, 'base64'))`,
    sha256,
    seq,
    data.toString('base64'),
  );
}

/**
 * Writes a claimed blob's content in chunk rows as it streams in; at most one chunk is held. Throws when the content
 * does not hash to `sha256` (its transaction then rolls back: a half-written blob is never visible).
 */
async function writeBlobChunks(insert: (seq: number, data: Buffer) => Promise<void>, sha256: string, content: AsyncIterable<Buffer>): Promise<number> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  const flush = async (all: boolean) => {
    while (pendingBytes >= blobChunkBytes || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending, pendingBytes);
      const chunk = joined.subarray(0, Math.min(blobChunkBytes, joined.length));
      await insert(seq, chunk);
      seq += 1;
      const rest = joined.subarray(chunk.length);
      pending = rest.length ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
    }
  };
  for await (const slice of content) {
    hash.update(slice);
    total += slice.length;
    pending.push(slice);
    pendingBytes += slice.length;
    if (pendingBytes >= blobChunkBytes) await flush(false);
  }
  await flush(true);
  const actual = hash.digest('hex');
  if (actual !== sha256) throw new Error(`attachment content changed between parses: expected ${sha256}, got ${actual}`);
  return total;
}

/**
 * A blob's content, one chunk row at a time (never whole in memory); empty when the blob is unknown. On PostgreSQL
 * read on the pool directly (bytea arrives as a Buffer), as Prisma would copy each chunk several times.
 */
export async function* readBlob(prisma: PrismaClient, sha256: string): AsyncGenerator<Buffer> {
  const pool = directPoolOf(prisma);
  const chunkSql = `SELECT "data" FROM "AttachmentChunk" WHERE "sha256" = $1 AND "seq" = $2`;
  for (let seq = 0; ; seq += 1) {
    let data: Buffer | undefined;
    if (pool) data = (await pool.query<{ data: Buffer }>(chunkSql, [sha256, seq])).rows[0]?.data;
    else {
      const rows = await prisma.$queryRawUnsafe<Array<{ data: string }>>(chunkSql.replace('"data"', `encode("data", 'base64') AS "data"`), sha256, seq);
      data = rows[0] ? Buffer.from(rows[0].data, 'base64') : undefined;
    }
    if (data === undefined) return;
    yield data;
  }
}

/** One attachment with its ticket's Slack thread, for the upload. */
export async function attachmentForUpload(db: Db, attachmentId: number): Promise<AttachmentForUpload | null> {
  return db.messageAttachment.findUnique({
    where: { id: attachmentId },
    select: { ...attachmentSelect, message: { select: { ticketId: true, messageId: true } } },
  });
}

/** A conversation row as raw SQL returns it: the attachments as one JSON array (text on some adapters). */
type ConversationRow = Omit<ConversationEntry, 'attachments' | 'receivedAt'> & { receivedAt: Date | string; attachments: ConversationAttachment[] | string };

/**
 * The conversation messages matching `where` (over "ConversationMessage" m; its values `params`), newest first, at most
 * `limit`, each with its attachments in position order, in one statement. Raw SQL: Prisma's findMany with the
 * attachments included was two queries, each compiled on the main thread, and `/support show` and the Reply button's
 * modal read this on every click.
 */
async function conversationRows(db: Db, where: string, params: unknown[], limit: number | null): Promise<ConversationEntry[]> {
  const rows = await db.$queryRawUnsafe<ConversationRow[]>(
    `SELECT m."id", m."messageId", m."kind", m."fromAddress", m."fromName", COALESCE(m."toAddresses", '{}') AS "toAddresses",
            COALESCE(m."ccAddresses", '{}') AS "ccAddresses", m."receivedAt", m."text", m."displayText", m."truncated",
            COALESCE((SELECT json_agg(json_build_object('id', a."id", 'filename', a."filename", 'contentType', a."contentType", 'size', a."size",
                                                        'sha256', a."sha256", 'notKept', a."notKept") ORDER BY a."position")
                        FROM "MessageAttachment" a WHERE a."conversationMessageId" = m."id"), '[]'::json) AS "attachments"
       FROM "ConversationMessage" m
      WHERE ${where}
      ORDER BY m."receivedAt" DESC, m."id" DESC
      ${limit === null ? '' : `LIMIT ${Math.max(0, Math.floor(limit))}`}`,
    ...params,
  );
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    receivedAt: new Date(row.receivedAt),
    attachments: typeof row.attachments === 'string' ? (JSON.parse(row.attachments) as ConversationAttachment[]) : row.attachments,
  }));
}

/**
 * A ticket's conversation, oldest first: every inbound message with sender, time, full and display text and its
 * attachments' names and sizes. `last` keeps only the latest n messages.
 */
export async function conversationOf(db: Db, ticketId: number, options: { last?: number } = {}): Promise<ConversationEntry[]> {
  return (await conversationRows(db, 'm."ticketId" = $1::int', [ticketId], options.last ?? null)).reverse();
}

/** The customer's latest message on a request (the reply modal shows it above the text box), or null. */
export async function latestCustomerMessage(db: Db, requestId: string): Promise<ConversationEntry | null> {
  const rows = await conversationRows(db, `m."ticketId" = (SELECT t."id" FROM "Ticket" t WHERE t."requestId" = $1::text)`, [requestId], 1);
  return rows[0] ?? null;
}

/** The stored message of a Message-ID, if it landed on a ticket. */
export async function conversationMessageOf(db: Db, messageId: string): Promise<ConversationEntry | null> {
  const rows = await conversationRows(db, 'm."messageId" = $1::text', [messageId], 1);
  return rows[0] ?? null;
}

/**
 * Deletes blobs no attachment references, created before `before`: left by a message whose row was deleted (ticket
 * removed) or by a held mail forgotten unused (HeldRequestAttachment rows keep a held mail's blobs until it is taken up
 * or forgotten). Blobs written by an intake that rolled back never became visible, so there is nothing else to clean.
 */
export async function deleteUnreferencedBlobs(db: Db, before: Date): Promise<number> {
  return db.$executeRawUnsafe(
    `DELETE FROM "AttachmentBlob" b WHERE b."createdAt" < $1::timestamptz
        AND NOT EXISTS (SELECT 1 FROM "MessageAttachment" a WHERE a."sha256" = b."sha256")
        AND NOT EXISTS (SELECT 1 FROM "HeldRequestAttachment" h WHERE h."sha256" = b."sha256")`,
    before.toISOString(),
  );
}

/** The ConversationRepository port over `db` (a transaction client or the client); blobs always over `root`. */
export function conversationRepository(db: Db, root: PrismaClient): ConversationRepository {
  return {
    record: (message) => recordConversationMessage(db as Tx, message),
    conversationOf: (ticketId, options) => conversationOf(db, ticketId, options),
    latestOf: (requestId) => latestCustomerMessage(db, requestId),
    messageOf: (messageId) => conversationMessageOf(db, messageId),
    attachmentForUpload: (attachmentId) => attachmentForUpload(db, attachmentId),
    readBlob: (sha256) => readBlob(root, sha256),
    withBlobWriter: (work) => withBlobWriter(root, work),
    deleteUnreferencedBlobs: (before) => deleteUnreferencedBlobs(root, before),
  };
}
