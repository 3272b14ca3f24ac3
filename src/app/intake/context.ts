// What every intake outcome shares: the dependencies of one intake (IntakeContext), where a message came from, how it
// ended, and the transaction, duplicate and inbound-record rules every outcome goes through. No outcome lives here.
import { parseAuthenticationResults, type AuthenticationVerdicts } from '../../domain/eligibility.ts';
import { messageReceivedAt, tooOldForAutoNotice } from '../../domain/mail/message-age.ts';
import type { Policy } from '../../domain/policy.ts';
import { DeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { DuplicateInboundMessage, type InboundResult, type InboundSource, type Repositories } from '../ports.ts';
import type { InboundRecord } from '../records.ts';
import type { MailSender } from '../notify.ts';
import type { InboundEmailConfig, InboundEmailOptions } from './handle-inbound-email.ts';

/** The repositories of the message's transaction. */
export type Tx = Repositories;

/**
 * Where a message came from, plus what a retry replaces: a quarantine row (`deskbot quarantine retry`), or the
 * InboundMessage row of a rejected message (`deskbot inbound retry`, `/support retry`).
 */
export interface Origin {
  source: InboundSource | { kind: 'quarantine' | 'retry' };
  retryOf: { kind: 'quarantine' | 'rejected'; id: number; messageId: string | null } | null;
}

/** Whether a recorded message with `outcome` is the one this retry runs again (and so no duplicate). */
export function retriesRecorded(origin: Origin, outcome: string): boolean {
  if (!origin.retryOf) return false;
  return outcome === (origin.retryOf.kind === 'rejected' ? 'rejected' : 'quarantined');
}

/** The quarantine row a retry replaces; null for a first delivery and for a retried rejection. */
export function quarantineRetryOf(origin: Origin): { id: number } | null {
  return origin.retryOf?.kind === 'quarantine' ? origin.retryOf : null;
}

/** Ending of one message before logging: what InboundResult carries. */
export type Ending = InboundResult & { queued?: number; messageId?: string };

/** The dependencies of one intake, shared by the router and every outcome. */
export interface IntakeContext {
  options: InboundEmailOptions;
  /** Reads outside the message's transaction. */
  repositories: Repositories;
  policy: Policy;
  config: InboundEmailConfig;
  clock: InboundEmailOptions['clock'];
  log: Logger;
  /** SUPPORT_ADDRESS lower-cased, for the loop rules. */
  supportAddress: string;
  /** Renderer and support address for automatic answers. */
  mailSender: MailSender;
}

export function createIntakeContext(options: InboundEmailOptions): IntakeContext {
  const { repositories, policy, config, clock } = options;
  return {
    options,
    repositories,
    policy,
    config,
    clock,
    log: options.logger.child({ component: 'intake' }),
    supportAddress: config.SUPPORT_ADDRESS.toLowerCase(),
    mailSender: { renderer: options.renderer, supportAddress: config.SUPPORT_ADDRESS },
  };
}

function sourceColumns(source: Origin['source']): Pick<InboundRecord, 'source' | 'mailbox' | 'uidValidity' | 'uid'> {
  if (source.kind === 'imap') return { source: 'imap', mailbox: source.mailbox, uidValidity: source.uidValidity, uid: source.uid };
  return { source: source.kind };
}

/** Runs the writes of one message in one transaction; a concurrent duplicate rolls it back. */
export async function commit(
  ctx: IntakeContext,
  mail: ParsedMail,
  origin: Origin,
  work: (tx: Tx, state: { queued: number }) => Promise<Ending>,
): Promise<Ending> {
  const { options } = ctx;
  const state = { queued: 0 };
  const retried = origin.retryOf?.kind === 'rejected' ? mail.messageId : null;
  try {
    const ending = await options.transactor.run(
      async (tx) => {
        // A retry checks again, under the record's lock, that the mail is still rejected: another retry (or a take-up
        // of the held mail) that committed meanwhile has handled it.
        const outcome = retried ? await tx.inbound.lockForRetry(retried) : null;
        if (retried && outcome !== 'rejected') {
          throw new DeskbotError('INVALID_STATE', `${retried} was handled meanwhile (it ended as ${outcome ?? 'nothing'}); this retry changed nothing`, {
            details: { messageId: retried, outcome },
          });
        }
        return work(tx, state);
      },
      { maxWaitMs: 15_000, timeoutMs: 60_000 },
    );
    if (state.queued > 0) {
      try {
        await options.onCommitted?.();
      } catch (error) {
        ctx.log.error({ event: 'on-committed-failed', err: error }, 'post-commit hook failed; the outbox still delivers');
      }
    }
    return { ...ending, queued: state.queued, messageId: mail.messageId };
  } catch (error) {
    if (error instanceof DuplicateInboundMessage) return duplicateOf(ctx, mail.messageId);
    throw error;
  }
}

export async function duplicateOf(ctx: IntakeContext, messageId: string): Promise<Ending> {
  const { repositories } = ctx;
  const existing = await repositories.inbound.find(messageId);
  const requestId = existing?.ticketId ? await repositories.tickets.requestIdOf(existing.ticketId) : null;
  return {
    outcome: 'duplicate',
    messageId,
    reason: `already handled: ${existing?.outcome ?? 'in progress'}`,
    ...(existing?.ticketId ? { ticketId: existing.ticketId } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

export function inboundRow(
  ctx: IntakeContext,
  mail: ParsedMail,
  origin: Origin,
  ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>,
): InboundRecord {
  const { clock } = ctx;
  return {
    messageId: mail.messageId,
    rawSize: mail.rawSize,
    ...sourceColumns(origin.source),
    fromAddress: mail.from?.address ?? null,
    subject: mail.subject.slice(0, 1000) || null,
    receivedAt: clock.now(),
    ...ending,
  };
}

/**
 * Records how the message ended (see recordInbound): the first write of every transaction, except a new ticket's,
 * which writes it last with the ticket's id. Either way a second delivery of the same Message-ID fails on the
 * unique index and rolls its transaction back.
 */
export async function record(
  ctx: IntakeContext,
  tx: Tx,
  mail: ParsedMail,
  origin: Origin,
  ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>,
): Promise<void> {
  const row = inboundRow(ctx, mail, origin, ending);
  if (origin.retryOf?.kind === 'rejected') {
    // The earlier rejection stays on the row (previousOutcome, previousReason) and its notice in the outbox.
    await tx.inbound.replaceRejected(row);
    // A mail held for its licence number that a retry now handled on its own is no longer waiting to be taken up.
    if (ending.outcome !== 'rejected') await tx.heldRequests.retire(mail.messageId, row.receivedAt);
    return;
  }
  if (origin.retryOf) {
    await tx.inbound.replaceQuarantined(row);
    if (ending.outcome === 'quarantined') await tx.inbound.requarantine(origin.retryOf.id, ending.reason ?? 'quarantined', row.receivedAt);
    else await tx.inbound.markQuarantineRetried(origin.retryOf.id, row.receivedAt);
    return;
  }
  await tx.inbound.record(row);
}

export async function slackTicketEvent(ctx: IntakeContext, tx: Tx, state: { queued: number }, ticketId: number, eventId: bigint): Promise<void> {
  const { clock } = ctx;
  await tx.outbox.enqueue(
    { idempotencyKey: `slack:ticket-event:${eventId}`, channel: 'slack', kind: 'ticket-event', payload: { ticketId, eventId: Number(eventId) }, ticketId },
    clock.now(),
  );
  state.queued += 1;
}

/** AUTO_NOTICE_MAX_AGE when the configuration gives none: 48 h. */
export const defaultAutoNoticeMaxAgeMs = 48 * 3_600_000;

/** When the message reached us: the IMAP server's INTERNALDATE, else its `Date:` header; undefined when neither is known. */
export function receivedAtOf(mail: ParsedMail, origin: Origin): Date | undefined {
  const serverReceivedAt = origin.source.kind === 'imap' ? origin.source.receivedAt : undefined;
  const header = mail.headers.get('date')?.[0];
  return messageReceivedAt(serverReceivedAt, header ? new Date(header) : undefined);
}

/**
 * When the request was received, for what depends on it (Kerio ToS 2.4.3: the incident is open once the request is
 * received): the fee's installation period and trial, the eligibility of the licence, the ticket's opening time. Only a
 * server's word counts (the IMAP INTERNALDATE), never the sender's `Date:` header, and never later than `now`; else now.
 * A request that waited in the mailbox (deskbot down, a backlog) is judged on the day it arrived.
 */
export function requestReceivedAt(origin: Origin, now: Date): Date {
  const server = origin.source.kind === 'imap' ? origin.source.receivedAt : undefined;
  return server !== undefined && !Number.isNaN(server.getTime()) && server.getTime() < now.getTime() ? server : now;
}

/** The message's receive time when it is older than AUTO_NOTICE_MAX_AGE (automatic notices are withheld), else undefined. */
export function lateReceivedAt(ctx: IntakeContext, mail: ParsedMail, origin: Origin): Date | undefined {
  const receivedAt = receivedAtOf(mail, origin);
  return tooOldForAutoNotice(receivedAt, ctx.clock.now(), ctx.config.AUTO_NOTICE_MAX_AGE ?? defaultAutoNoticeMaxAgeMs) ? receivedAt : undefined;
}

export function authenticationOf(ctx: IntakeContext, mail: ParsedMail): AuthenticationVerdicts {
  const { config } = ctx;
  return parseAuthenticationResults(mail.headers.get('authentication-results') ?? [], config.AUTH_SERV_ID);
}
