// Use case: one inbound e-mail in, exactly one recorded ending out (ticket, reply, rejection, ignored auto-mail,
// bounce or quarantine), committed in one transaction with the mail and Slack items it causes. This file is the
// router; each ending is its own file in this folder. Fetching mail (IMAP, pipe) and sending it (outbox) live elsewhere.
import fs from 'node:fs/promises';
import { classifyAutomaticMail } from '../../domain/mail/loop-rules.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import { metrics } from '../../metrics.ts';
import type { Config } from '../../config.ts';
import { canonicalMessageId } from '../../domain/mail/message-id.ts';
import type { AppConfig, UseCaseDeps } from '../deps.ts';
import type { ParsedMail } from '../parsed-mail.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../ports.ts';
import { autoReplyOnTicket, ignore } from './auto-reply.ts';
import { bounce } from './bounce.ts';
import { createIntakeContext, duplicateOf, retriesRecorded, type Ending, type IntakeContext, type Origin } from './context.ts';
import { newRequest, senderQuery } from './new-request.ts';
import { oversized } from './oversized.ts';
import { quarantine } from './quarantine.ts';
import { reply } from './reply.ts';
import { findThreadOrRefusal } from './thread.ts';

/** The configuration intake reads. */
export type InboundEmailConfig = Pick<
  AppConfig,
  'SUPPORT_ADDRESS' | 'SUPPORT_NAME' | 'SALES_CONTACT' | 'MAIL_MAX_BYTES' | 'AUTH_REQUIRED' | 'AUTH_SERV_ID' | 'LOCALE' | 'dataDir'
> &
  /** Absent: the config default (25 MB). */
  Partial<Pick<AppConfig, 'ATTACHMENT_MAX_BYTES'>> &
  /** Milliseconds; no not-eligible or oversized notice answers an older message (default 48 h). */
  Partial<Pick<Config, 'AUTO_NOTICE_MAX_AGE'>>;

/**
 * What intake reads of AppDeps: the renderer writes acknowledgements and notices, the parser reads the mail,
 * onCommitted runs after a commit that queued mail or Slack items (so the dispatcher can send at once).
 */
export type InboundEmailOptions = UseCaseDeps<'transactor' | 'repositories' | 'policy' | 'clock' | 'logger' | 'renderer' | 'parser' | 'onCommitted'> & {
  config: InboundEmailConfig;
};

/** Handles an over-cap message from its header block and size alone (the IMAP intake never downloads the body). */
export type OversizedEmailHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

export interface InboundEmail {
  handleInboundEmail: InboundMailHandler;
  handleOversizedEmail: OversizedEmailHandler;
  /** `deskbot quarantine retry <id>`: runs the stored raw message through the same handler. */
  retryQuarantined(id: number): Promise<InboundResult>;
  /**
   * `deskbot inbound retry <message-id>` / `/support retry`: runs a rejected message again as if it had just arrived
   * (a new ticket and acknowledgement when the sender is now eligible). NOT_FOUND for an unknown Message-ID,
   * INVALID_STATE for a message that was not rejected or whose raw copy was not kept.
   */
  retryRejected(messageId: string): Promise<InboundResult>;
}

async function route(ctx: IntakeContext, mail: ParsedMail, raw: Buffer, origin: Origin): Promise<Ending> {
  const { repositories, supportAddress } = ctx;
  // A usable message with a sender is most often a new request: its directory lookup goes with the duplicate check.
  const sender = mail.from && !mail.unusable ? await repositories.directory.lookupSenderWithInbound(senderQuery(mail, mail.from), mail.messageId) : null;
  const existing = sender ? sender.inbound : await repositories.inbound.find(mail.messageId);
  if (existing && !retriesRecorded(origin, existing.outcome)) return duplicateOf(ctx, mail.messageId);
  const automatic = classifyAutomaticMail({
    headers: mail.headers,
    messageId: mail.messageId,
    from: mail.from?.address ?? null,
    supportAddress,
    isDeliveryReport: mail.deliveryReport !== null,
  });
  if (automatic?.kind === 'own-mail') return ignore(ctx, mail, origin, `loop: ${automatic.reason}`);
  if (automatic?.kind === 'delivery-report') return bounce(ctx, mail, origin, automatic);
  if (mail.unusable || !mail.from) return quarantine(ctx, mail, raw, origin, mail.unusable ?? 'no-sender');
  const { thread, refusedRequestId } = await findThreadOrRefusal(ctx, mail, mail.from.address);
  if (automatic) {
    if (automatic.kind === 'auto-reply' && thread) return autoReplyOnTicket(ctx, mail, origin, thread.ticket, automatic);
    return ignore(ctx, mail, origin, `${automatic.kind}: ${automatic.reason}`);
  }
  return thread ? reply(ctx, mail, origin, thread) : newRequest(ctx, mail, origin, raw, sender, refusedRequestId);
}

