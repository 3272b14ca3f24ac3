// Pins the support-time arithmetic of business calendars: weekends, holidays, DST, arrivals outside hours, closing time.
// Every expected instant is worked out by hand from the calendar rules; the comment on each case shows the sum.
import { describe, expect, it } from 'vitest';
import { calendarFor, createBusinessCalendar, createCalendarRegistry } from '../../../src/domain/sla/business-calendar.ts';
import { calendarSchema } from '../../../src/domain/policy.ts';
import { HOUR, at, builtInPolicy, policyWith } from './helpers.ts';

type AddCase = { rule: string; calendar: string; start: string; hours: number; due: string };

function expectAdd(policy: typeof builtInPolicy, { calendar, start, hours, due }: AddCase): void {
  expect(
    calendarFor(policy, calendar)
      .addSupportTime(at(start), hours * HOUR)
      .toISOString(),
  ).toBe(at(due).toISOString());
}

describe('weekends', () => {
  const cases: AddCase[] = [
    // Fri 17:00-18:00 = 1 h, Sat/Sun closed, Mon 09:00-10:00 = 1 h.
    {
      rule: 'US: a target crossing a weekend skips Saturday and Sunday',
      calendar: 'US',
      start: '2026-01-09T17:00-05:00',
      hours: 2,
      due: '2026-01-12T10:00-05:00',
    },
    // Saturday arrival: the clock starts Mon 09:00; + 4 h = 13:00.
    {
      rule: 'US: a request on Saturday starts counting Monday 09:00',
      calendar: 'US',
      start: '2026-01-10T11:00-05:00',
      hours: 4,
      due: '2026-01-12T13:00-05:00',
    },
    // Fri 16:00-18:00 = 2 h, Mon 09:00-11:00 = 2 h.
    {
      rule: 'EMEA: a target crossing a weekend skips Saturday and Sunday',
      calendar: 'EMEA',
      start: '2026-01-16T16:00+01:00',
      hours: 4,
      due: '2026-01-19T11:00+01:00',
    },
    // 24x7 has no weekend: Fri 22:00Z + 48 h = Sun 22:00Z.
    { rule: '24x7: weekends count in full', calendar: '24x7', start: '2026-01-09T22:00Z', hours: 48, due: '2026-01-11T22:00Z' },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));

  it('US: Saturday and Sunday are closed, Monday opens at 09:00 local', () => {
    const us = calendarFor(builtInPolicy, 'US');
    expect(us.isOpen(at('2026-01-10T12:00-05:00'))).toBe(false);
    expect(us.isOpen(at('2026-01-11T12:00-05:00'))).toBe(false);
    expect(us.nextOpening(at('2026-01-10T12:00-05:00')).toISOString()).toBe(at('2026-01-12T09:00-05:00').toISOString());
  });
});

