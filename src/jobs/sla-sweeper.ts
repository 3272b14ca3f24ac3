// Fires SLA warnings and breaches: every tick claims the timers whose nextEventAt has passed (indexed, so a tick costs
// what is due, not what is open) and, in the same transaction, marks them and queues the Slack and e-mail notices.
// Several processes may sweep at once: rows are claimed FOR NO KEY UPDATE SKIP LOCKED and every notice has an
// idempotency key per timer, so each event fires once. Starting, pausing and restarting timers is src/store/sla-timers.ts.
// Each tick also sends the due needs-info reminders of incomplete requests (needs-info-reminders.ts).
import type { UseCaseDeps } from '../app/deps.ts';
import { notify } from '../app/notify.ts';
import type { Repositories, Service } from '../app/ports.ts';
import type { DueSlaTimer } from '../app/records.ts';
import type { Policy } from '../domain/policy.ts';
import {
  calendarFor,
  effectiveCalendarName,
  isSlaTarget,
  nextTimerEventAt,
  remainingSupportMs,
  type SlaTarget,
  type SupportLevel,
} from '../domain/sla/index.ts';
import { metrics } from '../metrics.ts';
import { createNeedsInfoReminders } from './needs-info-reminders.ts';

type Tx = Repositories;
type ClaimedTimer = DueSlaTimer;

/**
 * The renderer writes the managers' sla-at-risk and sla-escalation mails; onCommitted runs after a tick that queued notices (e.g. to
 * wake the outbox dispatcher). `batchSize`: timers claimed per transaction (default 100); a tick repeats until fewer are due.
 */
export type SlaSweeperOptions = UseCaseDeps<
  'transactor' | 'repositories' | 'policy' | 'clock' | 'logger' | 'renderer' | 'onCommitted',
  'SLA_SWEEP_INTERVAL_MS' | 'MANAGER_EMAILS' | 'SUPPORT_ADDRESS' | 'SUPPORT_NAME' | 'LOCALE'
> & { batchSize?: number };

/** What one sweep did. */
export interface SweepResult {
  warnings: number;
  breaches: number;
  /** Timers of closed or waiting tickets found with a pending event (should not happen; repaired and logged). */
  repaired: number;
  /** needs-info reminders sent to customers of incomplete requests (jobs/needs-info-reminders.ts). */
  reminders: number;
  /** The earliest pending event after the sweep, for scheduling the next tick. */
  nextEventAt: Date | null;
}

export interface SlaSweeper extends Service {
  /** Runs one sweep at `clock.now()`. */
  sweep(): Promise<SweepResult>;
  /** Sweeps that failed since start (each is logged). */
  readonly failures: number;
}

