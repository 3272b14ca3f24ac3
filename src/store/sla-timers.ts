// The SLA clock of a ticket as stored rows: one SlaTimer per target and cycle. Starts, pauses, resumes,
// meets and retargets timers inside the caller's transaction, so intake, Slack and the sweeper share one rule set.
// The arithmetic is the pure SLA engine (src/domain/sla); firing warnings and breaches is src/jobs/sla-sweeper.ts.
import type { Policy } from '../domain/policy.ts';
import {
  calendarFor,
  initialResponseMetAtStart,
  remainingSupportMs,
  resumeDue,
  resumeWarnAt,
  targetBudgets,
  nextTimerEventAt,
  targetCalendarName,
  warnBudgetMs,
  type SlaTarget,
  type TimerEventState,
  type SupportLevel,
} from '../domain/sla/index.ts';
import { Prisma, type SlaTimer } from '../generated/prisma/client.ts';

import type { DueSlaTimer, SlaTimerChanges, SlaTimerRow, TicketClock } from '../app/records.ts';
import type { PrismaClient } from './database.ts';
import { ticketUpdate } from './ticket-writes.ts';
import { rawExecuteSql, rawSqlRows } from './direct-raw.ts';

export type { TicketClock };

type Tx = Prisma.TransactionClient;

type TimerState = TimerEventState;

/** The next instant the sweeper must look at a timer (domain/sla nextTimerEventAt). */
export const nextEventAt = nextTimerEventAt;

/** The clock figures of one timer after a pause, resume or retarget. */
interface TimerFigures {
  id: number;
  budgetMs: bigint;
  dueAt: Date | null;
  warnAt: Date | null;
  remainingMs: bigint | null;
  nextEventAt: Date | null;
}

/**
 * Writes the figures of several timers with one statement (UPDATE … FROM VALUES) instead of one UPDATE each, and
 * `ticketWrite` (the ticket's own pause time) in the same statement.
 */
async function updateTimerFigures(tx: Tx, timers: TimerFigures[], ticketWrite: Prisma.Sql | null = null): Promise<void> {
  if (timers.length === 0) {
    if (ticketWrite) await rawExecuteSql(tx, ticketWrite);
    return;
  }
  const values = timers.map(
    (timer) =>
      Prisma.sql`(${timer.id}::int, ${String(timer.budgetMs)}::bigint, ${timer.dueAt?.toISOString() ?? null}::timestamptz, ${timer.warnAt?.toISOString() ?? null}::timestamptz, ${timer.remainingMs === null ? null : String(timer.remainingMs)}::bigint, ${timer.nextEventAt?.toISOString() ?? null}::timestamptz)`,
  );
  await rawExecuteSql(
    tx,
    Prisma.sql`${ticketWrite ? Prisma.sql`WITH t AS (${ticketWrite}) ` : Prisma.empty}UPDATE "SlaTimer" s SET "budgetMs" = v."budgetMs", "dueAt" = v."dueAt", "warnAt" = v."warnAt", "remainingMs" = v."remainingMs", "nextEventAt" = v."nextEventAt"
       FROM (VALUES ${Prisma.join(values)}) AS v("id", "budgetMs", "dueAt", "warnAt", "remainingMs", "nextEventAt")
      WHERE s."id" = v."id"`,
  );
}

function terms(ticket: TicketClock) {
  return { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity };
}

/**
 * A ticket's timers by its id alone (a handful), by target and cycle, the running/paused filter applied by the caller:
 * with that filter in SQL, PGlite (no statistics) plans it over the partial index of all running timers, ~7 ms with
 * 30,000 of them. Raw SQL: Prisma compiles each findMany on the main thread, and this read is in every pause, resume
 * and severity change.
 */
const timersOf = (tx: Tx, ticketId: number) =>
  rawSqlRows<SlaTimer>(tx, Prisma.sql`SELECT * FROM "SlaTimer" WHERE "ticketId" = ${ticketId} ORDER BY "target", "cycle"`);