describe('US holidays (date-holidays US, types public and bank)', () => {
  const cases: AddCase[] = [
    // Wed 17:00-18:00 = 1 h; Thanksgiving Thu Nov 26 closed; the day after is only an "observance", so Fri 09:00-10:00 = 1 h.
    {
      rule: 'Thanksgiving closes, the day after Thanksgiving stays open',
      calendar: 'US',
      start: '2026-11-25T17:00-05:00',
      hours: 2,
      due: '2026-11-27T10:00-05:00',
    },
    // Thu Jul 2 17:00-18:00 = 1 h; Fri Jul 3 is the observed Independence Day (July 4 is a Saturday); Mon 09:00-10:00 = 1 h.
    {
      rule: 'the observed substitute day of a Saturday holiday closes (Fri 2026-07-03)',
      calendar: 'US',
      start: '2026-07-02T17:00-04:00',
      hours: 2,
      due: '2026-07-06T10:00-04:00',
    },
    // Christmas Eve is "optional" in date-holidays: open. Thu Dec 24 17:00-18:00 = 1 h; Fri Dec 25 closed; Mon Dec 28 09:00-10:00.
    {
      rule: 'Christmas Eve (optional) stays open, Christmas Day closes',
      calendar: 'US',
      start: '2026-12-24T17:00-05:00',
      hours: 2,
      due: '2026-12-28T10:00-05:00',
    },
    // MLK Day Mon Jan 19 closed: a request at 10:00 starts Tue 09:00; + 4 h = 13:00.
    {
      rule: 'a request on a holiday starts counting at the next opening',
      calendar: 'US',
      start: '2026-01-19T10:00-05:00',
      hours: 4,
      due: '2026-01-20T13:00-05:00',
    },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));

  it('Thanksgiving Thu 2026-11-26 is closed, Fri 2026-11-27 is open', () => {
    const us = calendarFor(builtInPolicy, 'US');
    expect(us.isOpen(at('2026-11-26T12:00-05:00'))).toBe(false);
    expect(us.isOpen(at('2026-11-27T12:00-05:00'))).toBe(true);
  });

  it('a state code adds its holidays: US-CA closes the day after Thanksgiving (public there)', () => {
    const policy = policyWith({ calendars: { 'US-CA': { timeZone: 'America/Los_Angeles', holidays: 'US-CA', hours: { fri: [['09:00', '18:00']] } } } });
    const california = calendarFor(policy, 'US-CA');
    expect(california.isOpen(at('2026-11-27T12:00-08:00'))).toBe(false);
    // Closed Fri Nov 27; next Friday Dec 4 09:00-08:00.
    expect(california.nextOpening(at('2026-11-27T12:00-08:00')).toISOString()).toBe(at('2026-12-04T09:00-08:00').toISOString());
  });
});

describe('Swedish holidays (date-holidays SE, types public and bank)', () => {
  const cases: AddCase[] = [
    // Thu Jun 18 17:00-18:00 = 1 h; Midsummer Eve Fri Jun 19 ("bank") closed; Mon Jun 22 09:00-10:00 = 1 h.
    { rule: 'Midsummer Eve (bank holiday) closes', calendar: 'EMEA', start: '2026-06-18T17:00+02:00', hours: 2, due: '2026-06-22T10:00+02:00' },
    // Wed Dec 23 17:00-18:00 = 1 h; Christmas Eve Thu (bank), Christmas Day Fri (public) closed; Mon Dec 28 09:00-10:00.
    {
      rule: 'Christmas Eve (bank holiday) and Christmas Day close',
      calendar: 'EMEA',
      start: '2026-12-23T17:00+01:00',
      hours: 2,
      due: '2026-12-28T10:00+01:00',
    },
    // Wed Dec 30 17:00-18:00 = 1 h; New Year's Eve Thu (bank) and New Year's Day Fri closed; Mon 2027-01-04 09:00-10:00.
    {
      rule: "New Year's Eve (bank holiday) and New Year's Day close",
      calendar: 'EMEA',
      start: '2026-12-30T17:00+01:00',
      hours: 2,
      due: '2027-01-04T10:00+01:00',
    },
    // Walpurgis Eve Apr 30 is "optional" (from 12:00) in date-holidays: open all day. Thu 17:00-18:00 = 1 h; May 1 Fri
    // closed; Mon May 4 09:00-10:00.
    { rule: 'Walpurgis Eve (optional) stays open, May Day closes', calendar: 'EMEA', start: '2026-04-30T17:00+02:00', hours: 2, due: '2026-05-04T10:00+02:00' },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));

  it('Midsummer Eve 2026-06-19 and Christmas Eve 2026-12-24 are closed all day', () => {
    const emea = calendarFor(builtInPolicy, 'EMEA');
    expect(emea.isOpen(at('2026-06-19T10:00+02:00'))).toBe(false);
    expect(emea.isOpen(at('2026-12-24T10:00+01:00'))).toBe(false);
    expect(emea.isOpen(at('2026-12-23T10:00+01:00'))).toBe(true);
  });

  it('a holiday type that starts at noon closes only the afternoon (optional types added)', () => {
    const policy = policyWith({ calendars: { EMEA: { holidayTypes: ['public', 'bank', 'optional'] } } });
    const emea = calendarFor(policy, 'EMEA');
    // Walpurgis Eve is listed from 12:00: open 09:00-12:00 only, so Thu 11:00 + 2 h = 1 h Thu + Mon 09:00-10:00.
    expect(emea.isOpen(at('2026-04-30T11:59+02:00'))).toBe(true);
    expect(emea.isOpen(at('2026-04-30T12:00+02:00'))).toBe(false);
    expect(emea.addSupportTime(at('2026-04-30T11:00+02:00'), 2 * HOUR).toISOString()).toBe(at('2026-05-04T10:00+02:00').toISOString());
  });
});

