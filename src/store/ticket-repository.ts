// Tickets as stored: service-request IDs from the per-year counter, the ticket row, its event history, and the
// reads other parts need (by request ID, by id with its customer/partner/licence, open tickets by next due time).
// The SLA timers are src/store/sla-timers.ts; deciding what a ticket should contain is src/app/open-ticket.ts.
import type { Customer, Licence, Partner } from '../domain/directory.ts';
import type { Currency } from '../domain/policy.ts';
import { formatRequestId } from '../domain/request-id.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
import { toCustomer, toPartner } from './directory-repository.ts';

type Tx = Prisma.TransactionClient;
type Db = Tx | PrismaClient;

export const ticketStatuses = ['new', 'open', 'waiting', 'closed'] as const;
/** new: incomplete (clock not started); open: clock running; waiting: on the customer (clock paused); closed. */
export type TicketStatus = (typeof ticketStatuses)[number];

export const requesterKinds = ['eligible-caller', 'partner'] as const;
export type RequesterKind = (typeof requesterKinds)[number];

/**
 * The next service-request ID of `year`, from RequestCounter, inside the caller's transaction. One atomic upsert:
 * the first request of a year inserts the row, later ones increment it; concurrent transactions queue on the row
 * lock until the holder commits or rolls back, so an ID is never handed out twice and a rolled-back one is reused
 * only because it was never committed.
 */
export async function nextRequestId(tx: Tx, year: number): Promise<string> {
  const rows = await tx.$queryRawUnsafe<Array<{ last: number }>>(
    `INSERT INTO "RequestCounter" ("year", "last") VALUES ($1, 1)
     ON CONFLICT ("year") DO UPDATE SET "last" = "RequestCounter"."last" + 1
     RETURNING "last"`,
    year,
  );
  const last = rows[0]?.last;
  if (last === undefined) throw new Error(`RequestCounter returned no row for ${year}`);
  return formatRequestId(year, Number(last));
}

/** What a new ticket row holds; the request ID comes from nextRequestId. */
export interface NewTicket {
  requestId: string;
  customerId: number | null;
  partnerId: number | null;
  licenceId: number | null;
  requesterKind: RequesterKind;
  requesterEmail: string;
  requesterName: string | null;
  subject: string;
  summary: string;
  severity: number;
  status: Extract<TicketStatus, 'new' | 'open'>;
  product: string | null;
  productVersion: string | null;
  missingInfo: string[];
  calendar: string;
  supportLevel: string;
  locale: string;
  openedAt: Date;
  priceMinor: number;
  priceCurrency: Currency;
  rootMessageId: string | null;
  /** Set when the request is complete on arrival: the SLA clock starts with the row (timers: SlaTimers.startInserted). */
  clockStartedAt?: Date | null;
}

export async function insertTicket(tx: Tx, ticket: NewTicket): Promise<{ id: number; requestId: string }> {
  return tx.ticket.create({ data: ticket, select: { id: true, requestId: true } });
}

export interface TicketEventInput {
  /** mail-received, acknowledgement, status-change, request-completed, mail-bounced, auto-reply-received, ... */
  type: string;
  at: Date;
  /** Who caused it: an address, a Slack user ID, or `deskbot`. */
  actor?: string | null;
  detail?: Prisma.InputJsonValue;
}

/** Appends events to a ticket's history in one statement, in the order given; for callers that need no event ids. */
export async function appendEvents(tx: Tx, ticketId: number, events: readonly TicketEventInput[]): Promise<void> {
  await tx.ticketEvent.createMany({
    data: events.map((event) => ({ ticketId, type: event.type, at: event.at, actor: event.actor ?? null, detail: event.detail ?? {} })),
  });
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

/** A ticket with the directory records it belongs to. */
export interface TicketRecord {
  id: number;
  requestId: string;
  status: TicketStatus;
  severity: number;
  subject: string;
  summary: string;
  requesterKind: RequesterKind;
  requesterEmail: string;
  requesterName: string | null;
  product: string | null;
  productVersion: string | null;
  missingInfo: string[];
  calendar: string;
  supportLevel: string;
  locale: string;
  openedAt: Date;
  clockStartedAt: Date | null;
  pausedAt: Date | null;
  closedAt: Date | null;
  priceMinor: number;
  priceCurrency: Currency;
  assigneeSlackId: string | null;
  rootMessageId: string | null;
  customer: Customer | null;
  partner: Partner | null;
  licence: Licence | null;
}

function toLicence(row: NonNullable<TicketRow['licence']>): Licence {
  const day = (date: Date | null) => (date ? date.toISOString().slice(0, 10) : null);
  return {
    number: row.number,
    product: row.product,
    type: row.type as Licence['type'],
    registeredOn: day(row.registeredOn)!,
    maintenanceUntil: day(row.maintenanceUntil),
    trialEndsOn: day(row.trialEndsOn),
  };
}

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
    customer: row.customer ? toCustomer(row.customer) : null,
    partner: row.partner ? toPartner(row.partner) : null,
    licence: row.licence ? toLicence(row.licence) : null,
  };
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

export interface OpenTicket {
  ticket: TicketRecord;
  /** The earliest due time of its running SLA timers; null when none runs (incomplete, or waiting on the customer). */
  nextDueAt: Date | null;
}

/**
 * Tickets not closed, the most urgent first: by the earliest due time of a running timer (not met, not paused),
 * tickets without one last, then by request age.
 */
export async function listOpenTicketsByNextDue(db: Db, options: { limit?: number } = {}): Promise<OpenTicket[]> {
  const order = await db.$queryRawUnsafe<Array<{ id: number; nextDueAt: Date | null }>>(
    `SELECT t."id", MIN(s."dueAt") AS "nextDueAt"
       FROM "Ticket" t
       LEFT JOIN "SlaTimer" s ON s."ticketId" = t."id" AND s."metAt" IS NULL AND s."remainingMs" IS NULL
      WHERE t."status" <> 'closed'
      GROUP BY t."id"
      ORDER BY "nextDueAt" ASC NULLS LAST, t."id" ASC
      LIMIT $1`,
    options.limit ?? 200,
  );
  const rows = await db.ticket.findMany({ where: { id: { in: order.map((entry) => entry.id) } }, include: withParties });
  const byId = new Map(rows.map((row) => [row.id, row]));
  return order.flatMap((entry) => {
    const row = byId.get(entry.id);
    return row ? [{ ticket: toTicketRecord(row), nextDueAt: entry.nextDueAt === null ? null : new Date(entry.nextDueAt) }] : [];
  });
}

/** Ticket-level facts a reply needs, read inside the transaction that changes them (row locked until commit). */
export async function lockTicket(tx: Tx, id: number) {
  await tx.$executeRawUnsafe('SELECT 1 FROM "Ticket" WHERE "id" = $1 FOR UPDATE', id);
  return tx.ticket.findUniqueOrThrow({ where: { id } });
}

export async function updateTicket(tx: Tx, id: number, data: Prisma.TicketUpdateInput): Promise<void> {
  await tx.ticket.update({ where: { id }, data });
}

/** Product names of all licences in the directory, for recognising the product a request names. */
export async function knownProducts(db: Db): Promise<string[]> {
  const rows = await db.licence.findMany({ distinct: ['product'], select: { product: true }, orderBy: { product: 'asc' } });
  return rows.map((row) => row.product);
}
