// Pins due and warning instants of tickets, progress updates after engineer updates, and pause/resume of the clock.
// Budgets come from the built-in policy (see targets.test.ts); each expected instant is summed by hand in its comment.
import { describe, expect, it } from 'vitest';
import { calendarFor } from '../../../src/domain/sla/business-calendar.ts';
import {
  computeDueTimes,
  initialResponseMetAtStart,
  nextProgressUpdateDue,
  remainingSupportMs,
  resumeDue,
  resumeWarnAt,
  type DueTimes,
  type SlaInput,
} from '../../../src/domain/sla/due-times.ts';
import { HOUR, at, builtInPolicy, policyWith } from './helpers.ts';

type Expected = { [Key in keyof DueTimes]: Key extends 'calendarName' | 'resolutionCalendarName' ? string : string | null };

function iso(instant: Date | null): string | null {
  return instant === null ? null : instant.toISOString();
}

function normalized(dueTimes: DueTimes): Expected {
  return {
    calendarName: dueTimes.calendarName,
    resolutionCalendarName: dueTimes.resolutionCalendarName,
    initialResponseDue: iso(dueTimes.initialResponseDue),
    progressUpdateDue: iso(dueTimes.progressUpdateDue),
    resolutionDue: iso(dueTimes.resolutionDue),
    initialResponseWarnAt: iso(dueTimes.initialResponseWarnAt),
    progressUpdateWarnAt: iso(dueTimes.progressUpdateWarnAt),
    resolutionWarnAt: iso(dueTimes.resolutionWarnAt),
  };
}

function expected(values: Expected): Expected {
  const isoOrNull = (value: string | null): string | null => (value === null ? null : at(value).toISOString());
  return {
    calendarName: values.calendarName,
    resolutionCalendarName: values.resolutionCalendarName,
    initialResponseDue: isoOrNull(values.initialResponseDue),
    progressUpdateDue: isoOrNull(values.progressUpdateDue),
    resolutionDue: isoOrNull(values.resolutionDue),
    initialResponseWarnAt: isoOrNull(values.initialResponseWarnAt),
    progressUpdateWarnAt: isoOrNull(values.progressUpdateWarnAt),
    resolutionWarnAt: isoOrNull(values.resolutionWarnAt),
  };
}

