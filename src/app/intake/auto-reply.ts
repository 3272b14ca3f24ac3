// Machine-made mail that is never answered: ignored (own mail, bulk, auto-replies without a ticket) or, for an
// out-of-office on a ticket, kept in the ticket's history with no SLA effect.
import type { AutomaticMail } from '../../domain/mail/loop-rules.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import type { TicketRecord } from '../records.ts';
import { commit, type Ending, type IntakeContext, type Origin, record } from './context.ts';

export async function ignore(ctx: IntakeContext, mail: ParsedMail, origin: Origin, reason: string): Promise<Ending> {
  return commit(ctx, mail, origin, async (tx) => {
    await record(ctx, tx, mail, origin, { outcome: 'ignored', reason, ticketId: null });
    return { outcome: 'ignored', reason };
  });
}

/** An out-of-office or other auto-reply on a ticket: kept in its history, never answered, no ticket, no SLA effect. */
export async function autoReplyOnTicket(ctx: IntakeContext, mail: ParsedMail, origin: Origin, ticket: TicketRecord, automatic: AutomaticMail): Promise<Ending> {
  const { clock } = ctx;
  const reason = `auto-reply: ${automatic.reason}`;
  return commit(ctx, mail, origin, async (tx) => {
    await record(ctx, tx, mail, origin, { outcome: 'ignored', reason, ticketId: ticket.id });
    await tx.threads.remember(ticket.id, [mail.messageId], 'in', clock.now());
    await tx.events.append(ticket.id, {
      type: 'auto-reply-received',
      at: clock.now(),
      actor: mail.from!.address,
      detail: { messageId: mail.messageId, reason: automatic.reason },
    });
    return { outcome: 'ignored', reason, ticketId: ticket.id, requestId: ticket.requestId };
  });
}
