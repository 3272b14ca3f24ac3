// Use case: an engineer assigns a ticket to someone (or unassigns it).
import { lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

/** Assigns the ticket to a Slack user (null unassigns). Re-assigning to the same person changes nothing. */
export async function assign(
  deps: EngineerActionDeps,
  input: { requestId: string; assignee: string | null; actor: Actor },
): Promise<ActionResult & { previous: string | null }> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'assign it');
    const base = { ticketId: ticket.id, requestId: ticket.requestId, previous: ticket.assigneeSlackId };
    if (ticket.assigneeSlackId === input.assignee) return { ...base, eventId: null, changed: false };
    const eventId = await record(
      tx,
      ticket,
      { type: 'assignment', at: now, actor: input.actor.slackId, detail: { from: ticket.assigneeSlackId, to: input.assignee } },
      now,
      { assigneeSlackId: input.assignee },
    );
    return { ...base, eventId, changed: true };
  });
}
