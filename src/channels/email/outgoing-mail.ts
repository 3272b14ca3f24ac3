// The outbox payload of one outgoing e-mail: rendered at enqueue time (so a queued mail never changes),
// with its Message-ID assigned up front so threading references commit together with the ticket work.
import { z } from 'zod';

export const mailAddressSchema = z.object({ address: z.string().email(), name: z.string().optional() });

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
  /** Extra headers (e.g. X-Deskbot-Request-Id). */
  headers: z.record(z.string(), z.string()).default({}),
});

export type OutgoingMail = z.infer<typeof outgoingMailSchema>;
export type OutgoingMailInput = z.input<typeof outgoingMailSchema>;
