// The outbox payload of one outgoing e-mail: rendered at enqueue time (so a queued mail never changes),
// with its Message-ID assigned up front so threading references commit together with the ticket work.
import { randomUUID } from 'node:crypto';
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
  /** Language of the template set used (RenderedMail.locale), sent as Content-Language (RFC 3282); absent on older items. */
  language: z.string().regex(/^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/).optional(),
  /** Extra headers (e.g. X-Deskbot-Request-Id). */
  headers: z.record(z.string(), z.string()).default({}),
});

export type OutgoingMail = z.infer<typeof outgoingMailSchema>;
export type OutgoingMailInput = z.input<typeof outgoingMailSchema>;

/** A fresh Message-ID on the support address's domain, marked as ours so loops are recognised. */
export function newMessageId(supportAddress: string): string {
  const domain = supportAddress.slice(supportAddress.lastIndexOf('@') + 1) || 'deskbot.local';
  return `<deskbot.${randomUUID()}@${domain}>`;
}

/** True for a Message-ID deskbot generated. */
export function isDeskbotMessageId(messageId: string | undefined): boolean {
  return typeof messageId === 'string' && /^<deskbot\.[0-9a-f-]{36}@/i.test(messageId.trim());
}
