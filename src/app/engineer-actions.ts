// What an engineer does to a ticket from Slack (buttons, modals, /support) as plain use cases over the store:
// assign, set severity, wait on / resume for the customer, reply to the customer by e-mail, split, reopen, and the
// reads (list, show, callers). Each change commits its ticket event, SLA clock change and outbox rows in one
// transaction. Leaves out roles (the Slack layer checks them), closing (close-ticket.ts) and posting to Slack
// (every change enqueues a Slack 'ticket-event' the outbox handler renders).
import { DeskbotError } from '../errors.ts';
import type { Policy } from '../domain/policy.ts';
import { lockPrice } from '../domain/billing.ts';
import { currencies, type Currency } from '../domain/policy.ts';
import { parseRequestId } from '../domain/request-id.ts';
import { notify, type MailSender } from './notify.ts';
import type { Clock } from './ports.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from '../store/database.ts';
import { enqueueOutbox, outboxIn } from '../store/outbox-repository.ts';
import { createSlaTimers, type SlaTimers } from '../store/sla-timers.ts';
import { appendEvent, insertTicket, nextRequestId, updateTicket, type TicketEventInput } from '../store/ticket-repository.ts';
import {
  findCustomersWithCallers,
  findOutboxPayload,
  lockTicketByRequestId,
  recordMessageRef,
  listTicketsByNextDue,
  loadTicketCard,
  mailThreadOf,
  recentEvents,
  type TicketCard,
  type TicketListFilter,
  type TicketListPage,
} from '../store/ticket-queries.ts';

type Tx = Prisma.TransactionClient;
type TicketRow = NonNullable<Awaited<ReturnType<typeof lockTicketByRequestId>>>;

export interface EngineerActionDeps {
  prisma: PrismaClient;
  policy: Policy;
  clock: Clock;
  /** Defaults to createSlaTimers(policy). */
  slaTimers?: SlaTimers;
  /** SUPPORT_ADDRESS / SUPPORT_NAME and the template renderer for mail to customers. */
  mail: MailSender & { supportName: string };
}

/** Who acts: a Slack user ID, and a display name for mail signatures. */
export interface Actor {
  slackId: string;
  name?: string | undefined;
}

/** Every change returns the ticket it touched and the event it recorded (null when nothing changed). */
export interface ActionResult {
  ticketId: number;
  requestId: string;
  eventId: bigint | null;
  changed: boolean;
}

const timersOf = (deps: EngineerActionDeps) => deps.slaTimers ?? createSlaTimers(deps.policy);

function canonicalRequestId(requestId: string): string {
  const parsed = parseRequestId(requestId);
  if (!parsed) throw new DeskbotError('NOT_FOUND', `"${requestId}" is not a request ID like SR-2026-000123`, { details: { requestId } });
  return parsed.requestId;
}

async function lockByRequestId(tx: Tx, requestId: string): Promise<TicketRow> {
  const canonical = canonicalRequestId(requestId);
  const ticket = await lockTicketByRequestId(tx, canonical);
  if (!ticket) throw new DeskbotError('NOT_FOUND', `No request ${canonical}`, { details: { requestId: canonical } });
  return ticket;
}

