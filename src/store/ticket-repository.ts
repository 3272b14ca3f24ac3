// Tickets as stored: service-request IDs from the per-year counter, the ticket row, its event history, and the
// reads other parts need (by request ID, by id with its customer/partner/licence, open tickets by next due time).
// The SLA timers are src/store/sla-timers.ts; deciding what a ticket should contain is src/app/open-ticket.ts.
import type { Currency } from '../domain/policy.ts';
import { formatRequestId } from '../domain/request-id.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
import { rawSqlRows } from './direct-raw.ts';
import { knownProductsQuery, toCustomer, toLicence, toPartner } from './directory-repository.ts';
import {
  ticketStatuses,
  requesterKinds,
  type DirectoryKeys,
  type NewTicket,
  type NewTicketInbound,
  type NewTicketOutboxRow,
  type NewTicketWrites,
  type NewTimerRow,
  type RequesterKind,
  type TicketEventInput,
  type TicketRecord,
  type TicketRow as StoredTicket,
  type TicketStatus,
} from '../app/records.ts';

export { ticketStatuses, requesterKinds };
export type {
  DirectoryKeys,
  NewTicket,
  NewTicketInbound,
  NewTicketOutboxRow,
  NewTicketWrites,
  NewTimerRow,
  RequesterKind,
  TicketEventInput,
  TicketRecord,
  TicketStatus,
};

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

const isoOrNull = (instant: Date | null | undefined) => (instant ? instant.toISOString() : null);

/** The one statement that hands out a year's next sequence number (the first request of a year inserts the row). */
function bumpRequestCounter(year: number): Prisma.Sql {
  return Prisma.sql`INSERT INTO "RequestCounter" ("year", "last") VALUES (${year}::int, 1)
    ON CONFLICT ("year") DO UPDATE SET "last" = "RequestCounter"."last" + 1
    RETURNING "last"`;
}

/**
 * The next service-request ID of `year`, from RequestCounter, inside the caller's transaction. One atomic upsert:
 * the first request of a year inserts the row, later ones increment it; concurrent transactions queue on the row
 * lock until the holder commits or rolls back, so an ID is never handed out twice and a rolled-back one is reused
 * only because it was never committed.
 */
export async function nextRequestId(tx: Tx, year: number): Promise<string> {
  const rows = await tx.$queryRaw<Array<{ last: number }>>`${bumpRequestCounter(year)}`;
  const last = rows[0]?.last;
  if (last === undefined) throw new Error(`RequestCounter returned no row for ${year}`);
  return formatRequestId(year, Number(last));
}

/**
 * nextRequestId and directoryIds in one statement, for the intake of a new request; with `autoMail` it also takes
 * that address's automatic-mail lock (lockAutoMailAddress's key), strictly after the counter row (the call reads the
 * counter's RETURNING row), and then reads when automatic mail went to the address after `autoMail.since` (what
 * autoMailSentSince returns), in deskbot_lock_auto_mail: a VOLATILE function, so that read takes its snapshot after
 * the lock was granted and sees every answer committed before, as a separate statement after the lock would.
 */
