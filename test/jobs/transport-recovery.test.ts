// Which failures count as an outage of the transport, and which success proves it works again.
import { describe, expect, it } from 'vitest';
import { DeskbotError } from '../../src/errors.ts';
import { isTransportOutage, TransportRecovery } from '../../src/jobs/transport-recovery.ts';

const smtp = (details: Record<string, unknown>, retryAfterMs?: number) =>
  new DeskbotError('SMTP_TRANSIENT', 'failed', { retryable: true, details, ...(retryAfterMs ? { retryAfterMs } : {}) });

describe('isTransportOutage', () => {
  it.each([
    { rule: 'a refused connection (no reply) is an outage', error: smtp({ smtpCode: 'ECONNECTION' }), expected: true },
    { rule: 'rejected credentials (5-minute pause) are an outage', error: smtp({ smtpCode: 'EAUTH', responseCode: undefined }, 300_000), expected: true },
    { rule: 'a 421 (service not available) is an outage', error: smtp({ responseCode: 421 }), expected: true },
    { rule: 'a 451 to one message is not', error: smtp({ responseCode: 451 }), expected: false },
    { rule: 'a permanent refusal is not', error: new DeskbotError('SMTP_PERMANENT', '550', { retryable: false, details: {} }), expected: false },
    { rule: 'a Slack rate limit is not', error: new DeskbotError('SLACK_RATE_LIMITED', '429', { retryable: true, retryAfterMs: 30_000 }), expected: false },
  ])('$rule', ({ error, expected }) => {
    expect(isTransportOutage(error)).toBe(expected);
  });
});

describe('TransportRecovery', () => {
  const outage = smtp({ smtpCode: 'ECONNECTION' });

  it('a success that started after the outage proves recovery, once', () => {
    const recovery = new TransportRecovery();
    recovery.failed(outage);
    const token = recovery.started();
    expect(recovery.succeeded(token)).toBe(true);
    expect(recovery.succeeded(recovery.started())).toBe(false);
  });

  it('a success that ran alongside the failing delivery proves nothing', () => {
    const recovery = new TransportRecovery();
    const alongside = recovery.started();
    recovery.failed(outage);
    expect(recovery.succeeded(alongside)).toBe(false);
    expect(recovery.succeeded(recovery.started())).toBe(true);
  });

  it('without an outage a success changes nothing', () => {
    const recovery = new TransportRecovery();
    recovery.failed(smtp({ responseCode: 451 }));
    expect(recovery.succeeded(recovery.started())).toBe(false);
  });
});
