// Pins when an incomplete request's customer is reminded: business days of the customer's calendar, not clock days.
import { describe, expect, it } from 'vitest';
import { needsInfoReminderDue } from '../../src/domain/needs-info-reminder.ts';
import { defaultPolicy, resolvePolicy, type Policy } from '../../src/domain/policy.ts';

function policyWith(partial: Record<string, unknown>): Policy {
  const resolved = resolvePolicy(partial);
  if ('issues' in resolved) throw new Error(JSON.stringify(resolved.issues));
  return resolved.policy;
}

const cases: Array<{ rule: string; policy: Policy; calendar: string; openedAt: string; due: string }> = [
  {
    rule: 'two business days later, same local hour (US, Mon 10:00 → Wed 10:00)',
    policy: defaultPolicy(),
    calendar: 'US',
    openedAt: '2026-11-30T15:00:00Z',
    due: '2026-12-02T15:00:00Z',
  },
  {
    rule: 'the weekend does not count (Fri 16:00 → Tue 16:00)',
    policy: defaultPolicy(),
    calendar: 'US',
    openedAt: '2026-12-04T21:00:00Z',
    due: '2026-12-08T21:00:00Z',
  },
  {
    rule: 'a request out of hours counts from the next opening (Sat → Tue closing time)',
    policy: defaultPolicy(),
    calendar: 'US',
    openedAt: '2026-12-05T17:00:00Z',
    due: '2026-12-08T23:00:00Z',
  },
  {
    rule: 'US public holidays do not count (Thanksgiving)',
    policy: defaultPolicy(),
    calendar: 'US',
    openedAt: '2026-11-25T15:00:00Z',
    due: '2026-11-30T15:00:00Z',
  },
  {
    rule: 'the customer’s calendar decides: Swedish Christmas Eve and Day do not count (EMEA)',
    policy: defaultPolicy(),
    calendar: 'EMEA',
    openedAt: '2026-12-23T09:00:00Z',
    due: '2026-12-29T09:00:00Z',
  },
  {
    rule: 'policy.reminders.needsInfoAfterBusinessDays sets the wait (1 day)',
    policy: policyWith({ reminders: { needsInfoAfterBusinessDays: 1 } }),
    calendar: 'US',
    openedAt: '2026-11-30T15:00:00Z',
    due: '2026-12-01T15:00:00Z',
  },
];

describe('needsInfoReminderDue', () => {
  it.each(cases)('$rule', ({ policy, calendar, openedAt, due }) => {
    expect(needsInfoReminderDue(policy, calendar, new Date(openedAt)).toISOString()).toBe(new Date(due).toISOString());
  });

  it('refuses a calendar the policy does not define', () => {
    expect(() => needsInfoReminderDue(defaultPolicy(), 'MARS', new Date('2026-11-30T15:00:00Z'))).toThrow(RangeError);
  });
});