export async function reserveRequest(
  tx: Tx,
  input: { year: number; keys: DirectoryKeys; autoMail?: { lockKey: bigint; address: string; since: Date } | null },
): Promise<{ requestId: string; customerId: number | null; partnerId: number | null; licenceId: number | null; autoMailSent: Date[] | null }> {
  const { year, keys } = input;
  const autoMail = input.autoMail ?? null;
  const rows = await rawSqlRows<{
    last: number | bigint;
    autoMailSent: string | null;
    customerId: number | null;
    partnerId: number | null;
    licenceId: number | null;
  }>(
    tx,
    Prisma.sql`
    WITH "counter" AS (${bumpRequestCounter(year)})
    SELECT "counter"."last",
           CASE WHEN ${autoMail !== null}::boolean
                THEN to_json("deskbot_lock_auto_mail"(${autoMail?.lockKey.toString() ?? null}::bigint, ${autoMail?.address ?? null}::text, ${isoOrNull(autoMail?.since)}::timestamptz))::text
           END AS "autoMailSent",
           (SELECT "id" FROM "Customer" WHERE "key" = ${keys.customerKey}::text) AS "customerId",
           (SELECT "id" FROM "Partner" WHERE "partnerId" = ${keys.partnerId}::text) AS "partnerId",
           (SELECT "id" FROM "Licence" WHERE "number" = ${keys.licenceNumber}::text) AS "licenceId"
      FROM "counter"`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`RequestCounter returned no row for ${year}`);
  const id = (value: number | null | undefined) => (value === null || value === undefined ? null : Number(value));
  return {
    requestId: formatRequestId(year, Number(row.last)),
    customerId: id(row.customerId),
    partnerId: id(row.partnerId),
    licenceId: id(row.licenceId),
    // A JSON array of timestamps as text: the PGlite driver adapter reads no timestamptz[] column.
    autoMailSent: autoMail === null ? null : (JSON.parse(row.autoMailSent ?? '[]') as string[]).map((at) => new Date(at)),
  };
}

export async function insertTicket(tx: Tx, ticket: NewTicket): Promise<{ id: number; requestId: string }> {
  return tx.ticket.create({ data: ticket, select: { id: true, requestId: true } });
}

/**
 * A new ticket and everything written with it, in one statement (data-modifying CTEs keyed on the new ticket's id):
 * the ticket row, its SLA timers, events, threading Message-IDs, outbox rows, throttle log, the inbound record and
 * the request's text (a message without attachments).
 * Each of these is a round trip when written apart, and intake opens one ticket per request.
 */
