// The interfaces use cases need from the outside world; channels, store and jobs implement them.
import type { RenderedMail, TemplateDataMap, TemplateName } from './mail-templates.ts';
import type { OutboxEntry } from './outbox-messages.ts';
import type { ConversationRepository } from './conversation-records.ts';
import type { HeldRequestRepository } from './held-request-records.ts';
import type { DirectoryImport } from '../domain/directory-file.ts';
import type { CallerOwner, LicenceOwner } from '../domain/directory-warnings.ts';
import type { EligibleCaller } from '../domain/directory.ts';
import type {
  AutoMailRecord,
  ChargeRecord,
  ClosingTicket,
  DirectoryIds,
  DirectoryKeys,
  DueSlaTimer,
  InboundRecord,
  JsonValue,
  MessageDirection,
  NewTicket,
  NewTicketWrites,
  NewTimerRow,
  QuarantinedRow,
  QuarantineEntry,
  QuarantineInput,
  SlaTimerChanges,
  SlaTimerRow,
  StoredChargeDecision,
  StoredInbound,
  TicketChanges,
  TicketClock,
  TicketEventInput,
  TicketEventRow,
  TicketRecord,
  TicketRow,
} from './records.ts';
import type {
  BreachRecord,
  ChargeExportRow,
  CustomerWithCallers,
  DueNeedsInfoReminder,
  DueTimer,
  ImportSummary,
  InboundEntry,
  Period,
  ReportTicket,
  SenderLookup,
  SenderQuery,
  TicketCard,
  TicketListFilter,
  TicketListPage,
} from './read-models.ts';

/** Where "now" comes from; tests pass a controllable clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** Ports kept in their own files, re-exported so this file lists every port: the parser of inbound mail, the outbox's delivering side. */
export type { MailParser, ParsedMail } from './parsed-mail.ts';
export type { OutboxDelivery } from './outbox-delivery.ts';

/** A long-running part of `deskbot serve` (intake, dispatcher, sweeper, Slack). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking new work, finish or hand back claimed work, release connections. */
  stop(): Promise<void>;
}

/** What one table's housekeeping did (see DatabaseHousekeeping). */
export interface TableHousekept {
  table: string;
  /** The table's size with its indexes and TOAST, before and after. */
  bytesBefore: number;
  bytesAfter: number;
  /** Whether its planner statistics were refreshed (rows changed by more than a tenth since the last time). */
  analyzed: boolean;
  ms: number;
}

/**
 * Upkeep a database back end needs from deskbot itself: the embedded one (PGlite) has no autovacuum and gathers no
 * statistics, so the space of deleted and updated rows is never reused and plans are made blind.
 */
export interface DatabaseHousekeeping {
  /** A counter that grows with every writing transaction (the next transaction id): how much was written since a reading. */
  writePosition(): Promise<number>;
  /** The tables to keep, largest first. */
  tables(): Promise<string[]>;
  /** Reclaims one table's dead rows (VACUUM) and refreshes its statistics when its row count moved (ANALYZE). */
  keep(table: string): Promise<TableHousekept>;
}

/** Where an inbound message came from; IMAP sources carry their resume position. */
export type InboundSource =
  /** `receivedAt`: the server's INTERNALDATE of the message, when it gave one. */
  { kind: 'imap'; mailbox: string; uidValidity: bigint; uid: bigint; receivedAt?: Date } | { kind: 'file'; path: string } | { kind: 'stdin' };

/** How one inbound message ended. Every message ends in exactly one of these; none is dropped silently. */
export const inboundOutcomes = ['ticket', 'reply', 'rejected', 'ignored', 'quarantined', 'bounce', 'duplicate'] as const;
export type InboundOutcome = (typeof inboundOutcomes)[number];

export interface InboundResult {
  outcome: InboundOutcome;
  reason?: string;
  requestId?: string;
  ticketId?: number;
}

