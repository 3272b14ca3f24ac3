// An engineer action's writes to a ticket: its plain changes, the event that records them and the Slack thread post
// that event queues, in one statement (a data-modifying CTE) rather than a round trip each. Inside the action's
// transaction every round trip holds the ticket's lock (and on PGlite the one connection) while the main thread turns
// around. Leaves out what the post says (src/channels/slack/outbox-handler.ts) and the events of intake
// (ticket-repository.ts).
import type { TicketChanges, TicketEventInput } from '../app/records.ts';
import { DeskbotError } from '../errors.ts';
import { Prisma } from '../generated/prisma/client.ts';
import { rawExecuteSql, rawSqlRows } from './direct-raw.ts';

type Tx = Prisma.TransactionClient;

/** The SQL type of each column a TicketChanges may set (every key must be here: the compiler checks it). */
const changeableColumns = {
  status: 'text',
  severity: 'int',
  product: 'text',
  productVersion: 'text',
  missingInfo: 'text[]',
  licenceId: 'int',
  assigneeSlackId: 'text',
  pausedAt: 'timestamptz',
  closedAt: 'timestamptz',
  closedBy: 'text',
  outcome: 'text',
  exclusion: 'text',
  breached: 'boolean',
  needsPostMortem: 'boolean',
  splitFromId: 'int',
  postMortemAt: 'timestamptz',
  postMortemBy: 'text',
  postMortemNotes: 'text',
  preSales: 'boolean',
  awaitingAgreement: 'boolean',
  source: 'text',
  openedBy: 'text',
  needsInfoRemindAt: 'timestamptz',
} as const satisfies Record<keyof TicketChanges, string>;

/**
 * The UPDATE of ticket `id` that applies `changes` (undefined fields stay as they are) and stamps updatedAt, or null
 * when nothing changes. Each column is cast to its type, so the statement plans the same whatever the values.
 */
export function ticketUpdate(id: number, changes: TicketChanges): Prisma.Sql | null {
  const sets: Prisma.Sql[] = [];
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const type = changeableColumns[field as keyof TicketChanges];
    if (!type) throw new DeskbotError('INTERNAL', `Ticket field ${field} cannot be changed`, { details: { field } });
    sets.push(Prisma.sql`${Prisma.raw(`"${field}"`)} = ${value}::${Prisma.raw(type)}`);
  }
  if (!sets.length) return null;
  return Prisma.sql`UPDATE "Ticket" SET ${Prisma.join(sets, ', ')}, "updatedAt" = ${new Date()}::timestamptz WHERE "id" = ${id}::int`;
}

/**
 * Applies the plain changes of the TicketRepository port in one UPDATE. Raw SQL: Prisma's `update` compiled its query
 * on the main thread for each call (~1.2 ms more than this statement in a PGlite micro-benchmark) and read the whole
 * row back, which no caller uses; engineer actions update a ticket in nearly every Slack request.
 */
export async function changeTicket(tx: Tx, id: number, changes: TicketChanges): Promise<void> {
  const update = ticketUpdate(id, changes);
  if (update) await rawExecuteSql(tx, update);
}

/**
 * Appends `event` to the ticket's history and queues its `slack:ticket-event:<eventId>` outbox row (due `now`), as
 * `record` in src/app/engineer/common.ts always paired them, after applying `changes` to the ticket, all in one
 * statement; returns the event id.
 */
export async function appendEventWithThreadPost(tx: Tx, ticketId: number, event: TicketEventInput, now: Date, changes: TicketChanges = {}): Promise<bigint> {
  const update = ticketUpdate(ticketId, changes);
  const rows = await rawSqlRows<{ id: bigint | number | string }>(
    tx,
    Prisma.sql`WITH ${update ? Prisma.sql`u AS (${update}),` : Prisma.empty}
     e AS (
       INSERT INTO "TicketEvent" ("ticketId", "type", "at", "actor", "detail")
       VALUES (${ticketId}::int, ${event.type}::text, ${event.at.toISOString()}::timestamptz, ${event.actor ?? null}::text, ${JSON.stringify(event.detail ?? {})}::jsonb)
       RETURNING "id", "ticketId"),
     o AS (
       INSERT INTO "Outbox" ("idempotencyKey", "channel", "kind", "payload", "ticketId", "nextAttemptAt", "createdAt")
       SELECT 'slack:ticket-event:' || e."id", 'slack', 'ticket-event', jsonb_build_object('ticketId', e."ticketId", 'eventId', e."id"),
              e."ticketId", ${now.toISOString()}::timestamptz, ${now.toISOString()}::timestamptz
         FROM e
       ON CONFLICT ("idempotencyKey") DO NOTHING)
     SELECT "id" FROM e`,
  );
  return BigInt(rows[0]!.id);
}
