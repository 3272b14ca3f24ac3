// A ticket's conversation as the CLI shows it: mail in and mail out, oldest first, without bodies: inbound messages
// with sender, To and Cc, subject and outcome, the attachment names the conversation store (conversation-repository.ts) keeps for
// them, messages only that store has (a request taken by phone), and outgoing mail from the outbox.
import { conversationOf } from './conversation-repository.ts';
import type { PrismaClient } from './database.ts';

export interface ConversationEntry {
  at: Date;
  direction: 'in' | 'out';
  from: string | null;
  /** in: the mail's To, as the conversation store keeps it; out: the recipients. */
  to: string[];
  cc: string[];
  subject: string | null;
  /** in: how intake handled it (ticket, reply, bounce, ...); out: the template and delivery status. */
  note: string;
  attachments: string[];
}

const addressesOf = (value: unknown): string[] =>
  Array.isArray(value)
    ? value
        .map((entry) => (typeof entry === 'string' ? entry : typeof entry === 'object' && entry && 'address' in entry ? String(entry.address) : ''))
        .filter(Boolean)
    : [];

/** The mail of ticket `ticketId`, oldest first. */
export async function ticketConversation(db: PrismaClient, ticketId: number): Promise<ConversationEntry[]> {
  const [inbound, stored, outgoing] = await Promise.all([
    db.inboundMessage.findMany({
      where: { ticketId },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      select: { messageId: true, receivedAt: true, fromAddress: true, subject: true, outcome: true },
    }),
    conversationOf(db, ticketId),
    db.outbox.findMany({
      where: { ticketId, channel: 'email' },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { createdAt: true, sentAt: true, kind: true, status: true, payload: true },
    }),
  ]);
  const storedOf = new Map(stored.map((message) => [message.messageId, message]));
  const attachmentsOf = (message: (typeof stored)[number] | undefined) => message?.attachments.map((attachment) => attachment.filename ?? '(no name)') ?? [];
  const inboundIds = new Set(inbound.map((message) => message.messageId));
  const entries: ConversationEntry[] = [
    ...inbound.map((message) => {
      const kept = storedOf.get(message.messageId);
      return {
        at: message.receivedAt,
        direction: 'in' as const,
        from: message.fromAddress,
        to: kept?.toAddresses ?? [],
        cc: kept?.ccAddresses ?? [],
        subject: message.subject,
        note: message.outcome,
        attachments: attachmentsOf(kept),
      };
    }),
    ...stored
      .filter((message) => !inboundIds.has(message.messageId))
      .map((message) => ({
        at: message.receivedAt,
        direction: 'in' as const,
        from: message.fromAddress,
        to: message.toAddresses,
        cc: message.ccAddresses,
        subject: null,
        note: message.kind,
        attachments: attachmentsOf(message),
      })),
    ...outgoing.map((mail) => {
      const payload = (typeof mail.payload === 'object' && mail.payload !== null && !Array.isArray(mail.payload) ? mail.payload : {}) as Record<
        string,
        unknown
      >;
      return {
        at: mail.sentAt ?? mail.createdAt,
        direction: 'out' as const,
        from: null,
        to: addressesOf(payload.to),
        cc: addressesOf(payload.cc),
        subject: typeof payload.subject === 'string' ? payload.subject : null,
        note: `${mail.kind}, ${mail.status}`,
        attachments: [],
      };
    }),
  ];
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}
