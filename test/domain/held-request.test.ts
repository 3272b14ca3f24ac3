// The rules of a held request taken up by a later mail: whose details win, whose subject the request gets.
import { describe, expect, it } from 'vitest';
import { answerHasOwnSubject, combineRequestDetails, heldRequestCutoff, type HeldRequestDetails } from '../../src/domain/held-request.ts';
import type { RequestDetails } from '../../src/domain/request-details.ts';

const nothing: RequestDetails = { severity: null, severitySource: 'none', licenceNumbers: ['SIS-0001-0001'], product: null, version: null };
const held: HeldRequestDetails = { severity: 3, severitySource: 'number', product: 'Gateway', version: '9.4' };

describe('combineRequestDetails', () => {
  it.each([
    ['the held details fill what the answer leaves out', nothing, { severity: 3, severitySource: 'number', product: 'Gateway', version: '9.4' }],
    [
      'what the answer says wins',
      { ...nothing, severity: 5, severitySource: 'keyword', product: 'Gateway', version: '9.4.2' },
      { severity: 5, severitySource: 'keyword', product: 'Gateway', version: '9.4.2' },
    ],
    [
      'the held version goes only with its product',
      { ...nothing, product: 'Mailer' },
      { severity: 3, severitySource: 'number', product: 'Mailer', version: null },
    ],
  ] as const)('%s', (_rule, answer, expected) => {
    expect(combineRequestDetails(answer, held)).toEqual({ ...expected, licenceNumbers: ['SIS-0001-0001'] });
  });

  it('a held mail without a severity leaves it missing', () => {
    expect(combineRequestDetails(nothing, { ...held, severity: null, severitySource: 'none' })).toMatchObject({ severity: null, severitySource: 'none' });
  });
});

describe('answerHasOwnSubject', () => {
  it.each([
    ['a reply to the held mail', 'Re: VPN drops', 'VPN drops', false],
    ['a reply to the notice, which names the held subject', 'Re: Licence number needed: VPN drops', 'VPN drops', false],
    ['a notice in another language', 'AW: Lizenznummer benötigt: vpn DROPS', 'VPN drops', false],
    ['a subject left empty', 'Re:', 'VPN drops', false],
    ['a subject of its own', 'Mail server refuses logins', 'VPN drops', true],
    ['a held mail without a subject', 'Mail server refuses logins', '', true],
  ] as const)('%s', (_rule, answer, heldSubject, expected) => {
    expect(answerHasOwnSubject(answer, heldSubject)).toBe(expected);
  });
});

describe('heldRequestCutoff', () => {
  it('is 30 days before now', () => {
    expect(heldRequestCutoff(new Date('2026-12-31T12:00:00Z'))).toEqual(new Date('2026-12-01T12:00:00Z'));
  });
});