describe('DST changes (hours are wall-clock local time)', () => {
  const cases: AddCase[] = [
    // US spring forward Sun 2026-03-08: Fri 17:00 EST (-05) + 1 h; Mon 09:00 EDT (-04) + 1 h.
    { rule: 'US spring forward: Friday EST to Monday EDT', calendar: 'US', start: '2026-03-06T17:00-05:00', hours: 2, due: '2026-03-09T10:00-04:00' },
    // US fall back Sun 2026-11-01: Fri 17:00 EDT + 1 h; Mon 09:00 EST + 1 h.
    { rule: 'US fall back: Friday EDT to Monday EST', calendar: 'US', start: '2026-10-30T17:00-04:00', hours: 2, due: '2026-11-02T10:00-05:00' },
    // Sweden spring forward Sun 2026-03-29: Fri 14:00-18:00 CET = 4 h; Mon 09:00-13:00 CEST = 4 h.
    {
      rule: 'Sweden spring forward: an 8 h target from Friday CET ends Monday CEST',
      calendar: 'EMEA',
      start: '2026-03-27T14:00+01:00',
      hours: 8,
      due: '2026-03-30T13:00+02:00',
    },
    // Sweden fall back Sun 2026-10-25: Fri 17:00 CEST + 1 h; Mon 09:00 CET + 1 h.
    { rule: 'Sweden fall back: Friday CEST to Monday CET', calendar: 'EMEA', start: '2026-10-23T17:00+02:00', hours: 2, due: '2026-10-26T10:00+01:00' },
    // 18 h (2 d) from Fri 09:00 EST: Fri 9 h + Mon 9 h (EDT) = Mon 18:00 EDT.
    {
      rule: 'US spring forward: a two-day target spanning the change',
      calendar: 'US',
      start: '2026-03-06T09:00-05:00',
      hours: 18,
      due: '2026-03-09T18:00-04:00',
    },
    // 24x7 runs in UTC: 48 h across the US change is 48 h of real time.
    { rule: '24x7 counts real hours across a DST change', calendar: '24x7', start: '2026-03-07T12:00Z', hours: 48, due: '2026-03-09T12:00Z' },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));

  // A calendar open on Sundays, to put opening hours on the DST days themselves (all four 2026 changes are Sundays).
  const sundays = policyWith({
    calendars: {
      'US-SUN': { timeZone: 'America/New_York', hours: { sun: [['09:00', '18:00']] } },
      'EMEA-SUN': { timeZone: 'Europe/Stockholm', hours: { sun: [['09:00', '18:00']] } },
      'US-SUN-ALLDAY': { timeZone: 'America/New_York', hours: { sun: [['00:00', '24:00']] } },
    },
  });
  const dstDays = [
    // 09:00-18:00 local on the change day is still 9 support hours; it opens at 09:00 in the new offset.
    {
      rule: 'US spring-forward Sunday has 9 support hours',
      calendar: 'US-SUN',
      dayStart: '2026-03-08T00:00-05:00',
      nextDay: '2026-03-09T00:00-04:00',
      opens: '2026-03-08T09:00-04:00',
      closes: '2026-03-08T18:00-04:00',
      supportHours: 9,
    },
    {
      rule: 'US fall-back Sunday has 9 support hours',
      calendar: 'US-SUN',
      dayStart: '2026-11-01T00:00-04:00',
      nextDay: '2026-11-02T00:00-05:00',
      opens: '2026-11-01T09:00-05:00',
      closes: '2026-11-01T18:00-05:00',
      supportHours: 9,
    },
    {
      rule: 'Sweden spring-forward Sunday has 9 support hours',
      calendar: 'EMEA-SUN',
      dayStart: '2026-03-29T00:00+01:00',
      nextDay: '2026-03-30T00:00+02:00',
      opens: '2026-03-29T09:00+02:00',
      closes: '2026-03-29T18:00+02:00',
      supportHours: 9,
    },
    {
      rule: 'Sweden fall-back Sunday has 9 support hours',
      calendar: 'EMEA-SUN',
      dayStart: '2026-10-25T00:00+02:00',
      nextDay: '2026-10-26T00:00+01:00',
      opens: '2026-10-25T09:00+01:00',
      closes: '2026-10-25T18:00+01:00',
      supportHours: 9,
    },
    // 00:00-24:00 local is 23 real hours on the spring-forward day and 25 on the fall-back day.
    {
      rule: 'an all-day wall-clock span is 23 h on spring forward',
      calendar: 'US-SUN-ALLDAY',
      dayStart: '2026-03-08T00:00-05:00',
      nextDay: '2026-03-09T00:00-04:00',
      opens: '2026-03-08T00:00-05:00',
      closes: '2026-03-09T00:00-04:00',
      supportHours: 23,
    },
    {
      rule: 'an all-day wall-clock span is 25 h on fall back',
      calendar: 'US-SUN-ALLDAY',
      dayStart: '2026-11-01T00:00-04:00',
      nextDay: '2026-11-02T00:00-05:00',
      opens: '2026-11-01T00:00-04:00',
      closes: '2026-11-02T00:00-05:00',
      supportHours: 25,
    },
  ];
  it.each(dstDays)('$rule', ({ calendar, dayStart, nextDay, opens, closes, supportHours }) => {
    const businessCalendar = calendarFor(sundays, calendar);
    expect(businessCalendar.supportTimeBetween(at(dayStart), at(nextDay))).toBe(supportHours * HOUR);
    expect(businessCalendar.nextOpening(at(dayStart)).toISOString()).toBe(at(opens).toISOString());
    // Using up the whole day ends at local closing time (18:00, or 24:00 = next midnight), not at the next opening.
    expect(businessCalendar.addSupportTime(at(opens), supportHours * HOUR).toISOString()).toBe(at(closes).toISOString());
  });
});

