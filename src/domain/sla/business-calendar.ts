// Business calendars for SLA clocks: wall-clock opening hours in an IANA zone, national holidays, extra closed dates.
// Pure: instants in, instants out, no "now". Opening intervals are built once per local day and cached; nothing persists.
import { DateTime, IANAZone } from 'luxon';
import { weekdays, type Calendar, type Policy } from '../policy.ts';
import { createHolidayClosures, type HolidayClosures } from './holiday-closures.ts';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MINUTES_PER_DAY = 1440;
/** Consecutive closed days searched before giving up: a desk closed for ten years is a misconfiguration, not a wait. */
const MAX_CLOSED_DAYS = 3660;

/**
 * Support time of one calendar. Intervals are half-open, [opening, closing): the desk is open at 09:00:00.000 and
 * closed at 18:00:00.000. Hours are wall-clock local time, so 09:00-18:00 is 9 support hours on a DST-change day too.
 * Every instant is a JS Date; support time is in milliseconds.
 */
export interface BusinessCalendar {
  /** The policy's name for the calendar ("US", "EMEA", "24x7"). */
  readonly name: string;
  /** IANA time zone the hours, holidays and closed dates are read in. */
  readonly timeZone: string;
  /** Open around the clock: no hours, no holidays. */
  readonly alwaysOpen: boolean;
  /** Support hours in one "d" of an SLA target: `hoursPerDay` from the policy, else the longest weekday (24 when always open). */
  readonly hoursPerDay: number;
  /** Whether the desk is open at `at`. */
  isOpen(at: Date): boolean;
  /** The earliest instant at or after `at` at which the desk is open (`at` itself when open). */
  nextOpening(at: Date): Date;
  /**
   * The earliest instant by which `supportMs` of support time has elapsed, counting from `start`
   * (from the next opening when `start` is outside hours). A span that uses up a day exactly ends at its closing time.
   */
  addSupportTime(start: Date, supportMs: number): Date;
  /** Milliseconds of support time in [from, to); 0 when `to` is not after `from`. */
  supportTimeBetween(from: Date, to: Date): number;
}

/** One local day: where it starts and its opening intervals as epoch ms, flattened [open0, close0, open1, close1, ...]. */
interface BusinessDay {
  startMs: number;
  open: number[];
  openMs: number;
}

/** Opening hours in minutes after local midnight, Monday first, sorted and merged. */
type WeeklyHours = ReadonlyArray<ReadonlyArray<readonly [number, number]>>;

function minutesOf(name: string, weekday: string, time: string): number {
  const hours = Number(time.slice(0, 2));
  const minutes = Number(time.slice(3, 5));
  const total = hours * 60 + minutes;
  if (!/^\d\d:\d\d$/.test(time) || minutes > 59 || total > MINUTES_PER_DAY) {
    throw new RangeError(`calendar "${name}": ${weekday} has an invalid time "${time}"`);
  }
  return total;
}

function weeklyHoursOf(name: string, calendar: Calendar): WeeklyHours {
  return weekdays.map((weekday) => {
    const spans = (calendar.hours[weekday] ?? []).map(([open, close]) => {
      const span = [minutesOf(name, weekday, open), minutesOf(name, weekday, close)] as const;
      if (span[1] <= span[0]) {
        throw new RangeError(`calendar "${name}": ${weekday} opens at ${open} but closes at ${close}; split overnight hours over two days`);
      }
      return span;
    });
    spans.sort((a, b) => a[0] - b[0]);
    const merged: Array<readonly [number, number]> = [];
    for (const span of spans) {
      const last = merged.at(-1);
      if (last && span[0] <= last[1]) merged[merged.length - 1] = [last[0], Math.max(last[1], span[1])];
      else merged.push(span);
    }
    return merged;
  });
}

