// Pins the directory file additions: `partner: true` and `suspended: { since, reason }` on customers (issue 12 points
// 1 and 12) and the warning for an address listed as eligible caller of two customers (issue 13 point 14).
import { describe, expect, it } from 'vitest';
import { callersCsvToDirectory } from '../../src/domain/callers-csv.ts';
import { duplicateCallerWarnings, validateDirectory, type DirectoryLimits } from '../../src/domain/directory-file.ts';

const limits: DirectoryLimits = { maxEligibleCallers: 5, minEligibleCallers: 1, calendars: ['US', 'EMEA'] };

function customer(key: string, emails: string[], extra: Record<string, unknown> = {}) {
  return { key, name: `${key} Inc`, calendar: 'US', currency: 'USD', eligibleCallers: emails.map((email) => ({ email, name: email.split('@')[0] })), ...extra };
}

describe('customer flags', () => {
  it('partner: true reaches the domain as isPartner (Kerio FAQ: free for partners)', () => {
    const result = validateDirectory(
      { customers: [customer('RESELL', ['a@resell.example'], { partner: true }), customer('PLAIN', ['b@plain.example'])] },
      limits,
    );
    expect(result.ok && result.value.customers.map((c) => [c.key, c.isPartner])).toEqual([
      ['RESELL', true],
      ['PLAIN', false],
    ]);
  });

  it.each([
    {
      rule: 'suspended (Kerio 2.4.3, 9) carries since and reason',
      suspended: { since: '2026-11-01', reason: 'Invoice 2026-117 unpaid' },
      expected: { since: '2026-11-01', reason: 'Invoice 2026-117 unpaid' },
    },
    {
      rule: 'an unquoted YAML date is read as the day',
      suspended: { since: new Date('2026-11-01T00:00:00Z'), reason: 'unpaid' },
      expected: { since: '2026-11-01', reason: 'unpaid' },
    },
    { rule: 'not suspended by default', suspended: undefined, expected: null },
    { rule: 'suspended: null is not suspended', suspended: null, expected: null },
  ])('$rule', ({ suspended, expected }) => {
    const result = validateDirectory({ customers: [customer('ACME', ['a@acme.example'], suspended === undefined ? {} : { suspended })] }, limits);
    expect(result.ok && result.value.customers[0]!.suspended).toEqual(expected);
  });

  it.each([
    { rule: 'a suspension needs a reason', suspended: { since: '2026-11-01' }, field: 'suspended.reason' },
    { rule: 'a suspension needs a real date', suspended: { since: '2026-11-31', reason: 'unpaid' }, field: 'suspended.since' },
    { rule: 'a suspension has no other keys', suspended: { since: '2026-11-01', reason: 'unpaid', until: '2026-12-01' }, field: 'suspended' },
  ])('$rule', ({ suspended, field }) => {
    const result = validateDirectory({ customers: [customer('ACME', ['a@acme.example'], { suspended })] }, limits);
    expect(!result.ok && result.issues.map((issue) => [issue.record, issue.field])).toContainEqual(['customers[0] (ACME)', field]);
  });
});

describe('licence dates', () => {
  const licence = (dates: Record<string, unknown>) => ({ number: 'L-1', product: 'Gateway', type: 'commercial', registeredOn: '2026-01-15', ...dates });

  it.each([
    { rule: 'maintenance ending on the registration day is accepted', dates: { maintenanceUntil: '2026-01-15' } },
    { rule: 'maintenance ending after registration is accepted', dates: { maintenanceUntil: '2027-01-15' } },
    { rule: 'no maintenance date is accepted', dates: {} },
  ])('$rule', ({ dates }) => {
    expect(validateDirectory({ customers: [customer('ACME', ['a@acme.example'], { licences: [licence(dates)] })] }, limits).ok).toBe(true);
  });

  it.each([
    { rule: 'maintenance ending before registration is refused, naming customer, licence and field', dates: { maintenanceUntil: '2025-01-15' } },
    { rule: 'an unquoted YAML maintenance date is compared as the day', dates: { maintenanceUntil: new Date('2026-01-14T00:00:00Z') } },
  ])('$rule', ({ dates }) => {
    const result = validateDirectory({ customers: [customer('ACME', ['a@acme.example'], { licences: [licence(dates)] })] }, limits);
    expect(!result.ok && result.issues).toEqual([
      {
        record: 'customers[0] (ACME)',
        field: 'licences[0].maintenanceUntil',
        message: expect.stringMatching(/^\d{4}-\d{2}-\d{2} is before registeredOn 2026-01-15 \(licence L-1\)$/),
      },
    ]);
  });
});

