// Which ticket an inbound message continues: In-Reply-To/References, else a request ID in the subject ([SR-...] tag
// or bare), and only a ticket the sender may write on. Finding it only; what a reply does is reply.ts.
import { findRequestIdsInSubject } from '../../domain/request-id.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { isPartnerContact, isSenderAccepted, normalizeAddress } from '../../domain/eligibility.ts';
import type { TicketRecord } from '../records.ts';
import { authenticationOf, type IntakeContext } from './context.ts';

/**
 * Whether `sender` may write on a ticket: its requester, an eligible caller of its customer, or a contact of its
 * partner. A display name or a guessed `[SR-...]` tag or bare ID never grants access.
 */
export function mayWriteOnTicket(ticket: Pick<TicketRecord, 'requesterEmail' | 'customer' | 'partner'>, sender: string): boolean {
  if (normalizeAddress(ticket.requesterEmail) === sender) return true;
  if (ticket.customer?.eligibleCallers.some((caller) => normalizeAddress(caller.email) === sender)) return true;
  return ticket.partner !== null && isPartnerContact(ticket.partner, sender);
}

/**
 * The ticket a message continues: by In-Reply-To/References against Message-IDs we sent or received, else by an
 * `[SR-...]` tag in the subject, then by a bare ID there ("Re: SR-2026-000123 logs"; see findRequestIdsInSubject; the
 * body is never read); only a ticket the sender may write on (see mayWriteOnTicket), and
 * only for a sender passing isSenderAccepted (no dmarc=fail; strict under AUTH_REQUIRED). Otherwise the message is new.
 */
export async function findThread(
  ctx: IntakeContext,
  mail: ParsedMail,
  sender: string,
): Promise<{ ticket: TicketRecord; via: 'references' | 'subject-tag' } | null> {
  return (await findThreadOrRefusal(ctx, mail, sender)).thread;
}

/** findThread, and the request ID of the first ticket the message continues but the sender may not write on. */
export async function findThreadOrRefusal(
  ctx: IntakeContext,
  mail: ParsedMail,
  sender: string,
): Promise<{ thread: { ticket: TicketRecord; via: 'references' | 'subject-tag' } | null; refusedRequestId: string | null }> {
  const { repositories, config, log } = ctx;
  let refusedRequestId: string | null = null;
  if (!isSenderAccepted(authenticationOf(ctx, mail), sender.slice(sender.lastIndexOf('@') + 1), config.AUTH_REQUIRED))
    return { thread: null, refusedRequestId };
  const threadIds = [...mail.inReplyTo, ...[...mail.references].reverse()];
  const known = await repositories.threads.ticketsOf(threadIds);
  const candidates: Array<{ ticketId?: number; requestId?: string; via: 'references' | 'subject-tag' }> = [
    ...threadIds.flatMap((id) => (known.has(id) ? [{ ticketId: known.get(id)!.ticketId, via: 'references' as const }] : [])),
    ...findRequestIdsInSubject(mail.subject).map((requestId) => ({ requestId, via: 'subject-tag' as const })),
  ];
  const seen = new Set<number>();
  for (const candidate of candidates) {
    const ticket =
      candidate.ticketId !== undefined
        ? await repositories.tickets.findById(candidate.ticketId)
        : await repositories.tickets.findByRequestId(candidate.requestId!);
    if (!ticket || seen.has(ticket.id)) continue;
    seen.add(ticket.id);
    if (mayWriteOnTicket(ticket, sender)) return { thread: { ticket, via: candidate.via }, refusedRequestId };
    refusedRequestId ??= ticket.requestId;
    log.info(
      { event: 'thread-refused', messageId: mail.messageId, requestId: ticket.requestId, ticketId: ticket.id, via: candidate.via },
      'sender may not write on the referenced ticket; handled as a new message',
    );
  }
  return { thread: null, refusedRequestId };
}
