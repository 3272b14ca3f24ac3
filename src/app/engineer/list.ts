// Read: the tickets an engineer sees in Slack, by next due time.
import type { TicketListFilter, TicketListPage } from '../read-models.ts';
import type { EngineerActionDeps, Actor } from './common.ts';

/** Tickets for `/support list` and the SLA board, the nearest due time first. */
export async function list(deps: EngineerActionDeps, input: { filter: TicketListFilter; actor: Actor; limit?: number }): Promise<TicketListPage> {
  return deps.repositories.tickets.listByNextDue({ filter: input.filter, userId: input.actor.slackId, now: deps.clock.now(), limit: input.limit ?? 20 });
}
