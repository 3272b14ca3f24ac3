// Pins what the stored directory decides about a callers CSV and the rows with too many fields: every such issue
// names the line it is on.
import { describe, expect, it } from 'vitest';
import { callersCsvCustomerIssues, callersCsvRowLengthIssues, callersCsvToDirectory, inLineOrder } from '../../src/domain/callers-csv.ts';

const row = (customer: string, email: string, name = 'N') => ({ customer, email, name });

describe('customers the directory decides', () => {
  const csv = callersCsvToDirectory(
    [
      row('ACME', 'a@acme.example'),
      row('GHOST', 'g@ghost.example'),
      row('GHOST', 'not-an-address'),
      row('acme', 'x@acme.example'),
      ...Array.from({ length: 4 }, (_, index) => row('ACME', `c${index}@acme.example`)),
    ],
    [2, 3, 5, 6, 7, 8, 9, 10],
  );

  it.each([
    {
      rule: 'an unknown customer is named at its first line, with the other lines naming it (bad rows too)',
      stored: ['ACME'],
      max: 5,
      expected: [
        { record: 'line 3', field: 'customer', message: 'no such customer GHOST in the directory (also on line 5)' },
        { record: 'line 6', field: 'customer', message: 'no such customer acme in the directory; did you mean ACME?' },
      ],
    },
    {
      rule: 'too many callers are named at the line of the first caller too many',
      stored: ['ACME', 'GHOST', 'acme'],
      max: 3,
      expected: [{ record: 'line 9', field: 'email', message: '5 eligible callers for customer ACME; at most 3 allowed' }],
    },
    { rule: 'known customers within the limit give no issue', stored: ['ACME', 'GHOST', 'acme'], max: 5, expected: [] },
  ])('$rule', ({ stored, max, expected }) => {
    expect(callersCsvCustomerIssues(csv, stored, max)).toEqual(expected);
  });

  it('a row with more fields than the header is named at its line; a shorter one is not', () => {
    expect(
      callersCsvRowLengthIssues(
        ['customer', 'email', 'name'],
        [
          { fields: ['ACME', 'a@acme.example', 'A', 'extra'], line: 4 },
          { fields: ['ACME', 'b@acme.example'], line: 5 },
        ],
      ),
    ).toEqual([{ record: 'line 4', field: '(row)', message: '4 fields; the header names 3 (customer,email,name)' }]);
  });

  it('issues come in line order, stable within a line', () => {
    const issues = ['line 10:a', 'line 2:b', 'line 10:c', 'line 9:d'].map((text) => {
      const [record, field] = text.split(':') as [string, string];
      return { record, field, message: '' };
    });
    expect(inLineOrder(issues).map((issue) => `${issue.record}:${issue.field}`)).toEqual(['line 2:b', 'line 9:d', 'line 10:a', 'line 10:c']);
  });
});