describe('fewer eligible callers than the terms expect', () => {
  it('warns in words that fit the count', () => {
    const expectThree = { ...limits, minEligibleCallers: 3 };
    const one = validateDirectory({ customers: [customer('ACME', ['a@acme.example'])] }, expectThree);
    const two = validateDirectory({ customers: [customer('ACME', ['a@acme.example', 'b@acme.example'])] }, expectThree);
    expect(one.ok && one.value.warnings.map((warning) => warning.message)).toEqual(['only 1 eligible caller; the terms expect at least 3']);
    expect(two.ok && two.value.warnings.map((warning) => warning.message)).toEqual(['only 2 eligible callers; the terms expect at least 3']);
  });
});

describe('an address listed as eligible caller of two customers (issue 13 point 14)', () => {
  it('is imported with a warning naming both customers and the field', () => {
    const result = validateDirectory(
      { customers: [customer('ACME', ['it@shared.example', 'a@acme.example']), customer('BETA', ['b@beta.example', 'IT@Shared.example'])] },
      limits,
    );
    expect(result.ok).toBe(true);
    expect(result.ok && result.value.warnings).toEqual([
      {
        record: 'customers[1] (BETA)',
        field: 'eligibleCallers[1].email',
        message: 'it@shared.example is also an eligible caller of customers[0] (ACME); mail from it is ambiguous and will be asked for its licence number',
      },
    ]);
  });

  it('warns once per further customer', () => {
    const warnings = duplicateCallerWarnings([
      { key: 'A', eligibleCallers: [{ email: 'x@y.example' }] },
      { key: 'B', eligibleCallers: [{ email: 'x@y.example' }] },
      { key: 'C', eligibleCallers: [{ email: 'x@y.example' }] },
    ]);
    expect(warnings.map((warning) => warning.record)).toEqual(['customers[1] (B)', 'customers[2] (C)']);
  });

  it('distinct addresses give no warning', () => {
    expect(
      duplicateCallerWarnings([
        { key: 'A', eligibleCallers: [{ email: 'a@y.example' }] },
        { key: 'B', eligibleCallers: [{ email: 'b@y.example' }] },
      ]),
    ).toEqual([]);
  });

  it('the callers CSV refuses a caller listed twice for one customer, as the YAML does', () => {
    const { callersByCustomer, issues } = callersCsvToDirectory([
      { customer: 'ACME', email: 'a1@acme.example', name: 'A' },
      { customer: 'ACME', email: 'A1@Acme.example', name: 'A again' },
      { customer: 'BETA', email: 'a1@acme.example', name: 'A' },
    ]);
    expect(issues).toEqual([{ record: 'line 3', field: 'email', message: 'duplicate caller a1@acme.example of customer ACME' }]);
    expect(callersByCustomer.get('ACME')).toEqual([{ email: 'a1@acme.example', name: 'A' }]);
  });

  it('the callers CSV warns too, at the line of the second listing, naming the customers by key and the first line', () => {
    const { warnings, issues } = callersCsvToDirectory([
      { customer: 'ACME', email: 'ops@acme.example', name: 'Ops' },
      { customer: 'ACME', email: 'it@shared.example', name: 'IT' },
      { customer: 'BETA', email: 'other@beta.example', name: 'Other' },
      { customer: 'BETA', email: 'IT@Shared.example', name: 'IT' },
    ]);
    expect(issues).toEqual([]);
    expect(warnings).toEqual([
      {
        record: 'line 5',
        field: 'email',
        message:
          'it@shared.example of customer BETA is also an eligible caller of customer ACME (line 3); mail from it is ambiguous and will be asked for its licence number',
      },
    ]);
  });
});