export async function insertNewTicket(tx: Tx, writes: NewTicketWrites): Promise<{ id: number }> {
  const { ticket, inbound } = writes;
  const conversation = writes.conversation ?? null;
  const timers = writes.timers.map((timer) => ({
    target: timer.target,
    cycle: timer.cycle,
    budgetMs: timer.budgetMs.toString(),
    startedAt: timer.startedAt.toISOString(),
    warnAt: isoOrNull(timer.warnAt),
    dueAt: isoOrNull(timer.dueAt),
    nextEventAt: isoOrNull(timer.nextEventAt),
  }));
  // `position` keeps the given order in the ids the rows get.
  const events = writes.events.map((event, position) => ({
    position,
    type: event.type,
    at: event.at.toISOString(),
    actor: event.actor ?? null,
    detail: event.detail ?? {},
  }));
  const refs = writes.messageRefs.map((ref) => ({ messageId: ref.messageId, direction: ref.direction, at: ref.at.toISOString() }));
  const outbox = writes.outbox.map((item, position) => ({
    position,
    idempotencyKey: item.idempotencyKey,
    channel: item.channel,
    kind: item.kind,
    payload: item.payload,
    withTicketId: item.withTicketId ?? false,
    nextAttemptAt: item.nextAttemptAt.toISOString(),
    createdAt: isoOrNull(item.createdAt),
  }));
  const autoMailLog = writes.autoMailLog.map((entry) => ({ address: entry.address, kind: entry.kind, sentAt: entry.sentAt.toISOString() }));
  const rows = await rawSqlRows<{ id: number }>(
    tx,
    Prisma.sql`
    WITH "ticket" AS (
      INSERT INTO "Ticket" ("requestId", "customerId", "partnerId", "licenceId", "requesterKind", "requesterEmail", "requesterName", "subject",
                            "summary", "severity", "status", "product", "productVersion", "missingInfo", "calendar", "supportLevel", "locale",
                            "openedAt", "clockStartedAt", "priceMinor", "priceCurrency", "rootMessageId", "awaitingAgreement", "needsInfoRemindAt", "updatedAt")
      VALUES (${ticket.requestId}, ${ticket.customerId}::int, ${ticket.partnerId}::int, ${ticket.licenceId}::int, ${ticket.requesterKind},
              ${ticket.requesterEmail}, ${ticket.requesterName}::text, ${ticket.subject}, ${ticket.summary}, ${ticket.severity}::int, ${ticket.status},
              ${ticket.product}::text, ${ticket.productVersion}::text, ${ticket.missingInfo}::text[], ${ticket.calendar}, ${ticket.supportLevel},
              ${ticket.locale}, ${ticket.openedAt.toISOString()}::timestamptz, ${isoOrNull(ticket.clockStartedAt)}::timestamptz, ${ticket.priceMinor}::int,
              ${ticket.priceCurrency}, ${ticket.rootMessageId}::text, ${ticket.awaitingAgreement === true}::boolean, ${isoOrNull(ticket.needsInfoRemindAt)}::timestamptz,
              ${new Date().toISOString()}::timestamptz)
      RETURNING "id"
    ), "timers" AS (
      INSERT INTO "SlaTimer" ("ticketId", "target", "cycle", "budgetMs", "startedAt", "warnAt", "dueAt", "nextEventAt")
      SELECT "ticket"."id", x."target", x."cycle", x."budgetMs", x."startedAt", x."warnAt", x."dueAt", x."nextEventAt"
        FROM "ticket", json_to_recordset(${JSON.stringify(timers)}::json)
             AS x("target" text, "cycle" int, "budgetMs" bigint, "startedAt" timestamptz, "warnAt" timestamptz, "dueAt" timestamptz, "nextEventAt" timestamptz)
    ), "events" AS (
      INSERT INTO "TicketEvent" ("ticketId", "type", "at", "actor", "detail")
      SELECT "ticket"."id", x."type", x."at", x."actor", x."detail"
        FROM "ticket", json_to_recordset(${JSON.stringify(events)}::json) AS x("position" int, "type" text, "at" timestamptz, "actor" text, "detail" jsonb)
       ORDER BY x."position"
    ), "refs" AS (
      INSERT INTO "MessageRef" ("messageId", "ticketId", "direction", "at")
      SELECT x."messageId", "ticket"."id", x."direction", x."at"
        FROM "ticket", json_to_recordset(${JSON.stringify(refs)}::json) AS x("messageId" text, "direction" text, "at" timestamptz)
      ON CONFLICT DO NOTHING
    ), "outbox" AS (
      INSERT INTO "Outbox" ("idempotencyKey", "channel", "kind", "payload", "ticketId", "nextAttemptAt", "createdAt")
      SELECT x."idempotencyKey", x."channel", x."kind",
             CASE WHEN x."withTicketId" THEN x."payload" || jsonb_build_object('ticketId', "ticket"."id") ELSE x."payload" END,
             "ticket"."id", x."nextAttemptAt", COALESCE(x."createdAt", CURRENT_TIMESTAMP)
        FROM "ticket", json_to_recordset(${JSON.stringify(outbox)}::json)
             AS x("position" int, "idempotencyKey" text, "channel" text, "kind" text, "payload" jsonb, "withTicketId" boolean, "nextAttemptAt" timestamptz, "createdAt" timestamptz)
       ORDER BY x."position"
      ON CONFLICT DO NOTHING
    ), "logged" AS (
      INSERT INTO "AutoMailLog" ("address", "kind", "sentAt")
      SELECT x."address", x."kind", x."sentAt" FROM json_to_recordset(${JSON.stringify(autoMailLog)}::json) AS x("address" text, "kind" text, "sentAt" timestamptz)
    ), "inbound" AS (
      INSERT INTO "InboundMessage" ("messageId", "rawSize", "mailbox", "uidValidity", "uid", "source", "fromAddress", "subject", "receivedAt", "outcome", "reason", "ticketId")
      SELECT ${inbound?.messageId ?? null}::text, ${inbound?.rawSize ?? null}::int, ${inbound?.mailbox ?? null}::text, ${inbound?.uidValidity?.toString() ?? null}::bigint,
             ${inbound?.uid?.toString() ?? null}::bigint, ${inbound?.source ?? null}::text, ${inbound?.fromAddress ?? null}::text, ${inbound?.subject ?? null}::text,
             ${isoOrNull(inbound?.receivedAt)}::timestamptz, ${inbound?.outcome ?? null}::text, ${inbound?.reason ?? null}::text, "ticket"."id"
        FROM "ticket" WHERE ${inbound !== null}::boolean
    ), "conversation" AS (
      INSERT INTO "ConversationMessage" ("ticketId", "messageId", "kind", "fromAddress", "fromName", "toAddresses", "ccAddresses", "receivedAt", "text",
                                         "displayText", "truncated")
      SELECT "ticket"."id", ${conversation?.messageId ?? null}::text, ${conversation?.kind ?? null}::text, ${conversation?.fromAddress ?? null}::text,
             ${conversation?.fromName ?? null}::text,
             ARRAY(SELECT json_array_elements_text(${JSON.stringify(conversation?.toAddresses ?? [])}::json)),
             ARRAY(SELECT json_array_elements_text(${JSON.stringify(conversation?.ccAddresses ?? [])}::json)),
             ${isoOrNull(conversation?.receivedAt)}::timestamptz, ${conversation?.text ?? null}::text,
             ${conversation?.displayText ?? null}::text, ${conversation?.truncated === true}::boolean
        FROM "ticket" WHERE ${conversation !== null}::boolean
    )
    SELECT "id" FROM "ticket"`,
  );
  const row = rows[0];
  if (row === undefined) throw new Error(`Ticket ${ticket.requestId} was not inserted`);
  return { id: Number(row.id) };
}