async function run(ctx: IntakeContext, origin: Origin, work: () => Promise<Ending>): Promise<InboundResult> {
  const { log } = ctx;
  try {
    const { queued, messageId, ...result } = await work();
    metrics.messagesReceived.inc({ outcome: result.outcome });
    log.info({ event: 'inbound-handled', source: origin.source.kind, messageId, queued, ...result }, `inbound message: ${result.outcome}`);
    return result;
  } catch (error) {
    const code = isDeskbotError(error) ? error.code : 'INTERNAL';
    metrics.intakeErrors.inc({ code });
    log.error({ event: 'inbound-failed', source: origin.source.kind, code, err: error }, 'inbound message not handled; nothing committed');
    throw error;
  }
}

async function handleRaw(ctx: IntakeContext, raw: Buffer, origin: Origin): Promise<Ending> {
  const { config, log } = ctx;
  if (raw.length > config.MAIL_MAX_BYTES) return oversized(ctx, raw, raw.length, origin, raw);
  const mail = await ctx.options.parser.parse(raw);
  if (mail.repairs.length) log.info({ event: 'mail-repaired', messageId: mail.messageId, repairs: mail.repairs }, 'parsed a damaged message');
  return route(ctx, mail, raw, origin);
}

/**
 * The router alone, for the intake rehearsal (jobs/intake-rehearsal.ts): no metric and no log line per message, and
 * whether anything is kept is up to the options' transactor. A message it is given is a first delivery from `source`.
 */
export function createUnrecordedIntake(options: InboundEmailOptions): (raw: Buffer, source: InboundSource) => Promise<Ending> {
  const ctx = createIntakeContext(options);
  return (raw, source) => handleRaw(ctx, raw, { source, retryOf: null });
}

/** Builds the intake handlers (see InboundEmail) over one database, directory, policy and clock. */
export function createInboundEmailHandler(options: InboundEmailOptions): InboundEmail {
  const ctx = createIntakeContext(options);
  return {
    handleInboundEmail: (raw, source) => {
      const origin: Origin = { source, retryOf: null };
      return run(ctx, origin, () => handleRaw(ctx, raw, origin));
    },
    handleOversizedEmail: (headers, size, source) => {
      const origin: Origin = { source, retryOf: null };
      return run(ctx, origin, () => oversized(ctx, headers, size, origin, null));
    },
    async retryQuarantined(id) {
      const row = await ctx.repositories.inbound.findQuarantined(id);
      if (!row) throw new DeskbotError('NOT_FOUND', `No quarantined message ${id}`, { details: { quarantineId: id } });
      if (row.status !== 'held')
        throw new DeskbotError('INVALID_STATE', `Quarantined message ${id} was already ${row.status}`, { details: { quarantineId: id } });
      let raw = await ctx.repositories.inbound.quarantinedRaw(id);
      if (raw === null && row.rawPath) {
        try {
          raw = await fs.readFile(row.rawPath);
        } catch (error) {
          throw new DeskbotError('NOT_FOUND', `The raw file of quarantined message ${id} cannot be read: ${row.rawPath}`, {
            cause: error,
            details: { quarantineId: id },
          });
        }
      }
      if (raw === null) {
        throw new DeskbotError('INVALID_STATE', `Quarantined message ${id} was too large to download; only its headers were seen, so it cannot be retried`, {
          details: { quarantineId: id },
        });
      }
      const origin: Origin = { source: { kind: 'quarantine' }, retryOf: { kind: 'quarantine', id: row.id, messageId: row.messageId } };
      return run(ctx, origin, () => handleRaw(ctx, raw, origin));
    },
    async retryRejected(text) {
      const messageId = canonicalMessageId(text);
      if (!messageId) throw new DeskbotError('NOT_FOUND', `"${text.slice(0, 200)}" is not a Message-ID like <abc@example.com>`);
      const notRejected = (outcome: string) =>
        new DeskbotError('INVALID_STATE', `${messageId} was not rejected (it ended as ${outcome}); only rejected mail can be retried`, {
          details: { messageId, outcome },
        });
      const row = await ctx.repositories.inbound.find(messageId);
      if (!row) throw new DeskbotError('NOT_FOUND', `No inbound message ${messageId}`, { details: { messageId } });
      if (row.outcome !== 'rejected') throw notRejected(row.outcome);
      const raw = await ctx.repositories.inbound.rawOf(messageId);
      if (raw === null) {
        // A retry that finished meanwhile dropped the copy with the rejection: say how it ended, not that none was kept.
        const now = await ctx.repositories.inbound.find(messageId);
        if (now && now.outcome !== 'rejected') throw notRejected(now.outcome);
      }
      if (raw === null && row.reason?.startsWith('ambiguous-sender'))
        throw new DeskbotError(
          'INVALID_STATE',
          `${messageId} is held until its sender names the licence number (its sender is a caller of several customers): the answer to the notice opens the request with it. Its whole text was not kept, so it cannot be retried`,
          { details: { messageId } },
        );
      if (raw === null)
        throw new DeskbotError(
          'INVALID_STATE',
          `The whole of ${messageId} was not kept (rejected before deskbot kept rejected mail), so it cannot be retried`,
          { details: { messageId } },
        );
      const origin: Origin = { source: { kind: 'retry' }, retryOf: { kind: 'rejected', id: row.id, messageId } };
      return run(ctx, origin, () => handleRaw(ctx, raw, origin));
    },
  };
}
