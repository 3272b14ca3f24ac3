// SLA due times and warning instants of a ticket, and the pause/resume arithmetic for waiting on the customer.
// Pure: the clock start, engineer updates and pauses come in as instants; storing timers and firing warnings is the jobs' work.
import type { Policy } from '../policy.ts';
import { calendarFor, type BusinessCalendar } from './business-calendar.ts';
import { targetBudgets, type SlaTargetInput } from './targets.ts';

/** A ticket's SLA terms and the instant its clock started (the request became complete). */
export interface SlaInput extends SlaTargetInput {
  clockStartedAt: Date;
}

/** When each target falls due and when its assignee is warned (at policy.sla.warnAtFraction of its support time). */
export interface DueTimes {
  /** The calendar of the initial response and progress updates (see targetCalendarName). */
  calendarName: string;
  /** The calendar of the resolution objective: the customer's business calendar. */
  resolutionCalendarName: string;
  initialResponseDue: Date;
  progressUpdateDue: Date;
  /** null when the severity has no resolution target. */
  resolutionDue: Date | null;
  initialResponseWarnAt: Date;
  progressUpdateWarnAt: Date;
  resolutionWarnAt: Date | null;
}

/** The next progress-update deadline and its warning. */
export interface ProgressUpdateDue {
  calendarName: string;
  /** The target's full support time, as stored in a timer's budget. */
  progressUpdateMs: number;
  progressUpdateDue: Date;
  progressUpdateWarnAt: Date;
}

/** Support time after which a target of `budgetMs` warns: round(budgetMs * warnAtFraction). */
export function warnBudgetMs(budgetMs: number, warnAtFraction: number): number {
  return Math.round(budgetMs * warnAtFraction);
}

/**
 * Due and warning instants of every target, counted in support time from `clockStartedAt`
 * (from the next opening when the clock starts outside hours).
 * Throws a RangeError for a severity outside 1-5 or an unknown calendar.
 */
export function computeDueTimes(policy: Policy, input: SlaInput): DueTimes {
  const budgets = targetBudgets(policy, input);
  const calendar = calendarFor(policy, budgets.calendarName);
  const resolutionCalendar = calendarFor(policy, budgets.resolutionCalendarName);
  const start = input.clockStartedAt;
  const fraction = policy.sla.warnAtFraction;
  const { initialResponseMs, progressUpdateMs, resolutionMs } = budgets;
  return {
    calendarName: budgets.calendarName,
    resolutionCalendarName: budgets.resolutionCalendarName,
    initialResponseDue: calendar.addSupportTime(start, initialResponseMs),
    progressUpdateDue: calendar.addSupportTime(start, progressUpdateMs),
    resolutionDue: resolutionMs === null ? null : resolutionCalendar.addSupportTime(start, resolutionMs),
    initialResponseWarnAt: calendar.addSupportTime(start, warnBudgetMs(initialResponseMs, fraction)),
    progressUpdateWarnAt: calendar.addSupportTime(start, warnBudgetMs(progressUpdateMs, fraction)),
    resolutionWarnAt: resolutionMs === null ? null : resolutionCalendar.addSupportTime(start, warnBudgetMs(resolutionMs, fraction)),
  };
}

/**
 * The progress update due one interval of support time after the engineer's last update.
 * With `clockStartedAt` in the input, an update made before the clock started counts from the clock start instead.
 */
export function nextProgressUpdateDue(policy: Policy, input: SlaTargetInput & { clockStartedAt?: Date }, lastEngineerUpdateAt: Date): ProgressUpdateDue {
  const { calendarName, progressUpdateMs } = targetBudgets(policy, input);
  const calendar = calendarFor(policy, calendarName);
  const clockStartedAt = input.clockStartedAt;
  const from = clockStartedAt && clockStartedAt.getTime() > lastEngineerUpdateAt.getTime() ? clockStartedAt : lastEngineerUpdateAt;
  return {
    calendarName,
    progressUpdateMs,
    progressUpdateDue: calendar.addSupportTime(from, progressUpdateMs),
    progressUpdateWarnAt: calendar.addSupportTime(from, warnBudgetMs(progressUpdateMs, policy.sla.warnAtFraction)),
  };
}

/**
 * When the initial response of a clock starting at `clockStartedAt` is met: at the start itself when an engineer had
 * already answered the customer while the clock waited (for the agreement to the terms, for missing information), so
 * the target never runs on an answered request; null when nobody has answered yet and the target runs.
 */
export function initialResponseMetAtStart(clockStartedAt: Date, lastEngineerUpdateAt: Date | null): Date | null {
  return lastEngineerUpdateAt === null ? null : clockStartedAt;
}

/**
 * Support time left on a timer (due or warning instant) when its clock pauses; 0 once `dueAt` has passed,
 * so an overdue timer resumes overdue. Works for warning instants the same way.
 */
export function remainingSupportMs(calendar: BusinessCalendar, pausedAt: Date, dueAt: Date): number {
  return calendar.supportTimeBetween(pausedAt, dueAt);
}

/** The new due (or warning) instant when a paused clock resumes with `remainingMs` of support time left. */
export function resumeDue(calendar: BusinessCalendar, resumedAt: Date, remainingMs: number): Date {
  return calendar.addSupportTime(resumedAt, Math.max(0, remainingMs));
}

/** What a paused timer keeps: the remaining support time of its due instant, its full budget, the warning fraction. */
export interface PausedBudget {
  remainingMs: number;
  budgetMs: number;
  warnAtFraction: number;
}

/**
 * The new warning instant of a resumed timer when only its remaining due budget was stored (SlaTimer.remainingMs):
 * the warning falls (1 - warnAtFraction) of the budget before the due instant. When the warning point had already
 * passed at the pause this is `resumedAt` (warn at once); the store's warnedAt keeps a warning from repeating.
 */
export function resumeWarnAt(calendar: BusinessCalendar, resumedAt: Date, paused: PausedBudget): Date {
  const afterWarning = paused.budgetMs - warnBudgetMs(paused.budgetMs, paused.warnAtFraction);
  return resumeDue(calendar, resumedAt, paused.remainingMs - afterWarning);
}
