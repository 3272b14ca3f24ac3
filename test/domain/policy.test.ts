// Pins policy validation at load (issue 13 point 1): unknown keys anywhere, every calendar checked completely, the new
// billing / reminders / products settings and their defaults (issue 12 points 9 and 11).
import { describe, expect, it } from 'vitest';
import { defaultPolicy, paymentInstructionsIn, resolvePolicy, type PolicyIssue } from '../../src/domain/policy.ts';

function issuesOf(partial: unknown): PolicyIssue[] {
  const resolved = resolvePolicy(partial);
  return 'issues' in resolved ? resolved.issues : [];
}

const weekday = [['09:00', '18:00']];

describe('policy defaults', () => {
  it('billing.requireAgreement defaults to true and billing.termsUrl to none', () => {
    expect(defaultPolicy().billing).toMatchObject({ requireAgreement: true, termsUrl: null });
  });

  it('reminders.needsInfoAfterBusinessDays defaults to 2', () => {
    expect(defaultPolicy().reminders.needsInfoAfterBusinessDays).toBe(2);
  });

  it('no products are listed by default', () => {
    expect(defaultPolicy().products).toEqual({});
  });

  it('a policy file sets the new settings', () => {
    const resolved = resolvePolicy({
      billing: { requireAgreement: false, termsUrl: 'https://example.com/support-terms' },
      reminders: { needsInfoAfterBusinessDays: 3 },
      products: {
        'Kerio Control': {
          versions: [{ version: '9.4', releasedOn: '2024-05-01', maintenanceReleases: [{ version: 9.41, releasedOn: new Date('2024-08-01') }] }],
        },
      },
    });
    expect('policy' in resolved && resolved.policy).toMatchObject({
      billing: { requireAgreement: false, termsUrl: 'https://example.com/support-terms' },
      reminders: { needsInfoAfterBusinessDays: 3 },
      products: {
        'Kerio Control': { versions: [{ version: '9.4', releasedOn: '2024-05-01', maintenanceReleases: [{ version: '9.41', releasedOn: '2024-08-01' }] }] },
      },
    });
  });
});

describe('unknown keys are errors naming the key (issue 13 point 1)', () => {
  it.each([
    { rule: 'a top-level typo', partial: { role: { engineers: [] } }, path: 'role' },
    { rule: 'a typo inside roles', partial: { roles: { engineer: ['U1'] } }, path: 'roles.engineer' },
    { rule: 'a typo inside a calendar', partial: { calendars: { US: { timezone: 'America/New_York' } } }, path: 'calendars.US.timezone' },
    { rule: 'an unknown weekday', partial: { calendars: { US: { hours: { monday: weekday } } } }, path: 'calendars.US.hours.monday' },
    { rule: 'a typo in a severity', partial: { sla: { severities: { '3': { resolutiom: '15d' } } } }, path: 'sla.severities.3.resolutiom' },
    { rule: 'a severity that does not exist', partial: { sla: { severities: { '6': { name: 'Cosmic' } } } }, path: 'sla.severities.6' },
    { rule: 'a typo in billing', partial: { billing: { requireAgreements: false } }, path: 'billing.requireAgreements' },
    { rule: 'an unknown fee currency', partial: { billing: { fees: { YEN: 9000 } } }, path: 'billing.fees.YEN' },
    { rule: 'a typo in eligibility', partial: { eligibility: { maxCallers: 4 } }, path: 'eligibility.maxCallers' },
    { rule: 'a typo in reminders', partial: { reminders: { needsInfoAfterDays: 2 } }, path: 'reminders.needsInfoAfterDays' },
    { rule: 'a typo in a product', partial: { products: { X: { version: [] } } }, path: 'products.X.version' },
  ])('$rule → $path', ({ partial, path }) => {
    expect(issuesOf(partial)).toContainEqual({ path, message: expect.stringContaining(`unknown key "${path.split('.').at(-1)}"`) });
  });
});