describe('arrivals outside hours', () => {
  const cases: AddCase[] = [
    // Tue 07:30, before opening: counts from 09:00; + 4 h = 13:00.
    { rule: 'a request before opening starts counting at 09:00', calendar: 'US', start: '2026-01-13T07:30-05:00', hours: 4, due: '2026-01-13T13:00-05:00' },
    // Tue 19:00, after closing: counts from Wed 09:00; + 4 h = 13:00.
    {
      rule: 'a request after closing starts counting at the next morning',
      calendar: 'US',
      start: '2026-01-13T19:00-05:00',
      hours: 4,
      due: '2026-01-14T13:00-05:00',
    },
    // Tue 18:00 exactly is closed (hours are [09:00, 18:00)): counts from Wed 09:00; + 1 h = 10:00.
    {
      rule: 'a request at exactly 18:00 starts counting the next morning',
      calendar: 'US',
      start: '2026-01-13T18:00-05:00',
      hours: 1,
      due: '2026-01-14T10:00-05:00',
    },
    // Thu 00:30 Stockholm is Wed 23:30 UTC: the local day decides, counting starts Thu 09:00 local; + 1 h.
    { rule: 'an arrival after local midnight counts on the local date', calendar: 'EMEA', start: '2026-01-14T23:30Z', hours: 1, due: '2026-01-15T10:00+01:00' },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));

  // Calendars open around local midnight, where the local date and the UTC date differ.
  const aroundMidnight = policyWith({
    calendars: {
      LATE: { timeZone: 'America/New_York', hours: { mon: [['20:00', '24:00']] } },
      EARLY: { timeZone: 'Europe/Stockholm', hours: { tue: [['00:00', '06:00']] } },
    },
  });
  const localDateCases: AddCase[] = [
    // Mon 22:00 EST is Tue 03:00 UTC, still Monday locally: open until 24:00, so + 1 h = Mon 23:00.
    {
      rule: 'the local date, not the UTC date, decides the business day (west of UTC)',
      calendar: 'LATE',
      start: '2026-01-12T22:00-05:00',
      hours: 1,
      due: '2026-01-12T23:00-05:00',
    },
    // Tue 00:30 CET is Mon 23:30 UTC, already Tuesday locally: open from 00:00, so + 1 h = Tue 01:30.
    {
      rule: 'the local date, not the UTC date, decides the business day (east of UTC)',
      calendar: 'EARLY',
      start: '2026-01-12T23:30Z',
      hours: 1,
      due: '2026-01-13T01:30+01:00',
    },
    // Mon 23:30 EST + 1 h: 30 min to 24:00, then closed until next Monday 20:00; + 30 min = 20:30.
    { rule: 'a 24:00 closing is local midnight', calendar: 'LATE', start: '2026-01-12T23:30-05:00', hours: 1, due: '2026-01-19T20:30-05:00' },
  ];
  it.each(localDateCases)('$rule', (testCase) => expectAdd(aroundMidnight, testCase));

  const openings = [
    // Before 09:00: the same morning.
    { rule: 'nextOpening before hours is 09:00 the same day', at: '2026-01-13T07:30-05:00', next: '2026-01-13T09:00-05:00' },
    // Inside hours: the instant itself.
    { rule: 'nextOpening inside hours is the instant itself', at: '2026-01-13T12:34-05:00', next: '2026-01-13T12:34-05:00' },
    // At 18:00 the desk is closed: Wed 09:00.
    { rule: 'nextOpening at closing time is the next morning', at: '2026-01-13T18:00-05:00', next: '2026-01-14T09:00-05:00' },
    // Fri Jul 3 (observed) + weekend: Mon Jul 6 09:00 EDT.
    { rule: 'nextOpening skips a holiday and the weekend', at: '2026-07-02T18:00-04:00', next: '2026-07-06T09:00-04:00' },
  ];
  it.each(openings)('$rule', ({ at: instant, next }) => {
    expect(calendarFor(builtInPolicy, 'US').nextOpening(at(instant)).toISOString()).toBe(at(next).toISOString());
  });
});

