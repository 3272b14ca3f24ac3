// Loading POLICY_FILE: a bad policy is POLICY_INVALID (exit 78 in the CLI) naming the file, the calendar and the field
// or the unknown key (issue 13 point 1); the shipped example loads.
import { describe, expect, it } from 'vitest';
import { defaultPolicy } from '../src/domain/policy.ts';
import { isDeskbotError } from '../src/errors.ts';
import { loadPolicy } from '../src/policy-file.ts';
import { scratchFiles } from './helpers/scratch-files.ts';

const { write: policyFile } = scratchFiles('policy');

function loadError(file: string): unknown {
  try {
    loadPolicy(file);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('loadPolicy', () => {
  it.each([
    {
      rule: 'an unknown time zone',
      yaml: 'calendars:\n  MARS: { timeZone: Mars/Olympus, hours: { mon: [["09:00","18:00"]] } }\n',
      names: ['calendars.MARS.timeZone', 'Mars/Olympus'],
    },
    { rule: 'an unknown holiday country', yaml: 'calendars:\n  US: { holidays: ZZ }\n', names: ['calendars.US.holidays', '"ZZ"'] },
    {
      rule: 'reversed hours',
      yaml: 'calendars:\n  EMEA:\n    hours:\n      mon: [["18:00","09:00"]]\n',
      names: ['calendars.EMEA.hours.mon[0]', 'opens at 18:00 but closes at 09:00'],
    },
    {
      rule: 'overlapping hours',
      yaml: 'calendars:\n  EMEA:\n    hours:\n      tue: [["09:00","13:00"],["12:00","18:00"]]\n',
      names: ['calendars.EMEA.hours.tue[1]', 'overlaps'],
    },
    { rule: 'an unknown key (a typo like role:)', yaml: 'role:\n  engineers: [U1]\n', names: ['role: unknown key "role"'] },
  ])('POLICY_INVALID naming the file and $rule', ({ yaml, names }) => {
    const file = policyFile(`${names[0]!.replace(/\W+/g, '-')}.yaml`, yaml);
    const error = loadError(file);
    expect(isDeskbotError(error, 'POLICY_INVALID')).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(`Policy file ${file} is invalid`);
    for (const name of names) expect(message).toContain(name);
  });

  it('POLICY_INVALID for broken YAML quotes the line it reports, with the caret under its column', () => {
    const file = policyFile('broken.yaml', 'roles:\n  engineers: [U1\n  managers: [U2]\n');
    const error = loadError(file);
    expect(isDeskbotError(error, 'POLICY_INVALID')).toBe(true);
    const [first, ...rest] = (error as Error).message.split('\n');
    expect(first).toBe(`Policy file ${file} is not valid YAML:`);
    expect(rest.slice(0, 3)).toEqual([expect.stringMatching(/ \(line 3, column 3\)$/), '    3 |   managers: [U2]', '      |   ^']);
  });

  it('the shipped examples/policy.yaml loads and keeps every built-in default it shows', () => {
    const policy = loadPolicy('examples/policy.yaml');
    const defaults = defaultPolicy();
    expect({ ...policy, products: {}, billing: { ...policy.billing, termsUrl: null } }).toEqual(defaults);
    expect(Object.keys(policy.products).length).toBeGreaterThan(0);
  });
});