export function createSlaTimers(policy: Policy) {
  const fraction = policy.sla.warnAtFraction;

  function budgetsOf(ticket: TicketClock) {
    const budgets = targetBudgets(policy, terms(ticket));
    return { budgets, calendar: calendarFor(policy, budgets.calendarName) };
  }

  /** The calendar of one target: Support Plus resolution counts the customer's business days (Cryptzone §7). */
  function calendarNameOf(ticket: TicketClock, target: SlaTarget | string): string {
    return targetCalendarName(policy, terms(ticket), target === 'resolution' ? 'resolution' : 'initial-response');
  }
  function calendarOf(ticket: TicketClock, target: SlaTarget | string) {
    return calendarFor(policy, calendarNameOf(ticket, target));
  }

  function timerRow(ticketId: number, target: SlaTarget, cycle: number, budgetMs: number, startedAt: Date, calendarName: string) {
    const calendar = calendarFor(policy, calendarName);
    const dueAt = calendar.addSupportTime(startedAt, budgetMs);
    const warnAt = calendar.addSupportTime(startedAt, warnBudgetMs(budgetMs, fraction));
    const state: TimerState = { warnAt, dueAt, warnedAt: null, breachedAt: null, metAt: null, remainingMs: null };
    return { ticketId, target, cycle, budgetMs: BigInt(budgetMs), startedAt, warnAt, dueAt, nextEventAt: nextEventAt(state) };
  }

  async function openTimer(tx: Tx, ticketId: number, target: SlaTarget, cycle: number, budgetMs: number, startedAt: Date, calendarName: string) {
    await tx.slaTimer.create({ data: timerRow(ticketId, target, cycle, budgetMs, startedAt, calendarName) });
  }

  /** The first cycle's timer rows, one per target the severity has. */
  function firstTimerRows(ticket: TicketClock, at: Date) {
    const { budgets } = budgetsOf(ticket);
    return [
      timerRow(ticket.id, 'initial-response', 1, budgets.initialResponseMs, at, budgets.calendarName),
      timerRow(ticket.id, 'progress-update', 1, budgets.progressUpdateMs, at, budgets.calendarName),
      ...(budgets.resolutionMs !== null ? [timerRow(ticket.id, 'resolution', 1, budgets.resolutionMs, at, budgets.resolutionCalendarName)] : []),
    ];
  }

  return {
    /**
     * Starts the clock when the request is complete (and agreed): one timer per target the severity has. When an
     * engineer already answered the customer while the clock waited, the initial response is met at the start.
     */
    async start(tx: Tx, ticket: TicketClock, at: Date): Promise<void> {
      const { lastEngineerUpdateAt } = await tx.ticket.update({
        where: { id: ticket.id },
        data: { clockStartedAt: at },
        select: { lastEngineerUpdateAt: true },
      });
      const metAt = initialResponseMetAtStart(at, lastEngineerUpdateAt);
      const rows = firstTimerRows(ticket, at).map((row) => (metAt && row.target === 'initial-response' ? { ...row, metAt, nextEventAt: null } : row));
      await tx.slaTimer.createMany({ data: rows });
      if (metAt) await tx.ticket.update({ where: { id: ticket.id }, data: { firstResponseAt: metAt } });
    },

    /**
     * The timer rows start() writes, for a caller that inserts them in the same statement as the ticket itself
     * (the ticket id in them is `ticket.id`, which such a caller ignores).
     */
    firstTimerRows,

    /** Waiting on the customer: every running timer keeps its remaining support time and stops firing. */
    async pause(tx: Tx, ticket: TicketClock, at: Date): Promise<void> {
      const running = (await timersOf(tx, ticket.id)).filter((timer) => timer.metAt === null && timer.remainingMs === null);
      await updateTimerFigures(
        tx,
        running.map((timer) => {
          const remaining = timer.dueAt ? remainingSupportMs(calendarOf(ticket, timer.target), at, timer.dueAt) : 0;
          return { ...timer, remainingMs: BigInt(remaining), nextEventAt: null };
        }),
        ticketUpdate(ticket.id, { pausedAt: at }),
      );
    },

    /** The customer answered: paused timers run again with the support time they had left. */
    async resume(tx: Tx, ticket: TicketClock, at: Date): Promise<void> {
      const paused = (await timersOf(tx, ticket.id)).filter((timer) => timer.metAt === null && timer.remainingMs !== null);
      await updateTimerFigures(
        tx,
        paused.map((timer) => {
          const calendar = calendarOf(ticket, timer.target);
          const remainingMs = Number(timer.remainingMs);
          const dueAt = resumeDue(calendar, at, remainingMs);
          const warnAt = resumeWarnAt(calendar, at, { remainingMs, budgetMs: Number(timer.budgetMs), warnAtFraction: fraction });
          const state: TimerState = { ...timer, warnAt, dueAt, remainingMs: null };
          return { ...timer, dueAt, warnAt, remainingMs: null, nextEventAt: nextEventAt(state) };
        }),
        ticketUpdate(ticket.id, { pausedAt: null }),
      );
    },

    /**
     * An engineer answered the customer: meets the initial response (first time) and the current progress-update
     * cycle, and opens the next cycle one interval from now. The automatic acknowledgement never counts.
     */
    async recordEngineerUpdate(tx: Tx, ticket: TicketClock, at: Date): Promise<{ initialResponse: boolean }> {
      const { budgets } = budgetsOf(ticket);
      const initial = await tx.slaTimer.updateMany({
        where: { ticketId: ticket.id, target: 'initial-response', metAt: null },
        data: { metAt: at, nextEventAt: null },
      });
      const open = await tx.slaTimer.findFirst({ where: { ticketId: ticket.id, target: 'progress-update', metAt: null }, orderBy: { cycle: 'desc' } });
      const last = open ?? (await tx.slaTimer.findFirst({ where: { ticketId: ticket.id, target: 'progress-update' }, orderBy: { cycle: 'desc' } }));
      if (open) await tx.slaTimer.update({ where: { id: open.id }, data: { metAt: at, nextEventAt: null } });
      if (last) await openTimer(tx, ticket.id, 'progress-update', last.cycle + 1, budgets.progressUpdateMs, at, budgets.calendarName);
      await tx.ticket.update({
        where: { id: ticket.id },
        data: { lastEngineerUpdateAt: at, ...(initial.count > 0 ? { firstResponseAt: at } : {}) },
      });
      return { initialResponse: initial.count > 0 };
    },

    /**
     * The severity (or support level) changed: every open timer gets the new target's budget, counted from when
     * it started; a paused timer keeps paused with the new remaining time. Warnings and breaches already sent stay.
     */
    async retarget(tx: Tx, ticket: TicketClock, at: Date): Promise<void> {
      const { budgets } = budgetsOf(ticket);
      const budgetFor: Record<string, number | null> = {
        'initial-response': budgets.initialResponseMs,
        'progress-update': budgets.progressUpdateMs,
        resolution: budgets.resolutionMs,
      };
      // Every timer of the ticket in one read: the open ones change; any resolution timer (met too) means one exists.
      const all = await timersOf(tx, ticket.id);
      const open = all.filter((timer) => timer.metAt === null);
      const dropped = open.filter((timer) => budgetFor[timer.target] === null || budgetFor[timer.target] === undefined);
      if (dropped.length) await tx.slaTimer.deleteMany({ where: { id: { in: dropped.map((timer) => timer.id) } } });
      await updateTimerFigures(
        tx,
        open
          .filter((timer) => !dropped.includes(timer))
          .map((timer) => {
            const budgetMs = budgetFor[timer.target]!;
            const calendar = calendarOf(ticket, timer.target);
            const dueAt = calendar.addSupportTime(timer.startedAt, budgetMs);
            const warnAt = calendar.addSupportTime(timer.startedAt, warnBudgetMs(budgetMs, fraction));
            const remainingMs = timer.remainingMs === null ? null : BigInt(remainingSupportMs(calendar, at, dueAt));
            const state: TimerState = { ...timer, dueAt, warnAt, remainingMs };
            return { id: timer.id, budgetMs: BigInt(budgetMs), dueAt, warnAt, remainingMs, nextEventAt: nextEventAt(state) };
          }),
      );
      if (budgets.resolutionMs !== null && !all.some((timer) => timer.target === 'resolution')) {
        const row = await tx.ticket.findUnique({ where: { id: ticket.id }, select: { clockStartedAt: true } });
        if (row?.clockStartedAt) await openTimer(tx, ticket.id, 'resolution', 1, budgets.resolutionMs, row.clockStartedAt, budgets.resolutionCalendarName);
      }
    },

    /**
     * A workaround was given (Cryptzone §7: a defect is "resolved or a Workaround is provided"): the resolution
     * objective is met now; the ticket stays open and its other timers run on. True when a timer was met.
     */
    async meetResolution(tx: Tx, ticketId: number, at: Date): Promise<boolean> {
      const met = await tx.slaTimer.updateMany({
        where: { ticketId, target: 'resolution', metAt: null },
        data: { metAt: at, nextEventAt: null, remainingMs: null },
      });
      return met.count > 0;
    },

    /** The ticket is closed: resolution met, every other timer stops. */
    async stop(tx: Tx, ticketId: number, at: Date): Promise<void> {
      await tx.slaTimer.updateMany({ where: { ticketId, metAt: null }, data: { metAt: at, nextEventAt: null } });
    },

    /**
     * Reopened: the resolution target (if any) and a fresh progress-update cycle run again from `at`.
     * The initial response, once met, stays met.
     */
    async reopen(tx: Tx, ticket: TicketClock, at: Date): Promise<void> {
      const { budgets } = budgetsOf(ticket);
      for (const target of ['progress-update', 'resolution'] as const) {
        const budgetMs = target === 'resolution' ? budgets.resolutionMs : budgets.progressUpdateMs;
        if (budgetMs === null) continue;
        const last = await tx.slaTimer.findFirst({ where: { ticketId: ticket.id, target }, orderBy: { cycle: 'desc' } });
        await openTimer(tx, ticket.id, target, (last?.cycle ?? 0) + 1, budgetMs, at, calendarNameOf(ticket, target));
      }
    },

    /** Recomputes the sweeper's next look at a timer after it warned or breached. */
    nextEventAt,
  };
}