describe('a due time is the earliest instant the support time has elapsed', () => {
  const cases: AddCase[] = [
    // 09:00 + 9 h = 18:00 the same day, not 09:00 the next day.
    { rule: 'a full day from opening is due at 18:00 that day', calendar: 'US', start: '2026-01-13T09:00-05:00', hours: 9, due: '2026-01-13T18:00-05:00' },
    // 14:00 + 4 h = 18:00.
    {
      rule: 'a target ending exactly at closing time is due at 18:00 local',
      calendar: 'US',
      start: '2026-01-13T14:00-05:00',
      hours: 4,
      due: '2026-01-13T18:00-05:00',
    },
    // Friday 09:00 + 9 h = Fri 18:00, not Monday 09:00.
    {
      rule: 'a target ending at Friday closing is due Friday 18:00, not Monday',
      calendar: 'EMEA',
      start: '2026-01-16T09:00+01:00',
      hours: 9,
      due: '2026-01-16T18:00+01:00',
    },
    // Sat arrival, 9 h: all of Monday = Mon 18:00.
    {
      rule: 'a full day from a weekend arrival is due at Monday 18:00',
      calendar: 'US',
      start: '2026-01-10T10:00-05:00',
      hours: 9,
      due: '2026-01-12T18:00-05:00',
    },
    // Zero support time is due at once, even outside hours.
    { rule: 'zero support time is due at the start instant', calendar: 'US', start: '2026-01-10T10:00-05:00', hours: 0, due: '2026-01-10T10:00-05:00' },
  ];
  it.each(cases)('$rule', (testCase) => expectAdd(builtInPolicy, testCase));
});

