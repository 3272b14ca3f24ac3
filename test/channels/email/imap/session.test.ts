// The pure helpers of the IMAP session: UID sets for one command, and imapflow failures as DeskbotErrors.
import { describe, expect, it } from 'vitest';
import { imapError } from '../../../../src/channels/email/imap/imap-errors.ts';
import { uidSet } from '../../../../src/channels/email/imap/session.ts';
import { DeskbotError } from '../../../../src/errors.ts';

describe('uidSet', () => {
  it.each([
    { uids: [5], expected: '5' },
    { uids: [3, 1, 2], expected: '1:3' },
    { uids: [1, 2, 4, 6, 7, 8], expected: '1:2,4,6:8' },
  ])('writes runs of consecutive UIDs as ranges ($expected)', ({ uids, expected }) => {
    expect(uidSet(uids)).toBe(expected);
  });
});

describe('imapError', () => {
  it.each([
    { rule: 'rejected credentials are IMAP_AUTH', failure: Object.assign(new Error('no'), { authenticationFailed: true }), code: 'IMAP_AUTH' },
    { rule: 'anything else is IMAP_CONNECTION, retryable', failure: Object.assign(new Error('reset'), { code: 'ECONNRESET' }), code: 'IMAP_CONNECTION' },
  ])('$rule', ({ failure, code }) => {
    const error = imapError(failure, 'SEARCH');
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(true);
    expect(error.cause).toBe(failure);
  });

  it('keeps a DeskbotError as it is', () => {
    const original = new DeskbotError('IMAP_CONNECTION', 'NOOP got no answer', { retryable: true });
    expect(imapError(original, 'x')).toBe(original);
  });
});