describe('fields an entry leaves out', () => {
  it('are named in keep and filled with the defaults; given values, null and [] included, are not', () => {
    const licence = { number: 'L-1', product: 'Kerio Connect', type: 'commercial', registeredOn: '2026-01-15' };
    const result = validateDirectory(
      {
        customers: [
          { key: 'BARE', name: 'Bare', calendar: 'US', currency: 'USD', licences: [licence] },
          customer('FULL', [], {
            supportLevel: 'plus',
            partner: true,
            suspended: null,
            locale: 'de',
            licences: [{ ...licence, number: 'L-2', maintenanceUntil: null }],
          }),
        ],
        partners: [{ partnerId: 'P-1', name: 'Partner', contacts: ['@partner.example'] }],
      },
      limits,
    );
    if (!result.ok) throw new Error('expected a valid directory');
    const [bare, full] = result.value.customers;
    expect(bare).toMatchObject({ supportLevel: 'normal', isPartner: false, suspended: null, locale: 'en', eligibleCallers: [] });
    expect(bare!.keep).toEqual(['supportLevel', 'isPartner', 'suspended', 'locale', 'eligibleCallers']);
    expect(bare!.licences[0]).toMatchObject({ maintenanceUntil: null, trialEndsOn: null, keep: ['maintenanceUntil', 'trialEndsOn'] });
    expect(full!.keep).toEqual([]);
    expect(full!.licences[0]!.keep).toEqual(['trialEndsOn']);
    expect(result.value.partners[0]).toMatchObject({ currency: 'USD', locale: 'en', keep: ['currency', 'locale'] });
  });
});

describe('every problem of a file in one run', () => {
  const licence = (number: string, extra: Record<string, unknown> = {}) => ({ number, product: 'P', type: 'commercial', registeredOn: '2026-01-15', ...extra });
  const issuesOf = (input: unknown) => {
    const result = validateDirectory(input, limits);
    return result.ok ? [] : result.issues.map((issue) => `${issue.record}: ${issue.field}`);
  };

  it.each([
    {
      rule: 'an unknown calendar is named beside a bad date of the same customer',
      input: { customers: [customer('ACME', ['a@acme.example'], { calendar: 'MARS', licences: [licence('L-1', { registeredOn: '2026-13-01' })] })] },
      expected: ['customers[0] (ACME): licences[0].registeredOn', 'customers[0] (ACME): calendar'],
    },
    {
      rule: 'a duplicate key is named beside a bad currency of the duplicate',
      input: { customers: [customer('ACME', ['a@acme.example']), customer('ACME', ['b@acme.example'], { currency: 'XYZ' })] },
      expected: ['customers[1] (ACME): currency', 'customers[1] (ACME): key'],
    },
    {
      rule: 'a duplicate caller is named beside a caller without a name',
      input: {
        customers: [
          {
            ...customer('ACME', []),
            eligibleCallers: [{ email: 'a@acme.example', name: 'A' }, { email: 'A@acme.example', name: 'A' }, { email: 'c@acme.example' }],
          },
        ],
      },
      expected: ['customers[0] (ACME): eligibleCallers[2].name', 'customers[0] (ACME): eligibleCallers[1].email'],
    },
    {
      rule: 'a licence listed twice is named while another record is bad',
      input: { customers: [customer('ACME', [], { licences: [licence('L-1')] }), customer('BETA', [], { name: '', licences: [licence('L-1')] })] },
      expected: ['customers[1] (BETA): name', 'customers[1] (BETA): licences[0].number'],
    },
    {
      rule: 'too many callers are named beside a bad address among them',
      input: { customers: [customer('BIG', ['a@big.example', 'b@big.example', 'c@big.example', 'd@big.example', 'e@big.example', 'nope'])] },
      expected: ['customers[0] (BIG): eligibleCallers[5].email', 'customers[0] (BIG): eligibleCallers'],
    },
    {
      rule: 'a duplicate partner ID is named beside a partner without contacts, after the customers',
      input: {
        partners: [
          { partnerId: 'KP-1', name: 'R', contacts: ['@r.example'] },
          { partnerId: 'kp-1', name: 'R2', contacts: [] },
        ],
        customers: [customer('ACME', ['a@acme.example'], { calendar: 'MARS' })],
      },
      expected: ['customers[0] (ACME): calendar', 'partners[1] (kp-1): contacts', 'partners[1] (kp-1): partnerId'],
    },
  ])('$rule', ({ input, expected }) => {
    expect(issuesOf(input)).toEqual(expected);
  });

  it('a licence listed twice names the record that listed it first', () => {
    const result = validateDirectory(
      { customers: [customer('ACME', [], { licences: [licence('L-1')] }), customer('ACME', [], { licences: [licence('L-1')] })] },
      limits,
    );
    expect(!result.ok && result.issues).toContainEqual({
      record: 'customers[1] (ACME)',
      field: 'licences[0].number',
      message: 'licence L-1 is also listed under customers[0] (ACME)',
    });
  });
});
