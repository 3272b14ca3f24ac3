// Use case: the SLA breaches of a period, for `/support breaches` and the managers. Lists what the sweeper recorded;
// deciding what is a breach is src/jobs/sla-sweeper.ts.
import { DeskbotError } from '../errors.ts';
import type { UseCaseDeps } from './deps.ts';
import type { BreachRecord } from './read-models.ts';

/** One missed target as shown to people: the stored breach record without its internal ticket id. */
export type SlaBreach = Omit<BreachRecord, 'ticketId'>;

/** Breaches recorded in [from, to), oldest first. Throws INVALID_STATE when `to` is not after `from`. */
export async function listBreaches(deps: UseCaseDeps<'repositories'>, period: { from: Date; to: Date }): Promise<SlaBreach[]> {
  if (!(period.to.getTime() > period.from.getTime())) {
    throw new DeskbotError('INVALID_STATE', 'the period must end after it starts', { details: { from: period.from, to: period.to } });
  }
  const breaches = await deps.repositories.reports.breaches(period);
  return breaches.map(({ requestId, customer, severity, target, dueAt, breachedAt, assigneeSlackId }) => ({
    requestId,
    customer,
    severity,
    target,
    dueAt,
    breachedAt,
    assigneeSlackId,
  }));
}
