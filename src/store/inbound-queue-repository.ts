// The stored-mail queue between the IMAP leader and the intake workers of every process: the leader stores each
// fetched message here (one statement, committed before the message is flagged), workers claim rows with a lease
// (`FOR UPDATE SKIP LOCKED`), handle them and delete them. Ordering and leases live in the claim's SQL; no policy here.
import { Prisma } from '../generated/prisma/client.ts';
import type { DatabaseKind, PrismaClient } from './database.ts';
import { directPoolOf } from './direct-pool.ts';
import { quarantineMessage } from './inbound-repository.ts';
import type { ClaimedMail, InboundQueueRepository, StoredMailInput } from '../app/inbound-queue.ts';
import { rawExecute, rawRows } from './direct-raw.ts';

export type { ClaimedMail, InboundQueueRepository, StoredMailInput };

/** The channel a PostgreSQL NOTIFY is sent on when rows were stored (store/inbound-queue-listener.ts listens). */
export const inboundQueueChannel = 'deskbot_inbound';

/** A ClaimedMail as the driver returns it: bytes as Uint8Array (or text on some drivers). */
type ClaimedRow = Omit<ClaimedMail, 'raw'> & { raw: Uint8Array | string | null };

// $5: rows handled since the last claim, deleted by the same statement and no longer holding back their followers.
const claimSql = `
WITH "done" AS (DELETE FROM "InboundQueue" WHERE "id" = ANY($5::bigint[]))
UPDATE "InboundQueue" AS q SET "availableAt" = now() + ($2::int * interval '1 millisecond'), "claimedBy" = $3
WHERE q."id" IN (
  SELECT c."id" FROM "InboundQueue" c
  WHERE c."availableAt" <= now() AND c."id" <> ALL($5::bigint[])
    AND NOT EXISTS (SELECT 1 FROM "InboundQueue" p WHERE p."sender" = c."sender" AND p."id" < c."id" AND p."id" <> ALL($5::bigint[]))
    AND NOT EXISTS (SELECT 1 FROM "InboundQueue" p WHERE p."messageId" = ANY(c."answers") AND p."id" < c."id" AND p."id" <> ALL($5::bigint[]))
  ORDER BY c."id"
  LIMIT $1
  FOR UPDATE SKIP LOCKED)
RETURNING q."id", q."mailbox", q."uidValidity", q."uid", q."messageId", q."size", q."oversized", RAW, q."receivedAt", q."failures"`;

const columns = 10;

/** rawOf reads a large message through pg in slices of this many bytes. */
const rawSliceBytes = 4 * 1024 * 1024;

/** The bytes of one row inside a transaction (base64 text: the same on both back ends). */
async function rawOfRow(tx: Prisma.TransactionClient, id: bigint): Promise<Buffer | null> {
  const rows = await tx.$queryRawUnsafe<Array<{ raw: string }>>(
    `SELECT encode("raw", 'base64') AS "raw" FROM "InboundQueue" WHERE "id" = $1::bigint`,
    String(id),
  );
  return rows[0] ? Buffer.from(rows[0].raw, 'base64') : null;
}

/**
 * `kind`: on PostgreSQL each store sends a NOTIFY (several processes); the embedded back end has one process, and its
 * adapter takes raw bytes as base64 text in raw SQL.
 */