describe('supportTimeBetween', () => {
  const cases = [
    // Fri 17:00-18:00 = 1 h + Mon 09:00-10:00 = 1 h.
    { rule: 'counts only open hours across a weekend', calendar: 'US', from: '2026-01-09T17:00-05:00', to: '2026-01-12T10:00-05:00', hours: 2 },
    // Mon-Fri Jan 12-16 = 5 x 9 h; Mon Jan 19 MLK Day = 0.
    { rule: 'counts a full week and skips a holiday', calendar: 'US', from: '2026-01-12T00:00-05:00', to: '2026-01-20T00:00-05:00', hours: 45 },
    // [from, to) is empty when to is not after from.
    { rule: 'is zero when to is before from', calendar: 'US', from: '2026-01-13T12:00-05:00', to: '2026-01-13T10:00-05:00', hours: 0 },
    // Same day, 10:00-12:30.
    { rule: 'counts a span inside one day', calendar: 'EMEA', from: '2026-01-13T10:00+01:00', to: '2026-01-13T12:30+01:00', hours: 2.5 },
    // 24x7: real time.
    { rule: 'is real time on 24x7', calendar: '24x7', from: '2026-01-09T12:00Z', to: '2026-01-12T12:00Z', hours: 72 },
  ];
  it.each(cases)('$rule', ({ calendar, from, to, hours }) => {
    expect(calendarFor(builtInPolicy, calendar).supportTimeBetween(at(from), at(to))).toBe(hours * HOUR);
  });
});

describe('policy overrides', () => {
  it('extra closedDates from a policy override close the whole local day', () => {
    const policy = policyWith({ calendars: { US: { closedDates: ['2026-01-14'] } } });
    const us = calendarFor(policy, 'US');
    // Tue 17:00-18:00 = 1 h; Wed Jan 14 closed by policy; Thu 09:00-10:00 = 1 h.
    expect(us.addSupportTime(at('2026-01-13T17:00-05:00'), 2 * HOUR).toISOString()).toBe(at('2026-01-15T10:00-05:00').toISOString());
    expect(us.isOpen(at('2026-01-14T12:00-05:00'))).toBe(false);
    // The built-in policy is unaffected.
    expect(calendarFor(builtInPolicy, 'US').isOpen(at('2026-01-14T12:00-05:00'))).toBe(true);
  });

  const hoursPerDayCases = [
    { rule: 'a "day" of 09:00-18:00 hours is 9 h', policy: builtInPolicy, calendar: 'US', hoursPerDay: 9 },
    { rule: 'a "day" on 24x7 is 24 h', policy: builtInPolicy, calendar: '24x7', hoursPerDay: 24 },
    {
      rule: 'hoursPerDay from the policy overrides the derived value',
      policy: policyWith({ calendars: { US: { hoursPerDay: 8 } } }),
      calendar: 'US',
      hoursPerDay: 8,
    },
    // Mon-Thu 09:00-18:00 and Fri 09:00-15:00: the longest weekday, 9 h.
    {
      rule: 'a "day" is the longest weekday when hours differ',
      policy: policyWith({ calendars: { SHORT: { timeZone: 'Europe/Stockholm', hours: { mon: [['09:00', '18:00']], fri: [['09:00', '15:00']] } } } }),
      calendar: 'SHORT',
      hoursPerDay: 9,
    },
    // Split hours 08:00-12:00 + 13:00-17:00 = 8 h.
    {
      rule: 'a "day" adds up split opening hours',
      policy: policyWith({
        calendars: {
          SPLIT: {
            timeZone: 'Europe/Prague',
            hours: {
              tue: [
                ['13:00', '17:00'],
                ['08:00', '12:00'],
              ],
            },
          },
        },
      }),
      calendar: 'SPLIT',
      hoursPerDay: 8,
    },
  ];
  it.each(hoursPerDayCases)('$rule', ({ policy, calendar, hoursPerDay }) => {
    expect(calendarFor(policy, calendar).hoursPerDay).toBe(hoursPerDay);
  });

  it('split opening hours leave the lunch break closed', () => {
    const policy = policyWith({
      calendars: {
        SPLIT: {
          timeZone: 'Europe/Prague',
          hours: {
            tue: [
              ['13:00', '17:00'],
              ['08:00', '12:00'],
            ],
          },
        },
      },
    });
    // Tue 2026-01-13 11:00-12:00 = 1 h, lunch closed, 13:00-14:00 = 1 h.
    expect(
      calendarFor(policy, 'SPLIT')
        .addSupportTime(at('2026-01-13T11:00+01:00'), 2 * HOUR)
        .toISOString(),
    ).toBe(at('2026-01-13T14:00+01:00').toISOString());
  });
});

