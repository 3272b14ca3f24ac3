// Use case: `/support postmortem SR-… <notes>` (Cryptzone §7: a missed objective leads to a post-mortem with the
// directors): records it on a breached request, so `/support breaches` and `deskbot sla-report` count it as done.
import { DeskbotError } from '../../errors.ts';
import { lockByRequestId, record, transaction, type ActionResult, type Actor, type EngineerActionDeps } from './common.ts';

export async function recordPostMortem(deps: EngineerActionDeps, input: { requestId: string; notes: string; actor: Actor }): Promise<ActionResult> {
  const notes = input.notes.trim();
  if (notes === '') throw new DeskbotError('INVALID_STATE', 'Write the post-mortem notes');
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    if (!ticket.breached) {
      throw new DeskbotError('INVALID_STATE', `${ticket.requestId} missed no SLA objective; a post-mortem follows a breach`, {
        details: { requestId: ticket.requestId },
      });
    }
    const eventId = await record(tx, ticket, { type: 'post-mortem', at: now, actor: input.actor.slackId, detail: { notes } }, now, {
      needsPostMortem: false,
      postMortemAt: now,
      postMortemBy: input.actor.slackId,
      postMortemNotes: notes,
    });
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}
