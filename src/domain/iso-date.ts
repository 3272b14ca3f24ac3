// Calendar-day arithmetic on YYYY-MM-DD strings, for licence and maintenance dates that have no time of day. The
// directory's dates are calendar days of the customer; which day an instant falls on is `isoDateIn` its calendar's zone.
import type { IsoDate } from './directory.ts';

const isoDatePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dayMs = 86_400_000;

/** Milliseconds since the epoch at 00:00 UTC of `date`; throws RangeError for anything but a real YYYY-MM-DD day. */
function dayStartMs(date: IsoDate): number {
  const match = isoDatePattern.exec(date);
  if (!match) throw new RangeError(`expected a YYYY-MM-DD date, got "${date}"`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const ms = Date.UTC(year, month - 1, day);
  // Date.UTC rolls 2026-02-30 over to March; a round trip catches it.
  if (new Date(ms).toISOString().slice(0, 10) !== date) throw new RangeError(`"${date}" is not a calendar date`);
  return ms;
}

/** Whether `text` is a real YYYY-MM-DD day (2026-02-30 is not: Date would roll it over to March). */
export function isIsoDate(text: string): boolean {
  try {
    dayStartMs(text);
    return true;
  } catch {
    return false;
  }
}

/** The UTC calendar day of an instant. */
export function utcIsoDate(now: Date): IsoDate {
  if (Number.isNaN(now.getTime())) throw new RangeError('now is an invalid Date');
  return now.toISOString().slice(0, 10);
}

const dayFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The calendar day of an instant in `timeZone` (an IANA zone, e.g. the customer's calendar): 2026-11-30T01:30Z is
 * 2026-11-29 in America/New_York. The free-until, trial-end and maintenance-end days the customer is told are their
 * own days, so "today" is measured in their zone too. The formatter of each zone is made once.
 */
export function isoDateIn(now: Date, timeZone: string): IsoDate {
  if (Number.isNaN(now.getTime())) throw new RangeError('now is an invalid Date');
  let format = dayFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormats.set(timeZone, format);
  }
  return format.format(now);
}

/** `date` plus `days` whole days (negative goes back). */
export function addDays(date: IsoDate, days: number): IsoDate {
  if (!Number.isInteger(days)) throw new RangeError(`days must be a whole number, got ${days}`);
  return new Date(dayStartMs(date) + days * dayMs).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return Math.round((dayStartMs(to) - dayStartMs(from)) / dayMs);
}