describe('calendar registry and invalid calendars', () => {
  it('an unknown calendar is a RangeError naming it', () => {
    expect(() => calendarFor(builtInPolicy, 'APAC')).toThrow(RangeError);
    expect(() => calendarFor(builtInPolicy, 'APAC')).toThrow(/"APAC"/);
    expect(() => createCalendarRegistry(builtInPolicy).calendar('toString')).toThrow(RangeError);
  });

  it('calendars are cached per policy object and name', () => {
    expect(calendarFor(builtInPolicy, 'US')).toBe(calendarFor(builtInPolicy, 'US'));
    expect(calendarFor(policyWith({}), 'US')).not.toBe(calendarFor(builtInPolicy, 'US'));
  });

  const invalid = [
    { rule: 'an unknown time zone is a RangeError', calendar: { timeZone: 'Mars/Olympus_Mons', hours: { mon: [['09:00', '18:00']] } }, message: /time zone/ },
    {
      rule: 'an unknown holiday country is a RangeError',
      calendar: { timeZone: 'UTC', holidays: 'XX', hours: { mon: [['09:00', '18:00']] } },
      message: /holiday country "XX"/,
    },
    {
      rule: 'an unknown holiday state is a RangeError',
      calendar: { timeZone: 'UTC', holidays: 'US-ZZ', hours: { mon: [['09:00', '18:00']] } },
      message: /holiday state "US-ZZ"/,
    },
    {
      rule: 'hours closing before they open are a RangeError',
      calendar: { timeZone: 'UTC', hours: { mon: [['18:00', '09:00']] } },
      message: /closes at 09:00/,
    },
    { rule: 'a calendar that is never open is a RangeError', calendar: { timeZone: 'UTC' }, message: /never open/ },
  ];
  it.each(invalid)('$rule', ({ calendar, message }) => {
    expect(() => createBusinessCalendar('BAD', calendarSchema.parse(calendar))).toThrow(message);
    expect(() => createBusinessCalendar('BAD', calendarSchema.parse(calendar))).toThrow(RangeError);
  });

  it('a negative support time or an invalid Date is a RangeError', () => {
    const us = calendarFor(builtInPolicy, 'US');
    expect(() => us.addSupportTime(at('2026-01-13T09:00-05:00'), -1)).toThrow(RangeError);
    expect(() => us.isOpen(new Date(Number.NaN))).toThrow(RangeError);
  });
});
