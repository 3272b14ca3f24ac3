// What every engineer action shares: its dependencies, the actor, the result shape, and locking the ticket,
// recording its event (with the Slack thread post) and the transaction. No action lives here.
import { DeskbotError } from '../../errors.ts';
import type { Policy } from '../../domain/policy.ts';
import { parseRequestId } from '../../domain/request-id.ts';
import type { MailSender } from '../notify.ts';
import type { Clock } from '../ports.ts';
import type { Prisma } from '../../generated/prisma/client.ts';
import type { PrismaClient } from '../../store/database.ts';
import { enqueueOutbox } from '../../store/outbox-repository.ts';
import { createSlaTimers, type SlaTimers } from '../../store/sla-timers.ts';
import { appendEvent, type TicketEventInput } from '../../store/ticket-repository.ts';
import { lockTicketByRequestId } from '../../store/ticket-queries.ts';

export type Tx = Prisma.TransactionClient;
export type TicketRow = NonNullable<Awaited<ReturnType<typeof lockTicketByRequestId>>>;

export interface EngineerActionDeps {
  prisma: PrismaClient;
  policy: Policy;
  clock: Clock;
  /** Defaults to createSlaTimers(policy). */
  slaTimers?: SlaTimers;
  /** SUPPORT_ADDRESS / SUPPORT_NAME and the template renderer for mail to customers. */
  mail: MailSender & { supportName: string };
}

/** Who acts: a Slack user ID, and a display name for mail signatures. */
export interface Actor {
  slackId: string;
  name?: string | undefined;
}

/** Every change returns the ticket it touched and the event it recorded (null when nothing changed). */
export interface ActionResult {
  ticketId: number;
  requestId: string;
  eventId: bigint | null;
  changed: boolean;
}

export const timersOf = (deps: EngineerActionDeps) => deps.slaTimers ?? createSlaTimers(deps.policy);

export function canonicalRequestId(requestId: string): string {
  const parsed = parseRequestId(requestId);
  if (!parsed) throw new DeskbotError('NOT_FOUND', `"${requestId}" is not a request ID like SR-2026-000123`, { details: { requestId } });
  return parsed.requestId;
}

export async function lockByRequestId(tx: Tx, requestId: string): Promise<TicketRow> {
  const canonical = canonicalRequestId(requestId);
  const ticket = await lockTicketByRequestId(tx, canonical);
  if (!ticket) throw new DeskbotError('NOT_FOUND', `No request ${canonical}`, { details: { requestId: canonical } });
  return ticket;
}

export function requireNotClosed(ticket: TicketRow, what: string): void {
  if (ticket.status === 'closed') {
    throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is closed; reopen it before you ${what}`, { details: { requestId: ticket.requestId, status: ticket.status } });
  }
}

/** Appends the event and queues its Slack thread post in the caller's transaction. */
export async function record(tx: Tx, ticket: { id: number; requestId: string }, event: TicketEventInput, now: Date): Promise<bigint> {
  const eventId = await appendEvent(tx, ticket.id, event);
  await enqueueOutbox(
    tx,
    {
      idempotencyKey: `slack:ticket-event:${eventId}`,
      channel: 'slack',
      kind: 'ticket-event',
      payload: { ticketId: ticket.id, eventId: Number(eventId) },
      ticketId: ticket.id,
    },
    now,
  );
  return eventId;
}

export function transaction<T>(deps: EngineerActionDeps, work: (tx: Tx) => Promise<T>): Promise<T> {
  return deps.prisma.$transaction(work, { timeout: 15_000 });
}