export function createInboundQueueRepository(prisma: PrismaClient, options: { kind: DatabaseKind }): InboundQueueRepository {
  const postgres = options.kind === 'postgres';
  // PostgreSQL: the raw bytes go through pg directly (one binary parameter, one Buffer back); through Prisma a 20 MB
  // message was copied several times over (hex and base64 text), and a burst of them took the process to ~1 GB.
  const pool = postgres ? directPoolOf(prisma) : undefined;
  return {
    async store(mails) {
      if (!mails.length) return 0;
      const params: unknown[] = [];
      const rows = mails.map((mail, index) => {
        params.push(
          mail.mailbox,
          String(mail.uidValidity),
          String(mail.uid),
          mail.messageId,
          mail.sender,
          mail.answers,
          mail.size,
          mail.oversized,
          postgres ? mail.raw : mail.raw.toString('base64'),
          mail.receivedAt,
        );
        const base = index * columns;
        const at = (offset: number) => `$${base + offset}`;
        return `(${at(1)}, ${at(2)}::bigint, ${at(3)}::bigint, ${at(4)}, ${at(5)}, ${at(6)}::text[], ${at(7)}::int, ${at(8)}::boolean, ${postgres ? `${at(9)}::bytea` : `decode(${at(9)}, 'base64')`}, ${at(10)}::timestamptz)`;
      });
      const notify = postgres ? `, (SELECT count(*) FROM (SELECT pg_notify('${inboundQueueChannel}', '') FROM "stored" LIMIT 1) AS n)::int AS "notified"` : '';
      const sql = `WITH "stored" AS (
        INSERT INTO "InboundQueue" ("mailbox", "uidValidity", "uid", "messageId", "sender", "answers", "size", "oversized", "raw", "receivedAt")
        VALUES ${rows.join(', ')}
        ON CONFLICT ("mailbox", "uidValidity", "uid") DO NOTHING
        RETURNING 1)
      SELECT (SELECT count(*) FROM "stored")::int AS "stored"${notify}`;
      const result = pool ? (await pool.query<{ stored: number }>(sql, params)).rows : await rawRows<{ stored: number }>(prisma, sql, ...params);
      return Number(result[0]?.stored ?? 0);
    },

    async claim(limit, leaseMs, worker, inlineBytes = 1024 * 1024, finished = []) {
      // The embedded adapter turns bytea into an array of numbers, one per byte: base64 text is far cheaper there.
      const raw = postgres ? 'q."raw"' : `encode(q."raw", 'base64')`;
      const sql = claimSql.replace('RAW', `CASE WHEN octet_length(q."raw") <= $4::int THEN ${raw} END AS "raw"`);
      const rows = await rawRows<ClaimedRow>(prisma, sql, limit, Math.round(leaseMs), worker, Math.floor(inlineBytes), finished.map(String));
      return rows
        .map((row) => ({
          id: BigInt(row.id),
          mailbox: row.mailbox,
          uidValidity: BigInt(row.uidValidity),
          uid: BigInt(row.uid),
          messageId: row.messageId,
          size: Number(row.size),
          oversized: row.oversized,
          raw: row.raw === null ? null : typeof row.raw === 'string' ? Buffer.from(row.raw, 'base64') : Buffer.from(row.raw),
          receivedAt: row.receivedAt ? new Date(row.receivedAt) : null,
          failures: Number(row.failures),
        }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    },

    async rawOf(id) {
      if (pool) {
        // In 4 MB slices: one bytea result arrives as hex text twice its size before pg turns it into a Buffer.
        const key = String(id);
        const sized = await pool.query<{ size: number }>('SELECT octet_length("raw") AS "size" FROM "InboundQueue" WHERE "id" = $1::bigint', [key]);
        if (!sized.rows[0]) return null;
        const size = Number(sized.rows[0].size);
        // Copied into one buffer slice by slice: no list of slices beside the whole.
        const raw = Buffer.allocUnsafe(size);
        for (let at = 0; at < size; at += rawSliceBytes) {
          const slice = await pool.query<{ part: Buffer }>(
            'SELECT substring("raw" FROM $2::int FOR $3::int) AS "part" FROM "InboundQueue" WHERE "id" = $1::bigint',
            [key, at + 1, rawSliceBytes],
          );
          const part = slice.rows[0]?.part;
          if (!part || part.length !== Math.min(rawSliceBytes, size - at)) return null;
          part.copy(raw, at);
        }
        return raw;
      }
      const rows = await prisma.$queryRawUnsafe<Array<{ raw: Uint8Array | string }>>(
        `SELECT ${postgres ? '"raw"' : `encode("raw", 'base64') AS "raw"`} FROM "InboundQueue" WHERE "id" = $1::bigint`,
        String(id),
      );
      const found = rows[0]?.raw;
      if (found === undefined) return null;
      return typeof found === 'string' ? Buffer.from(found, 'base64') : Buffer.from(found);
    },

    async renew(ids, leaseMs, worker) {
      if (!ids.length) return;
      await prisma.$executeRawUnsafe(
        `UPDATE "InboundQueue" SET "availableAt" = now() + ($2::int * interval '1 millisecond') WHERE "id" = ANY($1::bigint[]) AND "claimedBy" = $3`,
        ids.map(String),
        Math.round(leaseMs),
        worker,
      );
    },

    async finish(ids) {
      if (!ids.length) return;
      await rawExecute(prisma, `DELETE FROM "InboundQueue" WHERE "id" = ANY($1::bigint[])`, ids.map(String));
    },

    async release(id, delayMs, failed, error) {
      const rows = await prisma.$queryRawUnsafe<Array<{ failures: number }>>(
        `UPDATE "InboundQueue" SET "availableAt" = now() + ($2::int * interval '1 millisecond'), "claimedBy" = NULL,
           "failures" = "failures" + $3::int, "lastError" = $4
         WHERE "id" = $1::bigint RETURNING "failures"`,
        String(id),
        Math.round(delayMs),
        failed ? 1 : 0,
        error.slice(0, 500),
      );
      return Number(rows[0]?.failures ?? 0);
    },

    async quarantine(mail, reason, at) {
      await prisma.$transaction(async (tx) => {
        await quarantineMessage(tx, {
          messageId: mail.messageId,
          reason,
          rawSize: mail.size,
          raw: mail.oversized ? null : (mail.raw ?? (await rawOfRow(tx, mail.id))),
          rawPath: null,
          receivedAt: at,
        });
        if (mail.messageId) {
          await tx.inboundMessage.createMany({
            data: [
              {
                messageId: mail.messageId,
                rawSize: mail.size,
                mailbox: mail.mailbox,
                uidValidity: mail.uidValidity,
                uid: mail.uid,
                source: 'imap',
                receivedAt: mail.receivedAt ?? at,
                outcome: 'quarantined',
                reason,
              },
            ],
            skipDuplicates: true,
          });
        }
        await tx.inboundQueue.delete({ where: { id: mail.id } });
      });
    },

    async releaseAllClaims() {
      return prisma.$executeRaw(Prisma.sql`UPDATE "InboundQueue" SET "availableAt" = now(), "claimedBy" = NULL WHERE "claimedBy" IS NOT NULL`);
    },

    async depth() {
      return prisma.inboundQueue.count();
    },
  };
}
