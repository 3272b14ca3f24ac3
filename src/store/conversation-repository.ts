// The stored conversation of a ticket: each inbound message's text (full and for display) with sender and time, its
// attachments, and their content as blobs deduplicated by SHA-256 and kept in 256 KB chunk rows. Chunks live in the
// database on PGlite and PostgreSQL alike: several processes on several machines need no shared disk, and the blob
// commits (or rolls back) with the intake transaction that references it. Leaves out what is kept (app/intake).
import { createHash } from 'node:crypto';
import type { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

/** Bytes per chunk row. */
export const blobChunkBytes = 256 * 1024;

/** Why an attachment's content was not kept. */
export const notKeptReasons = ['over-message-limit'] as const;
export type NotKeptReason = (typeof notKeptReasons)[number];

export interface NewConversationAttachment {
  position: number;
  filename: string | null;
  contentType: string;
  size: number;
  /** Set when the content is kept (the blob must exist in the same transaction). */
  sha256: string | null;
  notKept: NotKeptReason | null;
}

export interface NewConversationMessage {
  ticketId: number;
  messageId: string;
  kind: 'request' | 'reply';
  fromAddress: string;
  fromName: string | null;
  receivedAt: Date;
  text: string;
  displayText: string;
  truncated: boolean;
  attachments: NewConversationAttachment[];
}

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
  receivedAt: Date;
  /** The whole text, cut at 256 KB with a marker (`truncated`). */
  text: string;
  /** The new text: quoted history and signature stripped. */
  displayText: string;
  truncated: boolean;
  attachments: ConversationAttachment[];
}

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

/**
 * Claims a blob for writing: true when this transaction created its row and must write the chunks, false when the
 * content is stored already. On PostgreSQL a concurrent transaction claiming the same hash waits for this one.
 */
export async function claimBlob(tx: Tx, sha256: string, size: number): Promise<boolean> {
  const inserted = await tx.$executeRawUnsafe(
    `INSERT INTO "AttachmentBlob" ("sha256", "size") VALUES ($1, $2) ON CONFLICT ("sha256") DO NOTHING`,
    sha256,
    size,
  );
  return inserted === 1;
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
 * does not hash to `sha256` (the transaction then rolls back: nothing half-written is ever visible).
 */
export async function writeBlobChunks(tx: Tx, sha256: string, content: AsyncIterable<Buffer>): Promise<number> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let seq = 0;
  let total = 0;
  const flush = async (all: boolean) => {
    while (pendingBytes >= blobChunkBytes || (all && pendingBytes > 0)) {
      const joined = Buffer.concat(pending, pendingBytes);
      const chunk = joined.subarray(0, Math.min(blobChunkBytes, joined.length));
      await insertChunk(tx, sha256, seq, chunk);
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

/** A blob's content, one chunk row at a time (never whole in memory); empty when the blob is unknown. */
export async function* readBlob(db: Db, sha256: string): AsyncGenerator<Buffer> {
  for (let seq = 0; ; seq += 1) {
    const rows = await db.$queryRawUnsafe<Array<{ data: string }>>(
      `SELECT encode("data", 'base64') AS "data" FROM "AttachmentChunk" WHERE "sha256" = $1 AND "seq" = $2`,
      sha256,
      seq,
    );
    const encoded = rows[0]?.data;
    if (encoded === undefined) return;
    yield Buffer.from(encoded, 'base64');
  }
}

/** One attachment with its ticket's Slack thread, for the upload. */
export async function attachmentForUpload(db: Db, attachmentId: number) {
  return db.messageAttachment.findUnique({
    where: { id: attachmentId },
    select: { ...attachmentSelect, message: { select: { ticketId: true, messageId: true } } },
  });
}

function toEntry(row: Prisma.ConversationMessageGetPayload<{ include: { attachments: { select: typeof attachmentSelect } } }>): ConversationEntry {
  const { ticketId: _ticketId, ...entry } = row;
  return { ...entry, attachments: [...row.attachments] };
}

/**
 * A ticket's conversation, oldest first: every inbound message with sender, time, full and display text and its
 * attachments' names and sizes. `last` keeps only the latest n messages.
 */
export async function conversationOf(db: Db, ticketId: number, options: { last?: number } = {}): Promise<ConversationEntry[]> {
  const rows = await db.conversationMessage.findMany({
    where: { ticketId },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    include: { attachments: { select: attachmentSelect, orderBy: { position: 'asc' } } },
    ...(options.last !== undefined ? { take: options.last } : {}),
  });
  return rows.reverse().map(toEntry);
}

/** The stored message of a Message-ID, if it landed on a ticket. */
export async function conversationMessageOf(db: Db, messageId: string): Promise<ConversationEntry | null> {
  const row = await db.conversationMessage.findUnique({
    where: { messageId },
    include: { attachments: { select: attachmentSelect, orderBy: { position: 'asc' } } },
  });
  return row ? toEntry(row) : null;
}

/**
 * Deletes blobs no attachment references, created before `before`: left by a message whose row was deleted (ticket
 * removed). Blobs written by an intake that rolled back never became visible, so there is nothing else to clean.
 */
export async function deleteUnreferencedBlobs(db: Db, before: Date): Promise<number> {
  return db.$executeRawUnsafe(
    `DELETE FROM "AttachmentBlob" b WHERE b."createdAt" < $1::timestamptz AND NOT EXISTS (SELECT 1 FROM "MessageAttachment" a WHERE a."sha256" = b."sha256")`,
    before.toISOString(),
  );
}