/** Appends one event to a ticket's history inside the caller's transaction; returns the event id. */
export async function appendEvent(tx: Tx, ticketId: number, event: TicketEventInput): Promise<bigint> {
  const row = await tx.ticketEvent.create({
    data: { ticketId, type: event.type, at: event.at, actor: event.actor ?? null, detail: event.detail ?? {} },
    select: { id: true },
  });
  return row.id;
}

/** The directory ids a new ticket refers to. */
export async function directoryIds(
  db: Db,
  keys: { customerKey: string | null; partnerId: string | null; licenceNumber: string | null },
): Promise<{ customerId: number | null; partnerId: number | null; licenceId: number | null }> {
  if (!keys.customerKey && !keys.partnerId && !keys.licenceNumber) return { customerId: null, partnerId: null, licenceId: null };
  // One statement for the three look-ups: this runs inside the intake transaction of every new ticket.
  const rows = await db.$queryRaw<Array<{ customerId: number | null; partnerId: number | null; licenceId: number | null }>>`
    SELECT (SELECT "id" FROM "Customer" WHERE "key" = ${keys.customerKey}::text) AS "customerId",
           (SELECT "id" FROM "Partner" WHERE "partnerId" = ${keys.partnerId}::text) AS "partnerId",
           (SELECT "id" FROM "Licence" WHERE "number" = ${keys.licenceNumber}::text) AS "licenceId"`;
  const row = rows[0];
  const id = (value: number | null | undefined) => (value === null || value === undefined ? null : Number(value));
  return { customerId: id(row?.customerId), partnerId: id(row?.partnerId), licenceId: id(row?.licenceId) };
}

const withParties = {
  customer: { include: { licences: true, eligibleCallers: true } },
  partner: true,
  licence: true,
} as const;

type TicketRow = Prisma.TicketGetPayload<{ include: typeof withParties }>;

function toTicketRecord(row: TicketRow): TicketRecord {
  return {
    id: row.id,
    requestId: row.requestId,
    status: row.status as TicketStatus,
    severity: row.severity,
    subject: row.subject,
    summary: row.summary,
    requesterKind: row.requesterKind as RequesterKind,
    requesterEmail: row.requesterEmail,
    requesterName: row.requesterName,
    product: row.product,
    productVersion: row.productVersion,
    missingInfo: row.missingInfo,
    calendar: row.calendar,
    supportLevel: row.supportLevel,
    locale: row.locale,
    openedAt: row.openedAt,
    clockStartedAt: row.clockStartedAt,
    pausedAt: row.pausedAt,
    closedAt: row.closedAt,
    priceMinor: row.priceMinor,
    priceCurrency: row.priceCurrency as Currency,
    assigneeSlackId: row.assigneeSlackId,
    rootMessageId: row.rootMessageId,
    awaitingAgreement: row.awaitingAgreement,
    preSales: row.preSales,
    customer: row.customer ? toCustomer(row.customer) : null,
    partner: row.partner ? toPartner(row.partner) : null,
    licence: row.licence ? toLicence(row.licence) : null,
  };
}