function requireNotClosed(ticket: TicketRow, what: string): void {
  if (ticket.status === 'closed') {
    throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is closed; reopen it before you ${what}`, { details: { requestId: ticket.requestId, status: ticket.status } });
  }
}

/** Appends the event and queues its Slack thread post in the caller's transaction. */
async function record(tx: Tx, ticket: { id: number; requestId: string }, event: TicketEventInput, now: Date): Promise<bigint> {
  const eventId = await appendEvent(tx, ticket.id, event);
  await enqueueOutbox(
    tx,
    {
      idempotencyKey: `slack:ticket-event:${eventId}`,
      channel: 'slack',
      kind: 'ticket-event',
      payload: { ticketId: ticket.id, eventId: Number(eventId) },
      ticketId: ticket.id,
    },
    now,
  );
  return eventId;
}

function transaction<T>(deps: EngineerActionDeps, work: (tx: Tx) => Promise<T>): Promise<T> {
  return deps.prisma.$transaction(work, { timeout: 15_000 });
}

/** Assigns the ticket to a Slack user (null unassigns). Re-assigning to the same person changes nothing. */
export async function assign(deps: EngineerActionDeps, input: { requestId: string; assignee: string | null; actor: Actor }): Promise<ActionResult & { previous: string | null }> {
  const now = deps.clock.now();
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'assign it');
    const base = { ticketId: ticket.id, requestId: ticket.requestId, previous: ticket.assigneeSlackId };
    if (ticket.assigneeSlackId === input.assignee) return { ...base, eventId: null, changed: false };
    await updateTicket(tx, ticket.id, { assigneeSlackId: input.assignee });
    const eventId = await record(tx, ticket, { type: 'assignment', at: now, actor: input.actor.slackId, detail: { from: ticket.assigneeSlackId, to: input.assignee } }, now);
    return { ...base, eventId, changed: true };
  });
}

/**
 * Sets the severity (1-5). A running clock is retargeted to the new severity's targets; when severity was the last
 * item the request lacked, the clock starts now.
 */
export async function setSeverity(
  deps: EngineerActionDeps,
  input: { requestId: string; severity: number; actor: Actor },
): Promise<ActionResult & { previous: number; clockStarted: boolean }> {
  if (!Number.isInteger(input.severity) || input.severity < 1 || input.severity > 5) {
    throw new DeskbotError('INVALID_STATE', `severity must be 1-5, got ${input.severity}`, { details: { severity: input.severity } });
  }
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'change its severity');
    const missingInfo = ticket.missingInfo.filter((item) => item !== 'severity');
    const base = { ticketId: ticket.id, requestId: ticket.requestId, previous: ticket.severity };
    if (ticket.severity === input.severity && missingInfo.length === ticket.missingInfo.length) return { ...base, eventId: null, changed: false, clockStarted: false };
    const startClock = ticket.clockStartedAt === null && missingInfo.length === 0;
    await updateTicket(tx, ticket.id, { severity: input.severity, missingInfo, ...(startClock && ticket.status === 'new' ? { status: 'open' } : {}) });
    const clock = { id: ticket.id, severity: input.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel };
    if (ticket.clockStartedAt !== null) await timers.retarget(tx, clock, now);
    else if (startClock) await timers.start(tx, clock, now);
    const eventId = await record(
      tx,
      ticket,
      { type: 'severity-change', at: now, actor: input.actor.slackId, detail: { from: ticket.severity, to: input.severity, clockStarted: startClock } },
      now,
    );
    return { ...base, eventId, changed: true, clockStarted: startClock };
  });
}

/** Waiting on the customer: status 'waiting', every running SLA timer paused. Only a ticket whose clock runs can wait. */
export async function waitOnCustomer(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<ActionResult> {
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'wait on the customer');
    if (ticket.status === 'waiting') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    if (ticket.status !== 'open' || ticket.clockStartedAt === null) {
      throw new DeskbotError('INVALID_STATE', `${ticket.requestId} is still incomplete; its SLA clock has not started, so there is nothing to pause`, {
        details: { requestId: ticket.requestId, status: ticket.status },
      });
    }
    await timers.pause(tx, { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    await updateTicket(tx, ticket.id, { status: 'waiting' });
    const eventId = await record(tx, ticket, { type: 'status-change', at: now, actor: input.actor.slackId, detail: { from: ticket.status, to: 'waiting' } }, now);
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}

/** No longer waiting on the customer: status 'open', paused timers run again with the support time they had left. */
export async function resume(deps: EngineerActionDeps, input: { requestId: string; actor: Actor }): Promise<ActionResult> {
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'resume it');
    if (ticket.status !== 'waiting') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    await timers.resume(tx, { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    await updateTicket(tx, ticket.id, { status: 'open' });
    const eventId = await record(tx, ticket, { type: 'status-change', at: now, actor: input.actor.slackId, detail: { from: 'waiting', to: 'open' } }, now);
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}

export interface RespondResult extends ActionResult {
  /** Message-ID of the queued mail. */
  messageId: string;
  /** True when this reply met the initial-response target. */
  initialResponse: boolean;
}

/** The outbox key of an engineer reply: one per submission (the modal's view id), else one per mail (its Message-ID). */
function replyKey(requestId: string, idempotencyKeyOrMessageId: string): string {
  return `reply:${requestId}:${idempotencyKeyOrMessageId}`;
}

/**
 * Sends the engineer's words to the customer by e-mail and records them as the initial response or a progress
 * update: the mail (template engineer-reply, Auto-Submitted: no, threaded under the customer's last mail), its
 * MessageRef, the SLA update and the ticket event commit together. `idempotencyKey` (e.g. the modal's view id)
 * makes a repeated submission a no-op.
 */
export async function respond(
  deps: EngineerActionDeps,
  input: { requestId: string; text: string; actor: Actor; idempotencyKey?: string },
): Promise<RespondResult> {
  const text = input.text.replace(/\r\n?/g, '\n').trim();
  if (text === '') throw new DeskbotError('INVALID_STATE', 'The reply is empty');
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    requireNotClosed(ticket, 'reply');
    const queued = input.idempotencyKey ? await findOutboxPayload(tx, replyKey(ticket.requestId, input.idempotencyKey)) : null;
    if (queued !== null) {
      const sentId = (queued as { messageId?: unknown }).messageId;
      return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false, messageId: String(sentId), initialResponse: false };
    }
    const engineerName = input.actor.name?.trim() || deps.mail.supportName;
    const thread = await mailThreadOf(tx, ticket.id);
    const references = [...thread.references];
    if (ticket.rootMessageId && !references.includes(ticket.rootMessageId)) references.unshift(ticket.rootMessageId);
    const parent = thread.inReplyTo ?? ticket.rootMessageId;
    const { messageId } = await notify(deps.mail, outboxIn(tx, now), {
      template: 'engineer-reply',
      locale: ticket.locale,
      data: {
        recipientName: ticket.requesterName,
        supportName: deps.mail.supportName,
        supportAddress: deps.mail.supportAddress,
        requestId: ticket.requestId,
        subject: ticket.subject,
        engineerName,
        body: text,
      },
      subject: (rendered) => (rendered.includes(`[${ticket.requestId}]`) ? rendered : `${rendered} [${ticket.requestId}]`),
      to: [{ address: ticket.requesterEmail, ...(ticket.requesterName ? { name: ticket.requesterName } : {}) }],
      ...(parent ? { inReplyTo: parent } : {}),
      references,
      autoSubmitted: 'no',
      requestId: ticket.requestId,
      headers: { 'X-Deskbot-Request-Id': ticket.requestId },
      idempotencyKey: (mail) => replyKey(ticket.requestId, input.idempotencyKey ?? mail.messageId),
      ticketId: ticket.id,
    });
    await recordMessageRef(tx, { messageId, ticketId: ticket.id, direction: 'out', at: now });
    const clock = { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel };
    const update = await timers.recordEngineerUpdate(tx, clock, now);
    if (ticket.status === 'waiting') {
      // Still waiting on the customer: the progress-update cycle the reply opened stays paused like the others.
      await timers.pause(tx, clock, now);
      await updateTicket(tx, ticket.id, { pausedAt: ticket.pausedAt });
    }
    const eventId = await record(
      tx,
      ticket,
      {
        type: 'engineer-response',
        at: now,
        actor: input.actor.slackId,
        detail: { messageId, initialResponse: update.initialResponse, text, engineerName },
      },
      now,
    );
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true, messageId, initialResponse: update.initialResponse };
  });
}

export interface SplitResult extends ActionResult {
  newTicketId: number;
  newRequestId: string;
}

/**
 * The request holds several issues: one becomes its own incident with its own request ID, fee and SLA clock. The new
 * ticket copies customer, requester and licence; its price is locked anew in the same currency; it links back by
 * splitFromId; both tickets get an event, and the new one its own Slack message.
 */
export async function split(deps: EngineerActionDeps, input: { requestId: string; subject?: string | undefined; actor: Actor }): Promise<SplitResult> {
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const original = await lockByRequestId(tx, input.requestId);
    requireNotClosed(original, 'split it');
    if (!(currencies as readonly string[]).includes(original.priceCurrency)) {
      throw new DeskbotError('INVALID_STATE', `${original.requestId} is priced in ${original.priceCurrency}, which has no fee`);
    }
    const price = lockPrice(deps.policy, original.priceCurrency as Currency);
    const newRequestId = await nextRequestId(tx, now.getUTCFullYear());
    const subject = input.subject?.trim() || `${original.subject} (split from ${original.requestId})`;
    const running = original.clockStartedAt !== null && original.missingInfo.length === 0;
    const created = await insertTicket(tx, {
      requestId: newRequestId,
      customerId: original.customerId,
      partnerId: original.partnerId,
      licenceId: original.licenceId,
      requesterKind: original.requesterKind as 'eligible-caller' | 'partner',
      requesterEmail: original.requesterEmail,
      requesterName: original.requesterName,
      subject,
      summary: '',
      severity: original.severity,
      status: running ? 'open' : 'new',
      product: original.product,
      productVersion: original.productVersion,
      missingInfo: original.missingInfo,
      calendar: original.calendar,
      supportLevel: original.supportLevel,
      locale: original.locale,
      openedAt: now,
      priceMinor: price.amountMinor,
      priceCurrency: price.currency,
      rootMessageId: null,
    });
    await updateTicket(tx, created.id, { splitFrom: { connect: { id: original.id } }, assigneeSlackId: original.assigneeSlackId });
    if (running) await timers.start(tx, { id: created.id, severity: original.severity, calendar: original.calendar, supportLevel: original.supportLevel }, now);
    await appendEvent(tx, created.id, { type: 'split-from', at: now, actor: input.actor.slackId, detail: { fromRequestId: original.requestId, fromTicketId: original.id } });
    await enqueueOutbox(
      tx,
      { idempotencyKey: `slack:ticket-opened:${newRequestId}`, channel: 'slack', kind: 'ticket-opened', payload: { ticketId: created.id, requestId: newRequestId }, ticketId: created.id },
      now,
    );
    const eventId = await record(tx, original, { type: 'split', at: now, actor: input.actor.slackId, detail: { newRequestId, newTicketId: created.id } }, now);
    return { ticketId: original.id, requestId: original.requestId, eventId, changed: true, newTicketId: created.id, newRequestId };
  });
}

/** Reopens a closed ticket: status back to open (or new while incomplete); resolution and progress-update run again. The charge stays. */
export async function reopen(deps: EngineerActionDeps, input: { requestId: string; actor: Actor; reason?: string | undefined }): Promise<ActionResult> {
  const now = deps.clock.now();
  const timers = timersOf(deps);
  return transaction(deps, async (tx) => {
    const ticket = await lockByRequestId(tx, input.requestId);
    if (ticket.status !== 'closed') return { ticketId: ticket.id, requestId: ticket.requestId, eventId: null, changed: false };
    const status = ticket.clockStartedAt !== null ? 'open' : 'new';
    await updateTicket(tx, ticket.id, { status, closedAt: null, closedBy: null, outcome: null, exclusion: null, pausedAt: null });
    if (ticket.clockStartedAt !== null) {
      await timers.reopen(tx, { id: ticket.id, severity: ticket.severity, calendar: ticket.calendar, supportLevel: ticket.supportLevel }, now);
    }
    const eventId = await record(
      tx,
      ticket,
      { type: 'status-change', at: now, actor: input.actor.slackId, detail: { from: 'closed', to: status, reopened: true, ...(input.reason ? { reason: input.reason } : {}) } },
      now,
    );
    return { ticketId: ticket.id, requestId: ticket.requestId, eventId, changed: true };
  });
}

/** Tickets for `/support list` and the SLA board, the nearest due time first. */
export async function list(deps: EngineerActionDeps, input: { filter: TicketListFilter; actor: Actor; limit?: number }): Promise<TicketListPage> {
  return listTicketsByNextDue(deps.prisma, { filter: input.filter, userId: input.actor.slackId, now: deps.clock.now(), limit: input.limit ?? 20 });
}

export interface TicketDetails {
  card: TicketCard;
  events: Array<{ type: string; at: Date; actor: string | null }>;
}

/** One ticket with its unmet SLA timers and its latest events. */
export async function show(deps: EngineerActionDeps, input: { requestId: string }): Promise<TicketDetails> {
  const requestId = canonicalRequestId(input.requestId);
  const card = await loadTicketCard(deps.prisma, { requestId });
  if (!card) throw new DeskbotError('NOT_FOUND', `No request ${requestId}`, { details: { requestId } });
  const events = await recentEvents(deps.prisma, card.id, 8);
  return { card, events: events.map((event) => ({ type: event.type, at: event.at, actor: event.actor })) };
}

export interface CustomerCallers {
  key: string;
  name: string;
  supportLevel: string;
  callers: Array<{ email: string; name: string; phone: string | null }>;
}

/** Who may open requests for a customer (matched by key, or by a part of its name). */
export async function callers(deps: EngineerActionDeps, input: { customer: string }): Promise<CustomerCallers[]> {
  const query = input.customer.trim();
  if (query === '') throw new DeskbotError('NOT_FOUND', 'Name a customer');
  const customers = await findCustomersWithCallers(deps.prisma, query);
  return customers.map((customer) => ({
    key: customer.key,
    name: customer.name,
    supportLevel: customer.supportLevel,
    callers: customer.eligibleCallers.map((caller) => ({ email: caller.email, name: caller.name, phone: caller.phone })),
  }));
}
