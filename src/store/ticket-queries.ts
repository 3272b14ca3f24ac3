// Reads and small writes the Slack channel and the engineer actions need that ticket-repository.ts does not offer:
// filtered lists ordered by the nearest SLA due time (ticket-list.ts), the card a Slack message shows, mail threading references,
// the Slack message of a ticket, and SlackDelivery (each Slack event or action handled once).
// Leaves out ticket creation and history (ticket-repository.ts) and the SLA clock (sla-timers.ts).
import { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
import {
  ticketListFilters,
  type CustomerWithCallers,
  type TicketCard,
  type TicketListFilter,
  type TicketListPage,
  type TicketSummary,
} from '../app/read-models.ts';
import type { JsonValue, TicketEventRow, TicketRow } from '../app/records.ts';
import { rawExecuteSql, rawRows } from './direct-raw.ts';

export { ticketListFilters };
export { listTicketsByNextDue } from './ticket-list.ts';
export type { TicketCard, TicketListFilter, TicketListPage, TicketSummary };

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

const cardInclude = {
  customer: { select: { key: true, name: true, isPartner: true } },
  partner: { select: { partnerId: true, name: true } },
  licence: { select: { number: true, product: true, type: true, registeredOn: true, trialEndsOn: true } },
  slaTimers: { where: { metAt: null }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] },
  splitFrom: { select: { requestId: true } },
} as const satisfies Prisma.TicketInclude;

type Row<T> = { [K in keyof T]: T[K] extends Date | null ? string | null : T[K] extends bigint | null ? string | number | null : T[K] };
type CardRelations = {
  customer: TicketCard['customer'];
  partner: TicketCard['partner'];
  licence: Row<NonNullable<TicketCard['licence']>> | null;
  splitFrom: TicketCard['splitFrom'];
  description: string | null;
  acknowledgementWithheld: string | null;
  slaTimers: Array<Row<TicketCard['slaTimers'][number]>>;
};

const dateOrNull = (value: string | null) => (value === null ? null : new Date(value));
const bigintOrNull = (value: string | number | null) => (value === null ? null : BigInt(value));

/**
 * The card in one statement (a Prisma `include` of five relations costs six): the ticket row, and its relations as
 * JSON shaped like `cardInclude` (timers unmet, by due time then id). The outbox's Slack rows load one per message.
 */
