// Complete validation of one policy calendar at load time (issue 13 point 1), so a bad zone, holiday country or hours
// pair stops start-up naming the calendar and field instead of failing every request later. Pure; the SLA engine
// (business-calendar.ts) still guards itself, this only finds the same faults early and all at once.
import { IANAZone } from 'luxon';
import type { Calendar } from '../policy.ts';
import { createHolidayClosures } from './holiday-closures.ts';

/** A fault in a calendar: `field` is relative to the calendar, e.g. "timeZone" or "hours.mon[1]". */
export interface CalendarIssue {
  field: string;
  message: string;
}

const MINUTES_PER_DAY = 1440;
const calendarWeekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

function minutesOf(time: string): number | null {
  const match = /^(\d\d):(\d\d)$/.exec(time);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return Number(match[2]) < 60 && minutes <= MINUTES_PER_DAY ? minutes : null;
}

function isRealDate(value: string): boolean {
  const instant = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(instant.getTime()) && instant.toISOString().startsWith(value);
}

function hoursIssues(calendar: Calendar): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  let openMinutes = 0;
  for (const weekday of calendarWeekdays) {
    const pairs = calendar.hours[weekday] ?? [];
    const spans: Array<{ index: number; open: number; close: number }> = [];
    pairs.forEach(([openText, closeText], index) => {
      const field = `hours.${weekday}[${index}]`;
      const open = minutesOf(openText);
      const close = minutesOf(closeText);
      if (open === null || close === null) {
        issues.push({ field, message: `"${open === null ? openText : closeText}" is not a time of day between 00:00 and 24:00` });
      } else if (close <= open) {
        issues.push({
          field,
          message: `opens at ${openText} but closes at ${closeText}; the opening must come before the closing (split overnight hours over two days)`,
        });
      } else {
        spans.push({ index, open, close });
      }
    });
    spans.sort((a, b) => a.open - b.open);
    spans.forEach((span, i) => {
      const previous = spans[i - 1];
      if (previous !== undefined && span.open < previous.close) {
        issues.push({ field: `hours.${weekday}[${span.index}]`, message: `overlaps hours.${weekday}[${previous.index}]` });
      }
    });
    openMinutes += spans.reduce((sum, span) => sum + span.close - span.open, 0);
  }
  if (openMinutes === 0 && issues.length === 0) issues.push({ field: 'hours', message: 'the calendar is never open: give it hours or set alwaysOpen: true' });
  return issues;
}

/**
 * Every fault of `calendar` that would make the SLA engine throw or count wrongly: a time zone Intl/luxon does not
 * know, a holiday code date-holidays does not know, an hours pair that is not open < close, overlapping pairs of one
 * weekday, no opening hours at all, an impossible closed date, more than 24 hours in a "day". Empty when valid.
 */
export function calendarIssues(calendar: Calendar): CalendarIssue[] {
  const issues: CalendarIssue[] = [];
  if (!IANAZone.isValidZone(calendar.timeZone)) {
    issues.push({ field: 'timeZone', message: `unknown time zone "${calendar.timeZone}"; use an IANA zone such as Europe/Stockholm` });
  }
  if (calendar.holidays !== undefined) {
    try {
      createHolidayClosures(calendar.holidays, calendar.holidayTypes);
    } catch (error) {
      issues.push({ field: 'holidays', message: `${(error as Error).message}; use a date-holidays code such as US, SE or US-CA` });
    }
  }
  if (!calendar.alwaysOpen) issues.push(...hoursIssues(calendar));
  calendar.closedDates.forEach((date, index) => {
    if (!isRealDate(date)) issues.push({ field: `closedDates[${index}]`, message: `"${date}" is not a calendar date` });
  });
  if (calendar.hoursPerDay !== undefined && calendar.hoursPerDay > 24) {
    issues.push({ field: 'hoursPerDay', message: `${calendar.hoursPerDay} hours do not fit in a day` });
  }
  return issues;
}
