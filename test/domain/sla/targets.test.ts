// Pins which calendar a ticket's SLA runs on and the support-time budget of each target, from the built-in policy.
// "h" is support hours; "d" is hoursPerDay support hours (9 on US/EMEA, 24 on 24x7).
import { describe, expect, it } from 'vitest';
import {
  effectiveCalendarName,
  slaTargetKinds,
  targetBudgets,
  targetCalendarName,
  type SlaTargetInput,
  type SlaTargetKind,
  targetCounting,
  worksUntilResolved,
} from '../../../src/domain/sla/targets.ts';
import { HOUR, builtInPolicy, policyWith } from './helpers.ts';

describe('effective calendar', () => {
  const cases: Array<SlaTargetInput & { rule: string; calendarName: string }> = [
    { rule: 'Support Plus severity 5 runs on 24x7', calendar: 'US', supportLevel: 'plus', severity: 5, calendarName: '24x7' },
    { rule: 'Support Plus severity 4 runs on 24x7', calendar: 'EMEA', supportLevel: 'plus', severity: 4, calendarName: '24x7' },
    { rule: 'Support Plus severity 3 stays on business hours', calendar: 'US', supportLevel: 'plus', severity: 3, calendarName: 'US' },
    { rule: 'normal support severity 5 stays on business hours', calendar: 'EMEA', supportLevel: 'normal', severity: 5, calendarName: 'EMEA' },
  ];
  it.each(cases)('$rule', ({ calendarName, ...input }) => {
    expect(effectiveCalendarName(builtInPolicy, input)).toBe(calendarName);
  });
});

describe('calendar per target (Cryptzone §2.2.2 support hours, §7 business days)', () => {
  const cases: Array<SlaTargetInput & { rule: string; calendars: Record<SlaTargetKind, string> }> = [
    {
      rule: 'Support Plus severity 5: response and updates on 24x7, resolution on the customer calendar',
      calendar: 'US',
      supportLevel: 'plus',
      severity: 5,
      calendars: { 'initial-response': '24x7', 'progress-update': '24x7', resolution: 'US' },
    },
    {
      rule: 'Support Plus severity 4: response and updates on 24x7, resolution in EMEA business days',
      calendar: 'EMEA',
      supportLevel: 'plus',
      severity: 4,
      calendars: { 'initial-response': '24x7', 'progress-update': '24x7', resolution: 'EMEA' },
    },
    {
      rule: 'Support Plus severity 3: every target on the customer calendar',
      calendar: 'US',
      supportLevel: 'plus',
      severity: 3,
      calendars: { 'initial-response': 'US', 'progress-update': 'US', resolution: 'US' },
    },
    {
      rule: 'Support Normal severity 4: every target on the customer calendar',
      calendar: 'EMEA',
      supportLevel: 'normal',
      severity: 4,
      calendars: { 'initial-response': 'EMEA', 'progress-update': 'EMEA', resolution: 'EMEA' },
    },
  ];
  it.each(cases)('$rule', ({ calendars, rule: _rule, ...input }) => {
    for (const target of slaTargetKinds) {
      expect(targetCalendarName(builtInPolicy, input, target)).toBe(calendars[target]);
      expect(effectiveCalendarName(builtInPolicy, input, target)).toBe(calendars[target]);
    }
  });
});

