// When an incomplete request's customer is reminded of what is still missing (the needs-info mail): a number of
// business days of the customer's calendar after the request arrived. Pure; sending it is the SLA sweeper's work.
import type { Policy } from './policy.ts';
import { calendarFor, supportDurationMs } from './sla/index.ts';

/**
 * The instant the needs-info reminder of a request opened at `openedAt` on `calendar` is due:
 * `policy.reminders.needsInfoAfterBusinessDays` business days (each `hoursPerDay` support hours of that calendar, so
 * nights, weekends and holidays do not count) after `openedAt`, or after the next opening when it arrived out of hours.
 * Throws a RangeError for a calendar the policy does not define.
 */
export function needsInfoReminderDue(policy: Policy, calendar: string, openedAt: Date): Date {
  const businessCalendar = calendarFor(policy, calendar);
  const days = { amount: policy.reminders.needsInfoAfterBusinessDays, unit: 'days' as const };
  return businessCalendar.addSupportTime(openedAt, supportDurationMs(days, businessCalendar));
}
