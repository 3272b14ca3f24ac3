// Read: one ticket's card and recent history for /support show.
import { DeskbotError } from '../../errors.ts';
import type { TicketCard } from '../read-models.ts';
import { canonicalRequestId, type EngineerActionDeps } from './common.ts';

export interface TicketDetails {
  card: TicketCard;
  events: Array<{ type: string; at: Date; actor: string | null }>;
}

/** One ticket with its unmet SLA timers and its latest events. */
export async function show(deps: EngineerActionDeps, input: { requestId: string }): Promise<TicketDetails> {
  const requestId = canonicalRequestId(input.requestId);
  const card = await deps.repositories.tickets.loadCard({ requestId });
  if (!card) throw new DeskbotError('NOT_FOUND', `No request ${requestId}`, { details: { requestId } });
  const events = await deps.repositories.events.recent(card.id, 8);
  return { card, events: events.map((event) => ({ type: event.type, at: event.at, actor: event.actor })) };
}
