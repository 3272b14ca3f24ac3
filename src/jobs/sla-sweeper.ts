// Fires SLA warnings and breaches: every tick claims the timers whose nextEventAt has passed (indexed, so a tick costs
// what is due, not what is open) and, in the same transaction, marks them and queues the Slack and e-mail notices.
// Several processes may sweep at once: rows are claimed FOR NO KEY UPDATE SKIP LOCKED and every notice has an
// idempotency key per timer, so each event fires once. Starting, pausing and restarting timers is src/store/sla-timers.ts.
import type { Config } from '../config.ts';
import { notify } from '../app/notify.ts';
import type { MailRenderer } from '../app/ports.ts';
import type { Policy } from '../domain/policy.ts';
import { calendarFor, effectiveCalendarName, isSlaTarget, remainingSupportMs, type SlaTarget, type SupportLevel } from '../domain/sla/index.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import type { Clock, Service } from '../app/ports.ts';
import type { Database } from '../store/database.ts';
import { enqueueOutbox, outboxIn } from '../store/outbox-repository.ts';
import { nextEventAt } from '../store/sla-timers.ts';
import { appendEvent } from '../store/ticket-repository.ts';
import { metrics } from '../metrics.ts';

type Tx = Prisma.TransactionClient;

export interface SlaSweeperOptions {
  database: Pick<Database, 'prisma'>;
  policy: Policy;
  clock: Clock;
  logger: Logger;
  config: Pick<Config, 'SLA_SWEEP_INTERVAL_MS' | 'MANAGER_EMAILS' | 'SUPPORT_ADDRESS' | 'SUPPORT_NAME' | 'LOCALE'>;
  /** Renders the managers' sla-escalation mail. */
  renderer: MailRenderer;
  /** Timers claimed per transaction (default 100); a tick repeats until fewer are due. */
  batchSize?: number;
  /** Called after a tick that queued notices (e.g. to wake the outbox dispatcher). */
  onNotices?: () => void;
}

/** What one sweep did. */
export interface SweepResult {
  warnings: number;
  breaches: number;
  /** Timers of closed or waiting tickets found with a pending event (should not happen; repaired and logged). */
  repaired: number;
  /** The earliest pending event after the sweep, for scheduling the next tick. */
  nextEventAt: Date | null;
}

export interface SlaSweeper extends Service {
  /** Runs one sweep at `clock.now()`. */
  sweep(): Promise<SweepResult>;
  /** Sweeps that failed since start (each is logged). */
  readonly failures: number;
}

const timerInclude = {
  ticket: {
    select: {
      id: true,
      requestId: true,
      subject: true,
      status: true,
      pausedAt: true,
      closedAt: true,
      severity: true,
      calendar: true,
      supportLevel: true,
      assigneeSlackId: true,
      requesterEmail: true,
      customer: { select: { name: true } },
      partner: { select: { name: true } },
    },
  },
} as const;
type ClaimedTimer = Prisma.SlaTimerGetPayload<{ include: typeof timerInclude }>;

/**
 * Claims up to `limit` due timers with their tickets. NO KEY UPDATE (not UPDATE) so that inserts referring to the
 * ticket (events, outbox) are not blocked; SKIP LOCKED so that another sweeper, or an engineer's transaction holding
 * the ticket, is passed over instead of waited for: the sweeper never waits on a lock, so it never deadlocks.
 */
const claimSql = `SELECT s."id" FROM "SlaTimer" s JOIN "Ticket" t ON t."id" = s."ticketId"
  WHERE s."nextEventAt" <= $1
  ORDER BY s."nextEventAt"
  LIMIT $2
  FOR NO KEY UPDATE SKIP LOCKED`;