export async function loadTicketCard(db: Db, where: { id: number } | { requestId: string }): Promise<TicketCard | null> {
  const condition = 'id' in where ? Prisma.sql`t."id" = ${where.id}::int` : Prisma.sql`t."requestId" = ${where.requestId}::text`;
  const rows = await db.$queryRaw<Array<Omit<TicketCard, keyof CardRelations> & { cardRelations: CardRelations | string }>>`
    SELECT t.*, json_build_object(
      'customer', (SELECT json_build_object('key', c."key", 'name', c."name", 'isPartner', c."isPartner") FROM "Customer" c WHERE c."id" = t."customerId"),
      'partner', (SELECT json_build_object('partnerId', p."partnerId", 'name', p."name") FROM "Partner" p WHERE p."id" = t."partnerId"),
      'licence', (SELECT json_build_object('number', l."number", 'product', l."product", 'type', l."type",
          'registeredOn', to_char(l."registeredOn", 'YYYY-MM-DD'), 'trialEndsOn', to_char(l."trialEndsOn", 'YYYY-MM-DD')) FROM "Licence" l WHERE l."id" = t."licenceId"),
      'splitFrom', (SELECT json_build_object('requestId', s."requestId") FROM "Ticket" s WHERE s."id" = t."splitFromId"),
      'description', coalesce(
          (SELECT left(m."text", 1000) FROM "ConversationMessage" m WHERE m."ticketId" = t."id" ORDER BY m."receivedAt" ASC, m."id" ASC LIMIT 1),
          (SELECT left(p."detail"->>'description', 1000) FROM "TicketEvent" p WHERE p."ticketId" = t."id" AND p."type" = 'phone-call' ORDER BY p."id" LIMIT 1)),
      'acknowledgementWithheld', (SELECT coalesce(e."detail"->>'reason', 'withheld') FROM "TicketEvent" e WHERE e."ticketId" = t."id"
          AND e."type" = 'acknowledgement-suppressed'
          AND NOT EXISTS (SELECT 1 FROM "TicketEvent" r WHERE r."ticketId" = t."id" AND r."type" IN ('engineer-response', 'workaround'))
          ORDER BY e."id" LIMIT 1),
      'slaTimers', COALESCE((SELECT json_agg(json_build_object(
          'id', x."id", 'ticketId', x."ticketId", 'target', x."target", 'cycle', x."cycle", 'budgetMs', x."budgetMs"::text,
          'startedAt', x."startedAt", 'warnAt', x."warnAt", 'dueAt', x."dueAt", 'remainingMs', x."remainingMs"::text, 'warnedAt', x."warnedAt",
          'breachedAt', x."breachedAt", 'metAt', x."metAt", 'nextEventAt', x."nextEventAt") ORDER BY x."dueAt" ASC, x."id" ASC)
        FROM "SlaTimer" x WHERE x."ticketId" = t."id" AND x."metAt" IS NULL), '[]'::json)
    ) AS "cardRelations"
    FROM "Ticket" t WHERE ${condition}`;
  const row = rows[0];
  if (!row) return null;
  const { cardRelations, ...ticket } = row;
  const relations: CardRelations = typeof cardRelations === 'string' ? JSON.parse(cardRelations) : cardRelations;
  const chargeDecision = typeof ticket.chargeDecision === 'string' ? (JSON.parse(ticket.chargeDecision) as Prisma.JsonValue) : ticket.chargeDecision;
  return {
    ...ticket,
    chargeDecision,
    customer: relations.customer,
    partner: relations.partner,
    licence: relations.licence
      ? { ...relations.licence, registeredOn: new Date(`${relations.licence.registeredOn}T00:00:00Z`), trialEndsOn: dateOrNull(relations.licence.trialEndsOn) }
      : null,
    splitFrom: relations.splitFrom,
    description: relations.description,
    acknowledgementWithheld: relations.acknowledgementWithheld,
    slaTimers: relations.slaTimers.map((timer) => ({
      ...timer,
      budgetMs: BigInt(timer.budgetMs!),
      remainingMs: bigintOrNull(timer.remainingMs),
      startedAt: new Date(timer.startedAt!),
      warnAt: dateOrNull(timer.warnAt),
      dueAt: dateOrNull(timer.dueAt),
      warnedAt: dateOrNull(timer.warnedAt),
      breachedAt: dateOrNull(timer.breachedAt),
      metAt: dateOrNull(timer.metAt),
      nextEventAt: dateOrNull(timer.nextEventAt),
    })),
  };
}

/** The Message-IDs a reply to the customer threads under: the customer's last mail and the thread so far (oldest first). */
export async function mailThreadOf(db: Db, ticketId: number): Promise<{ inReplyTo: string | null; references: string[] }> {
  const refs = await db.messageRef.findMany({
    where: { ticketId },
    orderBy: [{ at: 'asc' }, { messageId: 'asc' }],
    select: { messageId: true, direction: true },
  });
  const lastIn = [...refs].reverse().find((ref) => ref.direction === 'in');
  // RFC 5322 3.6.4: References = the parent's References plus its Message-ID; keep the root and the recent tail short.
  const ids = refs.map((ref) => ref.messageId);
  const references = ids.length > 10 ? [ids[0]!, ...ids.slice(-9)] : ids;
  return { inReplyTo: lastIn?.messageId ?? null, references };
}

/** Records where a ticket's Slack message lives (chat.postMessage's channel and ts). */
export async function setSlackMessage(db: Db, ticketId: number, message: { channel: string; ts: string }): Promise<void> {
  await db.ticket.update({ where: { id: ticketId }, data: { slackChannel: message.channel, slackTs: message.ts } });
}

/**
 * Claims a Slack delivery id (event_id, action, outbox step); true the first time only. Slack retries events it
 * thinks were missed, so a listener claims the id before doing work and stops when it was already claimed.
 */
export async function claimSlackDelivery(db: Db, id: string, at: Date): Promise<boolean> {
  // One statement: Prisma's createMany opens a transaction of its own (BEGIN, INSERT, COMMIT), and every Slack
  // request claims its id, so on PGlite's one connection that was three round trips holding the lock.
  const inserted = await rawExecuteSql(db, Prisma.sql`INSERT INTO "SlackDelivery" ("id", "at") VALUES (${id}, ${at}) ON CONFLICT ("id") DO NOTHING`);
  return inserted === 1;
}

