// Pins what date-holidays 3.x says about the holidays our default calendars rely on, and how they become closures.
// If a date-holidays upgrade changes a type here, the SLA calendars change behaviour: this file is where it shows.
import Holidays from 'date-holidays';
import { describe, expect, it } from 'vitest';
import { createHolidayClosures } from '../../../src/domain/sla/holiday-closures.ts';

function listed(code: string, year: number, date: string) {
  const [country, state] = code.split('-');
  const holidays = state === undefined ? new Holidays(country!) : new Holidays(country!, state);
  return holidays
    .getHolidays(year)
    .filter((holiday) => holiday.date.startsWith(date))
    .map(({ type, substitute }) => ({ type, substitute: substitute ?? false }));
}

describe('date-holidays data the calendars rely on', () => {
  const cases = [
    { rule: 'SE Midsummer Eve 2026-06-19 is a bank holiday', code: 'SE', date: '2026-06-19', holidays: [{ type: 'bank', substitute: false }] },
    { rule: 'SE Christmas Eve 2026-12-24 is a bank holiday', code: 'SE', date: '2026-12-24', holidays: [{ type: 'bank', substitute: false }] },
    { rule: "SE New Year's Eve 2026-12-31 is a bank holiday", code: 'SE', date: '2026-12-31', holidays: [{ type: 'bank', substitute: false }] },
    {
      rule: 'SE Walpurgis Eve 2026-04-30 is optional (so open by default)',
      code: 'SE',
      date: '2026-04-30',
      holidays: [{ type: 'optional', substitute: false }],
    },
    {
      rule: 'US Independence Day 2026 (a Saturday) has a public substitute on Fri 2026-07-03',
      code: 'US',
      date: '2026-07-03',
      holidays: [{ type: 'public', substitute: true }],
    },
    { rule: 'US Thanksgiving 2026-11-26 is public', code: 'US', date: '2026-11-26', holidays: [{ type: 'public', substitute: false }] },
    {
      rule: 'US day after Thanksgiving 2026-11-27 is only an observance',
      code: 'US',
      date: '2026-11-27',
      holidays: [{ type: 'observance', substitute: false }],
    },
    {
      rule: 'US Christmas Eve 2026-12-24 is optional (so open by default)',
      code: 'US',
      date: '2026-12-24',
      holidays: [{ type: 'optional', substitute: false }],
    },
    { rule: 'US-CA day after Thanksgiving 2026-11-27 is public', code: 'US-CA', date: '2026-11-27', holidays: [{ type: 'public', substitute: false }] },
    {
      rule: 'KR Seollal 2026 is one public entry dated 2026-02-17 (spanning three dates)',
      code: 'KR',
      date: '2026-02-17',
      holidays: [{ type: 'public', substitute: false }],
    },
    {
      rule: 'SZ Incwala 2026 is one public entry dated 2026-12-28 (spanning into 2027)',
      code: 'SZ',
      date: '2026-12-28',
      holidays: [{ type: 'public', substitute: false }],
    },
  ];
  it.each(cases)('$rule', ({ code, date, holidays }) => {
    expect(listed(code, Number(date.slice(0, 4)), date)).toEqual(holidays);
  });
});

describe('holiday closures', () => {
  const se = createHolidayClosures('SE', ['public', 'bank']);
  const us = createHolidayClosures('US', ['public', 'bank']);
  const seWithOptional = createHolidayClosures('SE', ['public', 'bank', 'optional']);
  const cases = [
    { rule: 'a bank holiday closes all day with the default types', closures: se, date: '2026-06-19', closedFrom: 0 },
    { rule: 'an optional holiday stays open with the default types', closures: se, date: '2026-04-30', closedFrom: undefined },
    { rule: 'an optional holiday from 12:00 closes from minute 720 when optional is chosen', closures: seWithOptional, date: '2026-04-30', closedFrom: 720 },
    { rule: 'an observance stays open', closures: us, date: '2026-11-27', closedFrom: undefined },
    { rule: 'an observed substitute day closes', closures: us, date: '2026-07-03', closedFrom: 0 },
    // Jan 1 2022 was a Saturday; date-holidays observes it on Fri Dec 31 2021.
    { rule: "a substitute in the previous year closes (New Year's Day 2022 observed 2021-12-31)", closures: us, date: '2021-12-31', closedFrom: 0 },
    { rule: 'an ordinary weekday stays open', closures: us, date: '2026-01-13', closedFrom: undefined },
    // KR Seollal 2026 is one 72 h entry dated 2026-02-17: Feb 17, 18 and 19 close; Feb 20 is open.
    {
      rule: 'a multi-day holiday closes every date it spans (KR Seollal, middle day)',
      closures: createHolidayClosures('KR', ['public']),
      date: '2026-02-18',
      closedFrom: 0,
    },
    {
      rule: 'a multi-day holiday closes every date it spans (KR Seollal, last day)',
      closures: createHolidayClosures('KR', ['public']),
      date: '2026-02-19',
      closedFrom: 0,
    },
    {
      rule: 'a multi-day holiday ends with its span (KR Seollal, day after)',
      closures: createHolidayClosures('KR', ['public']),
      date: '2026-02-20',
      closedFrom: undefined,
    },
    // SZ Incwala is one 144 h entry dated 2026-12-28, listed under 2026: it still closes Sat 2027-01-02.
    {
      rule: 'a multi-day holiday listed under the previous year closes early January (SZ Incwala)',
      closures: createHolidayClosures('SZ', ['public']),
      date: '2027-01-02',
      closedFrom: 0,
    },
  ];
  it.each(cases)('$rule', ({ closures, date, closedFrom }) => {
    expect(closures.closedFromMinutes(Number(date.slice(0, 4)), date)).toBe(closedFrom);
  });

  it('an unknown country, state or region is a RangeError', () => {
    expect(() => createHolidayClosures('XX', ['public'])).toThrow(RangeError);
    expect(() => createHolidayClosures('US-ZZ', ['public'])).toThrow(RangeError);
    expect(() => createHolidayClosures('US-LA-ZZ', ['public'])).toThrow(RangeError);
  });
});