describe('computeDueTimes', () => {
  const cases: Array<{ rule: string; input: Omit<SlaInput, 'clockStartedAt'>; clockStartedAt: string; due: Expected }> = [
    {
      // Minor on US from Mon Jan 12 09:00. IR 18 h = Mon 9 + Tue 9 -> Tue 18:00 (closing time, not Wed 09:00).
      // PU 27 h -> Wed 18:00. Resolution 135 h = 15 business days, MLK Mon Jan 19 closed: Jan 12-16 (5), 20-23 (9),
      // 26-30 (14), Mon Feb 2 (15) -> Feb 2 18:00. Warnings at 0.75: IR 13.5 h -> Tue 13:30; PU 20.25 h -> Wed 11:15;
      // resolution 101.25 h = 11 days + 2.25 h -> Wed Jan 28 11:15.
      rule: '"d" targets: 2d minor initial response = 18 support hours, due at closing time, holidays skipped',
      input: { calendar: 'US', supportLevel: 'normal', severity: 3 },
      clockStartedAt: '2026-01-12T09:00-05:00',
      due: {
        calendarName: 'US',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-01-13T18:00-05:00',
        progressUpdateDue: '2026-01-14T18:00-05:00',
        resolutionDue: '2026-02-02T18:00-05:00',
        initialResponseWarnAt: '2026-01-13T13:30-05:00',
        progressUpdateWarnAt: '2026-01-14T11:15-05:00',
        resolutionWarnAt: '2026-01-28T11:15-05:00',
      },
    },
    {
      // Critical, normal support, Fri Jan 9 17:00 US: 4 h = Fri 1 h + Mon 3 h -> Mon 12:00; warning at 3 h = Fri 1 h + Mon 2 h.
      rule: 'severity 5 on normal support waits for business hours over the weekend',
      input: { calendar: 'US', supportLevel: 'normal', severity: 5 },
      clockStartedAt: '2026-01-09T17:00-05:00',
      due: {
        calendarName: 'US',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-01-12T12:00-05:00',
        progressUpdateDue: '2026-01-12T12:00-05:00',
        resolutionDue: null,
        initialResponseWarnAt: '2026-01-12T11:00-05:00',
        progressUpdateWarnAt: '2026-01-12T11:00-05:00',
        resolutionWarnAt: null,
      },
    },
    {
      // Support Plus severity 5 on 24x7 from Sat 11:00 EST = 16:00Z: 4 h -> 20:00Z; warning at 3 h -> 19:00Z.
      rule: 'Support Plus severity 5 runs on 24x7, weekends included',
      input: { calendar: 'US', supportLevel: 'plus', severity: 5 },
      clockStartedAt: '2026-01-10T11:00-05:00',
      due: {
        calendarName: '24x7',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-01-10T20:00Z',
        progressUpdateDue: '2026-01-10T20:00Z',
        resolutionDue: null,
        initialResponseWarnAt: '2026-01-10T19:00Z',
        progressUpdateWarnAt: '2026-01-10T19:00Z',
        resolutionWarnAt: null,
      },
    },
    {
      // Support Plus severity 4 from Fri 17:00 EST = 22:00Z = 23:00 CET. IR 8 h on 24x7 -> Sat 06:00Z; PU 2d = 48 h on
      // 24x7 -> Sun 22:00Z. Resolution 3 business days (Cryptzone §7) = 27 h on EMEA from Mon 09:00 CET: Mon 9 + Tue 9 +
      // Wed 9 -> Wed Jan 14 18:00 CET. Warnings: 6 h -> Sat 04:00Z; 36 h -> Sun 10:00Z; 20.25 h -> Wed 11:15 CET.
      rule: 'Cryptzone §2.2.2/§7: Support Plus severity 4 responds and updates on 24x7 but resolves in business days',
      input: { calendar: 'EMEA', supportLevel: 'plus', severity: 4 },
      clockStartedAt: '2026-01-09T17:00-05:00',
      due: {
        calendarName: '24x7',
        resolutionCalendarName: 'EMEA',
        initialResponseDue: '2026-01-10T06:00Z',
        progressUpdateDue: '2026-01-11T22:00Z',
        resolutionDue: '2026-01-14T18:00+01:00',
        initialResponseWarnAt: '2026-01-10T04:00Z',
        progressUpdateWarnAt: '2026-01-11T10:00Z',
        resolutionWarnAt: '2026-01-14T11:15+01:00',
      },
    },
    {
      // Support Plus Major on US from Fri Jan 16 12:00 EST = 17:00Z, before MLK Monday. IR 8 h on 24x7 -> Sat 01:00Z;
      // PU 48 h -> Sun 17:00Z. Resolution 27 business hours on US: Fri 6 + (MLK Mon closed) Tue 9 + Wed 9 + Thu 3 ->
      // Thu Jan 22 12:00. Warnings: 6 h -> Fri 23:00Z; 36 h -> Sun 05:00Z; 20.25 h = 6 + 9 + 5.25 -> Wed Jan 21 14:15.
      rule: "Cryptzone §7: a Support Plus resolution objective skips the customer's national holidays",
      input: { calendar: 'US', supportLevel: 'plus', severity: 4 },
      clockStartedAt: '2026-01-16T12:00-05:00',
      due: {
        calendarName: '24x7',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-01-17T01:00Z',
        progressUpdateDue: '2026-01-18T17:00Z',
        resolutionDue: '2026-01-22T12:00-05:00',
        initialResponseWarnAt: '2026-01-16T23:00Z',
        progressUpdateWarnAt: '2026-01-18T05:00Z',
        resolutionWarnAt: '2026-01-21T14:15-05:00',
      },
    },
    {
      // Support Plus severity 3 stays on US hours, from Fri 17:00: IR 18 h = Fri 1 + Mon 9 + Tue 8 -> Tue 17:00.
      // PU 27 h = 1 + 9 + 9 + 8 -> Wed 17:00. Resolution 135 h = 1 h + 14 days (MLK Jan 19 skipped: Jan 12-16, 20-23,
      // 26-30 = 14) + 8 h -> Mon Feb 2 17:00. Warnings: 13.5 h = 1 + 9 + 3.5 -> Tue 12:30; 20.25 h = 1 + 9 + 9 + 1.25
      // -> Wed 10:15; 101.25 h = 1 + 11 days (to Tue Jan 27) + 1.25 -> Wed Jan 28 10:15.
      rule: 'Support Plus severity 3 stays on business hours',
      input: { calendar: 'US', supportLevel: 'plus', severity: 3 },
      clockStartedAt: '2026-01-09T17:00-05:00',
      due: {
        calendarName: 'US',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-01-13T17:00-05:00',
        progressUpdateDue: '2026-01-14T17:00-05:00',
        resolutionDue: '2026-02-02T17:00-05:00',
        initialResponseWarnAt: '2026-01-13T12:30-05:00',
        progressUpdateWarnAt: '2026-01-14T10:15-05:00',
        resolutionWarnAt: '2026-01-28T10:15-05:00',
      },
    },
    {
      // Minor on EMEA from Wed Jun 17 13:00 CEST. IR 18 h = Wed 5 + Thu 9 + (Midsummer Eve Fri closed) Mon 4 -> Mon 13:00.
      // PU 27 h = 5 + 9 + Mon 9 + Tue 4 -> Tue 13:00. Resolution 135 h = 5 + 14 days + 4: days Jun 18, 22-26, Jun 29-Jul 3,
      // Jul 6-8 = 14 -> Thu Jul 9 13:00. Warnings: 13.5 h = 5 + 8.5 -> Thu 17:30; 20.25 h = 5 + 9 + 6.25 -> Mon 15:15;
      // 101.25 h = 5 + 10 days (to Thu Jul 2) + 6.25 -> Fri Jul 3 15:15.
      rule: 'EMEA targets skip Midsummer Eve',
      input: { calendar: 'EMEA', supportLevel: 'normal', severity: 3 },
      clockStartedAt: '2026-06-17T13:00+02:00',
      due: {
        calendarName: 'EMEA',
        resolutionCalendarName: 'EMEA',
        initialResponseDue: '2026-06-22T13:00+02:00',
        progressUpdateDue: '2026-06-23T13:00+02:00',
        resolutionDue: '2026-07-09T13:00+02:00',
        initialResponseWarnAt: '2026-06-18T17:30+02:00',
        progressUpdateWarnAt: '2026-06-22T15:15+02:00',
        resolutionWarnAt: '2026-07-03T15:15+02:00',
      },
    },
    {
      // Major on US from Fri Mar 6 14:00 EST, spanning spring forward. IR 8 h = Fri 4 + Mon 4 -> Mon 13:00 EDT.
      // PU 18 h = 4 + 9 + 5 -> Tue 14:00 EDT. Resolution 27 h = 4 + 9 + 9 + 5 -> Wed 14:00 EDT.
      // Warnings: 6 h = 4 + 2 -> Mon 11:00; 13.5 h = 4 + 9 + 0.5 -> Tue 09:30; 20.25 h = 4 + 9 + 7.25 -> Tue 16:15.
      rule: 'a target spanning the US spring-forward change counts wall-clock hours',
      input: { calendar: 'US', supportLevel: 'normal', severity: 4 },
      clockStartedAt: '2026-03-06T14:00-05:00',
      due: {
        calendarName: 'US',
        resolutionCalendarName: 'US',
        initialResponseDue: '2026-03-09T13:00-04:00',
        progressUpdateDue: '2026-03-10T14:00-04:00',
        resolutionDue: '2026-03-11T14:00-04:00',
        initialResponseWarnAt: '2026-03-09T11:00-04:00',
        progressUpdateWarnAt: '2026-03-10T09:30-04:00',
        resolutionWarnAt: '2026-03-10T16:15-04:00',
      },
    },
    {
      // Critical on EMEA arriving Sat Oct 24 22:00 CEST, before fall back: counting starts Mon Oct 26 09:00 CET;
      // 4 h -> 13:00 CET, warning 3 h -> 12:00 CET.
      rule: 'a request arriving outside hours before the Swedish fall-back change starts at the next opening',
      input: { calendar: 'EMEA', supportLevel: 'normal', severity: 5 },
      clockStartedAt: '2026-10-24T22:00+02:00',
      due: {
        calendarName: 'EMEA',
        resolutionCalendarName: 'EMEA',
        initialResponseDue: '2026-10-26T13:00+01:00',
        progressUpdateDue: '2026-10-26T13:00+01:00',
        resolutionDue: null,
        initialResponseWarnAt: '2026-10-26T12:00+01:00',
        progressUpdateWarnAt: '2026-10-26T12:00+01:00',
        resolutionWarnAt: null,
      },
    },
  ];
  it.each(cases)('$rule', ({ input, clockStartedAt, due }) => {
    expect(normalized(computeDueTimes(builtInPolicy, { ...input, clockStartedAt: at(clockStartedAt) }))).toEqual(expected(due));
  });

  it('hoursPerDay override: 2d at 8 h/day from Mon 09:00 = Mon 9 h + Tue 7 h -> Tue 16:00', () => {
    const policy = policyWith({ calendars: { US: { hoursPerDay: 8 } } });
    const dueTimes = computeDueTimes(policy, { calendar: 'US', supportLevel: 'normal', severity: 3, clockStartedAt: at('2026-01-12T09:00-05:00') });
    expect(dueTimes.initialResponseDue.toISOString()).toBe(at('2026-01-13T16:00-05:00').toISOString());
  });

  it('closedDates override: Critical from Tue 17:00 with Wed closed = Tue 1 h + Thu 3 h -> Thu 12:00', () => {
    const policy = policyWith({ calendars: { US: { closedDates: ['2026-01-14'] } } });
    const dueTimes = computeDueTimes(policy, { calendar: 'US', supportLevel: 'normal', severity: 5, clockStartedAt: at('2026-01-13T17:00-05:00') });
    expect(dueTimes.initialResponseDue.toISOString()).toBe(at('2026-01-15T12:00-05:00').toISOString());
  });

  it('warnAtFraction from the policy: 0.5 of 4 h from Tue 09:00 -> 11:00', () => {
    const policy = policyWith({ sla: { warnAtFraction: 0.5 } });
    const dueTimes = computeDueTimes(policy, { calendar: 'US', supportLevel: 'normal', severity: 5, clockStartedAt: at('2026-01-13T09:00-05:00') });
    expect(dueTimes.initialResponseWarnAt.toISOString()).toBe(at('2026-01-13T11:00-05:00').toISOString());
  });

  it('an unknown calendar is a RangeError naming it', () => {
    expect(() => computeDueTimes(builtInPolicy, { calendar: 'APAC', supportLevel: 'normal', severity: 3, clockStartedAt: at('2026-01-12T09:00Z') })).toThrow(
      /unknown SLA calendar "APAC"/,
    );
  });
});

