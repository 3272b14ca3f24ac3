// Use case: an engineer reopens a closed ticket (the charge already decided stays; closing again decides anew).
import { lockByRequestId, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

/** Reopens a closed ticket: status back to open (or new while incomplete); resolution and progress-update run again. The charge stays. */
export async function reopen(deps: EngineerActionDeps, input: { requestId: string; actor: Actor; reason?: string | undefined }): Promise<ActionResult> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    if (ticket.status !== 'closed') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    const status = ticket.clockStartedAt !== null ? 'open' : 'new';
    if (ticket.clockStartedAt !== null) {
      await tx.slaTimers.reopen({ id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    }
    const eventId = await record(
      tx,
      ticket,
      {
        type: 'status-change',
        at: now,
        actor: input.actor.slackId,
        detail: { from: 'closed', to: status, reopened: true, ...(input.reason ? { reason: input.reason } : {}) },
      },
      now,
      { status, closedAt: null, closedBy: null, outcome: null, exclusion: null, pausedAt: null },
    );
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}
