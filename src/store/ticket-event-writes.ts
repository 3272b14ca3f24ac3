// An engineer action's event and the Slack thread post it queues, written by one statement (a data-modifying CTE)
// instead of two round trips: the post's idempotency key and payload name the event id the same statement assigns.
// Leaves out what the post says (src/channels/slack/outbox-handler.ts) and the events of intake (ticket-repository.ts).
import type { Prisma } from '../generated/prisma/client.ts';
import type { TicketEventInput } from '../app/records.ts';

type Tx = Prisma.TransactionClient;

/**
 * Appends `event` to the ticket's history and queues its `slack:ticket-event:<eventId>` outbox row (due `now`), as
 * `record` in src/app/engineer/common.ts always paired them; returns the event id.
 */
export async function appendEventWithThreadPost(tx: Tx, ticketId: number, event: TicketEventInput, now: Date): Promise<bigint> {
  const rows = await tx.$queryRawUnsafe<Array<{ id: bigint | number | string }>>(
    `WITH e AS (
       INSERT INTO "TicketEvent" ("ticketId", "type", "at", "actor", "detail")
       VALUES ($1::int, $2::text, $3::timestamptz, $4::text, $5::jsonb)
       RETURNING "id", "ticketId"),
     o AS (
       INSERT INTO "Outbox" ("idempotencyKey", "channel", "kind", "payload", "ticketId", "nextAttemptAt", "createdAt")
       SELECT 'slack:ticket-event:' || e."id", 'slack', 'ticket-event', jsonb_build_object('ticketId', e."ticketId", 'eventId', e."id"),
              e."ticketId", $6::timestamptz, $6::timestamptz
         FROM e
       ON CONFLICT ("idempotencyKey") DO NOTHING)
     SELECT "id" FROM e`,
    ticketId,
    event.type,
    event.at.toISOString(),
    event.actor ?? null,
    JSON.stringify(event.detail ?? {}),
    now.toISOString(),
  );
  return BigInt(rows[0]!.id);
}