function toMs(at: Date, what: string): number {
  const ms = at instanceof Date ? at.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${what} must be a valid Date`);
  return ms;
}

function checkSupportMs(supportMs: number): void {
  if (!Number.isFinite(supportMs) || supportMs < 0) {
    throw new RangeError(`support time must be a finite, non-negative number of ms, got ${supportMs}`);
  }
}

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/**
 * Builds the support-time arithmetic of one policy calendar.
 * Throws a RangeError for an unknown time zone or holiday code, hours that close before they open,
 * or a calendar that is neither always open nor open on any weekday.
 */
export function createBusinessCalendar(name: string, calendar: Calendar): BusinessCalendar {
  if (!IANAZone.isValidZone(calendar.timeZone)) {
    throw new RangeError(`calendar "${name}": unknown time zone "${calendar.timeZone}"`);
  }
  const zone = IANAZone.create(calendar.timeZone);
  const alwaysOpen = calendar.alwaysOpen;
  const weeklyHours = alwaysOpen ? [] : weeklyHoursOf(name, calendar);
  const longestDayMinutes = Math.max(0, ...weeklyHours.map((spans) => spans.reduce((sum, [open, close]) => sum + close - open, 0)));
  if (!alwaysOpen && longestDayMinutes === 0) {
    throw new RangeError(`calendar "${name}" is never open: give it hours or set alwaysOpen`);
  }
  const hoursPerDay = calendar.hoursPerDay ?? (alwaysOpen ? 24 : longestDayMinutes / 60);
  const holidays: HolidayClosures | undefined = !alwaysOpen && calendar.holidays ? createHolidayClosures(calendar.holidays, calendar.holidayTypes) : undefined;
  const closedDates = new Set(calendar.closedDates);
  const days = new Map<number, BusinessDay>();

  /** Epoch ms of `minutes` after local midnight on civil day `dayNumber` (days since 1970-01-01); gaps shift forward. */
  function localMs(dayNumber: number, minutes: number): number {
    if (minutes >= MINUTES_PER_DAY) return localMs(dayNumber + 1, minutes - MINUTES_PER_DAY);
    const civil = new Date(dayNumber * MS_PER_DAY);
    return DateTime.fromObject(
      {
        year: civil.getUTCFullYear(),
        month: civil.getUTCMonth() + 1,
        day: civil.getUTCDate(),
        hour: Math.floor(minutes / 60),
        minute: minutes % 60,
      },
      { zone },
    ).toMillis();
  }

  function buildDay(dayNumber: number): BusinessDay {
    const startMs = localMs(dayNumber, 0);
    const open: number[] = [];
    let openMs = 0;
    // 1970-01-01 (day 0) was a Thursday, index 3 with Monday first.
    const spans = weeklyHours[(((dayNumber + 3) % 7) + 7) % 7] ?? [];
    if (spans.length > 0) {
      const civil = new Date(dayNumber * MS_PER_DAY);
      const year = civil.getUTCFullYear();
      const dateKey = `${year}-${pad2(civil.getUTCMonth() + 1)}-${pad2(civil.getUTCDate())}`;
      const closedFrom = closedDates.has(dateKey) ? 0 : holidays?.closedFromMinutes(year, dateKey);
      for (const [openMinutes, closeMinutes] of spans) {
        const until = closedFrom === undefined ? closeMinutes : Math.min(closeMinutes, closedFrom);
        if (until <= openMinutes) continue;
        const opensAt = localMs(dayNumber, openMinutes);
        const closesAt = localMs(dayNumber, until);
        if (closesAt <= opensAt) continue;
        open.push(opensAt, closesAt);
        openMs += closesAt - opensAt;
      }
    }
    return { startMs, open, openMs };
  }

  function day(dayNumber: number): BusinessDay {
    let found = days.get(dayNumber);
    if (found === undefined) {
      found = buildDay(dayNumber);
      days.set(dayNumber, found);
    }
    return found;
  }

  /** The local civil day containing `ms`: the UTC day, or one either side (offsets stay within ±14 h). */
  function localDayNumber(ms: number): number {
    let dayNumber = Math.floor(ms / MS_PER_DAY);
    while (ms < day(dayNumber).startMs) dayNumber -= 1;
    while (ms >= day(dayNumber + 1).startMs) dayNumber += 1;
    return dayNumber;
  }

  function neverOpens(fromMs: number): RangeError {
    return new RangeError(`calendar "${name}" has no opening hours within ${MAX_CLOSED_DAYS} days of ${new Date(fromMs).toISOString()}`);
  }

  function isOpenMs(ms: number): boolean {
    if (alwaysOpen) return true;
    const open = day(localDayNumber(ms)).open;
    for (let i = 0; i < open.length; i += 2) {
      if (ms >= open[i]! && ms < open[i + 1]!) return true;
    }
    return false;
  }

  function nextOpeningMs(ms: number): number {
    if (alwaysOpen) return ms;
    let dayNumber = localDayNumber(ms);
    for (let searched = 0; searched <= MAX_CLOSED_DAYS; searched += 1, dayNumber += 1) {
      const open = day(dayNumber).open;
      for (let i = 0; i < open.length; i += 2) {
        if (open[i + 1]! > ms) return Math.max(open[i]!, ms);
      }
    }
    throw neverOpens(ms);
  }

  function addSupportMs(startMs: number, supportMs: number): number {
    if (alwaysOpen || supportMs === 0) return startMs + supportMs;
    let remaining = supportMs;
    let from = startMs;
    let dayNumber = localDayNumber(startMs);
    for (let closedDays = 0; closedDays <= MAX_CLOSED_DAYS; dayNumber += 1, from = Number.NEGATIVE_INFINITY) {
      const today = day(dayNumber);
      if (today.openMs === 0) {
        closedDays += 1;
        continue;
      }
      closedDays = 0;
      // Whole days are skipped in one step; strictly greater, so a span ending at closing time lands in the loop below.
      if (from <= today.startMs && remaining > today.openMs) {
        remaining -= today.openMs;
        continue;
      }
      const open = today.open;
      for (let i = 0; i < open.length; i += 2) {
        const closesAt = open[i + 1]!;
        if (closesAt <= from) continue;
        const countFrom = Math.max(open[i]!, from);
        const available = closesAt - countFrom;
        if (remaining <= available) return countFrom + remaining;
        remaining -= available;
      }
    }
    throw neverOpens(startMs);
  }

  function supportMsBetween(fromMs: number, toMs: number): number {
    if (!(toMs > fromMs)) return 0;
    if (alwaysOpen) return toMs - fromMs;
    const firstDay = localDayNumber(fromMs);
    const lastDay = localDayNumber(toMs);
    let total = 0;
    for (let dayNumber = firstDay; dayNumber <= lastDay; dayNumber += 1) {
      const today = day(dayNumber);
      if (dayNumber !== firstDay && dayNumber !== lastDay) {
        total += today.openMs;
        continue;
      }
      const open = today.open;
      for (let i = 0; i < open.length; i += 2) {
        const overlap = Math.min(open[i + 1]!, toMs) - Math.max(open[i]!, fromMs);
        if (overlap > 0) total += overlap;
      }
    }
    return total;
  }

  return {
    name,
    timeZone: calendar.timeZone,
    alwaysOpen,
    hoursPerDay,
    isOpen: (at) => isOpenMs(toMs(at, 'at')),
    nextOpening: (at) => new Date(nextOpeningMs(toMs(at, 'at'))),
    addSupportTime(start, supportMs) {
      checkSupportMs(supportMs);
      return new Date(addSupportMs(toMs(start, 'start'), supportMs));
    },
    supportTimeBetween: (from, to) => supportMsBetween(toMs(from, 'from'), toMs(to, 'to')),
  };
}

/** The business calendars of one policy, built on first use and kept. */
export interface CalendarRegistry {
  /** The calendar the policy defines under `name`; throws a RangeError naming an unknown calendar. */
  calendar(name: string): BusinessCalendar;
}

/** A registry over `policy.calendars`. The policy is treated as immutable: later edits to it are not seen. */
export function createCalendarRegistry(policy: Policy): CalendarRegistry {
  const calendars = new Map<string, BusinessCalendar>();
  return {
    calendar(name) {
      let found = calendars.get(name);
      if (found === undefined) {
        const definition = Object.hasOwn(policy.calendars, name) ? policy.calendars[name] : undefined;
        if (definition === undefined) {
          throw new RangeError(
            `unknown SLA calendar "${name}"; the policy defines ${Object.keys(policy.calendars)
              .map((known) => `"${known}"`)
              .join(', ')}`,
          );
        }
        found = createBusinessCalendar(name, definition);
        calendars.set(name, found);
      }
      return found;
    },
  };
}

const registries = new WeakMap<Policy, CalendarRegistry>();

/** The cached business calendar `name` of `policy` (one registry per policy object); RangeError when unknown. */
export function calendarFor(policy: Policy, name: string): BusinessCalendar {
  let registry = registries.get(policy);
  if (registry === undefined) {
    registry = createCalendarRegistry(policy);
    registries.set(policy, registry);
  }
  return registry.calendar(name);
}
