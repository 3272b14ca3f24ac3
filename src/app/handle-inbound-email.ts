// Use case: one inbound e-mail in, exactly one recorded ending out (ticket, reply, rejection, ignored auto-mail,
// bounce or quarantine), committed in one transaction with the mail and Slack items it causes. Parsing, the loop
// rules and the ticket plan live in their own modules; fetching mail (IMAP, pipe) and sending it (outbox) do not live here.
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import {
  answerSuppressedReason,
  autoMailWindowMs,
  classifyAutomaticMail,
  notEligibleNoticeDue,
  notEligibleNoticeIntervalMs,
  throttleAutoMail,
  type AutomaticMail,
} from '../channels/email/loop-guard.ts';
import { newMessageId, outgoingMailSchema } from '../channels/email/outgoing-mail.ts';
import { headerBlockOf, parseHeaders, parseMessage, syntheticMessageId, type MailAddress, type ParsedMail } from '../channels/email/parse-message.ts';
import { renderTemplate, type NotEligibleReason as NoticeReason, type TemplateDataMap, type TemplateName } from '../channels/email/templates.ts';
import {
  decideEligibility,
  isPartnerContact,
  isSenderAccepted,
  normalizeAddress,
  parseAuthenticationResults,
  type AuthenticationVerdicts,
  type NotEligibleReason,
} from '../domain/eligibility.ts';
import type { Policy } from '../domain/policy.ts';
import { extractRequestDetails, identifiedLicence, licenceNumbersIn, missingInfo, type RequestDetails } from '../domain/request-details.ts';
import { findRequestIdTags } from '../domain/request-id.ts';
import { DeskbotError, isDeskbotError } from '../errors.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { Logger } from '../logger.ts';
import { metrics } from '../metrics.ts';
import type { Clock, InboundMailHandler, InboundResult, InboundSource } from '../ports.ts';
import type { Runtime } from '../runtime.ts';
import type { PrismaClient } from '../store/database.ts';
import type { DirectoryRepository } from '../store/directory-repository.ts';
import {
  autoMailSentSince,
  findInbound,
  findQuarantined,
  isUniqueViolation,
  lockAutoMailAddress,
  markQuarantineRetried,
  quarantineMessage,
  quarantinedRaw,
  recordAutoMail,
  recordInbound,
  recordMessageRefs,
  replaceQuarantinedInbound,
  requarantine,
  ticketsByMessageId,
  type AutoMailRecord,
  type InboundRecord,
} from '../store/inbound-repository.ts';
import { enqueueOutbox } from '../store/outbox-repository.ts';
import { createSlaTimers, type SlaTimers } from '../store/sla-timers.ts';
import {
  appendEvent,
  directoryIds,
  findTicketById,
  findTicketByRequestId,
  knownProducts,
  lockTicket,
  updateTicket,
  type TicketRecord,
} from '../store/ticket-repository.ts';
import { openTicket, planTicket, type AutoAnswer, type OpenedTicket } from './open-ticket.ts';

type Tx = Prisma.TransactionClient;

/** The configuration intake reads. */
export type InboundEmailConfig = Pick<
  Config,
  'SUPPORT_ADDRESS' | 'SUPPORT_NAME' | 'SALES_CONTACT' | 'MAIL_MAX_BYTES' | 'AUTH_REQUIRED' | 'AUTH_SERV_ID' | 'TEMPLATES_DIR' | 'LOCALE' | 'dataDir'
>;

export interface InboundEmailOptions {
  prisma: PrismaClient;
  directory: Pick<DirectoryRepository, 'lookupSender'>;
  policy: Policy;
  config: InboundEmailConfig;
  clock: Clock;
  logger: Logger;
  /** Called after a commit that queued mail or Slack items, so the dispatcher can send at once. */
  onCommitted?: () => void;
}

/** Handles an over-cap message from its header block and size alone (the IMAP intake never downloads the body). */
export type OversizedEmailHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

export interface InboundEmail {
  handleInboundEmail: InboundMailHandler;
  handleOversizedEmail: OversizedEmailHandler;
  /** `deskbot quarantine retry <id>`: runs the stored raw message through the same handler. */
  retryQuarantined(id: number): Promise<InboundResult>;
}

/** Where a message came from, plus the quarantine row a retry replaces. */
interface Origin {
  source: InboundSource | { kind: 'quarantine' };
  retryOf: { id: number; messageId: string | null } | null;
}

/** Thrown inside a transaction when the Message-ID was recorded meanwhile; rolls the transaction back. */
class DuplicateDelivery extends Error {}

/** Ending of one message before logging: what InboundResult carries. */
type Ending = InboundResult & { queued?: number; messageId?: string };