/** The request ID of a ticket, or null when there is none with that id. */
export async function requestIdOf(db: Db, ticketId: number): Promise<string | null> {
  const ticket = await db.ticket.findUnique({ where: { id: ticketId }, select: { requestId: true } });
  return ticket?.requestId ?? null;
}

/** The service-request IDs of tickets by database id (lists that hold ticket ids show the ID people use). */
export async function requestIdsOf(db: Db, ticketIds: ReadonlyArray<number | null>): Promise<Map<number, string>> {
  const ids = [...new Set(ticketIds.filter((id): id is number => id !== null))];
  if (ids.length === 0) return new Map();
  const rows = await db.ticket.findMany({ where: { id: { in: ids } }, select: { id: true, requestId: true } });
  return new Map(rows.map((row) => [row.id, row.requestId]));
}

/** Finds a ticket by its database id, with customer (licences, eligible callers), partner and licence. */
export async function findTicketById(db: Db, id: number): Promise<TicketRecord | null> {
  const row = await db.ticket.findUnique({ where: { id }, include: withParties });
  return row ? toTicketRecord(row) : null;
}

/** Finds a ticket by its service-request ID (canonical form, SR-2026-000123). */
export async function findTicketByRequestId(db: Db, requestId: string): Promise<TicketRecord | null> {
  const row = await db.ticket.findUnique({ where: { requestId }, include: withParties });
  return row ? toTicketRecord(row) : null;
}

/** Ticket-level facts a reply needs, read inside the transaction that changes them (row locked until commit). */
/**
 * Records a customer's agreement to the paid-support terms (issue 12 point 9) once: the first agreement is kept (who,
 * when, the Message-ID of the mail or null by phone), later ones change nothing. Clears the wait on every ticket of
 * the customer; returns those tickets (the caller starts the clocks of the complete ones).
 */
export async function recordTermsAgreement(
  tx: Tx,
  customerId: number,
  agreement: { at: Date; by: string; messageId: string | null },
): Promise<Array<{ id: number; requestId: string; status: string; missingInfo: string[]; severity: number; calendar: string; supportLevel: string }>> {
  await tx.customer.updateMany({
    where: { id: customerId, agreedAt: null },
    data: { agreedAt: agreement.at, agreedBy: agreement.by, agreementMessageId: agreement.messageId },
  });
  const waiting = await tx.ticket.findMany({
    where: { customerId, awaitingAgreement: true },
    select: { id: true, requestId: true, status: true, missingInfo: true, severity: true, calendar: true, supportLevel: true },
    orderBy: { id: 'asc' },
  });
  if (waiting.length) await tx.ticket.updateMany({ where: { id: { in: waiting.map((ticket) => ticket.id) } }, data: { awaitingAgreement: false } });
  return waiting;
}

export async function lockTicket(tx: Tx, id: number): Promise<StoredTicket> {
  await tx.$executeRawUnsafe('SELECT 1 FROM "Ticket" WHERE "id" = $1 FOR UPDATE', id);
  return tx.ticket.findUniqueOrThrow({ where: { id } });
}

/** Product names of all licences in the directory, for recognising the product a request names. */
export async function knownProducts(db: Db): Promise<string[]> {
  // Prisma's `distinct` reads every licence and removes duplicates in JavaScript; the loose index scan reads one row
  // per product.
  const rows = await db.$queryRaw<Array<{ products: string[] | string | null }>>`SELECT (${knownProductsQuery}) AS "products"`;
  const products = rows[0]?.products ?? null;
  return products === null ? [] : typeof products === 'string' ? (JSON.parse(products) as string[]) : products;
}
