// A ticket's conversation as the CLI shows it: mail in and mail out, oldest first, without bodies. Today that is what
// the store keeps (inbound messages with sender and subject, outgoing mail in the outbox); attachment names come
// once inbound text and attachments are stored (issue 11): this one function is then pointed at that store.
import type { PrismaClient } from './database.ts';

export interface ConversationEntry {
  at: Date;
  direction: 'in' | 'out';
  from: string | null;
  to: string[];
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
  const [inbound, outgoing] = await Promise.all([
    db.inboundMessage.findMany({
      where: { ticketId },
      orderBy: [{ receivedAt: 'asc' }, { id: 'asc' }],
      select: { receivedAt: true, fromAddress: true, subject: true, outcome: true },
    }),
    db.outbox.findMany({
      where: { ticketId, channel: 'email' },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      select: { createdAt: true, sentAt: true, kind: true, status: true, payload: true },
    }),
  ]);
  const entries: ConversationEntry[] = [
    ...inbound.map((message) => ({
      at: message.receivedAt,
      direction: 'in' as const,
      from: message.fromAddress,
      to: [],
      subject: message.subject,
      note: message.outcome,
      attachments: [],
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
        subject: typeof payload.subject === 'string' ? payload.subject : null,
        note: `${mail.kind}, ${mail.status}`,
        attachments: [],
      };
    }),
  ];
  return entries.sort((a, b) => a.at.getTime() - b.at.getTime());
}