describe('target budgets', () => {
  const cases = [
    // Critical: 4h / 4h / none.
    {
      rule: 'severity 5 normal: 4 h initial response and progress, no resolution',
      supportLevel: 'normal',
      severity: 5,
      calendarName: 'US',
      hours: [4, 4, null],
    },
    // Major: 8h / 2d = 18 h / 3d = 27 h.
    { rule: 'severity 4 normal: "d" targets are 9 h business days', supportLevel: 'normal', severity: 4, calendarName: 'US', hours: [8, 18, 27] },
    // Minor: 2d = 18 h / 3d = 27 h / 15d = 135 h.
    { rule: 'severity 3 normal: 2d minor initial response = 18 support hours', supportLevel: 'normal', severity: 3, calendarName: 'US', hours: [18, 27, 135] },
    // Other: 3d = 27 h / 5d = 45 h / none.
    { rule: 'severity 2 normal: 3d and 5d', supportLevel: 'normal', severity: 2, calendarName: 'US', hours: [27, 45, null] },
    { rule: 'severity 1 normal: 3d and 5d', supportLevel: 'normal', severity: 1, calendarName: 'US', hours: [27, 45, null] },
    // Plus severity 4: response and updates on 24x7, where a day is 24 h (2d = 48 h); resolution 3 business days = 27 h.
    {
      rule: 'Cryptzone §7: Support Plus severity 4 updates every 48 h of 24x7 but resolves in 3 x 9 business hours',
      supportLevel: 'plus',
      severity: 4,
      calendarName: '24x7',
      hours: [8, 48, 27],
    },
    { rule: 'Support Plus severity 5 on 24x7: 4 h', supportLevel: 'plus', severity: 5, calendarName: '24x7', hours: [4, 4, null] },
    { rule: 'Support Plus severity 3 keeps business days', supportLevel: 'plus', severity: 3, calendarName: 'US', hours: [18, 27, 135] },
  ] as const;
  it.each(cases)('$rule', ({ supportLevel, severity, calendarName, hours }) => {
    const [initialResponse, progressUpdate, resolution] = hours;
    expect(targetBudgets(builtInPolicy, { calendar: 'US', supportLevel, severity })).toEqual({
      calendarName,
      resolutionCalendarName: 'US',
      initialResponseMs: initialResponse * HOUR,
      progressUpdateMs: progressUpdate * HOUR,
      resolutionMs: resolution === null ? null : resolution * HOUR,
    });
  });

  it('hoursPerDay from the policy sizes "d" targets: 2d at 8 h/day = 16 h', () => {
    const policy = policyWith({ calendars: { US: { hoursPerDay: 8 } } });
    expect(targetBudgets(policy, { calendar: 'US', supportLevel: 'normal', severity: 3 }).initialResponseMs).toBe(16 * HOUR);
  });

  it('minutes in a target are support minutes: "90m" = 1.5 h', () => {
    const policy = policyWith({ sla: { severities: { '5': { name: 'Critical', initialResponse: '90m', progressUpdate: '4h', resolution: null } } } });
    expect(targetBudgets(policy, { calendar: 'EMEA', supportLevel: 'normal', severity: 5 }).initialResponseMs).toBe(1.5 * HOUR);
  });

  const badSeverities = [0, 6, 3.5];
  it.each(badSeverities)('severity %s is a RangeError', (severity) => {
    expect(() => targetBudgets(builtInPolicy, { calendar: 'US', supportLevel: 'normal', severity })).toThrow(RangeError);
  });

  it('an unknown customer calendar is a RangeError naming it', () => {
    expect(() => targetBudgets(builtInPolicy, { calendar: 'APAC', supportLevel: 'normal', severity: 3 })).toThrow(/unknown SLA calendar "APAC"/);
  });
});

describe('work until resolved (Cryptzone §7)', () => {
  it.each([
    [5, true],
    [4, false],
    [3, false],
    [2, false],
    [1, false],
  ])('severity %i: continued effort until resolved is %s', (severity, expected) => {
    expect(worksUntilResolved(severity)).toBe(expected);
  });
});

describe('how targets are counted, for the mail (Cryptzone §2.2.2, §7)', () => {
  it.each<[string, SlaTargetInput, { aroundTheClock: boolean; supportPlusAroundTheClock: boolean; resolutionOnBusinessDays: boolean }]>([
    [
      'Plus 5: around the clock, no resolution target',
      { calendar: 'EMEA', supportLevel: 'plus', severity: 5 },
      { aroundTheClock: true, supportPlusAroundTheClock: true, resolutionOnBusinessDays: false },
    ],
    [
      'Plus 4: around the clock, resolution on business days',
      { calendar: 'EMEA', supportLevel: 'plus', severity: 4 },
      { aroundTheClock: true, supportPlusAroundTheClock: true, resolutionOnBusinessDays: true },
    ],
    [
      'Plus 3: support hours',
      { calendar: 'EMEA', supportLevel: 'plus', severity: 3 },
      { aroundTheClock: false, supportPlusAroundTheClock: false, resolutionOnBusinessDays: false },
    ],
    [
      'normal 5: support hours',
      { calendar: 'US', supportLevel: 'normal', severity: 5 },
      { aroundTheClock: false, supportPlusAroundTheClock: false, resolutionOnBusinessDays: false },
    ],
    [
      'normal on an always-open calendar: around the clock, not Support Plus',
      { calendar: '24x7', supportLevel: 'normal', severity: 4 },
      { aroundTheClock: true, supportPlusAroundTheClock: false, resolutionOnBusinessDays: false },
    ],
  ])('%s', (_rule, input, expected) => {
    expect(targetCounting(builtInPolicy, input)).toEqual(expected);
  });
});