export type SlaTimers = ReturnType<typeof createSlaTimers>;

const dueTimerInclude = {
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
      // Whether the first progress update falls due with the initial response (the sweeper pings once for both).
      slaTimers: { where: { target: 'initial-response', metAt: null }, select: { dueAt: true } },
    },
  },
} as const;

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

/** The sweeper's claim (see claimSql): the due timers, locked until the transaction ends, earliest event first. */
export async function claimDueTimers(tx: Tx, now: Date, limit: number): Promise<DueSlaTimer[]> {
  const claimed = await tx.$queryRawUnsafe<Array<{ id: number }>>(claimSql, now, limit);
  if (claimed.length === 0) return [];
  return tx.slaTimer.findMany({ where: { id: { in: claimed.map((row) => row.id) } }, include: dueTimerInclude, orderBy: { nextEventAt: 'asc' } });
}

/** Every timer of a ticket as stored (in the caller's transaction: what start, pause or resume wrote there), by target and cycle. */
export async function ticketTimers(tx: Tx, ticketId: number): Promise<SlaTimerRow[]> {
  return timersOf(tx, ticketId);
}

export async function updateTimer(tx: Tx, timerId: number, changes: SlaTimerChanges): Promise<void> {
  await tx.slaTimer.update({ where: { id: timerId }, data: changes });
}

/** The earliest pending event of any timer, for scheduling the sweeper's next tick. */
export async function nextPendingEventAt(db: Tx | PrismaClient): Promise<Date | null> {
  const next = await db.slaTimer.findFirst({ where: { nextEventAt: { not: null } }, orderBy: { nextEventAt: 'asc' }, select: { nextEventAt: true } });
  return next?.nextEventAt ?? null;
}
