// Which local dates a calendar's national holidays close, read from date-holidays once per year and cached.
// Leaves out everything but the dates and the closing time: names, languages and the holiday's own time zone are ignored.
import Holidays, { type HolidaysTypes } from 'date-holidays';

const MS_PER_DAY = 86_400_000;
const MINUTES_PER_DAY = 1440;

/** The national holidays of one calendar, as closures of local dates. */
export interface HolidayClosures {
  /** The date-holidays code the closures come from, e.g. "SE" or "US-CA". */
  readonly code: string;
  /**
   * Minutes after local midnight from which `dateKey` (YYYY-MM-DD in `year`) is closed:
   * 0 for a whole-day holiday, 720 for a holiday that starts at 12:00; undefined when no holiday closes it.
   */
  closedFromMinutes(year: number, dateKey: string): number | undefined;
}

/**
 * Wraps one date-holidays instance for `code` ("US", "SE", "US-CA", ...), keeping only holidays of `types`.
 * Substitute ("observed") days are taken from date-holidays as they are: for the US, July 3 2026 is listed as a
 * public "Independence Day (substitute day)" because July 4 is a Saturday.
 * Throws a RangeError for a country, state or region date-holidays does not know (it would silently return nothing).
 */
export function createHolidayClosures(code: string, types: readonly HolidaysTypes.HolidayType[]): HolidayClosures {
  const [country, state, region] = code.split('-');
  const holidays = new Holidays();
  if (!country || !Object.hasOwn(holidays.getCountries(), country)) {
    throw new RangeError(`unknown holiday country "${code}"`);
  }
  if (state !== undefined && !Object.hasOwn(holidays.getStates(country) ?? {}, state)) {
    throw new RangeError(`unknown holiday state "${code}"`);
  }
  if (state !== undefined && region !== undefined && !Object.hasOwn(holidays.getRegions(country, state) ?? {}, region)) {
    throw new RangeError(`unknown holiday region "${code}"`);
  }
  if (state === undefined) holidays.init(country);
  else if (region === undefined) holidays.init(country, state);
  else holidays.init(country, state, region);

  const closingTypes = new Set<HolidaysTypes.HolidayType>(types);
  const closedFrom = new Map<string, number>();
  const mergedYears = new Set<number>();
  const readyYears = new Set<number>();

  function close(dateKey: string, fromMinutes: number): void {
    const known = closedFrom.get(dateKey);
    closedFrom.set(dateKey, known === undefined ? fromMinutes : Math.min(known, fromMinutes));
  }

  function merge(year: number): void {
    if (mergedYears.has(year)) return;
    mergedYears.add(year);
    for (const holiday of holidays.getHolidays(year)) {
      if (!closingTypes.has(holiday.type)) continue;
      // holiday.date is local to the country: "YYYY-MM-DD hh:mm:ss", sometimes followed by an offset
      // ("-0600": the holiday begins the evening before, which is outside business hours anyway).
      const firstDay = Date.UTC(Number(holiday.date.slice(0, 4)), Number(holiday.date.slice(5, 7)) - 1, Number(holiday.date.slice(8, 10)));
      const startMinutes = Number(holiday.date.slice(11, 13)) * 60 + Number(holiday.date.slice(14, 16));
      const fromMinutes = Number.isFinite(startMinutes) ? startMinutes : 0;
      if (Number.isNaN(firstDay)) throw new Error(`date-holidays returned an unreadable date "${holiday.date}" for ${code}`);
      // Multi-day holidays (Eid, Seollal, Incwala) are one entry spanning several dates; a DST change makes a day 23 or 25 h.
      const dates = Math.max(1, Math.round((holiday.end.getTime() - holiday.start.getTime()) / MS_PER_DAY + fromMinutes / MINUTES_PER_DAY));
      for (let index = 0; index < dates; index += 1) {
        close(new Date(firstDay + index * MS_PER_DAY).toISOString().slice(0, 10), index === 0 ? fromMinutes : 0);
      }
    }
  }

  return {
    code,
    closedFromMinutes(year, dateKey) {
      if (!readyYears.has(year)) {
        // A multi-day holiday listed under the previous year can close early January (SZ Incwala, Dec 28 - Jan 2).
        merge(year - 1);
        merge(year);
        readyYears.add(year);
      }
      return closedFrom.get(dateKey);
    },
  };
}
