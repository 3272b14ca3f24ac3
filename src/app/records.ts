// The plain shapes the repository ports (ports.ts) read and write: tickets, events, SLA timers, inbound and
// quarantined mail, charges, report rows. No Prisma types: src/store/ maps its rows onto these.
import { z } from 'zod';
import type { Currency } from '../domain/policy.ts';
import type { Customer, Licence, Partner } from '../domain/directory.ts';
import type { NewTicketConversation } from './conversation-records.ts';
import type { OutboxEntry } from './outbox-messages.ts';
import type { InboundOutcome } from './ports.ts';

/** A JSON value as read from a JSON column (mirrors Prisma's JsonValue). */
export type JsonValue = string | number | boolean | JsonObject | JsonArray | null;
export type JsonObject = { [Key in string]?: JsonValue };
export type JsonArray = JsonValue[];
/** A JSON value as written to a JSON column (mirrors Prisma's InputJsonValue). */
export type JsonInput = string | number | boolean | { readonly [Key in string]?: JsonInput | null } | ReadonlyArray<JsonInput | null>;

export const ticketStatuses = ['new', 'open', 'waiting', 'closed'] as const;
/** new: incomplete (clock not started); open: clock running; waiting: on the customer (clock paused); closed. */
export type TicketStatus = (typeof ticketStatuses)[number];
/** Every status but closed: storage filters on this list, which an index on status serves (`<> 'closed'` it cannot). */
export const notClosedStatuses: readonly TicketStatus[] = ticketStatuses.filter((status) => status !== 'closed');

export const requesterKinds = ['eligible-caller', 'partner'] as const;
export type RequesterKind = (typeof requesterKinds)[number];