export function createSlaSweeper(options: SlaSweeperOptions): SlaSweeper {
  const { policy, clock, config } = options;
  const prisma = options.database.prisma;
  const batchSize = options.batchSize ?? 100;
  const interval = config.SLA_SWEEP_INTERVAL_MS;
  const minDelayMs = Math.min(1_000, interval);
  const maxBatchesPerTick = 1_000;
  const log = options.logger.child({ component: 'sla-sweeper' });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  let failures = 0;

  const customerOf = (ticket: ClaimedTimer['ticket']) => ticket.customer?.name ?? ticket.partner?.name ?? ticket.requesterEmail;

  /** A timer with a pending event on a closed or waiting ticket: stop or pause it as sla-timers.ts would have. */
  async function repair(tx: Tx, row: ClaimedTimer, now: Date): Promise<void> {
    const { ticket } = row;
    if (ticket.status === 'closed') {
      await tx.slaTimer.update({ where: { id: row.id }, data: { metAt: ticket.closedAt ?? now, nextEventAt: null } });
    } else {
      const calendar = calendarFor(policy, effectiveCalendarName(policy, { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity }));
      const remaining = row.dueAt ? remainingSupportMs(calendar, ticket.pausedAt ?? now, row.dueAt) : 0;
      await tx.slaTimer.update({ where: { id: row.id }, data: { remainingMs: BigInt(remaining), nextEventAt: null } });
    }
    log.warn({ event: 'sla-timer-repaired', ticketId: ticket.id, requestId: ticket.requestId, timerId: row.id, status: ticket.status }, 'timer of a closed or waiting ticket had a pending event');
  }

  async function warn(tx: Tx, row: ClaimedTimer, now: Date): Promise<void> {
    const { ticket } = row;
    await appendEvent(tx, ticket.id, { type: 'sla-warning', at: now, actor: 'deskbot', detail: { timerId: row.id, target: row.target, cycle: row.cycle, dueAt: row.dueAt?.toISOString() ?? null } });
    await enqueueOutbox(
      tx,
      {
        idempotencyKey: `sla-warning:${row.id}`,
        channel: 'slack',
        kind: 'sla-warning',
        payload: { ticketId: ticket.id, requestId: ticket.requestId, target: row.target, dueAt: row.dueAt!.toISOString(), assigneeSlackId: ticket.assigneeSlackId },
        ticketId: ticket.id,
      },
      now,
    );
  }

  async function breach(tx: Tx, row: ClaimedTimer, now: Date): Promise<void> {
    const { ticket } = row;
    const dueAt = row.dueAt!;
    const lateByMs = Math.max(0, now.getTime() - dueAt.getTime());
    const customer = customerOf(ticket);
    await appendEvent(tx, ticket.id, {
      type: 'sla-breach',
      at: now,
      actor: 'deskbot',
      detail: { timerId: row.id, target: row.target, cycle: row.cycle, dueAt: dueAt.toISOString(), lateByMs },
    });
    await tx.ticket.update({ where: { id: ticket.id }, data: { breached: true, needsPostMortem: true } });
    await enqueueOutbox(
      tx,
      {
        idempotencyKey: `sla-breach:${row.id}`,
        channel: 'slack',
        kind: 'sla-breach',
        payload: { ticketId: ticket.id, requestId: ticket.requestId, customer, severity: ticket.severity, target: row.target, dueAt: dueAt.toISOString(), lateByMs, assigneeSlackId: ticket.assigneeSlackId },
        ticketId: ticket.id,
      },
      now,
    );
    if (config.MANAGER_EMAILS.length === 0) return;
    const calendarName = effectiveCalendarName(policy, { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity });
    const severityName = policy.sla.severities[String(ticket.severity) as keyof Policy['sla']['severities']]?.name ?? String(ticket.severity);
    await notify({ renderer: options.renderer, supportAddress: config.SUPPORT_ADDRESS }, outboxIn(tx, now), {
      template: 'sla-escalation',
      locale: config.LOCALE,
      data: {
        supportName: config.SUPPORT_NAME,
        supportAddress: config.SUPPORT_ADDRESS,
        requestId: ticket.requestId,
        subject: ticket.subject,
        customerName: customer,
        severity: ticket.severity,
        severityName,
        target: row.target as SlaTarget,
        dueAt,
        lateByMs,
        assignee: ticket.assigneeSlackId,
        timeZone: calendarFor(policy, calendarName).timeZone,
      },
      to: config.MANAGER_EMAILS.map((address) => ({ address })),
      autoSubmitted: 'auto-generated',
      requestId: ticket.requestId,
      headers: { 'X-Deskbot-Request-Id': ticket.requestId },
      idempotencyKey: `sla-escalation:${row.id}`,
      ticketId: ticket.id,
    });
  }

  /** One claimed batch in one transaction; returns how many rows it claimed. */
  async function sweepBatch(now: Date, totals: SweepResult): Promise<number> {
    // Counted only once the batch committed: a rolled-back batch fired nothing.
    const fired: Array<{ kind: 'warning' | 'breach'; target: string }> = [];
    const claimedCount = await prisma.$transaction(
      async (tx) => {
        const claimed = await tx.$queryRawUnsafe<Array<{ id: number }>>(claimSql, now, batchSize);
        if (claimed.length === 0) return 0;
        const rows = await tx.slaTimer.findMany({ where: { id: { in: claimed.map((row) => row.id) } }, include: timerInclude, orderBy: { nextEventAt: 'asc' } });
        for (const row of rows) {
          // Re-checked under the lock: a concurrent sweeper may have handled it between our snapshot and the lock.
          if (!isSlaTarget(row.target)) {
            await tx.slaTimer.update({ where: { id: row.id }, data: { nextEventAt: null } });
            log.error({ event: 'sla-timer-unknown-target', timerId: row.id, target: row.target }, 'timer with an unknown target; it will not fire');
            continue;
          }
          const pending = nextEventAt(row);
          if (!pending || pending.getTime() > now.getTime()) {
            await tx.slaTimer.update({ where: { id: row.id }, data: { nextEventAt: pending } });
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
            await breach(tx, row, now);
            state.breachedAt = now;
            state.warnedAt = row.warnedAt ?? now;
            totals.breaches += 1;
            fired.push({ kind: 'breach', target: row.target });
            log.info({ event: 'sla-breach', ticketId: row.ticket.id, requestId: row.ticket.requestId, target: row.target, cycle: row.cycle }, 'SLA target breached');
          } else {
            await warn(tx, row, now);
            state.warnedAt = now;
            totals.warnings += 1;
            fired.push({ kind: 'warning', target: row.target });
            log.info({ event: 'sla-warning', ticketId: row.ticket.id, requestId: row.ticket.requestId, target: row.target, cycle: row.cycle }, 'SLA target warning');
          }
          await tx.slaTimer.update({
            where: { id: row.id },
            data: { warnedAt: state.warnedAt, breachedAt: state.breachedAt, nextEventAt: nextEventAt(state) },
          });
        }
        return claimed.length;
      },
      { maxWait: 10_000, timeout: 60_000 },
    );
    for (const event of fired) (event.kind === 'breach' ? metrics.slaBreaches : metrics.slaWarnings).inc({ target: event.target });
    return claimedCount;
  }

  async function sweep(): Promise<SweepResult> {
    const now = clock.now();
    const totals: SweepResult = { warnings: 0, breaches: 0, repaired: 0, nextEventAt: null };
    // Until a claim comes back empty: a partial batch does not mean nothing is left, because rows whose ticket another
    // sweeper held locked were skipped and may be free now. Bounded, so a bug cannot spin a tick forever.
    for (let batch = 0; batch < maxBatchesPerTick && (await sweepBatch(now, totals)) > 0; batch += 1) {
      // claimed and handled one batch
    }
    const next = await prisma.slaTimer.findFirst({ where: { nextEventAt: { not: null } }, orderBy: { nextEventAt: 'asc' }, select: { nextEventAt: true } });
    totals.nextEventAt = next?.nextEventAt ?? null;
    if ((totals.warnings > 0 || totals.breaches > 0) && options.onNotices) options.onNotices();
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