export function createSlaSweeper(options: SlaSweeperOptions): SlaSweeper {
  const { policy, clock, config } = options;
  const batchSize = options.batchSize ?? 100;
  const interval = config.SLA_SWEEP_INTERVAL_MS;
  const minDelayMs = Math.min(1_000, interval);
  const maxBatchesPerTick = 1_000;
  const log = options.logger.child({ component: 'sla-sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let failures = 0;

  const reminders = createNeedsInfoReminders({ ...options, batchSize });

  const customerOf = (ticket: ClaimedTimer['ticket']) => ticket.customer?.name ?? ticket.partner?.name ?? ticket.requesterEmail;

  /** A timer with a pending event on a closed or waiting ticket: stop or pause it as sla-timers.ts would have. */
  async function repair(tx: Tx, row: ClaimedTimer, now: Date): Promise<void> {
    const { ticket } = row;
    if (ticket.status === 'closed') {
      await tx.slaTimers.update(row.id, { metAt: ticket.closedAt ?? now, nextEventAt: null });
    } else {
      const terms = { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity };
      // Per target: a Support Plus resolution timer runs on the business calendar (Cryptzone §7).
      const calendar = calendarFor(policy, effectiveCalendarName(policy, terms, row.target === 'resolution' ? 'resolution' : 'initial-response'));
      const remaining = row.dueAt ? remainingSupportMs(calendar, ticket.pausedAt ?? now, row.dueAt) : 0;
      await tx.slaTimers.update(row.id, { remainingMs: BigInt(remaining), nextEventAt: null });
    }
    log.warn(
      { event: 'sla-timer-repaired', ticketId: ticket.id, requestId: ticket.requestId, timerId: row.id, status: ticket.status },
      'timer of a closed or waiting ticket had a pending event',
    );
  }

  /** `ping`: false when another timer's notice of the same moment says it already (see `sameMomentAsInitial`). */
  async function warn(tx: Tx, row: ClaimedTimer, now: Date, ping: boolean): Promise<void> {
    const { ticket } = row;
    await tx.events.append(ticket.id, {
      type: 'sla-warning',
      at: now,
      actor: 'deskbot',
      detail: { timerId: row.id, target: row.target, cycle: row.cycle, dueAt: row.dueAt?.toISOString() ?? null },
    });
    if (!ping) return;
    await tx.outbox.enqueue(
      {
        idempotencyKey: `sla-warning:${row.id}`,
        channel: 'slack',
        kind: 'sla-warning',
        payload: {
          ticketId: ticket.id,
          requestId: ticket.requestId,
          target: row.target,
          dueAt: row.dueAt!.toISOString(),
          assigneeSlackId: ticket.assigneeSlackId,
        },
        ticketId: ticket.id,
      },
      now,
    );
    await mailManagers(tx, row, now, { template: 'sla-at-risk', leftMs: Math.max(0, row.dueAt!.getTime() - now.getTime()) });
  }

  async function breach(tx: Tx, row: ClaimedTimer, now: Date, ping: boolean): Promise<void> {
    const { ticket } = row;
    const dueAt = row.dueAt!;
    const lateByMs = Math.max(0, now.getTime() - dueAt.getTime());
    const customer = customerOf(ticket);
    await tx.events.append(ticket.id, {
      type: 'sla-breach',
      at: now,
      actor: 'deskbot',
      detail: { timerId: row.id, target: row.target, cycle: row.cycle, dueAt: dueAt.toISOString(), lateByMs },
    });
    await tx.tickets.update(ticket.id, { breached: true, needsPostMortem: true });
    if (!ping) return;
    await tx.outbox.enqueue(
      {
        idempotencyKey: `sla-breach:${row.id}`,
        channel: 'slack',
        kind: 'sla-breach',
        payload: {
          ticketId: ticket.id,
          requestId: ticket.requestId,
          customer,
          severity: ticket.severity,
          target: row.target,
          dueAt: dueAt.toISOString(),
          lateByMs,
          assigneeSlackId: ticket.assigneeSlackId,
        },
        ticketId: ticket.id,
      },
      now,
    );
    await mailManagers(tx, row, now, { template: 'sla-escalation', lateByMs });
  }

  /**
   * The managers' mail (MANAGER_EMAILS) of a warning (sla-at-risk: before the breach, as the Slack managers hear it)
   * or of a breach (sla-escalation). One per timer and kind: the idempotency key names both.
   */
  async function mailManagers(
    tx: Tx,
    row: ClaimedTimer,
    now: Date,
    stage: { template: 'sla-at-risk'; leftMs: number } | { template: 'sla-escalation'; lateByMs: number },
  ): Promise<void> {
    if (config.MANAGER_EMAILS.length === 0) return;
    const { ticket } = row;
    const calendarName = effectiveCalendarName(policy, {
      calendar: ticket.calendar,
      supportLevel: ticket.supportLevel as SupportLevel,
      severity: ticket.severity,
    });
    const severityName = policy.sla.severities[String(ticket.severity) as keyof Policy['sla']['severities']]?.name ?? String(ticket.severity);
    const data = {
      supportName: config.SUPPORT_NAME,
      supportAddress: config.SUPPORT_ADDRESS,
      requestId: ticket.requestId,
      subject: ticket.subject,
      customerName: customerOf(ticket),
      severity: ticket.severity,
      severityName,
      target: row.target as SlaTarget,
      dueAt: row.dueAt!,
      assignee: ticket.assigneeSlackId,
      timeZone: calendarFor(policy, calendarName).timeZone,
    };
    const mail = {
      locale: config.LOCALE,
      to: config.MANAGER_EMAILS.map((address) => ({ address })),
      autoSubmitted: 'auto-generated' as const,
      requestId: ticket.requestId,
      headers: { 'X-Deskbot-Request-Id': ticket.requestId },
      idempotencyKey: `${stage.template}:${row.id}`,
      ticketId: ticket.id,
    };
    const deps = { renderer: options.renderer, supportAddress: config.SUPPORT_ADDRESS };
    if (stage.template === 'sla-at-risk') {
      await notify(deps, tx.outbox.writer(now), { ...mail, template: stage.template, data: { ...data, leftMs: stage.leftMs } });
    } else {
      await notify(deps, tx.outbox.writer(now), { ...mail, template: stage.template, data: { ...data, lateByMs: stage.lateByMs } });
    }
  }

  /** One claimed batch in one transaction; returns how many rows it claimed. */
  async function sweepBatch(now: Date, totals: SweepResult): Promise<number> {
    // Counted only once the batch committed: a rolled-back batch fired nothing.
    const fired: Array<{ kind: 'warning' | 'breach'; target: string }> = [];
    const claimedCount = await options.transactor.run(
      async (tx) => {
        const rows = await tx.slaTimers.claimDue(now, batchSize);
        if (rows.length === 0) return 0;
        // The first engineer answer meets the initial response and the first progress update together: when both fall
        // due at the same instant, the initial response's notice speaks for both, and the managers are pinged once.
        const sameMomentAsInitial = (row: ClaimedTimer) =>
          row.target === 'progress-update' &&
          row.cycle === 1 &&
          row.dueAt !== null &&
          row.ticket.slaTimers.some((initial) => initial.dueAt?.getTime() === row.dueAt!.getTime());
        for (const row of rows) {
          // Re-checked under the lock: a concurrent sweeper may have handled it between our snapshot and the lock.
          if (!isSlaTarget(row.target)) {
            await tx.slaTimers.update(row.id, { nextEventAt: null });
            log.error({ event: 'sla-timer-unknown-target', timerId: row.id, target: row.target }, 'timer with an unknown target; it will not fire');
            continue;
          }
          const pending = nextTimerEventAt(row);
          if (!pending || pending.getTime() > now.getTime()) {
            await tx.slaTimers.update(row.id, { nextEventAt: pending });
            continue;
          }
          if (row.ticket.status === 'closed' || row.ticket.status === 'waiting' || row.ticket.pausedAt) {
            await repair(tx, row, now);
            totals.repaired += 1;
            continue;
          }
          const state = { ...row };
          if (!row.breachedAt && row.dueAt && row.dueAt.getTime() <= now.getTime()) {
            // Past due: the breach ping supersedes a warning not yet sent (a warning after the fact is noise).
            await breach(tx, row, now, !sameMomentAsInitial(row));
            state.breachedAt = now;
            state.warnedAt = row.warnedAt ?? now;
            totals.breaches += 1;
            fired.push({ kind: 'breach', target: row.target });
            log.info(
              { event: 'sla-breach', ticketId: row.ticket.id, requestId: row.ticket.requestId, target: row.target, cycle: row.cycle },
              'SLA target breached',
            );
          } else {
            await warn(tx, row, now, !sameMomentAsInitial(row));
            state.warnedAt = now;
            totals.warnings += 1;
            fired.push({ kind: 'warning', target: row.target });
            log.info(
              { event: 'sla-warning', ticketId: row.ticket.id, requestId: row.ticket.requestId, target: row.target, cycle: row.cycle },
              'SLA target warning',
            );
          }
          await tx.slaTimers.update(row.id, { warnedAt: state.warnedAt, breachedAt: state.breachedAt, nextEventAt: nextTimerEventAt(state) });
        }
        return rows.length;
      },
      { maxWaitMs: 10_000, timeoutMs: 60_000 },
    );
    for (const event of fired) (event.kind === 'breach' ? metrics.slaBreaches : metrics.slaWarnings).inc({ target: event.target });
    return claimedCount;
  }

  async function sweep(): Promise<SweepResult> {
    const now = clock.now();
    const totals: SweepResult = { warnings: 0, breaches: 0, repaired: 0, reminders: 0, nextEventAt: null };
    // Until a claim comes back empty: a partial batch does not mean nothing is left, because rows whose ticket another
    // sweeper held locked were skipped and may be free now. Bounded, so a bug cannot spin a tick forever.
    for (let batch = 0; batch < maxBatchesPerTick && (await sweepBatch(now, totals)) > 0; batch += 1) {
      // claimed and handled one batch
    }
    totals.reminders = await reminders.sendDue(now);
    const candidates = [await options.repositories.slaTimers.nextPendingEventAt(), await reminders.nextAt()].filter((at): at is Date => at !== null);
    totals.nextEventAt = candidates.length ? new Date(Math.min(...candidates.map((at) => at.getTime()))) : null;
    if ((totals.warnings > 0 || totals.breaches > 0 || totals.reminders > 0) && options.onCommitted) {
      try {
        await options.onCommitted();
      } catch (error) {
        log.error({ event: 'on-committed-failed', err: error }, 'post-commit hook failed; the outbox still delivers');
      }
    }
    return totals;
  }

  function schedule(delayMs: number): void {
    if (stopped) return;
    timer = setTimeout(() => {
      const tick = sweep().then(
        (result) => {
          // Wake at the next event when it comes before the regular interval, so an event fires on time, never early.
          const untilNext = result.nextEventAt ? result.nextEventAt.getTime() - clock.now().getTime() : interval;
          // At least a second apart, so a due timer another transaction holds locked is not spun on.
          schedule(Math.min(interval, Math.max(minDelayMs, untilNext)));
        },
        (error: unknown) => {
          failures += 1;
          log.error({ event: 'sweep-failed', err: error, failures }, 'SLA sweep failed; retrying at the next interval');
          schedule(interval);
        },
      );
      running = tick;
    }, delayMs);
  }

  return {
    name: 'sla-sweeper',
    sweep,
    get failures() {
      return failures;
    },
    async start() {
      stopped = false;
      log.info({ event: 'started', intervalMs: interval }, 'SLA sweeper started');
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running?.catch(() => undefined);
      log.info({ event: 'stopped' }, 'SLA sweeper stopped');
    },
  };
}
