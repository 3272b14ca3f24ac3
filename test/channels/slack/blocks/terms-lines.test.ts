// The triage message's money-and-terms lines (issue 12 points 8, 9, 11): fee or free and why, the terms wait, versions.
import { describe, expect, it } from 'vitest';
import { termsLines } from '../../../../src/channels/slack/blocks/terms-lines.ts';
import { defaultPolicy, type Policy } from '../../../../src/domain/policy.ts';
import type { TicketCard } from '../../../../src/store/ticket-queries.ts';

const policy: Policy = {
  ...defaultPolicy(),
  products: { Gateway: { versions: [{ version: '9.4', releasedOn: '2026-05-01', maintenanceReleases: [] }] } },
};
const openedAt = new Date('2026-11-17T15:00:00Z');

function card(overrides: Partial<TicketCard>): TicketCard {
  return {
    requesterKind: 'eligible-caller',
    priceMinor: 8000,
    priceCurrency: 'USD',
    openedAt,
    licence: null,
    customer: { key: 'ACME', name: 'Acme', isPartner: false },
    preSales: false,
    awaitingAgreement: false,
    product: 'Gateway',
    productVersion: '9.4',
    ...overrides,
  } as TicketCard;
}

describe('termsLines', () => {
  it.each([
    [
      'a chargeable request shows the locked fee, taxes, charged at close',
      card({}),
      [/Fee at open: USD\s80\.00 per incident, taxes excluded, charged at close; a product defect is never charged/],
    ],
    ['a partner customer is free', card({ customer: { key: 'R', name: 'R', isPartner: true } }), [/Free: partner/]],
    ['pre-sales is free', card({ preSales: true }), [/Free: pre-sales question/]],
    [
      'a trial is free until it ends',
      card({
        licence: {
          number: 'T',
          product: 'Gateway',
          type: 'trial',
          registeredOn: new Date('2026-11-01T00:00:00Z'),
          trialEndsOn: new Date('2026-12-01T00:00:00Z'),
        },
      }),
      [/Free: trial licence until 2026-12-01/],
    ],
    [
      'a wait for the terms agreement is flagged',
      card({ awaitingAgreement: true }),
      [/Fee at open/, /Waiting for the customer's "I agree".*a close before it charges nothing/],
    ],
    [
      'an unsupported version is flagged with the supported ones',
      card({ productVersion: '8.1' }),
      [/Fee at open/, /Gateway 8\.1 is not a known version \(supported: 9\.4\).*unsupported-version/],
    ],
  ])('%s', (_rule, ticket, expected) => {
    const lines = termsLines(ticket, policy);
    expect(lines).toHaveLength(expected.length);
    for (const [index, pattern] of expected.entries()) expect(lines[index]).toMatch(pattern);
  });
});
