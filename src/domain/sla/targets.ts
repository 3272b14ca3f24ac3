// Which calendar a ticket's SLA runs on and how much support time each target allows, from policy.sla.
// Budgets only: turning them into instants is due-times.ts; a target's history (met, breached) is the store's.
import { severityTargets, type Policy, type SupportDuration } from '../policy.ts';
import { calendarFor, type BusinessCalendar } from './business-calendar.ts';

const MS_PER_HOUR = 3_600_000;

export const supportLevels = ['normal', 'plus'] as const;
/** "plus" = Support Plus: the severities in policy.sla.plusAlwaysOnSeverities run on policy.sla.plusCalendar. */
export type SupportLevel = (typeof supportLevels)[number];

/** What selects a ticket's SLA targets. */
export interface SlaTargetInput {
  /** The customer's calendar name in the policy ("US", "EMEA", ...). */
  calendar: string;
  supportLevel: SupportLevel;
  /** 1-5; 5 is Critical. */
  severity: number;
}

/** Support time per target, in ms of the calendar the ticket runs on. */
export interface TargetBudgets {
  calendarName: string;
  initialResponseMs: number;
  progressUpdateMs: number;
  /** null when the severity has no resolution target. */
  resolutionMs: number | null;
}

/** The calendar a ticket's SLA runs on: the Support Plus calendar for its always-on severities, else the customer's. */
export function effectiveCalendarName(policy: Policy, input: SlaTargetInput): string {
  const { plusAlwaysOnSeverities, plusCalendar } = policy.sla;
  return input.supportLevel === 'plus' && plusAlwaysOnSeverities.includes(input.severity) ? plusCalendar : input.calendar;
}

/** A target duration in ms of support time: hours as they are, a day as `calendar.hoursPerDay` support hours. */
export function supportDurationMs(duration: SupportDuration, calendar: BusinessCalendar): number {
  const hours = duration.unit === 'days' ? duration.amount * calendar.hoursPerDay : duration.amount;
  return Math.round(hours * MS_PER_HOUR);
}

/**
 * The support-time budgets of a ticket's three targets.
 * Throws a RangeError for a severity outside 1-5 or a calendar the policy does not define.
 */
export function targetBudgets(policy: Policy, input: SlaTargetInput): TargetBudgets {
  const targets = severityTargets(policy, input.severity);
  const calendarName = effectiveCalendarName(policy, input);
  const calendar = calendarFor(policy, calendarName);
  return {
    calendarName,
    initialResponseMs: supportDurationMs(targets.initialResponse, calendar),
    progressUpdateMs: supportDurationMs(targets.progressUpdate, calendar),
    resolutionMs: targets.resolution === null ? null : supportDurationMs(targets.resolution, calendar),
  };
}
