// What every engineer action shares: its dependencies, the actor, the result shape, and locking the ticket,
// recording its event (with the Slack thread post) and the transaction. No action lives here.
import { DeskbotError } from '../../errors.ts';
import { parseRequestId } from '../../domain/request-id.ts';
import type { UseCaseDeps } from '../deps.ts';
import type { MailSender } from '../notify.ts';
import type { Repositories } from '../ports.ts';
import type { TicketChanges, TicketEventInput, TicketRow } from '../records.ts';

export type { TicketRow };
/** The repositories of the action's transaction. */
export type Tx = Repositories;

/** SUPPORT_ADDRESS / SUPPORT_NAME and the template renderer write mail to customers; reads go through `repositories`. */
export type EngineerActionDeps = UseCaseDeps<'transactor' | 'repositories' | 'policy' | 'clock' | 'renderer', 'SUPPORT_ADDRESS' | 'SUPPORT_NAME'>;

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

/** Who mail from engineer actions comes from. */
export const senderOf = (deps: EngineerActionDeps): MailSender => ({ renderer: deps.renderer, supportAddress: deps.config.SUPPORT_ADDRESS });

export function canonicalRequestId(requestId: string): string {
  const parsed = parseRequestId(requestId);
  if (!parsed) throw new DeskbotError('NOT_FOUND', `"${requestId}" is not a request ID like SR-2026-000123`, { details: { requestId } });
  return parsed.requestId;
}

export async function lockByRequestId(tx: Tx, requestId: string): Promise<TicketRow> {
  const canonical = canonicalRequestId(requestId);
  const ticket = await tx.tickets.lockByRequestId(canonical);
  if (!ticket) throw new DeskbotError('NOT_FOUND', `No request ${canonical}`, { details: { requestId: canonical } });
  return ticket;
}

export function requireNotClosed(ticket: TicketRow, what: string): void {
  if (ticket.status === 'closed') {
    throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is closed; reopen it before you ${what}`, {
      details: { requestId: ticket.requestId, status: ticket.status },
    });
  }
}

/**
 * Applies `changes` to the ticket, appends the event and queues its Slack thread post in the caller's transaction, as
 * one write: each round trip of an action's transaction holds the ticket's lock.
 */
export async function record(
  tx: Tx,
  ticket: { id: number; requestId: string },
  event: TicketEventInput,
  now: Date,
  changes: TicketChanges = {},
): Promise<bigint> {
  return tx.events.appendWithThreadPost(ticket.id, event, now, changes);
}

export function transaction<T>(deps: EngineerActionDeps, work: (tx: Tx) => Promise<T>): Promise<T> {
  return deps.transactor.run(work, { timeoutMs: 15_000 });
}