describe('values that would fail later are refused at load (issue 13 point 1)', () => {
  it.each([
    {
      rule: 'a fee with more decimals than its currency',
      partial: { billing: { fees: { EUR: 65.555 } } },
      path: 'billing.fees.EUR',
      message: /65.555 EUR has more than 2 decimals/,
    },
    {
      rule: 'a target of no time',
      partial: { sla: { severities: { '5': { name: 'Critical', initialResponse: '0m', progressUpdate: '4h', resolution: null } } } },
      path: 'sla.severities.5.initialResponse',
      message: /above zero/,
    },
    {
      rule: 'fewer eligible callers allowed than required',
      partial: { eligibility: { maxEligibleCallers: 2, minEligibleCallers: 3 } },
      path: 'eligibility.minEligibleCallers',
      message: /not be above maxEligibleCallers/,
    },
    {
      rule: 'a name instead of a Slack ID',
      partial: { roles: { engineers: ['hello world'] } },
      path: 'roles.engineers.0',
      message: /Slack user or user-group ID/,
    },
  ])('$rule', ({ partial, path, message }) => {
    expect(issuesOf(partial)).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

describe('calendars are validated completely at load (issue 13 point 1)', () => {
  it.each([
    {
      rule: 'an unknown time zone',
      calendar: { timeZone: 'Mars/Olympus', hours: { mon: weekday } },
      path: 'calendars.MARS.timeZone',
      message: /unknown time zone "Mars\/Olympus"/,
    },
    {
      rule: 'an unknown holiday country',
      calendar: { timeZone: 'UTC', holidays: 'ZZ', hours: { mon: weekday } },
      path: 'calendars.MARS.holidays',
      message: /unknown holiday country "ZZ"/,
    },
    {
      rule: 'an unknown holiday state',
      calendar: { timeZone: 'UTC', holidays: 'US-ZZ', hours: { mon: weekday } },
      path: 'calendars.MARS.holidays',
      message: /unknown holiday state/,
    },
    {
      rule: 'reversed hours',
      calendar: { timeZone: 'UTC', hours: { mon: [['18:00', '09:00']] } },
      path: 'calendars.MARS.hours.mon[0]',
      message: /opens at 18:00 but closes at 09:00/,
    },
    {
      rule: 'an empty hours pair (open = close)',
      calendar: { timeZone: 'UTC', hours: { tue: [['09:00', '09:00']] } },
      path: 'calendars.MARS.hours.tue[0]',
      message: /opens at 09:00 but closes at 09:00/,
    },
    {
      rule: 'a time past midnight',
      calendar: { timeZone: 'UTC', hours: { wed: [['09:00', '24:30']] } },
      path: 'calendars.MARS.hours.wed[0]',
      message: /"24:30" is not a time of day/,
    },
    { rule: 'a malformed time', calendar: { timeZone: 'UTC', hours: { wed: [['9:00', '18:00']] } }, path: 'calendars.MARS.hours.wed.0.0', message: /HH:MM/ },
    {
      rule: 'overlapping hours on one day',
      calendar: {
        timeZone: 'UTC',
        hours: {
          thu: [
            ['13:00', '18:00'],
            ['09:00', '14:00'],
          ],
        },
      },
      path: 'calendars.MARS.hours.thu[0]',
      message: /overlaps hours.thu\[1\]/,
    },
    { rule: 'a calendar never open', calendar: { timeZone: 'UTC', hours: {} }, path: 'calendars.MARS.hours', message: /never open/ },
    {
      rule: 'an impossible closed date',
      calendar: { timeZone: 'UTC', hours: { mon: weekday }, closedDates: ['2026-02-30'] },
      path: 'calendars.MARS.closedDates[0]',
      message: /not a calendar date/,
    },
    {
      rule: 'more than 24 hours in a day',
      calendar: { timeZone: 'UTC', hours: { mon: weekday }, hoursPerDay: 25 },
      path: 'calendars.MARS.hoursPerDay',
      message: /do not fit/,
    },
  ])('$rule → $path', ({ calendar, path, message }) => {
    const issues = issuesOf({ calendars: { MARS: calendar } });
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('names the calendar in the message too', () => {
    expect(issuesOf({ calendars: { APAC: { timeZone: 'Asia/Nowhere', hours: { mon: weekday } } } })).toEqual([
      { path: 'calendars.APAC.timeZone', message: expect.stringMatching(/^calendar "APAC": unknown time zone/) },
    ]);
  });

  it('reports every fault of every calendar at once', () => {
    const issues = issuesOf({
      calendars: {
        A: { timeZone: 'Mars/Olympus', holidays: 'ZZ', hours: { mon: [['18:00', '09:00']] } },
        B: { timeZone: 'Venus/Maxwell', hours: { mon: weekday } },
      },
    });
    expect(issues.map((issue) => issue.path)).toEqual(
      expect.arrayContaining(['calendars.A.timeZone', 'calendars.A.holidays', 'calendars.A.hours.mon[0]', 'calendars.B.timeZone']),
    );
  });

  it.each([
    {
      rule: 'touching hours are not an overlap',
      calendar: {
        timeZone: 'Europe/Prague',
        holidays: 'CZ',
        hours: {
          mon: [
            ['09:00', '12:00'],
            ['12:00', '18:00'],
          ],
        },
      },
    },
    { rule: 'a state holiday code is known', calendar: { timeZone: 'America/Los_Angeles', holidays: 'US-CA', hours: { fri: [['08:00', '17:00']] } } },
    { rule: 'closing at 24:00 is the end of the day', calendar: { timeZone: 'UTC', hours: { sat: [['00:00', '24:00']] } } },
    { rule: 'an always-open calendar needs no hours', calendar: { timeZone: 'Asia/Tokyo', alwaysOpen: true } },
  ])('valid: $rule', ({ calendar }) => {
    expect(issuesOf({ calendars: { OK: calendar } })).toEqual([]);
  });
});

describe('billing and products values', () => {
  it.each([
    { rule: 'termsUrl must be a URL', partial: { billing: { termsUrl: 'our website' } }, path: 'billing.termsUrl' },
    { rule: 'termsUrl must be http(s)', partial: { billing: { termsUrl: 'ftp://example.com/terms' } }, path: 'billing.termsUrl' },
    { rule: 'requireAgreement is a boolean', partial: { billing: { requireAgreement: 'yes' } }, path: 'billing.requireAgreement' },
    {
      rule: 'the reminder interval is a positive whole number of business days',
      partial: { reminders: { needsInfoAfterBusinessDays: 0 } },
      path: 'reminders.needsInfoAfterBusinessDays',
    },
    { rule: 'a product lists at least one version release', partial: { products: { X: { versions: [] } } }, path: 'products.X.versions' },
    {
      rule: 'a release date is a real date',
      partial: { products: { X: { versions: [{ version: '1', releasedOn: '2026-13-01' }] } } },
      path: 'products.X.versions.0.releasedOn',
    },
    {
      rule: 'a version appears once per product',
      partial: {
        products: { X: { versions: [{ version: '1.0', releasedOn: '2025-01-01', maintenanceReleases: [{ version: '1.0', releasedOn: '2025-02-01' }] }] } },
      },
      path: 'products.X.versions.0.maintenanceReleases.0.version',
    },
    {
      rule: 'a maintenance release does not predate its version release',
      partial: {
        products: { X: { versions: [{ version: '2', releasedOn: '2025-06-01', maintenanceReleases: [{ version: '2.1', releasedOn: '2025-05-01' }] }] } },
      },
      path: 'products.X.versions.0.maintenanceReleases.0.releasedOn',
    },
    {
      rule: 'two version releases on one day leave "current" undecided',
      partial: {
        products: {
          X: {
            versions: [
              { version: '1', releasedOn: '2025-06-01' },
              { version: '2', releasedOn: '2025-06-01' },
            ],
          },
        },
      },
      path: 'products.X.versions.1.releasedOn',
    },
  ])('$rule', ({ partial, path }) => {
    expect(issuesOf(partial).map((issue) => issue.path)).toContain(path);
  });
});

describe("payment instructions in the customer's language", () => {
  it('the default has a text for every language deskbot writes, each different', () => {
    const texts = ['en', 'de', 'cs', 'sv'].map((locale) => paymentInstructionsIn(defaultPolicy().billing.paymentInstructions, locale));
    expect(new Set(texts).size).toBe(4);
    expect(texts[1]).toBe('Die Gebühr wird Ihrer Zahlungskarte belastet; die Rechnung folgt per E-Mail.');
  });

  it('picks the locale, then its language, then English, then the first text; one text serves every language', () => {
    const texts = { en: 'Pay by card.', de: 'Zahlung per Karte.', 'de-CH': 'Zahlung per Karte (CHF).', fr: 'Payez par carte.' };
    expect(paymentInstructionsIn(texts, 'de-CH')).toBe('Zahlung per Karte (CHF).');
    expect(paymentInstructionsIn(texts, 'de-AT')).toBe('Zahlung per Karte.');
    expect(paymentInstructionsIn(texts, 'cs')).toBe('Pay by card.');
    expect(paymentInstructionsIn({ fr: 'Payez par carte.' }, 'sv')).toBe('Payez par carte.');
    expect(paymentInstructionsIn('Invoice only.', 'de')).toBe('Invoice only.');
  });

  it("a policy file's texts replace the default's as a whole (no German default beside a vendor's English)", () => {
    const resolved = resolvePolicy({ billing: { paymentInstructions: { en: 'Pay by invoice.' } } });
    if (!('policy' in resolved)) throw new Error(JSON.stringify(resolved.issues));
    expect(resolved.policy.billing.paymentInstructions).toEqual({ en: 'Pay by invoice.' });
    expect(paymentInstructionsIn(resolved.policy.billing.paymentInstructions, 'de')).toBe('Pay by invoice.');
    const single = resolvePolicy({ billing: { paymentInstructions: 'Pay by invoice.' } });
    expect('policy' in single && single.policy.billing.paymentInstructions).toBe('Pay by invoice.');
  });

  it.each([
    { what: 'an empty text', value: '' },
    { what: 'no texts', value: {} },
    { what: 'a key that is not a locale tag', value: { english: 'Pay by card.' } },
    { what: 'an empty text for a locale', value: { en: '' } },
  ])('refuses $what', ({ value }) => {
    expect(issuesOf({ billing: { paymentInstructions: value } }).map((issue) => issue.path)).toEqual([expect.stringMatching(/^billing\.paymentInstructions/)]);
  });
});
