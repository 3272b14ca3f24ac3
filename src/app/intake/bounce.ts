// A delivery report: linked to the ticket whose mail bounced, told to engineers in Slack, never answered.
import type { AutomaticMail } from '../../domain/mail/loop-rules.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { DeskbotError } from '../../errors.ts';
import { commit, type Ending, type IntakeContext, type Origin, record, slackTicketEvent } from './context.ts';

/** A delivery report: linked to the ticket whose mail bounced (by the returned Message-ID), never answered. */
export async function bounce(ctx: IntakeContext, mail: ParsedMail, origin: Origin, automatic: AutomaticMail): Promise<Ending> {
  const { clock } = ctx;
  const report = mail.deliveryReport ?? { originalMessageIds: [], recipients: [], action: 'failed', status: null };
  const ids = [...new Set([...report.originalMessageIds, ...mail.inReplyTo, ...mail.references])];
  return commit(ctx, mail, origin, async (tx, state) => {
    const known = await tx.threads.ticketsOf(ids);
    const bounced = ids.find((id) => known.get(id)?.direction === 'out') ?? ids.find((id) => known.has(id));
    const ticketId = bounced === undefined ? null : known.get(bounced)!.ticketId;
    const reason = ticketId === null ? `unlinked ${automatic.reason}` : `delivery ${report.action}${report.status ? ` ${report.status}` : ''}`;
    await record(ctx, tx, mail, origin, { outcome: 'bounce', reason, ticketId });
    if (ticketId === null) return { outcome: 'bounce', reason };
    const eventId = await tx.events.append(ticketId, {
      type: 'mail-bounced',
      at: clock.now(),
      actor: mail.from?.address ?? null,
      detail: { messageId: mail.messageId, bouncedMessageId: bounced!, action: report.action, status: report.status, recipients: report.recipients },
    });
    await slackTicketEvent(ctx, tx, state, ticketId, eventId);
    const requestId = await tx.tickets.requestIdOf(ticketId);
    if (requestId === null) throw new DeskbotError('INTERNAL', `Ticket ${ticketId} of a bounced message is gone`, { details: { ticketId } });
    return { outcome: 'bounce', reason, ticketId, requestId };
  });
}