/**
 * Handles one raw RFC 822 message: decides what it is and commits the ticket work and its outgoing mail
 * in one transaction. Resolves only after the commit; idempotent per Message-ID (a second delivery resolves
 * with outcome 'duplicate'). Rejects with a retryable DeskbotError (DB_UNAVAILABLE) when nothing was committed.
 */
export type InboundMailHandler = (raw: Buffer, source: InboundSource) => Promise<InboundResult>;

/** Renders a mail template for a locale (falling back to its language, then `en`); channels/email/templates.ts. */
export interface MailRenderer {
  render<N extends TemplateName>(name: N, locale: string, data: TemplateDataMap[N]): RenderedMail;
}

/** Queues one outbox message inside the caller's transaction; false when its idempotency key was queued already. */
export interface OutboxWriter {
  enqueue(entry: OutboxEntry): Promise<boolean>;
}

/**
 * Thrown by a repository when the Message-ID of an inbound message is recorded already (a concurrent second delivery):
 * the transaction is lost and rolls back; intake answers 'duplicate'.
 */
export class DuplicateInboundMessage extends Error {
  constructor(readonly messageId: string) {
    super(`inbound message ${messageId} is recorded already`);
    this.name = 'DuplicateInboundMessage';
  }
}

/** How long a transaction may wait for a connection and run; the store's defaults otherwise. */
export interface TransactionOptions {
  maxWaitMs?: number;
  timeoutMs?: number;
}

/**
 * Runs `work` in one database transaction with repositories bound to it: everything it writes commits together or
 * not at all. Storage failures surface as DeskbotError (DB_UNAVAILABLE, retryable; INTERNAL for a rejected query).
 */
