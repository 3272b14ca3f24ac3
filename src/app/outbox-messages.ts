// The outbox contract: every message a use case may queue, as one zod union discriminated by `kind`. Producers
// (use cases, jobs, Slack actions) write through it, so a misspelt kind or a missing field is a compile error;
// consumers (the SMTP/file sender, the Slack outbox handler) parse rows with the same schemas. Delivery is theirs.
import { z } from 'zod';
import { templateNames } from './mail-templates.ts';

export const mailAddressSchema = z.object({ address: z.string().email(), name: z.string().optional() });

/** One outgoing e-mail, rendered at enqueue time (so a queued mail never changes), its Message-ID assigned up front. */
export const outgoingMailSchema = z.object({
  /** Template that produced it (acknowledgement, needs-info, not-eligible, engineer-reply, progress-update, closure, ...). */
  template: z.string(),
  to: z.array(mailAddressSchema).min(1),
  cc: z.array(mailAddressSchema).default([]),
  subject: z.string(),
  text: z.string(),
  html: z.string().optional(),
  /** `<id@domain>` form, assigned at enqueue. */
  messageId: z.string().regex(/^<[^<>\s]+@[^<>\s]+>$/),
  inReplyTo: z.string().optional(),
  references: z.array(z.string()).default([]),
  /** RFC 3834: `auto-replied` for automatic answers, `auto-generated` for notices, `no` for engineer-written mail. */
  autoSubmitted: z.enum(['auto-replied', 'auto-generated', 'no']),
  requestId: z.string().optional(),
  /** Language of the template set used (RenderedMail.locale), sent as Content-Language (RFC 3282); absent on older items. */
  language: z
    .string()
    .regex(/^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/)
    .optional(),
  /** Extra headers (e.g. X-Deskbot-Request-Id). */
  headers: z.record(z.string(), z.string()).default({}),
});
export type OutgoingMail = z.infer<typeof outgoingMailSchema>;
export type OutgoingMailInput = z.input<typeof outgoingMailSchema>;

const id = z.union([z.number(), z.string()]);
/** An instant as JSON carries it: ISO text. */
const instant = z.string().transform((value, ctx) => {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'not a date' });
    return z.NEVER;
  }
  return date;
});

/** Payload of each Slack kind. */
export const slackPayloadSchemas = {
  'ticket-opened': z.object({ ticketId: z.number().int(), requestId: z.string() }),
  'ticket-event': z.object({ ticketId: z.number().int(), eventId: id }),
  'ticket-refresh': z.object({ ticketId: z.number().int() }),
  /** One kept attachment of a customer mail, uploaded into the ticket's thread (or listed when over SLACK_FILE_MAX_BYTES). */
  'ticket-file': z.object({ ticketId: z.number().int(), attachmentId: z.number().int() }),
  'sla-warning': z.object({ ticketId: z.number().int(), requestId: z.string(), target: z.string(), dueAt: instant, assigneeSlackId: z.string().nullable() }),
  'sla-breach': z.object({
    ticketId: z.number().int(),
    requestId: z.string(),
    customer: z.string(),
    severity: z.number().int(),
    target: z.string(),
    dueAt: instant,
    lateByMs: z.number(),
    assigneeSlackId: z.string().nullable(),
  }),
  'charge-notice': z.object({
    ticketId: z.number().int(),
    requestId: z.string(),
    customer: z.string(),
    licence: z.string().nullable(),
    amountMinor: z.number().int(),
    currency: z.string(),
    chargeable: z.boolean(),
    reason: z.string(),
    explanation: z.string(),
    outcome: z.string(),
    closedBy: z.string(),
  }),
  /** A suspended customer's caller wrote (Kerio ToS 2.4.3, 9): no ticket; the triage channel is told. */
  'customer-suspended': z.object({
    customer: z.string(),
    customerKey: z.string(),
    since: z.string(),
    reason: z.string(),
    from: z.string(),
    subject: z.string(),
    messageId: z.string(),
  }),
  /** `deskbot sla-report --post`: the report as text and, when one was rendered, its chart (a PNG file) for the managers. */
  'sla-report': z.object({ path: z.string().nullable(), from: z.string(), to: z.string(), text: z.string().optional() }),
} as const;

/** The Slack outbox kinds. */
export type SlackOutboxKind = keyof typeof slackPayloadSchemas;
export const slackOutboxKinds = Object.keys(slackPayloadSchemas) as SlackOutboxKind[];
export type SlackPayload<K extends SlackOutboxKind> = z.infer<(typeof slackPayloadSchemas)[K]>;

/** Every outbox message: an e-mail (kind = its template) or a Slack post, one schema per kind. */
export const outboxMessageSchema = z.discriminatedUnion('kind', [
  z.object({ channel: z.literal('email'), kind: z.enum(templateNames), payload: outgoingMailSchema }),
  ...(Object.entries(slackPayloadSchemas) as Array<[SlackOutboxKind, z.ZodObject]>).map(([kind, payload]) =>
    z.object({ channel: z.literal('slack'), kind: z.literal(kind), payload }),
  ),
]);

/** What a producer writes: channel, kind and a payload of that kind's shape. */
export type OutboxMessage =
  | { channel: 'email'; kind: (typeof templateNames)[number]; payload: OutgoingMail }
  | { [K in SlackOutboxKind]: { channel: 'slack'; kind: K; payload: z.input<(typeof slackPayloadSchemas)[K]> } }[SlackOutboxKind];

/** One row to queue: the message, its idempotency key and the ticket it reports on. */
export type OutboxEntry = OutboxMessage & {
  /** Unique per logical message, e.g. `ack:SR-2026-000123` or `slack:ticket-opened:42`. */
  idempotencyKey: string;
  ticketId?: number | null;
  /** Earliest delivery time; default now. */
  notBefore?: Date;
};
