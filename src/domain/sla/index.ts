// The SLA engine's public surface: business calendars, target budgets, due times and pause/resume arithmetic.
// Import from here outside src/domain/sla; the holiday wrapper stays internal.
export {
  calendarFor,
  createBusinessCalendar,
  createCalendarRegistry,
  type BusinessCalendar,
  type CalendarRegistry,
} from './business-calendar.ts';
export {
  effectiveCalendarName,
  slaTargetKinds,
  supportDurationMs,
  supportLevels,
  targetBudgets,
  targetCalendarName,
  type SlaTargetInput,
  type SlaTargetKind,
  type SupportLevel,
  type TargetBudgets,
  targetCounting,
  type TargetCounting,
  untilResolvedSeverities,
  worksUntilResolved,
} from './targets.ts';
export {
  computeDueTimes,
  initialResponseMetAtStart,
  nextProgressUpdateDue,
  remainingSupportMs,
  resumeDue,
  resumeWarnAt,
  warnBudgetMs,
  type DueTimes,
  type PausedBudget,
  type ProgressUpdateDue,
  type SlaInput,
} from './due-times.ts';
export { isSlaTarget, slaTargetLabel, slaTargetLabels, slaTargets, type SlaTarget } from './target-names.ts';
export { nextTimerEventAt, type TimerEventState } from './timer-events.ts';
