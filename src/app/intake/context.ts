// What every intake outcome shares: the dependencies of one intake (IntakeContext), where a message came from, how it
// ended, and the transaction, duplicate and inbound-record rules every outcome goes through. No outcome lives here.
import { parseAuthenticationResults, type AuthenticationVerdicts } from '../../domain/eligibility.ts';
import type { Policy } from '../../domain/policy.ts';
import type { Logger } from '../../logger.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import { DuplicateInboundMessage, type InboundResult, type InboundSource, type Repositories } from '../ports.ts';
import type { InboundRecord } from '../records.ts';
import type { MailSender } from '../notify.ts';
import type { InboundEmailConfig, InboundEmailOptions } from './handle-inbound-email.ts';

/** The repositories of the message's transaction. */
export type Tx = Repositories;

/** Where a message came from, plus the quarantine row a retry replaces. */
export interface Origin {
  source: InboundSource | { kind: 'quarantine' };
  retryOf: { id: number; messageId: string | null } | null;
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
  try {
    const ending = await options.transactor.run((tx) => work(tx, state), { maxWaitMs: 15_000, timeoutMs: 60_000 });
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

export function inboundRow(ctx: IntakeContext, mail: ParsedMail, origin: Origin, ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>): InboundRecord {
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
export async function record(ctx: IntakeContext, tx: Tx, mail: ParsedMail, origin: Origin, ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>): Promise<void> {
  const row = inboundRow(ctx, mail, origin, ending);
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

export function authenticationOf(ctx: IntakeContext, mail: ParsedMail): AuthenticationVerdicts {
  const { config } = ctx;
  return parseAuthenticationResults(mail.headers.get('authentication-results') ?? [], config.AUTH_SERV_ID);
}
