// The app/ports repositories over Prisma: the store functions of this folder bound to one transaction client (or to
// the client itself, for reads), so use cases never see Prisma. The SQL stays in the files these functions live in.
import { appendEventWithThreadPost, changeTicket } from './ticket-writes.ts';
import { DuplicateInboundMessage, type Repositories } from '../app/ports.ts';
import type { Policy } from '../domain/policy.ts';
import type { Prisma } from '../generated/prisma/client.ts';
import { chargeHistory, countCloses, findCharge, listChargeExport, recordCharge } from './charge-repository.ts';
import { claimTicketClose, storeCloseDecision } from './close-repository.ts';
import type { PrismaClient } from './database.ts';
import { conversationRepository } from './conversation-repository.ts';
import { createDirectoryRepository } from './directory-repository.ts';
import { heldRequestRepository } from './held-request-repository.ts';
import { isUniqueViolation } from './errors.ts';
import {
  autoMailLockKey,
  autoMailSentSince,
  findInbound,
  findQuarantined,
  inboundRaw,
  keepRejectedRaw,
  listInbound,
  listQuarantined,
  lockAutoMailAddress,
  markInboundTakenUp,
  markQuarantineRetried,
  quarantinedRaw,
  quarantineMessage,
  recordAutoMail,
  recordInbound,
  recordMessageRefs,
  replaceQuarantinedInbound,
  replaceRejectedInbound,
  lockInboundForRetry,
  requarantine,
  setInboundReason,
  ticketsByMessageId,
} from './inbound-repository.ts';
import { enqueueOutbox, outboxIn } from './outbox-repository.ts';
import { claimDueNeedsInfoReminders, clearNeedsInfoReminder, nextNeedsInfoReminderAt } from './reminder-repository.ts';
import { listBreachEvents, listDueTimers, listReportTickets } from './sla-report-repository.ts';
import { claimDueTimers, createSlaTimers, nextPendingEventAt, ticketTimers, updateTimer } from './sla-timers.ts';
import {
  claimSlackDelivery,
  findCustomersWithCallers,
  findOutboxPayload,
  hasSlackDelivery,
  listTicketsByNextDue,
  loadTicketCard,
  lockTicketByRequestId,
  mailThreadOf,
  pruneSlackDeliveries,
  recentEvents,
  recordMessageRef,
  setSlackMessage,
} from './ticket-queries.ts';
import {
  appendEvent,
  directoryIds,
  findTicketById,
  findTicketByRequestId,
  insertNewTicket,
  insertTicket,
  knownProducts,
  lockTicket,
  nextRequestId,
  recordTermsAgreement,
  requestIdOf,
  reserveRequest,
} from './ticket-repository.ts';

type Tx = Prisma.TransactionClient;

/** Rethrows a unique violation of the inbound Message-ID as DuplicateInboundMessage. */
async function uniqueInbound<T>(messageId: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateInboundMessage(messageId);
    throw error;
  }
}

/**
 * The repositories over `db`: a transaction client inside Transactor.run, the client itself for reads. `root` is the
 * client, for the directory (its imports run transactions of their own); `policy` rules the SLA clock.
 */