describe('progress updates', () => {
  const cases = [
    {
      // Major on US, PU 2d = 18 h. Update Tue Jan 13 11:00: Tue 7 h + Wed 9 h + Thu 2 h -> Thu 11:00 (first PU was
      // Tue 18:00 from a Mon 09:00 start). Warning at 13.5 h = 7 + 6.5 -> Wed 15:30.
      rule: 'an engineer update restarts the progress-update interval',
      input: { calendar: 'US', supportLevel: 'normal', severity: 4, clockStartedAt: at('2026-01-12T09:00-05:00') },
      lastEngineerUpdateAt: '2026-01-13T11:00-05:00',
      due: '2026-01-15T11:00-05:00',
      warnAt: '2026-01-14T15:30-05:00',
    },
    {
      // Update Fri Jan 16 20:00 (after hours): counts from Tue Jan 20 09:00 (MLK Mon closed); 18 h -> Wed 18:00;
      // warning 13.5 h = Tue 9 + Wed 4.5 -> Wed 13:30.
      rule: 'an engineer update after hours counts from the next opening',
      input: { calendar: 'US', supportLevel: 'normal', severity: 4 },
      lastEngineerUpdateAt: '2026-01-16T20:00-05:00',
      due: '2026-01-21T18:00-05:00',
      warnAt: '2026-01-21T13:30-05:00',
    },
    {
      // Plus severity 5 on 24x7: update Sat 10:00Z + 4 h -> 14:00Z; warning 3 h -> 13:00Z.
      rule: 'Support Plus severity 5 progress updates run on 24x7',
      input: { calendar: 'EMEA', supportLevel: 'plus', severity: 5 },
      lastEngineerUpdateAt: '2026-01-10T10:00Z',
      due: '2026-01-10T14:00Z',
      warnAt: '2026-01-10T13:00Z',
    },
    {
      // An update before the clock started (Mon 09:00) counts from the clock start: PU 18 h -> Tue 18:00; warning Tue 13:30.
      rule: 'an update made before the clock started counts from the clock start',
      input: { calendar: 'US', supportLevel: 'normal', severity: 4, clockStartedAt: at('2026-01-12T09:00-05:00') },
      lastEngineerUpdateAt: '2026-01-09T10:00-05:00',
      due: '2026-01-13T18:00-05:00',
      warnAt: '2026-01-13T13:30-05:00',
    },
  ] as const;
  it.each(cases)('$rule', ({ input, lastEngineerUpdateAt, due, warnAt }) => {
    const next = nextProgressUpdateDue(builtInPolicy, input, at(lastEngineerUpdateAt));
    expect({ due: next.progressUpdateDue.toISOString(), warnAt: next.progressUpdateWarnAt.toISOString() }).toEqual({
      due: at(due).toISOString(),
      warnAt: at(warnAt).toISOString(),
    });
  });

  it('the first progress update is due one interval after the clock start', () => {
    const input = { calendar: 'US', supportLevel: 'normal', severity: 4, clockStartedAt: at('2026-01-12T09:00-05:00') } as const;
    expect(nextProgressUpdateDue(builtInPolicy, input, input.clockStartedAt).progressUpdateDue).toEqual(
      computeDueTimes(builtInPolicy, input).progressUpdateDue,
    );
  });
});

