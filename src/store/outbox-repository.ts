// The outbox: outgoing e-mail and Slack messages committed in the same transaction as the ticket work,
// delivered later by src/jobs/outbox-dispatcher.ts. The idempotency key makes enqueueing the same message twice a no-op.
import type { Prisma } from '../generated/prisma/client.ts';

export type OutboxChannel = 'email' | 'slack';

export interface OutboxItemInput {
  /** Unique per logical message, e.g. `ack:SR-2026-000123` or `slack:ticket-opened:42`. */
  idempotencyKey: string;
  channel: OutboxChannel;
  /** What the message is (acknowledgement, needs-info, ticket-opened, charge-notice, ...). */
  kind: string;
  payload: Prisma.InputJsonValue;
  ticketId?: number | null;
  /** Earliest delivery time; default now. */
  notBefore?: Date;
}

type OutboxWriter = Pick<Prisma.TransactionClient, 'outbox'>;

/** Adds a message to the outbox inside the caller's transaction; returns false when the key was already queued. */
export async function enqueueOutbox(tx: OutboxWriter, item: OutboxItemInput, now: Date): Promise<boolean> {
  const result = await tx.outbox.createMany({
    data: [
      {
        idempotencyKey: item.idempotencyKey,
        channel: item.channel,
        kind: item.kind,
        payload: item.payload,
        ticketId: item.ticketId ?? null,
        nextAttemptAt: item.notBefore ?? now,
      },
    ],
    skipDuplicates: true,
  });
  return result.count === 1;
}