/** A ticket row as stored (status and kinds as text: the rows predate any check). */
export interface TicketRow {
  id: number;
  requestId: string;
  customerId: number | null;
  partnerId: number | null;
  licenceId: number | null;
  requesterKind: string;
  requesterEmail: string;
  requesterName: string | null;
  subject: string;
  summary: string;
  severity: number;
  status: string;
  product: string | null;
  productVersion: string | null;
  missingInfo: string[];
  calendar: string;
  supportLevel: string;
  locale: string;
  openedAt: Date;
  clockStartedAt: Date | null;
  pausedAt: Date | null;
  firstResponseAt: Date | null;
  lastEngineerUpdateAt: Date | null;
  assigneeSlackId: string | null;
  priceMinor: number;
  priceCurrency: string;
  outcome: string | null;
  exclusion: string | null;
  closedAt: Date | null;
  closedBy: string | null;
  chargeDecision: JsonValue | null;
  breached: boolean;
  needsPostMortem: boolean;
  /** Issue 12: a breach's post-mortem (Cryptzone §7), pre-sales (free), waiting for the terms agreement (no clock yet). */
  postMortemAt: Date | null;
  postMortemBy: string | null;
  postMortemNotes: string | null;
  preSales: boolean;
  awaitingAgreement: boolean;
  rootMessageId: string | null;
  slackChannel: string | null;
  slackTs: string | null;
  splitFromId: number | null;
  /** email | phone (`/support open`, by openedBy, a Slack user). */
  source: string;
  openedBy: string | null;
  /** An incomplete request's needs-info reminder date; null once sent or not needed. */
  needsInfoRemindAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a use case may change on a ticket row. */
export type TicketChanges = Partial<
  Pick<
    TicketRow,
    | 'status'
    | 'severity'
    | 'product'
    | 'productVersion'
    | 'missingInfo'
    | 'licenceId'
    | 'assigneeSlackId'
    | 'pausedAt'
    | 'closedAt'
    | 'closedBy'
    | 'outcome'
    | 'exclusion'
    | 'breached'
    | 'needsPostMortem'
    | 'splitFromId'
    | 'postMortemAt'
    | 'postMortemBy'
    | 'postMortemNotes'
    | 'preSales'
    | 'awaitingAgreement'
    | 'source'
    | 'openedBy'
    | 'needsInfoRemindAt'
  >
>;

/** A ticket with the directory records it belongs to. */
export interface TicketRecord {
  id: number;
  requestId: string;
  status: TicketStatus;
  severity: number;
  subject: string;
  summary: string;
  requesterKind: RequesterKind;
  requesterEmail: string;
  requesterName: string | null;
  product: string | null;
  productVersion: string | null;
  missingInfo: string[];
  calendar: string;
  supportLevel: string;
  locale: string;
  openedAt: Date;
  clockStartedAt: Date | null;
  pausedAt: Date | null;
  closedAt: Date | null;
  priceMinor: number;
  priceCurrency: Currency;
  assigneeSlackId: string | null;
  rootMessageId: string | null;
  /** Waiting for the customer's agreement to the paid-support terms before the clock starts. */
  awaitingAgreement: boolean;
  /** Marked pre-sales by an engineer (free). */
  preSales: boolean;
  customer: Customer | null;
  partner: Partner | null;
  licence: Licence | null;
}

/** The directory records a new ticket refers to, by their keys. */
export interface DirectoryKeys {
  customerKey: string | null;
  partnerId: string | null;
  licenceNumber: string | null;
}

export interface DirectoryIds {
  customerId: number | null;
  partnerId: number | null;
  licenceId: number | null;
}

/** What a new ticket row holds; the request ID comes from nextRequestId / reserveRequest. */
export interface NewTicket {
  requestId: string;
  customerId: number | null;
  partnerId: number | null;
  licenceId: number | null;
  requesterKind: RequesterKind;
  requesterEmail: string;
  requesterName: string | null;
  subject: string;
  summary: string;
  severity: number;
  status: Extract<TicketStatus, 'new' | 'open'>;
  product: string | null;
  productVersion: string | null;
  missingInfo: string[];
  calendar: string;
  supportLevel: string;
  locale: string;
  openedAt: Date;
  priceMinor: number;
  priceCurrency: Currency;
  rootMessageId: string | null;
  /** The customer must agree to the paid-support terms before the clock starts. */
  awaitingAgreement?: boolean;
  /** Set when the request is complete on arrival: the SLA clock starts with the row. */
  clockStartedAt?: Date | null;
  /** An incomplete request's needs-info reminder (domain/needs-info-reminder.ts), sent by the SLA sweeper. */
  needsInfoRemindAt?: Date | null;
}

/** An SLA timer row of a new ticket, without the ticket id (see SlaClock.firstTimerRows). */
export interface NewTimerRow {
  target: string;
  cycle: number;
  budgetMs: bigint;
  startedAt: Date;
  warnAt: Date | null;
  dueAt: Date | null;
  nextEventAt: Date | null;
}

/** An outbox row written with a new ticket (skipped when its idempotency key is queued already). */
export interface NewTicketOutboxRow {
  idempotencyKey: string;
  channel: 'email' | 'slack';
  kind: string;
  payload: JsonInput;
  /** Keys added to the payload from the new row: `ticketId`. */
  withTicketId?: boolean;
  nextAttemptAt: Date;
  /** Default: the database's CURRENT_TIMESTAMP. */
  createdAt?: Date;
}

export interface TicketEventInput {
  /** mail-received, acknowledgement, status-change, request-completed, mail-bounced, auto-reply-received, ... */
  type: string;
  at: Date;
  /** Who caused it: an address, a Slack user ID, or `deskbot`. */
  actor?: string | null;
  detail?: JsonInput;
}

export interface TicketEventRow {
  id: bigint;
  ticketId: number;
  type: string;
  at: Date;
  actor: string | null;
  detail: JsonValue;
}

/** Where a message came from, as stored in InboundMessage.source. */
export type InboundSourceKind = 'imap' | 'file' | 'stdin' | 'quarantine' | 'retry';

export interface InboundRecord {
  messageId: string;
  rawSize: number;
  source: InboundSourceKind;
  mailbox?: string | null;
  uidValidity?: bigint | null;
  uid?: bigint | null;
  fromAddress: string | null;
  subject: string | null;
  receivedAt: Date;
  /** Never 'duplicate': a duplicate is the absence of a new row. */
  outcome: Exclude<InboundOutcome, 'duplicate'>;
  reason: string | null;
  ticketId: number | null;
}

/** The inbound record of the message that opened the ticket (its ticket id is the new ticket's). */
export type NewTicketInbound = Omit<InboundRecord, 'ticketId'>;

export interface NewTicketWrites {
  ticket: NewTicket;
  timers: readonly NewTimerRow[];
  /** Appended in this order. */
  events: readonly TicketEventInput[];
  /** Message-IDs remembered for threading (an ID already known keeps its first ticket). */
  messageRefs: ReadonlyArray<{ messageId: string; direction: 'in' | 'out'; at: Date }>;
  outbox: readonly NewTicketOutboxRow[];
  /** Throttle log entries of the automatic mail queued with the ticket. */
  autoMailLog: ReadonlyArray<{ address: string; kind: string; sentAt: Date }>;
  /** With the ticket's id; a second delivery of the Message-ID fails on its unique index (DuplicateInboundMessage). */
  inbound: NewTicketInbound | null;
  /** The request's text, for a message without attachments (keepConversation writes those, needing their ids back). */
  conversation?: NewTicketConversation | null;
}

/** How a message was recorded (InboundMessage), as intake reads it back. */
export interface StoredInbound {
  id: number;
  messageId: string;
  outcome: string;
  reason: string | null;
  ticketId: number | null;
}

export interface QuarantineInput {
  messageId: string | null;
  reason: string;
  rawSize: number;
  /** The whole message when it is small enough to keep in the database. */
  raw: Buffer | null;
  /** File holding the whole message when it is kept outside the database. */
  rawPath: string | null;
  receivedAt: Date;
}

/** One quarantine row without its raw bytes. */
export interface QuarantinedRow {
  id: number;
  receivedAt: Date;
  reason: string;
  rawSize: number;
  messageId: string | null;
  status: string;
  rawPath: string | null;
  retriedAt: Date | null;
}

export interface QuarantineEntry {
  id: number;
  receivedAt: Date;
  reason: string;
  rawSize: number;
  messageId: string | null;
  status: string;
  /** Whether the whole message is kept (in the row or in a file), so a retry is possible. */
  retryable: boolean;
}

export type MessageDirection = 'in' | 'out';

/** One automatic answer as AutoMailLog.record writes it. */
export interface AutoMailRecord {
  /** The e-mail outbox row; its idempotency key makes a second enqueue a no-op. */
  outbox: Omit<Extract<OutboxEntry, { channel: 'email' }>, 'channel'>;
  /** The throttle log entry: recipient and kind (the template). */
  address: string;
  kind: string;
  /** The answer's Message-ID, remembered for threading when it belongs to a ticket (outbox.ticketId). */
  messageId: string;
  at: Date;
}

/**
 * What one close decided, as kept in Ticket.chargeDecision (the last close) and in the detail of its TicketEvent
 * 'charge' (every close). `reason` is a billing.ts ChargeReason or one of close-ticket.ts's re-close reasons.
 */
export const storedChargeDecisionSchema = z.object({
  chargeable: z.boolean(),
  amountMinor: z.number().int().nonnegative(),
  currency: z.string(),
  reason: z.string(),
  ruleReason: z.string(),
  explanation: z.string(),
  overridden: z.boolean(),
  overrideReason: z.string().optional(),
  overriddenBy: z.string().optional(),
  /** Whether this close created the incident's Charge row. */
  chargeCreated: z.boolean(),
  /** 1 for the first close of the incident, 2 after one reopen, ... */
  closeCycle: z.number().int().positive(),
  outcome: z.string(),
  exclusion: z.string().nullable(),
  decidedAt: z.string(),
  decidedBy: z.string(),
});
export type StoredChargeDecision = z.infer<typeof storedChargeDecisionSchema>;

export interface ChargeRecord {
  ticketId: number;
  amountMinor: number;
  currency: string;
  reason: string;
  decidedAt: Date;
  decidedBy: string | null;
}

/** The ticket as closing reads it, with its customer, partner and licence. */
export type ClosingTicket = TicketRow & {
  customer: { name: string; isPartner: boolean } | null;
  partner: { name: string } | null;
  licence: { number: string; type: string; registeredOn: Date } | null;
};

/** An SLA timer row as stored. */
export interface SlaTimerRow {
  id: number;
  ticketId: number;
  target: string;
  cycle: number;
  budgetMs: bigint;
  startedAt: Date;
  warnAt: Date | null;
  dueAt: Date | null;
  remainingMs: bigint | null;
  warnedAt: Date | null;
  breachedAt: Date | null;
  metAt: Date | null;
  nextEventAt: Date | null;
}

/** What the sweeper may change on a timer it claimed. */
export type SlaTimerChanges = Partial<Pick<SlaTimerRow, 'warnedAt' | 'breachedAt' | 'metAt' | 'remainingMs' | 'nextEventAt'>>;

/** The ticket fields the SLA clock needs. */
export interface TicketClock {
  id: number;
  severity: number;
  calendar: string;
  supportLevel: string;
}

/** A timer the sweeper claimed, with the ticket facts its notices need (`ticket.slaTimers`: its unmet initial response). */
export type DueSlaTimer = SlaTimerRow & {
  ticket: Pick<
    TicketRow,
    'id' | 'requestId' | 'subject' | 'status' | 'pausedAt' | 'closedAt' | 'severity' | 'calendar' | 'supportLevel' | 'assigneeSlackId' | 'requesterEmail'
  > & { customer: { name: string } | null; partner: { name: string } | null; slaTimers: Array<{ dueAt: Date | null }> };
};
