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

/** The three SLA targets of a ticket (Cryptzone §7), as the store names its timers. */
export const slaTargetKinds = ['initial-response', 'progress-update', 'resolution'] as const;
export type SlaTargetKind = (typeof slaTargetKinds)[number];

/** Support time per target, each in ms of the calendar that target runs on. */
export interface TargetBudgets {
  /** The calendar of the initial response and the progress updates (support hours, Cryptzone §7.1). */
  calendarName: string;
  /** The calendar of the resolution objective: always the customer's business calendar (business days, Cryptzone §7). */
  resolutionCalendarName: string;
  initialResponseMs: number;
  progressUpdateMs: number;
  /** null when the severity has no resolution target; else ms of `resolutionCalendarName`. */
  resolutionMs: number | null;
}

/**
 * The calendar one target of a ticket runs on. Initial response and progress updates are in support hours: the
 * Support Plus calendar (24x7) for its always-on severities (Cryptzone §2.2.2: 5 and 4), else the customer's. The
 * resolution objective is stated in business days (§7: "3 business days", "15 business days"), so it always runs on
 * the customer's regional business calendar, Support Plus included.
 */
export function targetCalendarName(policy: Policy, input: SlaTargetInput, target: SlaTargetKind): string {
  if (target === 'resolution') return input.calendar;
  const { plusAlwaysOnSeverities, plusCalendar } = policy.sla;
  return input.supportLevel === 'plus' && plusAlwaysOnSeverities.includes(input.severity) ? plusCalendar : input.calendar;
}

/**
 * The calendar of a ticket's initial response and progress updates (see targetCalendarName; pass `target` for the
 * resolution objective's calendar, which differs for Support Plus severities 5 and 4).
 */
export function effectiveCalendarName(policy: Policy, input: SlaTargetInput, target: SlaTargetKind = 'initial-response'): string {
  return targetCalendarName(policy, input, target);
}

/** A target duration in ms of support time: hours as they are, a day as `calendar.hoursPerDay` support hours. */
export function supportDurationMs(duration: SupportDuration, calendar: BusinessCalendar): number {
  const hours = duration.unit === 'days' ? duration.amount * calendar.hoursPerDay : duration.amount;
  return Math.round(hours * MS_PER_HOUR);
}

/**
 * The support-time budgets of a ticket's three targets, each on its own calendar (targetCalendarName): a Support Plus
 * Major's "3d" resolution is 3 x 9 business hours of the customer's calendar, its "2d" progress update 48 hours of 24x7.
 * Throws a RangeError for a severity outside 1-5 or a calendar the policy does not define.
 */
export function targetBudgets(policy: Policy, input: SlaTargetInput): TargetBudgets {
  const targets = severityTargets(policy, input.severity);
  const calendarName = targetCalendarName(policy, input, 'initial-response');
  const resolutionCalendarName = targetCalendarName(policy, input, 'resolution');
  const calendar = calendarFor(policy, calendarName);
  const resolutionCalendar = calendarFor(policy, resolutionCalendarName);
  return {
    calendarName,
    resolutionCalendarName,
    initialResponseMs: supportDurationMs(targets.initialResponse, calendar),
    progressUpdateMs: supportDurationMs(targets.progressUpdate, calendar),
    resolutionMs: targets.resolution === null ? null : supportDurationMs(targets.resolution, resolutionCalendar),
  };
}

/**
 * Severities whose resolution objective is to keep working until the defect is resolved or a workaround is provided
 * (Cryptzone §7: Critical only). Other severities without a resolution target promise no such thing.
 */
export const untilResolvedSeverities: readonly number[] = [5];

/** Whether a severity carries the continued-effort commitment of Cryptzone §7 (see untilResolvedSeverities). */
export function worksUntilResolved(severity: number): boolean {
  return untilResolvedSeverities.includes(severity);
}

/** How a ticket's targets are counted, as its mails tell the customer (acknowledgement, split notice). */
export interface TargetCounting {
  /** Initial response and progress updates run on an always-open calendar: their hours are clock hours, their days calendar days. */
  aroundTheClock: boolean;
  /** Support Plus runs this severity around the clock (policy.sla.plusAlwaysOnSeverities on an always-open plusCalendar). */
  supportPlusAroundTheClock: boolean;
  /** Support Plus around the clock, but the resolution objective counts business days of the customer's calendar (§7). */
  resolutionOnBusinessDays: boolean;
}

/** Which clock each target of a ticket counts on, for the words around its durations (targetCalendarName decides). */
export function targetCounting(policy: Policy, input: SlaTargetInput): TargetCounting {
  const alwaysOpen = (target: SlaTargetKind) => policy.calendars[targetCalendarName(policy, input, target)]?.alwaysOpen === true;
  const aroundTheClock = alwaysOpen('initial-response');
  const supportPlusAroundTheClock = aroundTheClock && input.supportLevel === 'plus' && policy.sla.plusAlwaysOnSeverities.includes(input.severity);
  const hasResolution = severityTargets(policy, input.severity).resolution !== null;
  return { aroundTheClock, supportPlusAroundTheClock, resolutionOnBusinessDays: supportPlusAroundTheClock && hasResolution && !alwaysOpen('resolution') };
}
