// The outbox contract: one union by kind; rows a producer could write parse, a misspelt kind or a wrong payload does not.
import { describe, expect, it } from 'vitest';
import { outboxMessageSchema } from '../../src/app/outbox-messages.ts';

const mail = {
  template: 'closure',
  to: [{ address: 'jane@acme.example' }],
  subject: 'Closed [SR-2026-000001]',
  text: 'Closed.',
  messageId: '<deskbot.0f7e3c9a-1b2c-4d5e-8f90-123456789abc@vendor.example>',
  autoSubmitted: 'auto-generated',
};

describe('outboxMessageSchema', () => {
  it.each([
    { rule: 'an e-mail is kind = its template', row: { channel: 'email', kind: 'closure', payload: mail } },
    { rule: 'a Slack ticket-event', row: { channel: 'slack', kind: 'ticket-event', payload: { ticketId: 1, eventId: 7 } } },
    {
      rule: 'a Slack SLA warning carries its due instant as ISO text',
      row: {
        channel: 'slack',
        kind: 'sla-warning',
        payload: { ticketId: 1, requestId: 'SR-2026-000001', target: 'resolution', dueAt: '2026-11-30T10:00:00.000Z', assigneeSlackId: null },
      },
    },
  ])('accepts $rule', ({ row }) => {
    expect(outboxMessageSchema.safeParse(row).success).toBe(true);
  });

  it.each([
    { rule: 'a misspelt Slack kind', row: { channel: 'slack', kind: 'ticket-evnt', payload: { ticketId: 1, eventId: 7 } } },
    { rule: 'an e-mail kind that is no template', row: { channel: 'email', kind: 'reminder', payload: mail } },
    { rule: 'a Slack payload missing a field', row: { channel: 'slack', kind: 'ticket-opened', payload: { ticketId: 1 } } },
    { rule: 'an e-mail without a Message-ID', row: { channel: 'email', kind: 'closure', payload: { ...mail, messageId: undefined } } },
  ])('refuses $rule', ({ row }) => {
    expect(outboxMessageSchema.safeParse(row).success).toBe(false);
  });
});