/** The not-eligible template has fewer sentences than eligibility has reasons: the closest one that stays true. */
const noticeReasonFor: Record<Exclude<NotEligibleReason, 'sender-not-authenticated'>, NoticeReason> = {
  'unknown-sender': 'unknown-sender',
  'licence-unknown': 'unknown-sender',
  'ambiguous-sender': 'unknown-sender',
  'no-licence': 'unknown-sender',
  'maintenance-expired': 'maintenance-expired',
  'trial-expired': 'trial-expired',
  'partner-id-missing': 'partner-id-missing',
  'partner-id-invalid': 'partner-id-missing',
  'partner-sender-mismatch': 'partner-id-missing',
};

/** Tokens shaped like a Partner Support ID (KP-10001), for the directory lookup; eligibility decides which are real. */
function partnerIdCandidates(text: string): string[] {
  const found = text.match(/(?<![A-Za-z0-9_-])[A-Za-z]{1,10}-[A-Za-z0-9]{1,20}(?![A-Za-z0-9_-])/g) ?? [];
  return [...new Set(found.map((token) => token.toUpperCase()))].slice(0, 100);
}

/**
 * Whether `sender` may write on a ticket: its requester, an eligible caller of its customer, or a contact of its
 * partner. A display name or a guessed `[SR-...]` tag never grants access.
 */
export function mayWriteOnTicket(ticket: Pick<TicketRecord, 'requesterEmail' | 'customer' | 'partner'>, sender: string): boolean {
  if (normalizeAddress(ticket.requesterEmail) === sender) return true;
  if (ticket.customer?.eligibleCallers.some((caller) => normalizeAddress(caller.email) === sender)) return true;
  return ticket.partner !== null && isPartnerContact(ticket.partner, sender);
}

const connectionErrorPattern = /connect|connection|terminat|closed|ECONN|EPIPE|ETIMEDOUT|socket|timed? ?out|shutting down|too many clients|after calling end/i;

/**
 * Storage failures become DB_UNAVAILABLE (retryable: nothing was committed, the intake retries later): connection,
 * initialisation and driver-adapter errors. Constraint or query errors (Prisma P2xxx) are bugs: INTERNAL.
 */
export function toStorageError(error: unknown): unknown {
  if (isDeskbotError(error) || error instanceof DuplicateDelivery) return error;
  const name = (error as { name?: string } | null)?.name ?? '';
  const code = String((error as { code?: unknown } | null)?.code ?? '');
  const message = error instanceof Error ? `${error.message} ${String((error.cause as Error | undefined)?.message ?? '')}` : String(error);
  if (/^P2/.test(code)) return new DeskbotError('INTERNAL', `Storage rejected intake work: ${message}`, { cause: error });
  if (/^P1/.test(code) || name === 'PrismaClientInitializationError' || name === 'PrismaClientRustPanicError' || connectionErrorPattern.test(message)) {
    return new DeskbotError('DB_UNAVAILABLE', `The database is unavailable: ${message.trim()}`, { cause: error, retryable: true });
  }
  return error;
}

function sourceColumns(source: Origin['source']): Pick<InboundRecord, 'source' | 'mailbox' | 'uidValidity' | 'uid'> {
  if (source.kind === 'imap') return { source: 'imap', mailbox: source.mailbox, uidValidity: source.uidValidity, uid: source.uid };
  return { source: source.kind };
}

function fileNameOf(raw: Buffer): string {
  return `${createHash('sha256').update(raw).digest('hex')}.eml`;
}

