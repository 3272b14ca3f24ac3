// Use case: an engineer changes a ticket's severity; the SLA due times follow the new severity's targets.
import { DeskbotError } from '../../errors.ts';
import { lockByRequestId, requireNotClosed, record, transaction, type EngineerActionDeps, type Actor, type ActionResult } from './common.ts';

/**
 * Sets the severity (1-5). A running clock is retargeted to the new severity's targets; when severity was the last
 * item the request lacked, the clock starts now.
 */
export async function setSeverity(
  deps: EngineerActionDeps,
  input: { requestId: string; severity: number; actor: Actor },
): Promise<ActionResult & { previous: number; clockStarted: boolean }> {
  if (!Number.isInteger(input.severity) || input.severity < 1 || input.severity > 5) {
    throw new DeskbotError('INVALID_STATE', `severity must be 1-5, got ${input.severity}`, { details: { severity: input.severity } });
  }
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'change its severity');
    const missingInfo = ticket.missingInfo.filter((item) => item !== 'severity');
    const base = { ticketId: ticket.id, requestId: ticket.requestId, previous: ticket.severity };
    if (ticket.severity === input.severity && missingInfo.length === ticket.missingInfo.length)
      return { ...base, eventId: null, changed: false, clockStarted: false };
    // The clock also waits for the customer's agreement to the paid-support terms (issue 12 point 9).
    const startClock = ticket.clockStartedAt === null && missingInfo.length === 0 && !ticket.awaitingAgreement;
    const clock = { id: ticket.id, severity: input.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel };
    if (ticket.clockStartedAt !== null) await tx.slaTimers.retarget(clock, now);
    else if (startClock) await tx.slaTimers.start(clock, now);
    const eventId = await record(
      tx,
      ticket,
      { type: 'severity-change', at: now, actor: input.actor.slackId, detail: { from: ticket.severity, to: input.severity, clockStarted: startClock } },
      now,
      { severity: input.severity, missingInfo, ...(startClock && ticket.status === 'new' ? { status: 'open' } : {}) },
    );
    return { ...base, eventId, changed: true, clockStarted: startClock };
  });
}
