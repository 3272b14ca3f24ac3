// The one way a use case sends mail: render the template, give it a fresh Message-ID, validate it against the outbox
// contract and queue it in the caller's transaction. Choosing recipients and threading stays with each use case.
import { randomUUID } from 'node:crypto';
import { newMessageId } from '../domain/mail/message-id.ts';
import type { TemplateDataMap, TemplateName } from './mail-templates.ts';
import { outgoingMailSchema, type OutgoingMail, type OutgoingMailInput } from './outbox-messages.ts';
import type { MailRenderer, MessageThreadRepository, OutboxWriter } from './ports.ts';

/** One mail to compose: the template and its data, and the envelope fields the use case decides. */
export interface MailNotice<N extends TemplateName> {
  template: N;
  locale: string;
  data: TemplateDataMap[N];
  to: OutgoingMailInput['to'];
  /** RFC 3834: `auto-replied`, `auto-generated`, or `no` for engineer-written mail. */
  autoSubmitted: OutgoingMail['autoSubmitted'];
  inReplyTo?: string | undefined;
  references?: string[] | undefined;
  requestId?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** Changes the rendered subject (an engineer reply adds the [SR-...] tag when the template has none). */
  subject?: ((rendered: string) => string) | undefined;
}

/** Who sends: the Message-ID domain comes from the support address. */
export interface MailSender {
  renderer: MailRenderer;
  supportAddress: string;
}

/** Renders `notice`, assigns a new Message-ID and validates the result; writes nothing. */
export function composeMail<N extends TemplateName>(sender: MailSender, notice: MailNotice<N>): OutgoingMail {
  const rendered = sender.renderer.render(notice.template, notice.locale, notice.data);
  return outgoingMailSchema.parse({
    template: notice.template,
    to: notice.to,
    subject: notice.subject ? notice.subject(rendered.subject) : rendered.subject,
    text: rendered.text,
    html: rendered.html,
    language: rendered.locale,
    messageId: newMessageId(sender.supportAddress, randomUUID()),
    ...(notice.inReplyTo ? { inReplyTo: notice.inReplyTo } : {}),
    ...(notice.references ? { references: notice.references } : {}),
    autoSubmitted: notice.autoSubmitted,
    ...(notice.requestId ? { requestId: notice.requestId } : {}),
    ...(notice.headers ? { headers: notice.headers } : {}),
  });
}

/**
 * composeMail, then queued under `idempotencyKey` (a function of the mail when it is keyed by its Message-ID).
 * Returns the mail: its Message-ID threads what follows.
 */
export async function notify<N extends TemplateName>(
  sender: MailSender,
  outbox: OutboxWriter,
  notice: MailNotice<N> & { idempotencyKey: string | ((mail: OutgoingMail) => string); ticketId?: number | null },
): Promise<OutgoingMail> {
  const mail = composeMail(sender, notice);
  const idempotencyKey = typeof notice.idempotencyKey === 'string' ? notice.idempotencyKey : notice.idempotencyKey(mail);
  await outbox.enqueue({ idempotencyKey, channel: 'email', kind: notice.template, payload: mail, ticketId: notice.ticketId ?? null });
  return mail;
}

/**
 * Where a mail on a request goes in the customer's thread: in reply to the last message of its mail thread (else its
 * first mail), with every Message-ID of the thread and the first mail's at the head of References.
 */
export async function requestThreading(
  threads: Pick<MessageThreadRepository, 'mailThreadOf'>,
  ticket: { id: number; rootMessageId: string | null },
): Promise<{ inReplyTo?: string; references: string[] }> {
  const thread = await threads.mailThreadOf(ticket.id);
  const references = [...thread.references];
  if (ticket.rootMessageId && !references.includes(ticket.rootMessageId)) references.unshift(ticket.rootMessageId);
  const parent = thread.inReplyTo ?? ticket.rootMessageId;
  return { ...(parent ? { inReplyTo: parent } : {}), references };
}

/** The request's requester as the mail's recipient: the address, with the name when the request has one. */
export function requesterRecipient(ticket: { requesterEmail: string; requesterName: string | null }): OutgoingMailInput['to'] {
  return [{ address: ticket.requesterEmail, ...(ticket.requesterName ? { name: ticket.requesterName } : {}) }];
}