export function createRepositories(db: Tx | PrismaClient, root: PrismaClient, policy: Policy): Repositories {
  // The statements that must run inside a transaction (locks, FOR UPDATE, multi-statement writes) take `tx`.
  const tx = db as Tx;
  const timers = createSlaTimers(policy);
  const directory = createDirectoryRepository(root);
  return {
    tickets: {
      nextRequestId: (year) => nextRequestId(tx, year),
      reserveRequest: ({ year, keys, lockAutoMailTo, autoMailSince }) =>
        reserveRequest(tx, {
          year,
          keys,
          autoMail: lockAutoMailTo ? { lockKey: autoMailLockKey(lockAutoMailTo), address: lockAutoMailTo, since: autoMailSince ?? new Date() } : null,
        }),
      insert: (ticket) => insertTicket(tx, ticket),
      insertWithWrites: (writes) => (writes.inbound ? uniqueInbound(writes.inbound.messageId, () => insertNewTicket(tx, writes)) : insertNewTicket(tx, writes)),
      update: (id, changes) => changeTicket(tx, id, changes),
      lock: (id) => lockTicket(tx, id),
      lockByRequestId: (requestId) => lockTicketByRequestId(tx, requestId),
      findById: (id) => findTicketById(db, id),
      findByRequestId: (requestId) => findTicketByRequestId(db, requestId),
      requestIdOf: (id) => requestIdOf(db, id),
      directoryIds: (keys) => directoryIds(db, keys),
      knownProducts: () => knownProducts(db),
      claimClose: (input) => claimTicketClose(tx, input),
      storeCloseDecision: (id, decision) => storeCloseDecision(tx, id, decision),
      listByNextDue: (options) => listTicketsByNextDue(db, options),
      loadCard: (where) => loadTicketCard(db, where),
      setSlackMessage: (id, message) => setSlackMessage(db, id, message),
      recordTermsAgreement: (customerId, agreement) => recordTermsAgreement(tx, customerId, agreement),
    },
    events: {
      append: (ticketId, event) => appendEvent(tx, ticketId, event),
      appendWithThreadPost: (ticketId, event, now, changes) => appendEventWithThreadPost(tx, ticketId, event, now, changes),
      recent: (ticketId, limit) => recentEvents(db, ticketId, limit),
    },
    threads: {
      remember: (ticketId, messageIds, direction, at) => recordMessageRefs(db, ticketId, messageIds, direction, at),
      add: (ref) => recordMessageRef(tx, ref),
      ticketsOf: (messageIds) => ticketsByMessageId(db, messageIds),
      mailThreadOf: (ticketId) => mailThreadOf(db, ticketId),
    },
    inbound: {
      record: (record) => uniqueInbound(record.messageId, async () => void (await recordInbound(db, record))),
      replaceQuarantined: async (record) => void (await replaceQuarantinedInbound(db, record)),
      setReason: (messageId, reason) => setInboundReason(tx, messageId, reason),
      find: (messageId) => findInbound(db, messageId),
      quarantine: (input) => quarantineMessage(db, input),
      findQuarantined: (id) => findQuarantined(db, id),
      quarantinedRaw: (id) => quarantinedRaw(db, id),
      requarantine: (id, reason, at) => requarantine(db, id, reason, at),
      markQuarantineRetried: (id, at) => markQuarantineRetried(db, id, at),
      listQuarantined: (options) => listQuarantined(db, options),
      replaceRejected: (record) => replaceRejectedInbound(db, record),
      lockForRetry: (messageId) => lockInboundForRetry(tx, messageId),
      takenUp: (messageId, ending) => markInboundTakenUp(db, messageId, ending),
      keepRaw: (messageId, raw) => keepRejectedRaw(tx, messageId, raw),
      rawOf: (messageId) => inboundRaw(db, messageId),
      list: (filter) => listInbound(db, filter),
    },
    autoMail: {
      lockAddress: (address) => lockAutoMailAddress(tx, address),
      sentSince: (address, since, kind) => autoMailSentSince(db, address, since, kind),
      record: (record) => recordAutoMail(tx, record),
    },
    outbox: {
      enqueue: (entry, now) => enqueueOutbox(tx, entry, now),
      writer: (now) => outboxIn(tx, now),
      payloadOf: (idempotencyKey) => findOutboxPayload(db, idempotencyKey),
    },
    slaTimers: {
      start: (ticket, at) => timers.start(tx, ticket, at),
      firstTimerRows: (ticket, at) => timers.firstTimerRows(ticket, at),
      pause: (ticket, at) => timers.pause(tx, ticket, at),
      resume: (ticket, at) => timers.resume(tx, ticket, at),
      recordEngineerUpdate: (ticket, at) => timers.recordEngineerUpdate(tx, ticket, at),
      retarget: (ticket, at) => timers.retarget(tx, ticket, at),
      stop: (ticketId, at) => timers.stop(tx, ticketId, at),
      reopen: (ticket, at) => timers.reopen(tx, ticket, at),
      meetResolution: (ticketId, at) => timers.meetResolution(tx, ticketId, at),
      ofTicket: (ticketId) => ticketTimers(tx, ticketId),
      claimDue: (now, limit) => claimDueTimers(tx, now, limit),
      update: (timerId, changes) => updateTimer(tx, timerId, changes),
      nextPendingEventAt: () => nextPendingEventAt(db),
    },
    charges: {
      find: (ticketId) => findCharge(db, ticketId),
      record: (charge) => recordCharge(tx, charge),
      history: (ticketId) => chargeHistory(db, ticketId),
      countCloses: (ticketId) => countCloses(db, ticketId),
      listExport: (period) => listChargeExport(db, period),
    },
    directory: {
      lookupSender: (query) => directory.lookupSender(query),
      lookupSenderWithInbound: (query, messageId) => directory.lookupSenderWithInbound(query, messageId),
      customersWithCallers: (query, limit) => findCustomersWithCallers(db, query, limit),
      importDirectory: (file) => directory.importDirectory(file),
      importCallers: (callers, max) => directory.importCallers(callers, max),
      callerOwners: (emails) => directory.callerOwners(emails),
      licenceOwners: (numbers) => directory.licenceOwners(numbers),
      customerKeysLike: (keys) => directory.customerKeysLike(keys),
    },
    reports: {
      breaches: (period) => listBreachEvents(db, period),
      tickets: (period) => listReportTickets(db, period),
      dueTimers: (period, now) => listDueTimers(db, period, now),
    },
    slackDeliveries: {
      claim: (id, at) => claimSlackDelivery(db, id, at),
      has: (id) => hasSlackDelivery(db, id),
      prune: (before) => pruneSlackDeliveries(db, before),
    },
    conversations: conversationRepository(db, root),
    heldRequests: heldRequestRepository(db),
    reminders: {
      claimDue: (now, limit) => claimDueNeedsInfoReminders(tx, now, limit),
      clear: (ticketId) => clearNeedsInfoReminder(tx, ticketId),
      nextAt: () => nextNeedsInfoReminderAt(db),
    },
  };
}