describe('the initial response when the clock starts', () => {
  const clockStartedAt = '2026-01-12T09:00-05:00';
  const cases = [
    {
      rule: 'an engineer who answered while the clock waited (for "I agree", for missing information) meets it at the clock start',
      lastEngineerUpdateAt: '2026-01-09T10:00-05:00',
      metAt: clockStartedAt,
    },
    { rule: 'an answer in the same instant the clock starts meets it then too', lastEngineerUpdateAt: clockStartedAt, metAt: clockStartedAt },
    { rule: 'nobody answered yet: the target runs', lastEngineerUpdateAt: null, metAt: null },
  ] as const;
  it.each(cases)('$rule', ({ lastEngineerUpdateAt, metAt }) => {
    const met = initialResponseMetAtStart(at(clockStartedAt), lastEngineerUpdateAt === null ? null : at(lastEngineerUpdateAt));
    expect(met?.toISOString() ?? null).toBe(metAt === null ? null : at(metAt).toISOString());
  });
});

describe('pause and resume while waiting on the customer', () => {
  const us = calendarFor(builtInPolicy, 'US');
  const cases = [
    // Due Mon 10:00, paused Fri 17:00: Fri 17:00-18:00 + Mon 09:00-10:00 = 2 h left; resumed Mon 10:00 + 2 h -> 12:00.
    {
      rule: 'pause Friday 17:00 with 2 h left, resume Monday 10:00: due Monday 12:00',
      pausedAt: '2026-01-09T17:00-05:00',
      dueAt: '2026-01-12T10:00-05:00',
      remainingHours: 2,
      resumedAt: '2026-01-12T10:00-05:00',
      resumedDue: '2026-01-12T12:00-05:00',
    },
    // Paused Sat (closed) with due Mon 11:00: 2 h left; resumed Mon 15:00 + 2 h -> 17:00.
    {
      rule: 'a pause outside hours keeps the whole remaining budget',
      pausedAt: '2026-01-10T12:00-05:00',
      dueAt: '2026-01-12T11:00-05:00',
      remainingHours: 2,
      resumedAt: '2026-01-12T15:00-05:00',
      resumedDue: '2026-01-12T17:00-05:00',
    },
    // Paused Tue 17:00, due Tue 18:00: 1 h left; resumed Tue 17:30: 17:30-18:00 + Wed 09:00-09:30 -> Wed 09:30.
    {
      rule: 'a resumed budget carries over to the next business day',
      pausedAt: '2026-01-13T17:00-05:00',
      dueAt: '2026-01-13T18:00-05:00',
      remainingHours: 1,
      resumedAt: '2026-01-13T17:30-05:00',
      resumedDue: '2026-01-14T09:30-05:00',
    },
    // Paused after the due instant: nothing left; due again at the resume instant.
    {
      rule: 'an overdue timer resumes overdue',
      pausedAt: '2026-01-13T12:00-05:00',
      dueAt: '2026-01-13T10:00-05:00',
      remainingHours: 0,
      resumedAt: '2026-01-14T10:00-05:00',
      resumedDue: '2026-01-14T10:00-05:00',
    },
    // Resumed Sat with 1 h left: counting starts Mon 09:00 -> 10:00.
    {
      rule: 'a clock resumed outside hours restarts at the next opening',
      pausedAt: '2026-01-09T17:00-05:00',
      dueAt: '2026-01-09T18:00-05:00',
      remainingHours: 1,
      resumedAt: '2026-01-10T12:00-05:00',
      resumedDue: '2026-01-12T10:00-05:00',
    },
  ];
  it.each(cases)('$rule', ({ pausedAt, dueAt, remainingHours, resumedAt, resumedDue }) => {
    const remainingMs = remainingSupportMs(us, at(pausedAt), at(dueAt));
    expect(remainingMs).toBe(remainingHours * HOUR);
    expect(resumeDue(us, at(resumedAt), remainingMs).toISOString()).toBe(at(resumedDue).toISOString());
  });

  it('a whole ticket pauses and resumes: due and warning both carried over', () => {
    // Critical on US from Fri 15:00: due = Fri 3 h + Mon 1 h -> Mon 10:00; warning at 3 h -> Fri 18:00 (closing time).
    const input = { calendar: 'US', supportLevel: 'normal', severity: 5, clockStartedAt: at('2026-01-09T15:00-05:00') } as const;
    const dueTimes = computeDueTimes(builtInPolicy, input);
    expect(dueTimes.initialResponseDue.toISOString()).toBe(at('2026-01-12T10:00-05:00').toISOString());
    expect(dueTimes.initialResponseWarnAt.toISOString()).toBe(at('2026-01-09T18:00-05:00').toISOString());
    // Paused Fri 17:00: 2 h left to the due instant, 1 h to the warning. Resumed Mon 10:00: warn 11:00, due 12:00.
    const pausedAt = at('2026-01-09T17:00-05:00');
    const resumedAt = at('2026-01-12T10:00-05:00');
    const remainingMs = remainingSupportMs(us, pausedAt, dueTimes.initialResponseDue);
    const remainingWarnMs = remainingSupportMs(us, pausedAt, dueTimes.initialResponseWarnAt);
    expect([remainingMs, remainingWarnMs]).toEqual([2 * HOUR, 1 * HOUR]);
    expect(resumeDue(us, resumedAt, remainingMs).toISOString()).toBe(at('2026-01-12T12:00-05:00').toISOString());
    expect(resumeDue(us, resumedAt, remainingWarnMs).toISOString()).toBe(at('2026-01-12T11:00-05:00').toISOString());
  });

  const warnCases = [
    // Budget 4 h, warning at 3 h, so 1 h before due. 2 h left -> warning 1 h after resuming Mon 10:00 = 11:00.
    { rule: 'the warning of a resumed timer falls the same support time before its due instant', remainingHours: 2, resumedWarnAt: '2026-01-12T11:00-05:00' },
    // 0.5 h left: the warning point (1 h before due) passed before the pause -> warn at the resume instant.
    { rule: 'a warning point already passed at the pause fires at resume', remainingHours: 0.5, resumedWarnAt: '2026-01-12T10:00-05:00' },
  ];
  it.each(warnCases)('$rule', ({ remainingHours, resumedWarnAt }) => {
    const warnAt = resumeWarnAt(us, at('2026-01-12T10:00-05:00'), { remainingMs: remainingHours * HOUR, budgetMs: 4 * HOUR, warnAtFraction: 0.75 });
    expect(warnAt.toISOString()).toBe(at(resumedWarnAt).toISOString());
  });

  it('Support Plus timers pause and resume in real time on 24x7', () => {
    const allDay = calendarFor(builtInPolicy, '24x7');
    // Due Sat 20:00Z, paused Sat 17:00Z: 3 h left; resumed Sun 08:00Z -> 11:00Z.
    const remainingMs = remainingSupportMs(allDay, at('2026-01-10T17:00Z'), at('2026-01-10T20:00Z'));
    expect(remainingMs).toBe(3 * HOUR);
    expect(resumeDue(allDay, at('2026-01-11T08:00Z'), remainingMs).toISOString()).toBe(at('2026-01-11T11:00Z').toISOString());
  });
});