export interface Transactor {
  run<T>(work: (tx: Repositories) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /**
   * Group commit: every `run` inside `work` (in its async context) joins one transaction, committed when `work`
   * ends. Any failure inside a `run` — even one its caller caught — rolls the whole group back and rejects, so the
   * caller can do the work again one by one.
   */
  group?<T>(work: () => Promise<T>, options?: TransactionOptions): Promise<T>;
}

/** Every repository, bound to one transaction (Transactor.run) or to the database for reads (AppDeps.repositories). */
export interface Repositories {
  tickets: TicketRepository;
  events: TicketEventRepository;
  threads: MessageThreadRepository;
  inbound: InboundRepository;
  autoMail: AutoMailLog;
  outbox: OutboxQueue;
  slaTimers: SlaClock;
  charges: ChargeRepository;
  directory: DirectoryLookup;
  reports: ReportQueries;
  slackDeliveries: SlackDeliveries;
  conversations: ConversationRepository;
  heldRequests: HeldRequestRepository;
  reminders: NeedsInfoReminderQueue;
}

/** Incomplete tickets whose needs-info reminder date has passed (jobs/needs-info-reminders.ts). */
export interface NeedsInfoReminderQueue {
  /** Claims up to `limit` due tickets, locked SKIP LOCKED until the transaction ends. */
  claimDue(now: Date, limit: number): Promise<DueNeedsInfoReminder[]>;
  /** The reminder went or is no longer needed. */
  clear(ticketId: number): Promise<void>;
  nextAt(): Promise<Date | null>;
}

export interface TicketRepository {
  /** The next service-request ID of `year`; concurrent transactions queue on the year's counter row. */
  nextRequestId(year: number): Promise<string>;
  /**
   * nextRequestId and the directory ids in one statement, for intake; with `lockAutoMailTo` it also takes that
   * address's automatic-mail lock (AutoMailLog.lockAddress), after the counter row, and then reads what
   * AutoMailLog.sentSince(lockAutoMailTo, autoMailSince) would (`autoMailSent`, newest first; null without the lock),
   * seeing every answer committed before the lock was granted.
   */
  reserveRequest(input: {
    year: number;
    keys: DirectoryKeys;
    lockAutoMailTo?: string | null;
    autoMailSince?: Date;
  }): Promise<{ requestId: string; autoMailSent: Date[] | null } & DirectoryIds>;
  insert(ticket: NewTicket): Promise<{ id: number; requestId: string }>;
  /** A new ticket and everything written with it, in one statement; DuplicateInboundMessage when `inbound` is known. */
  insertWithWrites(writes: NewTicketWrites): Promise<{ id: number }>;
  update(id: number, changes: TicketChanges): Promise<void>;
  /** The ticket row, locked until the transaction ends (SELECT … FOR UPDATE). */
  lock(id: number): Promise<TicketRow>;
  lockByRequestId(requestId: string): Promise<TicketRow | null>;
  findById(id: number): Promise<TicketRecord | null>;
  findByRequestId(requestId: string): Promise<TicketRecord | null>;
  requestIdOf(id: number): Promise<string | null>;
  directoryIds(keys: DirectoryKeys): Promise<DirectoryIds>;
  /** Product names of all licences in the directory. */
  knownProducts(): Promise<string[]>;
  /** Closes the ticket if it is open and reads it back (the conditional update is the claim); null when unknown. */
  claimClose(input: { requestId: string; actor: string; now: Date }): Promise<{ ticket: ClosingTicket; claimed: boolean } | null>;
  storeCloseDecision(id: number, decision: { outcome: string; exclusion: string | null; chargeDecision: StoredChargeDecision }): Promise<void>;
  /** Tickets for `/support list` and the SLA board, the nearest due time first. */
  listByNextDue(options: { filter: TicketListFilter; userId?: string | undefined; now: Date; limit: number }): Promise<TicketListPage>;
  loadCard(where: { id: number } | { requestId: string }): Promise<TicketCard | null>;
  /** Where the ticket's Slack message lives (chat.postMessage's channel and ts). */
  setSlackMessage(id: number, message: { channel: string; ts: string }): Promise<void>;
  /**
   * Records a customer's agreement to the paid-support terms once (the first who/when/Message-ID is kept) and clears
   * the wait on every ticket of the customer; returns those tickets (issue 12 point 9).
   */
  recordTermsAgreement(
    customerId: number,
    agreement: { at: Date; by: string; messageId: string | null },
  ): Promise<Array<Pick<TicketRow, 'id' | 'requestId' | 'status' | 'missingInfo' | 'severity' | 'calendar' | 'supportLevel'>>>;
}

export interface TicketEventRepository {
  /** Appends one event to a ticket's history; returns its id. */
  append(ticketId: number, event: TicketEventInput): Promise<bigint>;
  /**
   * Appends the event and queues its Slack thread post (`slack:ticket-event:<id>`, due `now`) in one write, which
   * also applies `changes` to the ticket (as TicketRepository.update would) when given.
   */
  appendWithThreadPost(ticketId: number, event: TicketEventInput, now: Date, changes?: TicketChanges): Promise<bigint>;
  recent(ticketId: number, limit: number): Promise<TicketEventRow[]>;
}

/** Message-IDs of a ticket's mail, for threading replies. */
export interface MessageThreadRepository {
  /** Remembers Message-IDs; an ID already known keeps its first ticket. */
  remember(ticketId: number, messageIds: readonly string[], direction: MessageDirection, at: Date): Promise<void>;
  /** Records one Message-ID; fails on one already known. */
  add(ref: { messageId: string; ticketId: number; direction: MessageDirection; at: Date }): Promise<void>;
  ticketsOf(messageIds: readonly string[]): Promise<Map<string, { ticketId: number; direction: MessageDirection }>>;
  /** The customer's last mail and the thread so far (oldest first), for a reply to the customer. */
  mailThreadOf(ticketId: number): Promise<{ inReplyTo: string | null; references: string[] }>;
}

/** Every inbound message and how it ended, and quarantined mail kept for a retry. */
export interface InboundRepository {
  /** Records how a message ended; DuplicateInboundMessage when its Message-ID is recorded already. */
  record(record: InboundRecord): Promise<void>;
  /** Rewrites the record of a quarantined message that a retry processed again. */
  replaceQuarantined(record: InboundRecord): Promise<void>;
  setReason(messageId: string, reason: string): Promise<void>;
  find(messageId: string): Promise<StoredInbound | null>;
  quarantine(input: QuarantineInput): Promise<number>;
  findQuarantined(id: number): Promise<QuarantinedRow | null>;
  quarantinedRaw(id: number): Promise<Buffer | null>;
  requarantine(id: number, reason: string, at: Date): Promise<void>;
  markQuarantineRetried(id: number, at: Date): Promise<void>;
  listQuarantined(options?: { all?: boolean }): Promise<QuarantineEntry[]>;
  /**
   * The outcome of a rejected message a retry is about to run again, its record locked for the caller's transaction
   * (and first any request held for it, in the order a take-up locks them): a second retry at the same time waits,
   * then finds the outcome the first one left. Null when there is no record.
   */
  lockForRetry(messageId: string): Promise<string | null>;
  /** A retried rejection's new ending; the first rejection stays in previousOutcome / previousReason. */
  replaceRejected(record: InboundRecord): Promise<void>;
  /**
   * A held mail's rejection (ambiguous-sender) once a request took it up: outcome ticket on that request's ticket, the
   * rejection kept in previousOutcome / previousReason, the raw copy dropped: nothing is left to retry. False when the
   * message has no rejected record.
   */
  takenUp(messageId: string, ending: { ticketId: number; reason: string }): Promise<boolean>;
  /** Keeps the whole of a rejected message for `deskbot inbound retry`. */
  keepRaw(messageId: string, raw: Buffer): Promise<void>;
  rawOf(messageId: string): Promise<Buffer | null>;
  /** Newest first, optionally of one outcome and since an instant. */
  list(filter: { outcome?: string | undefined; since?: Date | undefined; limit?: number }): Promise<InboundEntry[]>;
}

/** The log of automatic mail per address (the throttle). */
export interface AutoMailLog {
  /** Serialises automatic mail to one address until the transaction ends. */
  lockAddress(address: string): Promise<void>;
  /** When automatic mail of any kind (or of `kind`) went to `address` since `since`, newest first. */
  sentSince(address: string, since: Date, kind?: string): Promise<Date[]>;
  /** The outbox row, the log entry and (on a ticket) the Message-ID in one statement; false when the row was queued already. */
  record(record: AutoMailRecord): Promise<boolean>;
}

export interface OutboxQueue {
  /** Queues one message stamped with `now`; false when its idempotency key was queued already. */
  enqueue(entry: OutboxEntry, now: Date): Promise<boolean>;
  /** The OutboxWriter port stamping rows with `now`. */
  writer(now: Date): OutboxWriter;
  /** The payload of a queued row by its idempotency key; null when none was queued. */
  payloadOf(idempotencyKey: string): Promise<JsonValue | null>;
}

/** The stored SLA clock of tickets: timer rows started, paused, resumed, met and retargeted under the policy. */
export interface SlaClock {
  /** Starts the clock at `at`; when an engineer already answered the customer, the initial response is met at `at`. */
  start(ticket: TicketClock, at: Date): Promise<void>;
  /** The rows start() writes, for a caller that inserts them with the ticket itself. */
  firstTimerRows(ticket: TicketClock, at: Date): NewTimerRow[];
  pause(ticket: TicketClock, at: Date): Promise<void>;
  resume(ticket: TicketClock, at: Date): Promise<void>;
  recordEngineerUpdate(ticket: TicketClock, at: Date): Promise<{ initialResponse: boolean }>;
  retarget(ticket: TicketClock, at: Date): Promise<void>;
  stop(ticketId: number, at: Date): Promise<void>;
  reopen(ticket: TicketClock, at: Date): Promise<void>;
  /** A workaround was given (Cryptzone §7): the resolution objective is met now; true when a timer was met. */
  meetResolution(ticketId: number, at: Date): Promise<boolean>;
  /** Every timer of the ticket as stored, in this transaction (so what start() just wrote), by target and cycle. */
  ofTicket(ticketId: number): Promise<SlaTimerRow[]>;
  /** Claims up to `limit` timers whose next event is due (FOR NO KEY UPDATE SKIP LOCKED), with their tickets. */
  claimDue(now: Date, limit: number): Promise<DueSlaTimer[]>;
  update(timerId: number, changes: SlaTimerChanges): Promise<void>;
  /** The earliest pending event of any timer. */
  nextPendingEventAt(): Promise<Date | null>;
}

export interface ChargeRepository {
  find(ticketId: number): Promise<ChargeRecord | null>;
  /** Creates the incident's one Charge row; false when it has one already. */
  record(charge: ChargeRecord): Promise<boolean>;
  /** The charge decisions of the ticket's earlier closes, oldest first. */
  history(ticketId: number): Promise<StoredChargeDecision[]>;
  countCloses(ticketId: number): Promise<number>;
  listExport(period: Period): Promise<ChargeExportRow[]>;
}

/** The directory as intake, the callers command and the import read and write it. */
export interface DirectoryLookup {
  lookupSender(query: SenderQuery): Promise<SenderLookup>;
  /** lookupSender and InboundRepository.find of `messageId` in one statement: intake's first read of a message. */
  lookupSenderWithInbound(query: SenderQuery, messageId: string): Promise<SenderLookup & { inbound: StoredInbound | null }>;
  /** Customers whose key matches exactly or whose name contains `query`, with their eligible callers. */
  customersWithCallers(query: string, limit?: number): Promise<CustomerWithCallers[]>;
  importDirectory(directory: DirectoryImport): Promise<ImportSummary>;
  importCallers(callersByCustomer: Map<string, EligibleCaller[]>, maxEligibleCallers: number): Promise<ImportSummary>;
  /** Every stored customer each of these (lower-case) addresses is an eligible caller of. */
  callerOwners(emails: string[]): Promise<CallerOwner[]>;
  /** The stored customer each of these licence numbers belongs to. */
  licenceOwners(numbers: string[]): Promise<LicenceOwner[]>;
  /** Stored customer keys equal to one of these when case is ignored. */
  customerKeysLike(keys: string[]): Promise<string[]>;
}

/** Reads behind the SLA reports. */
export interface ReportQueries {
  breaches(period: Period): Promise<BreachRecord[]>;
  tickets(period: Period): Promise<ReportTicket[]>;
  dueTimers(period: Period, now: Date): Promise<DueTimer[]>;
}

/** Slack deliveries (event_id, action, outbox step) handled once: Slack retries what it thinks was missed. */
export interface SlackDeliveries {
  /** True the first time only. */
  claim(id: string, at: Date): Promise<boolean>;
  has(id: string): Promise<boolean>;
  /** Forgets deliveries older than `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

/** What a handler receives: never the lease, never the idempotency key. `attempts` counts this attempt (1-based). */
export interface OutboxItem {
  /** BIGINT as text (pino and JSON cannot carry bigint). */
  id: string;
  channel: string;
  kind: string;
  payload: unknown;
  ticketId: number | null;
  attempts: number;
}

/**
 * Delivers one row of one channel. Resolve when delivered; reject with a DeskbotError whose `retryable` says whether
 * a later attempt can help (`retryAfterMs` is honoured as the earliest retry). Any other error counts as retryable.
 * Delivery is at-least-once: a crash between delivering and marking sent delivers again after the lease expires.
 */
export interface OutboxHandler {
  deliver(item: OutboxItem): Promise<void>;
  /** /healthz part this channel reports into (degraded while deliveries fail transiently); none when absent. */
  readonly healthPart?: string;
  /** Where deliveries go, shown in /healthz; no credentials. */
  readonly description?: string;
  /** Called once by `stop()` after the last delivery. */
  close?(): Promise<void>;
}