/** Builds the intake handlers (see InboundEmail) over one database, directory, policy and clock. */
export function createInboundEmailHandler(options: InboundEmailOptions): InboundEmail {
  const { prisma, policy, config, clock } = options;
  const log = options.logger.child({ component: 'intake' });
  const slaTimers: SlaTimers = createSlaTimers(policy);
  const supportAddress = config.SUPPORT_ADDRESS.toLowerCase();

  function render<N extends TemplateName>(name: N, locale: string, data: TemplateDataMap[N]) {
    return renderTemplate(name, locale, data, { templatesDir: config.TEMPLATES_DIR });
  }

  async function read<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw toStorageError(error);
    }
  }

  /** Runs the writes of one message in one transaction; a concurrent duplicate rolls it back. */
  async function commit(mail: ParsedMail, origin: Origin, work: (tx: Tx, state: { queued: number }) => Promise<Ending>): Promise<Ending> {
    const state = { queued: 0 };
    try {
      const ending = await prisma.$transaction((tx) => work(tx, state), { maxWait: 15_000, timeout: 60_000 });
      if (state.queued > 0) options.onCommitted?.();
      return { ...ending, queued: state.queued, messageId: mail.messageId };
    } catch (error) {
      if (error instanceof DuplicateDelivery) return duplicateOf(mail.messageId);
      throw toStorageError(error);
    }
  }

  async function duplicateOf(messageId: string): Promise<Ending> {
    const existing = await read(() => findInbound(prisma, messageId));
    const ticket = existing?.ticketId ? await read(() => prisma.ticket.findUnique({ where: { id: existing.ticketId! }, select: { requestId: true } })) : null;
    return {
      outcome: 'duplicate',
      messageId,
      reason: `already handled: ${existing?.outcome ?? 'in progress'}`,
      ...(existing?.ticketId ? { ticketId: existing.ticketId } : {}),
      ...(ticket ? { requestId: ticket.requestId } : {}),
    };
  }

  function inboundRow(mail: ParsedMail, origin: Origin, ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>): InboundRecord {
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
  async function record(tx: Tx, mail: ParsedMail, origin: Origin, ending: Pick<InboundRecord, 'outcome' | 'reason' | 'ticketId'>): Promise<void> {
    const row = inboundRow(mail, origin, ending);
    if (origin.retryOf) {
      await replaceQuarantinedInbound(tx, row);
      if (ending.outcome === 'quarantined') await requarantine(tx, origin.retryOf.id, ending.reason ?? 'quarantined', row.receivedAt);
      else await markQuarantineRetried(tx, origin.retryOf.id, row.receivedAt);
      return;
    }
    try {
      await recordInbound(tx, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateDelivery(mail.messageId);
      throw error;
    }
  }

  /** One automatic answer as autoMail is asked for it. */
  type AutoMailRequest<N extends TemplateName> = {
    template: N;
    locale: string;
    data: TemplateDataMap[N];
    to: MailAddress;
    idempotencyKey: string;
    requestId?: string;
    ticketId?: number;
    oncePerNoticeInterval?: boolean;
    /** The caller holds the address's throttle lock already (see lockAutoMailAddress) in this transaction. */
    addressLocked?: boolean;
  };

  /**
   * Decides and renders one automatic answer to `to` without writing it: none when the sender asked for none
   * (X-Auto-Response-Suppress), the throttle is full, or (with `oncePerNoticeInterval`) one of the same kind went
   * within notEligibleNoticeIntervalMs (24 h). Always to the From address. The throttle lock is held from here to the
   * commit, so the caller's write of `record` cannot race another answer to the same address.
   */
  async function prepareAutoMail<N extends TemplateName>(
    tx: Tx,
    state: { queued: number },
    mail: ParsedMail,
    request: AutoMailRequest<N>,
  ): Promise<{ sent: true; messageId: string; record: AutoMailRecord } | { sent: false; reason: string }> {
    const now = clock.now();
    const suppressed = answerSuppressedReason(mail.headers);
    if (suppressed) return { sent: false, reason: suppressed };
    const address = request.to.address;
    if (!request.addressLocked) await lockAutoMailAddress(tx, address);
    if (request.oncePerNoticeInterval) {
      const last = await autoMailSentSince(tx, address, new Date(now.getTime() - notEligibleNoticeIntervalMs), request.template);
      if (!notEligibleNoticeDue(last[0] ?? null, now)) return { sent: false, reason: `${request.template} already sent to this address within 24 h` };
    }
    const verdict = throttleAutoMail(await autoMailSentSince(tx, address, new Date(now.getTime() - autoMailWindowMs)), now);
    if (!verdict.allowed) {
      log.warn({ event: 'auto-mail-throttled', to: address, template: request.template, sent: verdict.sent, windowMs: verdict.limit.windowMs, messageId: mail.messageId, requestId: request.requestId }, 'automatic answer suppressed by the throttle');
      return { sent: false, reason: `throttled: ${verdict.sent} automatic mails to this address within ${verdict.limit.windowMs / 60_000} min` };
    }
    const rendered = render(request.template, request.locale, request.data);
    const messageId = newMessageId(config.SUPPORT_ADDRESS);
    const threadIds = mail.messageIdSynthetic ? mail.references : [...mail.references.filter((id) => id !== mail.messageId), mail.messageId];
    const payload = outgoingMailSchema.parse({
      template: request.template,
      to: [request.to.name ? { address, name: request.to.name } : { address }],
      subject: rendered.subject,
      text: rendered.text,
      html: rendered.html,
      language: rendered.locale,
      messageId,
      ...(mail.messageIdSynthetic ? {} : { inReplyTo: mail.messageId }),
      references: threadIds.slice(-20),
      autoSubmitted: 'auto-replied',
      ...(request.requestId ? { requestId: request.requestId } : {}),
    });
    state.queued += 1;
    return {
      sent: true,
      messageId,
      record: {
        outbox: { idempotencyKey: request.idempotencyKey, kind: request.template, payload, ticketId: request.ticketId ?? null },
        address,
        kind: request.template,
        messageId,
        at: now,
      },
    };
  }

  /** prepareAutoMail, then its outbox row, throttle log entry and Message-ID written in one statement (recordAutoMail). */
  async function autoMail<N extends TemplateName>(
    tx: Tx,
    state: { queued: number },
    mail: ParsedMail,
    request: AutoMailRequest<N>,
  ): Promise<{ sent: true; messageId: string } | { sent: false; reason: string }> {
    const prepared = await prepareAutoMail(tx, state, mail, request);
    if (!prepared.sent) return prepared;
    await recordAutoMail(tx, prepared.record);
    return { sent: true, messageId: prepared.messageId };
  }

  async function slackTicketEvent(tx: Tx, state: { queued: number }, ticketId: number, eventId: bigint): Promise<void> {
    await enqueueOutbox(
      tx,
      { idempotencyKey: `slack:ticket-event:${eventId}`, channel: 'slack', kind: 'ticket-event', payload: { ticketId, eventId: Number(eventId) }, ticketId },
      clock.now(),
    );
    state.queued += 1;
  }

  function authenticationOf(mail: ParsedMail): AuthenticationVerdicts {
    return parseAuthenticationResults(mail.headers.get('authentication-results') ?? [], config.AUTH_SERV_ID);
  }

  /**
   * The ticket a message continues: by In-Reply-To/References against Message-IDs we sent or received, else by an
   * `[SR-...]` tag in the subject; only a ticket the sender may write on (see mayWriteOnTicket), and only for a
   * sender passing isSenderAccepted (no dmarc=fail; strict under AUTH_REQUIRED). Otherwise the message is treated as new.
   */
  async function findThread(mail: ParsedMail, sender: string): Promise<{ ticket: TicketRecord; via: 'references' | 'subject-tag' } | null> {
    if (!isSenderAccepted(authenticationOf(mail), sender.slice(sender.lastIndexOf('@') + 1), config.AUTH_REQUIRED)) return null;
    const threadIds = [...mail.inReplyTo, ...[...mail.references].reverse()];
    const known = await read(() => ticketsByMessageId(prisma, threadIds));
    const candidates: Array<{ ticketId?: number; requestId?: string; via: 'references' | 'subject-tag' }> = [
      ...threadIds.flatMap((id) => (known.has(id) ? [{ ticketId: known.get(id)!.ticketId, via: 'references' as const }] : [])),
      ...findRequestIdTags(mail.subject).map((requestId) => ({ requestId, via: 'subject-tag' as const })),
    ];
    const seen = new Set<number>();
    for (const candidate of candidates) {
      const ticket = await read(() => (candidate.ticketId !== undefined ? findTicketById(prisma, candidate.ticketId) : findTicketByRequestId(prisma, candidate.requestId!)));
      if (!ticket || seen.has(ticket.id)) continue;
      seen.add(ticket.id);
      if (mayWriteOnTicket(ticket, sender)) return { ticket, via: candidate.via };
      log.info({ event: 'thread-refused', messageId: mail.messageId, requestId: ticket.requestId, ticketId: ticket.id, via: candidate.via }, 'sender may not write on the referenced ticket; handled as a new message');
    }
    return null;
  }

  async function ignore(mail: ParsedMail, origin: Origin, reason: string): Promise<Ending> {
    return commit(mail, origin, async (tx) => {
      await record(tx, mail, origin, { outcome: 'ignored', reason, ticketId: null });
      return { outcome: 'ignored', reason };
    });
  }

  async function quarantine(mail: ParsedMail, raw: Buffer, origin: Origin, reason: string): Promise<Ending> {
    return commit(mail, origin, async (tx) => {
      await record(tx, mail, origin, { outcome: 'quarantined', reason, ticketId: null });
      if (!origin.retryOf) await quarantineMessage(tx, { messageId: mail.messageId, reason, rawSize: raw.length, raw, rawPath: null, receivedAt: clock.now() });
      return { outcome: 'quarantined', reason };
    });
  }

  /** A delivery report: linked to the ticket whose mail bounced (by the returned Message-ID), never answered. */
  async function bounce(mail: ParsedMail, origin: Origin, automatic: AutomaticMail): Promise<Ending> {
    const report = mail.deliveryReport ?? { originalMessageIds: [], recipients: [], action: 'failed', status: null };
    const ids = [...new Set([...report.originalMessageIds, ...mail.inReplyTo, ...mail.references])];
    return commit(mail, origin, async (tx, state) => {
      const known = await ticketsByMessageId(tx, ids);
      const bounced = ids.find((id) => known.get(id)?.direction === 'out') ?? ids.find((id) => known.has(id));
      const ticketId = bounced === undefined ? null : known.get(bounced)!.ticketId;
      const reason = ticketId === null ? `unlinked ${automatic.reason}` : `delivery ${report.action}${report.status ? ` ${report.status}` : ''}`;
      await record(tx, mail, origin, { outcome: 'bounce', reason, ticketId });
      if (ticketId === null) return { outcome: 'bounce', reason };
      const eventId = await appendEvent(tx, ticketId, {
        type: 'mail-bounced',
        at: clock.now(),
        actor: mail.from?.address ?? null,
        detail: { messageId: mail.messageId, bouncedMessageId: bounced!, action: report.action, status: report.status, recipients: report.recipients },
      });
      await slackTicketEvent(tx, state, ticketId, eventId);
      const ticket = await tx.ticket.findUniqueOrThrow({ where: { id: ticketId }, select: { requestId: true } });
      return { outcome: 'bounce', reason, ticketId, requestId: ticket.requestId };
    });
  }

  /** An out-of-office or other auto-reply on a ticket: kept in its history, never answered, no ticket, no SLA effect. */
  async function autoReplyOnTicket(mail: ParsedMail, origin: Origin, ticket: TicketRecord, automatic: AutomaticMail): Promise<Ending> {
    const reason = `auto-reply: ${automatic.reason}`;
    return commit(mail, origin, async (tx) => {
      await record(tx, mail, origin, { outcome: 'ignored', reason, ticketId: ticket.id });
      await recordMessageRefs(tx, ticket.id, [mail.messageId], 'in', clock.now());
      await appendEvent(tx, ticket.id, { type: 'auto-reply-received', at: clock.now(), actor: mail.from!.address, detail: { messageId: mail.messageId, reason: automatic.reason } });
      return { outcome: 'ignored', reason, ticketId: ticket.id, requestId: ticket.requestId };
    });
  }

  /** The stored facts of an incomplete ticket as request details, so a reply only has to add what is missing. */
  function storedDetails(ticket: TicketRecord): RequestDetails {
    return {
      severity: ticket.missingInfo.includes('severity') ? null : (ticket.severity as RequestDetails['severity']),
      severitySource: ticket.missingInfo.includes('severity') ? 'none' : 'number',
      licenceNumbers: ticket.licence ? [ticket.licence.number] : [],
      product: ticket.missingInfo.includes('product') ? null : ticket.product,
      version: ticket.missingInfo.includes('version') ? null : ticket.productVersion,
    };
  }

  /**
   * A reply to an incomplete ticket: what it adds is merged into the ticket; when nothing the policy requires is
   * missing any more, the SLA clock starts now. Returns the event id of request-completed, if any.
   */
  async function completeRequest(tx: Tx, ticket: TicketRecord, mail: ParsedMail, products: string[]): Promise<bigint | null> {
    const now = clock.now();
    const stored = storedDetails(ticket);
    const added = extractRequestDetails({ subject: mail.subject, body: mail.text, knownProducts: products });
    const merged: RequestDetails = {
      severity: stored.severity ?? added.severity,
      severitySource: stored.severity !== null ? stored.severitySource : added.severitySource,
      licenceNumbers: [...new Set([...stored.licenceNumbers, ...added.licenceNumbers])],
      product: stored.product ?? added.product,
      version: stored.version ?? added.version,
    };
    const customerLicences = ticket.customer ? ticket.customer.licences : null;
    const missing = missingInfo(merged, policy.requiredInfo, { customerLicences });
    const licence = customerLicences ? identifiedLicence(merged.licenceNumbers, customerLicences) : undefined;
    const licenceNumber = licence?.number ?? ticket.licence?.number ?? merged.licenceNumbers[0] ?? null;
    const { licenceId } = await directoryIds(tx, { customerKey: null, partnerId: null, licenceNumber });
    const severity = merged.severity ?? ticket.severity;
    const complete = missing.length === 0;
    await updateTicket(tx, ticket.id, {
      severity,
      product: merged.product ?? licence?.product ?? ticket.product,
      productVersion: merged.version,
      missingInfo: missing,
      ...(licenceId !== null ? { licence: { connect: { id: licenceId } } } : {}),
      ...(complete ? { status: 'open' } : {}),
    });
    if (!complete) return null;
    await slaTimers.start(tx, { id: ticket.id, severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    return appendEvent(tx, ticket.id, { type: 'request-completed', at: now, actor: mail.from!.address, detail: { messageId: mail.messageId, severity, clockStartedAt: now.toISOString() } });
  }

  /**
   * A reply on a ticket: recorded with its Message-ID; completes an incomplete request; resumes the clock of a ticket
   * waiting on the customer. A reply to a closed ticket is recorded and engineers are told, but the ticket is not
   * reopened: whether it is the same incident (free follow-up) or a new, chargeable one is a person's call.
   */
  async function reply(mail: ParsedMail, origin: Origin, thread: { ticket: TicketRecord; via: string }): Promise<Ending> {
    const products = await read(() => knownProducts(prisma));
    return commit(mail, origin, async (tx, state) => {
      const now = clock.now();
      const row = await lockTicket(tx, thread.ticket.id);
      const ticket = { ...thread.ticket, status: row.status as TicketRecord['status'], missingInfo: row.missingInfo, severity: row.severity, product: row.product, productVersion: row.productVersion };
      let reason: string | null = null;
      if (ticket.status === 'closed') reason = 'ticket-closed';
      await record(tx, mail, origin, { outcome: 'reply', reason, ticketId: ticket.id });
      await recordMessageRefs(tx, ticket.id, [mail.messageId], 'in', now);
      const received = await appendEvent(tx, ticket.id, {
        type: 'mail-received',
        at: now,
        actor: mail.from!.address,
        detail: { messageId: mail.messageId, kind: 'reply', via: thread.via, attachments: mail.attachments.length, ...(ticket.status === 'closed' ? { afterClose: true } : {}) },
      });
      await slackTicketEvent(tx, state, ticket.id, received);
      if (ticket.status === 'new') {
        const completed = await completeRequest(tx, ticket, mail, products);
        if (completed !== null) {
          reason = 'request-completed';
          await slackTicketEvent(tx, state, ticket.id, completed);
        }
      } else if (ticket.status === 'waiting') {
        await slaTimers.resume(tx, { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
        await updateTicket(tx, ticket.id, { status: 'open' });
        await appendEvent(tx, ticket.id, { type: 'status-change', at: now, actor: mail.from!.address, detail: { from: 'waiting', to: 'open', reason: 'customer-reply', messageId: mail.messageId } });
        reason = 'clock-resumed';
      }
      if (reason !== null && reason !== 'ticket-closed') await tx.inboundMessage.update({ where: { messageId: mail.messageId }, data: { reason } });
      return { outcome: 'reply', ...(reason ? { reason } : {}), ticketId: ticket.id, requestId: ticket.requestId };
    });
  }

  /** A message that continues no ticket: eligibility decides between a new ticket and a rejection. */
  async function newRequest(mail: ParsedMail, origin: Origin): Promise<Ending> {
    const sender = mail.from!;
    const { directory, knownProducts: products } = await read(() =>
      options.directory.lookupSender({ email: sender.address, partnerIds: partnerIdCandidates(`${mail.subject}\n${mail.text}`), licenceNumbers: licenceNumbersIn(mail.subject, mail.text) }),
    );
    const details = extractRequestDetails({ subject: mail.subject, body: mail.text, knownProducts: products });
    const decision = decideEligibility({
      sender: sender.address,
      authentication: authenticationOf(mail),
      directory,
      subject: mail.subject,
      body: mail.text,
      licenceNumbers: details.licenceNumbers,
      now: clock.now(),
      policy,
      authRequired: config.AUTH_REQUIRED,
    });
    if (decision.kind === 'not-eligible') return reject(mail, origin, decision.reason);
    const plan = planTicket({ policy, mail, sender, decision, directory, details, receivedAt: clock.now() });
    const ending = await commit(mail, origin, async (tx, state) => {
      const autoAnswer: AutoAnswer = (innerTx, answer) =>
        prepareAutoMail(innerTx, state, mail, {
          template: answer.template,
          locale: answer.locale,
          data: answer.data,
          to: { address: sender.address, name: plan.ticket.requesterName },
          idempotencyKey: `ack:${answer.requestId}`,
          requestId: answer.requestId,
          addressLocked: true,
        });
      const reason = plan.complete ? decision.reason : `incomplete: missing ${plan.missing.join(', ')}`;
      // Recorded last, complete, in openTicket's final statement: a concurrent delivery of the same Message-ID
      // still fails there on the unique index and rolls back everything, request ID included. A quarantine retry
      // rewrites its existing record instead (record() below).
      const inbound = origin.retryOf ? null : inboundRow(mail, origin, { outcome: 'ticket', reason, ticketId: null });
      let opened: OpenedTicket;
      try {
        opened = await openTicket(tx, { policy, slaTimers, autoAnswer, supportName: config.SUPPORT_NAME, supportAddress: config.SUPPORT_ADDRESS }, plan, mail, inbound);
      } catch (error) {
        if (inbound && isUniqueViolation(error)) throw new DuplicateDelivery(mail.messageId);
        throw error;
      }
      state.queued += 1;
      if (origin.retryOf) await record(tx, mail, origin, { outcome: 'ticket', reason, ticketId: opened.ticketId });
      return { outcome: 'ticket', reason, ticketId: opened.ticketId, requestId: opened.requestId };
    });
    if (ending.outcome === 'ticket') metrics.ticketsOpened.inc({ severity: String(plan.ticket.severity) });
    return ending;
  }

  /**
   * Not eligible: no ticket; one not-eligible notice per address per 24 h. None when the sender failed
   * authentication: the From address is then unproven, and a notice would go to whoever was impersonated.
   */
  async function reject(mail: ParsedMail, origin: Origin, reason: NotEligibleReason): Promise<Ending> {
    return commit(mail, origin, async (tx, state) => {
      await record(tx, mail, origin, { outcome: 'rejected', reason, ticketId: null });
      if (reason === 'sender-not-authenticated') return { outcome: 'rejected', reason };
      const notice = await autoMail(tx, state, mail, {
        template: 'not-eligible',
        locale: config.LOCALE,
        data: {
          subject: mail.subject,
          reason: noticeReasonFor[reason],
          minEligibleCallers: policy.eligibility.minEligibleCallers,
          maxEligibleCallers: policy.eligibility.maxEligibleCallers,
          salesContact: config.SALES_CONTACT ?? config.SUPPORT_ADDRESS,
          supportName: config.SUPPORT_NAME,
          supportAddress: config.SUPPORT_ADDRESS,
          recipientName: null,
        },
        to: { address: mail.from!.address, name: null },
        idempotencyKey: `not-eligible:${mail.messageId}`,
        oncePerNoticeInterval: true,
      });
      if (!notice.sent) {
        log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'not-eligible notice not sent');
        await tx.inboundMessage.update({ where: { messageId: mail.messageId }, data: { reason: `${reason}; no notice: ${notice.reason}` } });
      }
      return { outcome: 'rejected', reason };
    });
  }

  async function route(mail: ParsedMail, raw: Buffer, origin: Origin): Promise<Ending> {
    const existing = await read(() => findInbound(prisma, mail.messageId));
    if (existing && !(origin.retryOf && existing.outcome === 'quarantined')) return duplicateOf(mail.messageId);
    const automatic = classifyAutomaticMail({
      headers: mail.headers,
      messageId: mail.messageId,
      from: mail.from?.address ?? null,
      supportAddress,
      isDeliveryReport: mail.deliveryReport !== null,
    });
    if (automatic?.kind === 'own-mail') return ignore(mail, origin, `loop: ${automatic.reason}`);
    if (automatic?.kind === 'delivery-report') return bounce(mail, origin, automatic);
    if (mail.unusable || !mail.from) return quarantine(mail, raw, origin, mail.unusable ?? 'no-sender');
    const thread = await findThread(mail, mail.from.address);
    if (automatic) {
      if (automatic.kind === 'auto-reply' && thread) return autoReplyOnTicket(mail, origin, thread.ticket, automatic);
      return ignore(mail, origin, `${automatic.kind}: ${automatic.reason}`);
    }
    return thread ? reply(mail, origin, thread) : newRequest(mail, origin);
  }

  async function keepOversized(raw: Buffer): Promise<string> {
    const dir = path.join(config.dataDir, 'quarantine');
    const file = path.join(dir, fileNameOf(raw));
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(file, raw, { flag: 'w' });
    return file;
  }

  /**
   * An over-cap message: quarantined unparsed (reason mail-too-large; the whole message kept in a file under
   * DATA_DIR/quarantine when we hold it, only its size when the IMAP intake did not download it), with an
   * oversized-notice to the sender under the loop rules and the throttle.
   */
  async function oversized(headerBytes: Buffer, size: number, origin: Origin, raw: Buffer | null): Promise<Ending> {
    const block = headerBlockOf(headerBytes);
    const mail: ParsedMail = await parseHeaders(block).catch(() => ({
      messageId: syntheticMessageId(block), messageIdSynthetic: true, headers: new Map(), from: null, replyTo: [], subject: '', inReplyTo: [],
      references: [], text: '', attachments: [], deliveryReport: null, rawSize: size, repairs: [], unusable: 'unparseable' as const,
    }));
    mail.rawSize = size;
    const existing = await read(() => findInbound(prisma, mail.messageId));
    if (existing && !(origin.retryOf && existing.outcome === 'quarantined')) return duplicateOf(mail.messageId);
    const automatic = classifyAutomaticMail({ headers: mail.headers, messageId: mail.messageId, from: mail.from?.address ?? null, supportAddress, isDeliveryReport: false });
    const thread = mail.from && !automatic ? await findThread(mail, mail.from.address) : null;
    const rawPath = raw ? await keepOversized(raw) : null;
    const reason = 'mail-too-large';
    return commit(mail, origin, async (tx, state) => {
      await record(tx, mail, origin, { outcome: 'quarantined', reason, ticketId: thread?.ticket.id ?? null });
      const quarantineId = origin.retryOf?.id ?? (await quarantineMessage(tx, { messageId: mail.messageId, reason, rawSize: size, raw: null, rawPath, receivedAt: clock.now() }));
      if (thread) {
        await appendEvent(tx, thread.ticket.id, { type: 'mail-quarantined', at: clock.now(), actor: mail.from!.address, detail: { messageId: mail.messageId, reason, size, quarantineId } });
      }
      if (mail.from && !automatic && !mail.unusable) {
        const notice = await autoMail(tx, state, mail, {
          template: 'oversized-notice',
          locale: thread?.ticket.locale ?? config.LOCALE,
          data: {
            subject: mail.subject,
            sizeBytes: size,
            maxBytes: config.MAIL_MAX_BYTES,
            quarantineId,
            requestId: thread?.ticket.requestId ?? null,
            supportName: config.SUPPORT_NAME,
            supportAddress: config.SUPPORT_ADDRESS,
            recipientName: null,
          },
          to: { address: mail.from.address, name: null },
          idempotencyKey: `oversized-notice:${mail.messageId}`,
          ...(thread ? { requestId: thread.ticket.requestId, ticketId: thread.ticket.id } : {}),
        });
        if (!notice.sent) log.info({ event: 'notice-suppressed', messageId: mail.messageId, reason: notice.reason }, 'oversized notice not sent');
      }
      return { outcome: 'quarantined', reason, ...(thread ? { ticketId: thread.ticket.id, requestId: thread.ticket.requestId } : {}) };
    });
  }

  async function run(origin: Origin, work: () => Promise<Ending>): Promise<InboundResult> {
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

  async function handleRaw(raw: Buffer, origin: Origin): Promise<Ending> {
    if (raw.length > config.MAIL_MAX_BYTES) return oversized(raw, raw.length, origin, raw);
    const mail = await parseMessage(raw);
    if (mail.repairs.length) log.info({ event: 'mail-repaired', messageId: mail.messageId, repairs: mail.repairs }, 'parsed a damaged message');
    return route(mail, raw, origin);
  }

  return {
    handleInboundEmail: (raw, source) => {
      const origin: Origin = { source, retryOf: null };
      return run(origin, () => handleRaw(raw, origin));
    },
    handleOversizedEmail: (headers, size, source) => {
      const origin: Origin = { source, retryOf: null };
      return run(origin, () => oversized(headers, size, origin, null));
    },
    async retryQuarantined(id) {
      const row = await read(() => findQuarantined(prisma, id));
      if (!row) throw new DeskbotError('NOT_FOUND', `No quarantined message ${id}`, { details: { quarantineId: id } });
      if (row.status !== 'held') throw new DeskbotError('INVALID_STATE', `Quarantined message ${id} was already ${row.status}`, { details: { quarantineId: id } });
      let raw = await read(() => quarantinedRaw(prisma, id));
      if (raw === null && row.rawPath) {
        try {
          raw = await fs.readFile(row.rawPath);
        } catch (error) {
          throw new DeskbotError('NOT_FOUND', `The raw file of quarantined message ${id} cannot be read: ${row.rawPath}`, { cause: error, details: { quarantineId: id } });
        }
      }
      if (raw === null) {
        throw new DeskbotError('INVALID_STATE', `Quarantined message ${id} was too large to download; only its headers were seen, so it cannot be retried`, { details: { quarantineId: id } });
      }
      const origin: Origin = { source: { kind: 'quarantine' }, retryOf: { id: row.id, messageId: row.messageId } };
      return run(origin, () => handleRaw(raw, origin));
    },
  };
}

/** The intake handlers over an open runtime (CLI commands such as `deskbot quarantine retry`). */
export function inboundEmailForRuntime(runtime: Pick<Runtime, 'database' | 'directory' | 'policy' | 'config' | 'clock' | 'logger'>, onCommitted?: () => void): InboundEmail {
  const { database, directory, policy, config, clock, logger } = runtime;
  return createInboundEmailHandler({ prisma: database.prisma, directory, policy, config, clock, logger, ...(onCommitted ? { onCommitted } : {}) });
}
