// The engineer use cases over the store, on PGlite and PostgreSQL: each change commits its event, SLA clock change
// and outbox rows together; closed tickets refuse changes; reads order by the nearest due time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as actions from '../../../src/app/engineer/index.ts';
import { closeTicket } from '../../../src/app/close-ticket.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { isDeskbotError } from '../../../src/errors.ts';
import type { Database } from '../../../src/store/database.ts';
import { backends } from '../../helpers/backends.ts';
import { createTestClock } from '../../channels/slack/harness.ts';
import { seedCustomer, seedTicket, type SeededCustomer } from '../../channels/slack/seed.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { storeAccess } from '../../../src/store/transactor.ts';

const policy = defaultPolicy();
const HOUR = 3_600_000;
const actor = { slackId: 'UENG00001', name: 'Eve Engineer' };

describe.each(backends)('engineer actions on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  let customer: SeededCustomer;
  const clock = createTestClock(new Date('2026-03-02T10:00:00Z'));
  let deps: actions.EngineerActionDeps;

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    customer = await seedCustomer(database.prisma);
    deps = {
      ...storeAccess(database, policy),
      policy,
      clock,
      config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' },
      renderer: createTemplateRenderer(),
    };
  });
  afterAll(async () => {
    if (backend.available) await opened.dispose();
  });

  const newTicket = (options: Partial<Parameters<typeof seedTicket>[2]> = {}) =>
    seedTicket(database.prisma, policy, { customer, openedAt: clock.now(), ...options });
  const outboxKinds = async (ticketId: number) =>
    (await database.prisma.outbox.findMany({ where: { ticketId }, orderBy: { id: 'asc' } })).map((row) => `${row.channel}:${row.kind}`);

  it.skipIf(!backend.available)('assign records the change once and queues its thread post', async () => {
    const ticket = await newTicket();
    const first = await actions.assign(deps, { requestId: ticket.requestId, assignee: 'UOTHER001', actor });
    expect(first).toMatchObject({ changed: true, previous: null });
    const again = await actions.assign(deps, { requestId: ticket.requestId, assignee: 'UOTHER001', actor });
    expect(again).toMatchObject({ changed: false, eventId: null });
    expect(await outboxKinds(ticket.id)).toEqual(['slack:ticket-event']);
    const row = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(row.payload).toEqual({ ticketId: ticket.id, eventId: Number(first.eventId) });
  });

  it.skipIf(!backend.available)('accepts request IDs case-insensitively and names unknown ones', async () => {
    const ticket = await newTicket();
    await actions.assign(deps, { requestId: ticket.requestId.toLowerCase(), assignee: 'UOTHER001', actor });
    const error = await actions.assign(deps, { requestId: 'SR-2026-999999', assignee: 'U1', actor }).catch((caught: unknown) => caught);
    expect(isDeskbotError(error, 'NOT_FOUND')).toBe(true);
  });

  it.skipIf(!backend.available)('setSeverity retargets a running clock from when it started', async () => {
    const ticket = await newTicket({ severity: 3, openedAt: new Date(clock.now().getTime() - HOUR) });
    const result = await actions.setSeverity(deps, { requestId: ticket.requestId, severity: 5, actor });
    expect(result).toMatchObject({ changed: true, previous: 3, clockStarted: false });
    const timers = await database.prisma.slaTimer.findMany({ where: { ticketId: ticket.id }, orderBy: { target: 'asc' } });
    // Severity 5 has no resolution target: that timer goes; the others run 4 h from the original start.
    expect(timers.map((timer) => [timer.target, timer.dueAt!.getTime() - clock.now().getTime()])).toEqual([
      ['initial-response', 3 * HOUR],
      ['progress-update', 3 * HOUR],
    ]);
    const error = await actions.setSeverity(deps, { requestId: ticket.requestId, severity: 6, actor }).catch((caught: unknown) => caught);
    expect(isDeskbotError(error, 'INVALID_STATE')).toBe(true);
  });

  it.skipIf(!backend.available)('setSeverity starts the clock when severity was the last missing item, not before', async () => {
    const waitingForMore = await newTicket({ complete: false, missingInfo: ['severity', 'version'] });
    expect((await actions.setSeverity(deps, { requestId: waitingForMore.requestId, severity: 4, actor })).clockStarted).toBe(false);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: waitingForMore.id } })).toBe(0);
    const onlySeverity = await newTicket({ complete: false, missingInfo: ['severity'] });
    expect((await actions.setSeverity(deps, { requestId: onlySeverity.requestId, severity: 4, actor })).clockStarted).toBe(true);
    const row = await database.prisma.ticket.findUniqueOrThrow({ where: { id: onlySeverity.id } });
    expect(row).toMatchObject({ status: 'open', missingInfo: [], clockStartedAt: clock.now() });
    expect(await database.prisma.slaTimer.count({ where: { ticketId: onlySeverity.id } })).toBe(3);
  });

  it.skipIf(!backend.available)('setSeverity completing a request an engineer already answered starts the clock with the initial response met', async () => {
    const ticket = await newTicket({ complete: false, missingInfo: ['severity'] });
    expect((await actions.respond(deps, { requestId: ticket.requestId, text: 'How bad is it?', actor })).initialResponse).toBe(false);
    clock.advance(HOUR);
    expect((await actions.setSeverity(deps, { requestId: ticket.requestId, severity: 4, actor })).clockStarted).toBe(true);
    const timers = await database.prisma.slaTimer.findMany({ where: { ticketId: ticket.id }, orderBy: { target: 'asc' } });
    expect(timers.map((timer) => [timer.target, timer.metAt, timer.nextEventAt === null])).toEqual([
      ['initial-response', clock.now(), true],
      ['progress-update', null, false],
      ['resolution', null, false],
    ]);
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({ firstResponseAt: clock.now() });
  });

  it.skipIf(!backend.available)('waitOnCustomer pauses every running timer and resume gives back the time left', async () => {
    const ticket = await newTicket({ severity: 5 });
    clock.advance(HOUR);
    await actions.waitOnCustomer(deps, { requestId: ticket.requestId, actor });
    const paused = await database.prisma.slaTimer.findMany({ where: { ticketId: ticket.id } });
    expect(paused.every((timer) => Number(timer.remainingMs) === 3 * HOUR && timer.nextEventAt === null)).toBe(true);
    clock.advance(10 * HOUR);
    await actions.resume(deps, { requestId: ticket.requestId, actor });
    const resumed = await database.prisma.slaTimer.findMany({ where: { ticketId: ticket.id } });
    expect(resumed.every((timer) => timer.remainingMs === null && timer.dueAt!.getTime() === clock.now().getTime() + 3 * HOUR)).toBe(true);
    expect((await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
  });

  it.skipIf(!backend.available)('respond while waiting keeps the new progress-update cycle paused', async () => {
    const ticket = await newTicket({ severity: 5 });
    await actions.waitOnCustomer(deps, { requestId: ticket.requestId, actor });
    const pausedAt = (await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).pausedAt;
    clock.advance(HOUR);
    const result = await actions.respond(deps, { requestId: ticket.requestId, text: 'We are still looking.', actor });
    expect(result.initialResponse).toBe(true);
    const running = await database.prisma.slaTimer.count({ where: { ticketId: ticket.id, metAt: null, remainingMs: null } });
    expect(running).toBe(0);
    const row = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ status: 'waiting', pausedAt });
  });

  it.skipIf(!backend.available)('respond queues one e-mail with the engineer-reply template and its MessageRef', async () => {
    const ticket = await newTicket({ rootMessageId: '<root@acme.example>', subject: 'Re: [SR-2026-000999] crash' });
    const result = await actions.respond(deps, { requestId: ticket.requestId, text: 'Fixed in 4.2.1.', actor, idempotencyKey: 'k1' });
    const repeat = await actions.respond(deps, { requestId: ticket.requestId, text: 'Fixed in 4.2.1.', actor, idempotencyKey: 'k1' });
    expect(repeat).toMatchObject({ changed: false, messageId: result.messageId });
    expect(await outboxKinds(ticket.id)).toEqual(['email:engineer-reply', 'slack:ticket-event']);
    const mail = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: ticket.id, channel: 'email' } });
    expect(mail.payload).toMatchObject({
      subject: `Re: crash [${ticket.requestId}]`,
      inReplyTo: '<root@acme.example>',
      references: ['<root@acme.example>'],
      autoSubmitted: 'no',
      messageId: result.messageId,
    });
    expect(await database.prisma.messageRef.count({ where: { ticketId: ticket.id, direction: 'out' } })).toBe(1);
    const empty = await actions.respond(deps, { requestId: ticket.requestId, text: '  \n ', actor }).catch((caught: unknown) => caught);
    expect(isDeskbotError(empty, 'INVALID_STATE')).toBe(true);
  });

  it.skipIf(!backend.available)('refuses changes to a closed ticket until it is reopened; reopen keeps the charge', async () => {
    const ticket = await newTicket();
    await database.prisma.ticket.update({
      where: { id: ticket.id },
      data: { status: 'closed', closedAt: clock.now(), outcome: 'resolved', closedBy: actor.slackId },
    });
    await database.prisma.charge.create({ data: { ticketId: ticket.id, amountMinor: 8000, currency: 'USD', reason: 'resolved', decidedAt: clock.now() } });
    for (const attempt of [
      () => actions.assign(deps, { requestId: ticket.requestId, assignee: 'U1', actor }),
      () => actions.waitOnCustomer(deps, { requestId: ticket.requestId, actor }),
      () => actions.respond(deps, { requestId: ticket.requestId, text: 'hi', actor }),
      () => actions.split(deps, { requestId: ticket.requestId, actor }),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(isDeskbotError(error, 'INVALID_STATE')).toBe(true);
    }
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(0);
    expect((await actions.reopen(deps, { requestId: ticket.requestId, actor })).changed).toBe(true);
    const row = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ status: 'open', closedAt: null, outcome: null });
    expect(await database.prisma.charge.count({ where: { ticketId: ticket.id } })).toBe(1);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: ticket.id, cycle: 2, metAt: null } })).toBe(2);
  });

  it.skipIf(!backend.available)('split makes a linked incident with a new request ID, a fresh price and its own clock', async () => {
    const ticket = await newTicket({ currency: 'USD', priceMinor: 7000, assigneeSlackId: 'UOTHER001' });
    clock.advance(HOUR);
    const result = await actions.split(deps, { requestId: ticket.requestId, actor });
    expect(result.newRequestId).toMatch(/^SR-2026-\d{6}$/);
    expect(result.newRequestId).not.toBe(ticket.requestId);
    const split = await database.prisma.ticket.findUniqueOrThrow({ where: { id: result.newTicketId } });
    expect(split).toMatchObject({
      splitFromId: ticket.id,
      customerId: customer.id,
      licenceId: customer.licenceId,
      requesterEmail: 'jane@acme.example',
      priceMinor: 8000,
      priceCurrency: 'USD',
      status: 'open',
      openedAt: clock.now(),
      clockStartedAt: clock.now(),
      assigneeSlackId: 'UOTHER001',
    });
    expect(split.subject).toContain(`(split from ${ticket.requestId})`);
    expect((await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id } })).detail).toMatchObject({
      newRequestId: result.newRequestId,
    });
    expect((await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: split.id } })).detail).toMatchObject({ fromRequestId: ticket.requestId });
    expect(await outboxKinds(split.id)).toEqual(['slack:ticket-opened', 'email:split-notice']);
    const notice = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: split.id, kind: 'split-notice' } });
    expect(notice.idempotencyKey).toBe(`split-notice:${result.newRequestId}`);
    const mail = notice.payload as { to: Array<{ address: string }>; subject: string; text: string; messageId: string; requestId: string };
    expect(mail.to.map((to) => to.address)).toEqual(['jane@acme.example']);
    expect(mail.requestId).toBe(result.newRequestId);
    expect(mail.subject).toContain(`[${result.newRequestId}]`);
    expect(mail.text).toContain(`separate incident, with a service request of its own: ${result.newRequestId}`);
    expect(mail.text).toContain(`Your service request ${ticket.requestId}`);
    expect(mail.text).toMatch(/Initial response by .+\n- Progress updates every/);
    // The fee told at open, as the acknowledgement of a new request tells it.
    expect(result.fee).toMatchObject({ chargeable: true, amountMinor: 8000, currency: 'USD' });
    expect(mail.text).toMatch(/Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded, charged when the incident is closed\./);
    // A reply to the notice threads to the new ticket.
    expect(await database.prisma.messageRef.findUnique({ where: { messageId: mail.messageId } })).toMatchObject({ ticketId: split.id, direction: 'out' });
  });

  it.skipIf(!backend.available)('split tells the fee-at-open decision of the new incident: free for a partner, a trial, the installation period', async () => {
    const free = await seedCustomer(database.prisma, { key: 'globex', name: 'Globex Ltd', callers: [{ email: 'ann@globex.example', name: 'Ann Globex' }] });
    const opened = (options: Partial<Parameters<typeof seedTicket>[2]> = {}) =>
      seedTicket(database.prisma, policy, { customer: free, requesterEmail: 'ann@globex.example', openedAt: clock.now(), ...options });
    const splitOff = async (ticket: { requestId: string }) => {
      const result = await actions.split(deps, { requestId: ticket.requestId, actor });
      const notice = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: result.newTicketId, kind: 'split-notice' } });
      return { fee: result.fee, text: (notice.payload as { text: string }).text };
    };
    try {
      // A partner's own ticket (requester kind partner).
      const partnerTicket = await opened();
      await database.prisma.ticket.update({ where: { id: partnerTicket.id }, data: { requesterKind: 'partner' } });
      const byPartner = await splitOff(partnerTicket);
      expect(byPartner.fee).toEqual({ chargeable: false, reason: 'partner', until: null });
      expect(byPartner.text).toContain('Fee: no fee applies to this incident: technical support is free for our partners.');
      expect(byPartner.text).not.toContain('chargeable at');
      // A directory partner customer.
      await database.prisma.customer.update({ where: { id: free.id }, data: { isPartner: true } });
      expect((await splitOff(await opened())).fee).toEqual({ chargeable: false, reason: 'partner', until: null });
      await database.prisma.customer.update({ where: { id: free.id }, data: { isPartner: false } });
      // A trial licence: free until its last day.
      await database.prisma.licence.update({ where: { id: free.licenceId }, data: { type: 'trial', trialEndsOn: new Date('2026-04-30T00:00:00Z') } });
      const trial = await splitOff(await opened());
      expect(trial.fee).toEqual({ chargeable: false, reason: 'trial-licence', until: '2026-04-30' });
      expect(trial.text).toContain('support is free for your registered trial licence, until 30 Apr 2026.');
      // A commercial licence registered 10 days before the split: the installation period (measured at the split).
      await database.prisma.licence.update({
        where: { id: free.licenceId },
        data: { type: 'commercial', trialEndsOn: null, registeredOn: new Date('2026-02-20T00:00:00Z') },
      });
      const installation = await splitOff(await opened());
      expect(installation.fee).toMatchObject({ chargeable: false, reason: 'installation-period' });
      expect(installation.text).toMatch(/the request falls within the installation period of your licence, free until 20 May 2026\./);
    } finally {
      await database.prisma.customer.update({ where: { id: free.id }, data: { isPartner: false } });
    }
  });

  it.skipIf(!backend.available)('split keeps a wait for the terms agreement and a pre-sales mark: the new incident is not charged behind them', async () => {
    const waiting = await newTicket({ currency: 'USD', priceMinor: 8000 });
    await database.prisma.ticket.update({ where: { id: waiting.id }, data: { awaitingAgreement: true, status: 'new', clockStartedAt: null } });
    const fromWaiting = await actions.split(deps, { requestId: waiting.requestId, actor });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: fromWaiting.newTicketId } })).toMatchObject({
      awaitingAgreement: true,
      status: 'new',
      clockStartedAt: null,
    });
    const closed = await closeTicket(
      { ...deps, logger: createSilentLogger() },
      { requestId: fromWaiting.newRequestId, actor: actor.slackId, outcome: 'resolved' },
    );
    expect(closed).toMatchObject({ chargeable: false, chargeReason: 'terms-not-agreed' });

    const preSales = await newTicket({ currency: 'USD', priceMinor: 8000 });
    await database.prisma.ticket.update({ where: { id: preSales.id }, data: { preSales: true } });
    const fromPreSales = await actions.split(deps, { requestId: preSales.requestId, actor });
    expect(fromPreSales.fee).toEqual({ chargeable: false, reason: 'pre-sales', until: null });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: fromPreSales.newTicketId } })).toMatchObject({
      preSales: true,
      awaitingAgreement: false,
    });
  });

  it.skipIf(!backend.available)('split of an incomplete request: the notice gives the targets without due times, and the reminder date is set', async () => {
    const ticket = await newTicket();
    await database.prisma.ticket.update({ where: { id: ticket.id }, data: { status: 'new', clockStartedAt: null, missingInfo: ['version'] } });
    const result = await actions.split(deps, { requestId: ticket.requestId, subject: 'Second problem: printing', actor });
    const split = await database.prisma.ticket.findUniqueOrThrow({ where: { id: result.newTicketId } });
    expect(split).toMatchObject({ status: 'new', clockStartedAt: null, subject: 'Second problem: printing' });
    expect(split.needsInfoRemindAt?.getTime()).toBeGreaterThan(clock.now().getTime());
    const notice = await database.prisma.outbox.findFirstOrThrow({ where: { ticketId: split.id, kind: 'split-notice' } });
    const text = (notice.payload as { text: string }).text;
    expect(text).toContain('They start once the request is complete.');
    expect(text).toContain('Second problem: printing');
    expect(text).not.toContain('Initial response by');
  });

  it.skipIf(!backend.available)('list filters and orders by the nearest due time; show and callers read', async () => {
    const listed = await actions.list(deps, { filter: 'breaching', actor, limit: 100 });
    const urgent = await newTicket({ severity: 5, openedAt: new Date(clock.now().getTime() - 3.5 * HOUR), assigneeSlackId: 'UFILTER01' });
    const calm = await newTicket({ severity: 2, assigneeSlackId: 'UFILTER01' });
    const mine = await actions.list(deps, { filter: 'mine', actor: { slackId: 'UFILTER01' } });
    expect(mine.tickets.map((ticket) => ticket.requestId)).toEqual([urgent.requestId, calm.requestId]);
    expect(mine.tickets[0]).toMatchObject({ warned: true, breached: false, nextTarget: 'initial-response' });
    const breaching = await actions.list(deps, { filter: 'breaching', actor, limit: 100 });
    expect(breaching.total).toBe(listed.total + 1);
    const details = await actions.show(deps, { requestId: urgent.requestId });
    expect(details.card.customer?.name).toBe('Acme Corp');
    expect(details.card.slaTimers.length).toBe(2);
    const found = await actions.callers(deps, { customer: 'ACME' });
    expect(found[0]!.callers.map((caller) => caller.email)).toEqual(['bob@acme.example', 'jane@acme.example']);
    expect(await actions.callers(deps, { customer: 'corp' })).toHaveLength(1);
  });
});
