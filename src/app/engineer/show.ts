// Read: one ticket's card, recent history and last customer messages for /support show.
import { DeskbotError } from '../../errors.ts';
import type { ConversationEntry } from '../conversation-records.ts';
import type { TicketCard } from '../read-models.ts';
import { canonicalRequestId, type EngineerActionDeps } from './common.ts';

export interface TicketDetails {
  card: TicketCard;
  events: Array<{ type: string; at: Date; actor: string | null }>;
  /** The last messages of the conversation, oldest first (see conversationOf). */
  conversation: ConversationEntry[];
}

/** Messages of the conversation /support show lists. */
export const shownMessages = 5;

/** One ticket with its unmet SLA timers, its latest events and the last messages of its conversation. */
export async function show(deps: EngineerActionDeps, input: { requestId: string }): Promise<TicketDetails> {
  const requestId = canonicalRequestId(input.requestId);
  const card = await deps.repositories.tickets.loadCard({ requestId });
  if (!card) throw new DeskbotError('NOT_FOUND', `No request ${requestId}`, { details: { requestId } });
  const events = await deps.repositories.events.recent(card.id, 8);
  const conversation = await deps.repositories.conversations.conversationOf(card.id, { last: shownMessages });
  return { card, events: events.map((event) => ({ type: event.type, at: event.at, actor: event.actor })), conversation };
}
