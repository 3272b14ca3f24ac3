// What the outbox dispatcher makes due without waiting: rows a transport's back-off holds (at start-up, since its
// setting may have been fixed, and when that transport works again) and, on the only process, leases a crash left.
// A failure here only logs: the rows then wait as scheduled.
import type { Clock } from '../app/ports.ts';
import type { OutboxChannel, OutboxDelivery } from '../app/outbox-delivery.ts';
import type { Logger } from '../logger.ts';

interface StartUpDeps {
  repository: OutboxDelivery;
  clock: Clock;
  log: Logger;
}

/** Rows of `channels` waiting out a failure's back-off are due now; returns how many. */
export async function makeWaitingRowsDue(deps: StartUpDeps, channels: readonly OutboxChannel[], why: 'start-up' | 'transport-recovered'): Promise<number> {
  const count = await deps.repository.makeWaitingDue(deps.clock.now(), channels).catch((error: unknown) => {
    deps.log.warn({ event: 'outbox-backoff-clear-failed', why, channels, err: error }, 'could not make waiting rows due; they wait as scheduled');
    return 0;
  });
  if (count) deps.log.info({ event: 'outbox-backoff-cleared', why, channels, count }, `${count} pending row(s) waiting on a back-off are due now (${why})`);
  return count;
}

/** Leases a crashed run left end now (the embedded database only: its lock proves their holder gone). */
export async function expireLeftLeases(deps: StartUpDeps): Promise<void> {
  const count = await deps.repository.expireLeases(deps.clock.now()).catch((error: unknown) => {
    deps.log.warn({ event: 'outbox-lease-expire-failed', err: error }, 'could not end the leases left by the last run; their rows wait out the lease');
    return 0;
  });
  if (count)
    deps.log.info({ event: 'outbox-leases-expired', count }, `${count} row(s) claimed by the last run (which ended without finishing them) are due now`);
}