export async function hasSlackDelivery(db: Db, id: string): Promise<boolean> {
  return (await db.slackDelivery.count({ where: { id } })) > 0;
}

/** Forgets deliveries older than `before`; Slack retries within minutes, so a day of history is plenty. */
export async function pruneSlackDeliveries(db: Db, before: Date): Promise<number> {
  return (await db.slackDelivery.deleteMany({ where: { at: { lt: before } } })).count;
}

/** `text` for a Prisma contains/startsWith/endsWith or insensitive equals, which become (I)LIKE patterns unescaped. */
export const escapeLikePattern = (text: string): string => text.replace(/[\\%_]/g, '\\$&');

/** Customers whose key matches exactly or whose name contains `query` (case-insensitive), with their eligible callers. */
export async function findCustomersWithCallers(db: Db, query: string, limit = 5): Promise<CustomerWithCallers[]> {
  const exact = await db.customer.findMany({
    where: { key: { equals: escapeLikePattern(query), mode: 'insensitive' } },
    include: { eligibleCallers: { orderBy: { email: 'asc' } } },
  });
  if (exact.length) return exact;
  return db.customer.findMany({
    where: { name: { contains: escapeLikePattern(query), mode: 'insensitive' } },
    include: { eligibleCallers: { orderBy: { email: 'asc' } } },
    orderBy: { name: 'asc' },
    take: limit,
  });
}

/** The latest events of a ticket, newest first. */
export async function recentEvents(db: Db, ticketId: number, limit: number): Promise<TicketEventRow[]> {
  // Raw SQL: `/support show` reads this on every call, and Prisma compiles each findMany on the main thread.
  const rows = await db.$queryRawUnsafe<Array<Omit<TicketEventRow, 'id' | 'at'> & { id: bigint | number | string; at: Date | string }>>(
    'SELECT * FROM "TicketEvent" WHERE "ticketId" = $1::int ORDER BY "at" DESC, "id" DESC LIMIT $2::int',
    ticketId,
    limit,
  );
  return rows.map((row) => ({
    ...row,
    id: BigInt(row.id),
    at: new Date(row.at),
    detail: typeof row.detail === 'string' ? (JSON.parse(row.detail) as TicketEventRow['detail']) : row.detail,
  }));
}

/** Locks the ticket with this request ID for the caller's transaction (SELECT … FOR UPDATE); null when there is none. */
export async function lockTicketByRequestId(tx: Tx, requestId: string): Promise<TicketRow | null> {
  // One round trip: the locked row itself (raw rows carry jsonb as text on some adapters, as in loadTicketCard).
  const rows = await rawRows<TicketRow>(tx, 'SELECT * FROM "Ticket" WHERE "requestId" = $1 FOR UPDATE', requestId);
  const row = rows[0];
  if (!row) return null;
  const chargeDecision = typeof row.chargeDecision === 'string' ? (JSON.parse(row.chargeDecision) as Prisma.JsonValue) : row.chargeDecision;
  return { ...row, chargeDecision };
}

/** Records a Message-ID deskbot sent (or received) for the ticket, so replies to it thread back. */
export async function recordMessageRef(tx: Tx, ref: { messageId: string; ticketId: number; direction: 'in' | 'out'; at: Date }): Promise<void> {
  await tx.messageRef.create({ data: ref });
}

/**
 * True when a Slack row of `kinds` for the ticket, queued after row `afterId` and never tried yet, waits in the outbox:
 * it will bring the ticket's message up to date when it is delivered (the outbox delivers a ticket's rows in order).
 */
export async function laterSlackRowQueued(db: Db, ticketId: number, afterId: string, kinds: readonly string[]): Promise<boolean> {
  const rows = await db.$queryRaw<Array<{ queued: boolean }>>`
    SELECT EXISTS (
      SELECT 1 FROM "Outbox"
       WHERE "ticketId" = ${ticketId}::int AND "channel" = 'slack' AND "status" = 'pending' AND "attempts" = 0
         AND "id" > ${afterId}::bigint AND "kind" = ANY(${[...kinds]}::text[])
    ) AS "queued"`;
  return rows[0]?.queued === true;
}

/** The payload of an outbox row by its idempotency key; null when no such row was queued. */
export async function findOutboxPayload(db: Db, idempotencyKey: string): Promise<JsonValue | null> {
  const row = await db.outbox.findUnique({ where: { idempotencyKey }, select: { payload: true } });
  return row ? row.payload : null;
}
