// The SLA sweeper fires each warning and breach once, at the right instant, on PGlite and PostgreSQL: business
// calendars with holidays and DST, pauses, progress-update cycles, closed tickets, and two sweepers racing.
// Expected instants are worked out by hand in each test (support hours counted day by day in the calendar's zone)
// and written as UTC literals, so a change in the calendar arithmetic shows up here as a wrong instant.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listBreaches } from '../../src/app/sla-breaches.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSlaSweeper, type SlaSweeper } from '../../src/jobs/sla-sweeper.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { createSlaTimers } from '../../src/store/sla-timers.ts';
import { backends } from '../helpers/backends.ts';
import { HOUR, MINUTE, manualClock, seedTicket, ticketClock, type ManualClock } from '../helpers/sla-fixtures.ts';
import { metrics } from '../../src/metrics.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { storeAccess } from '../../src/store/transactor.ts';

const logger = createSilentLogger();
const policy = defaultPolicy();
const slaTimers = createSlaTimers(policy);
const renderer = createTemplateRenderer();
const config = {
  SLA_SWEEP_INTERVAL_MS: 15_000,
  MANAGER_EMAILS: ['boss@vendor.example', 'lead@vendor.example'],
  SUPPORT_ADDRESS: 'support@vendor.example',
  SUPPORT_NAME: 'Vendor Support',
  LOCALE: 'en',
};

describe.each(backends)('SLA sweeper on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let url: string | undefined;
  let clock: ManualClock;
  let sweeper: SlaSweeper;

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
    url = opened.url;
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });
  beforeEach(async () => {
    if (!backend.available) return;
    await database.prisma.$executeRawUnsafe('TRUNCATE "Ticket", "Customer", "Partner", "Outbox" RESTART IDENTITY CASCADE');
    clock = manualClock('2026-01-01T00:00:00Z');
    sweeper = createSlaSweeper({ ...storeAccess(database, policy), policy, clock, logger, config, renderer });
  });

  const test = it.skipIf(!backend.available);

  /** Outbox rows of a kind, as `<idempotencyKey>` strings. */
  async function keys(kind: string): Promise<string[]> {
    const rows = await database.prisma.outbox.findMany({ where: { kind }, orderBy: { id: 'asc' } });
    return rows.map((row) => row.idempotencyKey);
  }

  async function timerId(ticketId: number, target: string, cycle = 1): Promise<number> {
    return (await database.prisma.slaTimer.findUniqueOrThrow({ where: { ticketId_target_cycle: { ticketId, target, cycle } } })).id;
  }

  /** The queued managers' mail with this idempotency key, checked to be an automatic mail to MANAGER_EMAILS. */
  async function managersMail(idempotencyKey: string) {
    const row = await database.prisma.outbox.findFirstOrThrow({ where: { idempotencyKey } });
    const mail = row.payload as { to: Array<{ address: string }>; subject: string; text: string; autoSubmitted: string };
    expect(row.channel).toBe('email');
    expect(mail.to.map((to) => to.address)).toEqual(config.MANAGER_EMAILS);
    expect(mail.autoSubmitted).toBe('auto-generated');
    return mail;
  }

  /** Sweeps at `at` and returns what fired. */
  async function sweepAt(at: string) {
    clock.set(at);
    return sweeper.sweep();
  }

  test('US Major across Thanksgiving: warnings and breaches at the hand-computed instants, once each', async () => {
    // Severity 4 Major, Normal, US (America/New_York, Mon-Fri 09:00-18:00 EST = 14:00-23:00Z), clock starts
    // Wed 2026-11-25 15:00 EST (20:00Z); Thu 11-26 is Thanksgiving (closed); Fri 11-27 is open.
    // Initial response 8 h: Wed 15-18 = 3 h, Fri 09:00 + 5 h = Fri 14:00 EST = 2026-11-27T19:00Z.
    //   Warning at 75% = 6 h: Wed 3 h + Fri 3 h = Fri 12:00 EST = 17:00Z.
    // Progress update 2 d = 18 h: Wed 3 + Fri 9 = 12, Mon 11-30 + 6 h = 15:00 EST = 2026-11-30T20:00Z.
    //   Warning 13.5 h: Wed 3 + Fri 9 + Mon 1.5 h = Mon 10:30 EST = 15:30Z.
    const ticketId = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000001',
      severity: 4,
      openedAt: '2026-11-25T20:00:00Z',
      assigneeSlackId: 'U_ENG',
    });
    const initial = await timerId(ticketId, 'initial-response');
    const progress = await timerId(ticketId, 'progress-update');

    expect(await sweepAt('2026-11-27T16:59:59.999Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-27T17:00:00.000Z')).toMatchObject({ warnings: 1, breaches: 0 });
    expect(await keys('sla-warning')).toEqual([`sla-warning:${initial}`]);
    expect(await sweepAt('2026-11-27T18:59:59.999Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-27T19:00:00.000Z')).toMatchObject({ warnings: 0, breaches: 1 });
    expect(await sweepAt('2026-11-30T15:29:59.999Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-30T15:30:00.000Z')).toMatchObject({ warnings: 1, breaches: 0 });
    expect(await sweepAt('2026-11-30T20:00:00.000Z')).toMatchObject({ warnings: 0, breaches: 1 });
    // A second sweep at the same instant finds nothing: one warning and one breach per target and cycle.
    expect(await sweepAt('2026-11-30T20:00:00.000Z')).toMatchObject({ warnings: 0, breaches: 0 });

    expect(await keys('sla-warning')).toEqual([`sla-warning:${initial}`, `sla-warning:${progress}`]);
    expect(await keys('sla-breach')).toEqual([`sla-breach:${initial}`, `sla-breach:${progress}`]);
    expect(await keys('sla-escalation')).toEqual([`sla-escalation:${initial}`, `sla-escalation:${progress}`]);
    // The managers are mailed before the breach too (mission: pinged before and at an SLA breach).
    expect(await keys('sla-at-risk')).toEqual([`sla-at-risk:${initial}`, `sla-at-risk:${progress}`]);
    const atRiskMail = await managersMail(`sla-at-risk:${initial}`);
    // Warned Fri 12:00 EST, due Fri 14:00 EST: two wall-clock hours left.
    expect(atRiskMail.subject).toBe('SLA at risk: Initial response due in 2 h, severity 4 (Major) [SR-2026-000001]');
    expect(atRiskMail.text).toContain('Customer:  Acme Corp');
    expect(atRiskMail.text).toContain('Target:    Initial response, due Fri 27 Nov 2026, 14:00 EST');
    expect(atRiskMail.text).toContain('Assignee:  U_ENG');

    const warning = await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'sla-warning' } });
    expect(warning).toMatchObject({ channel: 'slack', status: 'pending', ticketId });
    expect(warning.payload).toEqual({
      ticketId,
      requestId: 'SR-2026-000001',
      target: 'initial-response',
      dueAt: '2026-11-27T19:00:00.000Z',
      assigneeSlackId: 'U_ENG',
    });
    const breach = await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'sla-breach' } });
    expect(breach.payload).toEqual({
      ticketId,
      requestId: 'SR-2026-000001',
      customer: 'Acme Corp',
      severity: 4,
      target: 'initial-response',
      dueAt: '2026-11-27T19:00:00.000Z',
      lateByMs: 0,
      assigneeSlackId: 'U_ENG',
    });
    const payload = await managersMail(`sla-escalation:${initial}`);
    expect(payload.subject).toContain('SR-2026-000001');
    expect(payload.text).toContain('Acme Corp');
    expect(payload.text).toContain('Initial response');
    expect(payload.text).toContain('Fri 27 Nov 2026, 14:00 EST');
    expect(payload.text).toContain('U_ENG');

    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
    expect(ticket).toMatchObject({ breached: true, needsPostMortem: true });
    expect(await database.prisma.ticketEvent.count({ where: { ticketId, type: 'sla-breach' } })).toBe(2);
    expect(await database.prisma.ticketEvent.count({ where: { ticketId, type: 'sla-warning' } })).toBe(2);
    const breachMetric = await metrics.slaBreaches.get();
    expect(breachMetric.values.find((value) => value.labels.target === 'progress-update')?.value).toBeGreaterThanOrEqual(1);

    const breaches = await listBreaches(storeAccess(database, policy), { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') });
    expect(breaches).toEqual([
      {
        requestId: 'SR-2026-000001',
        customer: 'Acme Corp',
        severity: 4,
        target: 'initial-response',
        dueAt: new Date('2026-11-27T19:00:00Z'),
        breachedAt: new Date('2026-11-27T19:00:00Z'),
        assigneeSlackId: 'U_ENG',
        postMortemNeeded: true,
      },
      {
        requestId: 'SR-2026-000001',
        customer: 'Acme Corp',
        severity: 4,
        target: 'progress-update',
        dueAt: new Date('2026-11-30T20:00:00Z'),
        breachedAt: new Date('2026-11-30T20:00:00Z'),
        assigneeSlackId: 'U_ENG',
        postMortemNeeded: true,
      },
    ]);
  });

  test('EMEA Minor across the end of summer time: the warning lands on CET, not CEST', async () => {
    // Severity 3 Minor, EMEA (Europe/Stockholm, 09:00-18:00). Clock starts Fri 2026-10-23 13:00 CEST (11:00Z);
    // summer time ends Sun 10-25, so Monday is UTC+1. Initial response 2 d = 18 h: Fri 13-18 = 5 h, Mon 9 h = 14 h,
    // Tue 09:00 + 4 h = 13:00 CET = 2026-10-27T12:00Z. Warning 13.5 h: Fri 5 h + Mon 8.5 h = Mon 17:30 CET = 16:30Z
    // (with the summer offset it would wrongly be 15:30Z).
    const ticketId = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000002',
      customer: { key: 'nordic', name: 'Nordic AB', calendar: 'EMEA' },
      severity: 3,
      openedAt: '2026-10-23T11:00:00Z',
    });
    const initial = await timerId(ticketId, 'initial-response');
    expect(await sweepAt('2026-10-26T15:30:00Z')).toMatchObject({ warnings: 0 });
    expect(await sweepAt('2026-10-26T16:29:59.999Z')).toMatchObject({ warnings: 0 });
    expect(await sweepAt('2026-10-26T16:30:00Z')).toMatchObject({ warnings: 1, breaches: 0 });
    expect(await keys('sla-warning')).toEqual([`sla-warning:${initial}`]);
    expect(await sweepAt('2026-10-27T11:59:59.999Z')).toMatchObject({ breaches: 0 });
    expect(await sweepAt('2026-10-27T12:00:00Z')).toMatchObject({ breaches: 1 });
    expect(await keys('sla-breach')).toEqual([`sla-breach:${initial}`]);
  });

  test('EMEA Critical over Christmas: Christmas Eve, Christmas Day and the weekend are closed', async () => {
    // Severity 5 Critical, 4 h. Clock starts Wed 2026-12-23 16:00 CET (15:00Z): Wed 16-18 = 2 h; Dec 24 (Christmas
    // Eve), Dec 25 (Christmas Day) closed, Dec 26-27 weekend; Mon 12-28 09:00 + 2 h = 11:00 CET = 10:00Z.
    // Warning at 3 h: Mon 10:00 CET = 09:00Z. Both initial response and progress update are 4 h.
    await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000003',
      customer: { key: 'nordic', name: 'Nordic AB', calendar: 'EMEA' },
      severity: 5,
      openedAt: '2026-12-23T15:00:00Z',
    });
    expect(await sweepAt('2026-12-24T12:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-12-28T08:59:59.999Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-12-28T09:00:00Z')).toMatchObject({ warnings: 2, breaches: 0 });
    expect(await sweepAt('2026-12-28T10:00:00Z')).toMatchObject({ warnings: 0, breaches: 2 });
  });

  test('24x7 (Support Plus Critical): wall-clock hours through the weekend', async () => {
    // Support Plus runs severity 5 on 24x7: clock starts Sat 2026-11-28 22:00Z; warning +3 h = Sun 01:00Z,
    // breach +4 h = Sun 02:00Z.
    await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000004',
      customer: { key: 'plus', name: 'Plus Ltd', calendar: 'US', supportLevel: 'plus' },
      severity: 5,
      openedAt: '2026-11-28T22:00:00Z',
    });
    expect(await sweepAt('2026-11-29T00:59:59.999Z')).toMatchObject({ warnings: 0 });
    expect(await sweepAt('2026-11-29T01:00:00Z')).toMatchObject({ warnings: 2 });
    expect(await sweepAt('2026-11-29T01:59:59.999Z')).toMatchObject({ breaches: 0 });
    expect(await sweepAt('2026-11-29T02:00:00Z')).toMatchObject({ breaches: 2 });
  });

  test('a sweep after the due instant sends the breach only, with how late it is', async () => {
    await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000005',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    // Due at 04:00Z; the sweeper was down until 04:25Z.
    expect(await sweepAt('2026-11-02T04:25:00Z')).toMatchObject({ warnings: 0, breaches: 2 });
    expect(await keys('sla-warning')).toEqual([]);
    const breach = await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'sla-breach' } });
    expect((breach.payload as { lateByMs: number }).lateByMs).toBe(25 * MINUTE);
    const mail = await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'sla-escalation' } });
    expect((mail.payload as { text: string }).text).toContain('25 min');
    expect(await sweepAt('2026-11-02T05:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
  });

  test('waiting on the customer stops the clock; after resume the due time moved by the paused support time', async () => {
    // US Critical, clock starts Mon 2026-11-30 09:00 EST (14:00Z): warning 12:00 EST, due 13:00 EST.
    // Paused Mon 10:00 EST (1 h used, 3 h left), resumed Tue 10:00 EST (15:00Z). Paused support time = Mon 10-18 (8 h)
    // + Tue 09-10 (1 h) = 9 h. New due = Tue 10:00 + 3 h = 13:00 EST = 18:00Z = the old due moved by 9 support hours
    // (Mon 13-18 = 5 h, Tue 09-13 = 4 h). Warning 1 h before: Tue 12:00 EST = 17:00Z.
    const ticketId = await seedTicket(database.prisma, policy, { requestId: 'SR-2026-000006', severity: 5, openedAt: '2026-11-30T14:00:00Z' });
    const clockTicket = await ticketClock(database.prisma, ticketId);
    clock.set('2026-11-30T15:00:00Z');
    await database.prisma.$transaction(async (tx) => {
      await slaTimers.pause(tx, clockTicket, clock.now());
      await tx.ticket.update({ where: { id: ticketId }, data: { status: 'waiting' } });
    });
    expect(await sweepAt('2026-11-30T17:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-30T18:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-12-01T14:59:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    clock.set('2026-12-01T15:00:00Z');
    await database.prisma.$transaction(async (tx) => {
      await slaTimers.resume(tx, clockTicket, clock.now());
      await tx.ticket.update({ where: { id: ticketId }, data: { status: 'open' } });
    });
    const initial = await database.prisma.slaTimer.findUniqueOrThrow({ where: { ticketId_target_cycle: { ticketId, target: 'initial-response', cycle: 1 } } });
    expect(initial.dueAt).toEqual(new Date('2026-12-01T18:00:00Z'));
    expect(await sweepAt('2026-12-01T16:59:59.999Z')).toMatchObject({ warnings: 0 });
    expect(await sweepAt('2026-12-01T17:00:00Z')).toMatchObject({ warnings: 2 });
    expect(await sweepAt('2026-12-01T17:59:59.999Z')).toMatchObject({ breaches: 0 });
    expect(await sweepAt('2026-12-01T18:00:00Z')).toMatchObject({ breaches: 2 });
  });

  test('a waiting ticket whose timers still run is guarded: no notice, the timer is paused', async () => {
    const ticketId = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000007',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    // Status changed without pausing the timers (a bug elsewhere): the sweeper must not ping anyway.
    await database.prisma.ticket.update({ where: { id: ticketId }, data: { status: 'waiting', pausedAt: new Date('2026-11-02T01:00:00Z') } });
    expect(await sweepAt('2026-11-02T05:00:00Z')).toMatchObject({ warnings: 0, breaches: 0, repaired: 2 });
    expect(await database.prisma.outbox.count()).toBe(0);
    const timers = await database.prisma.slaTimer.findMany({ where: { ticketId } });
    // Paused at 01:00 with 3 h of the 4 h left.
    expect(timers.map((timer) => [timer.nextEventAt, Number(timer.remainingMs)])).toEqual([
      [null, 3 * HOUR],
      [null, 3 * HOUR],
    ]);
  });

  test('a closed ticket never warns: its timers are stopped', async () => {
    const ticketId = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000008',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    await database.prisma.$transaction(async (tx) => {
      await slaTimers.stop(tx, ticketId, new Date('2026-11-02T01:00:00Z'));
      await tx.ticket.update({ where: { id: ticketId }, data: { status: 'closed', closedAt: new Date('2026-11-02T01:00:00Z') } });
    });
    expect(await sweepAt('2026-11-02T05:00:00Z')).toMatchObject({ warnings: 0, breaches: 0, repaired: 0 });
    // And the guard, for a closed ticket whose timers were left running.
    const other = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000009',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    await database.prisma.ticket.update({ where: { id: other }, data: { status: 'closed', closedAt: new Date('2026-11-02T02:00:00Z') } });
    expect(await sweepAt('2026-11-02T06:00:00Z')).toMatchObject({ warnings: 0, breaches: 0, repaired: 2 });
    expect(await database.prisma.outbox.count()).toBe(0);
    expect(await database.prisma.slaTimer.count({ where: { ticketId: other, metAt: new Date('2026-11-02T02:00:00Z') } })).toBe(2);
  });

  test('the progress-update target restarts after each engineer update', async () => {
    // 24x7 Critical: progress update every 4 h, warning after 3 h. Clock starts 2026-11-02 00:00Z.
    const ticketId = await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000010',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    const clockTicket = await ticketClock(database.prisma, ticketId);
    const update = async (at: string) => {
      clock.set(at);
      await database.prisma.$transaction((tx) => slaTimers.recordEngineerUpdate(tx, clockTicket, clock.now()));
    };
    // First engineer answer at 02:00: initial response met, cycle 2 runs 02:00 -> warn 05:00, due 06:00.
    await update('2026-11-02T02:00:00Z');
    expect(await sweepAt('2026-11-02T03:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-02T04:59:59.999Z')).toMatchObject({ warnings: 0 });
    expect(await sweepAt('2026-11-02T05:00:00Z')).toMatchObject({ warnings: 1 });
    // Update at 05:30: cycle 3 runs 05:30 -> warn 08:30, due 09:30; cycle 2 never breaches.
    await update('2026-11-02T05:30:00Z');
    expect(await sweepAt('2026-11-02T06:00:00Z')).toMatchObject({ warnings: 0, breaches: 0 });
    expect(await sweepAt('2026-11-02T08:30:00Z')).toMatchObject({ warnings: 1, breaches: 0 });
    expect(await sweepAt('2026-11-02T09:30:00Z')).toMatchObject({ warnings: 0, breaches: 1 });
    const cycle2 = await timerId(ticketId, 'progress-update', 2);
    const cycle3 = await timerId(ticketId, 'progress-update', 3);
    expect(await keys('sla-warning')).toEqual([`sla-warning:${cycle2}`, `sla-warning:${cycle3}`]);
    expect(await keys('sla-breach')).toEqual([`sla-breach:${cycle3}`]);
    expect((await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'sla-breach' } })).payload).toMatchObject({
      target: 'progress-update',
      dueAt: '2026-11-02T09:30:00.000Z',
    });
  });

  test('the next event is reported for scheduling, and no e-mail goes out without MANAGER_EMAILS', async () => {
    sweeper = createSlaSweeper({ ...storeAccess(database, policy), policy, clock, logger, renderer, config: { ...config, MANAGER_EMAILS: [] } });
    await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000011',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    expect(await sweepAt('2026-11-02T00:00:00Z')).toEqual({
      warnings: 0,
      breaches: 0,
      repaired: 0,
      reminders: 0,
      nextEventAt: new Date('2026-11-02T03:00:00Z'),
    });
    expect(await sweepAt('2026-11-02T04:00:00Z')).toMatchObject({ breaches: 2, nextEventAt: null });
    expect(await keys('sla-escalation')).toEqual([]);
    expect(await keys('sla-at-risk')).toEqual([]);
    // Initial response and first progress update (4 h each) fall due together: both breach, one ping says it.
    expect(await keys('sla-breach')).toHaveLength(1);
    expect(await database.prisma.ticketEvent.count({ where: { type: 'sla-breach' } })).toBe(2);
  });

  test('the running service sweeps on its own and stops cleanly', async () => {
    await seedTicket(database.prisma, policy, {
      requestId: 'SR-2026-000012',
      calendar: '24x7',
      customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
      severity: 5,
      openedAt: '2026-11-02T00:00:00Z',
    });
    clock.set('2026-11-02T05:00:00Z');
    const service = createSlaSweeper({ ...storeAccess(database, policy), policy, clock, logger, renderer, config: { ...config, SLA_SWEEP_INTERVAL_MS: 50 } });
    await service.start();
    try {
      await expect.poll(() => database.prisma.ticketEvent.count({ where: { type: 'sla-breach' } }), { timeout: 10_000 }).toBe(2);
      expect(await database.prisma.outbox.count({ where: { kind: 'sla-breach' } })).toBe(1);
    } finally {
      await service.stop();
    }
    expect(service.failures).toBe(0);
  });

  test('two sweepers racing over 200 due timers fire every event exactly once', async () => {
    // 100 tickets x 2 timers (initial response, progress update) on 24x7, all due at 04:00Z. On PostgreSQL the second
    // sweeper has its own connection pool, like a second deskbot process; on PGlite both share the one process.
    for (let index = 1; index <= 100; index += 1) {
      await seedTicket(database.prisma, policy, {
        requestId: `SR-2026-${String(100 + index).padStart(6, '0')}`,
        calendar: '24x7',
        customer: { key: 'ops', name: 'Ops Inc', calendar: '24x7' },
        severity: 5,
        openedAt: '2026-11-02T00:00:00Z',
      });
    }
    const second: Database = url ? await openDatabase({ databaseUrl: url, logger }) : database;
    try {
      const sweepers = [database, second].map((db) => createSlaSweeper({ ...storeAccess(db, policy), policy, clock, logger, config, renderer, batchSize: 15 }));
      clock.set('2026-11-02T03:30:00Z');
      const warnings = await Promise.all(sweepers.map((one) => one.sweep()));
      clock.set('2026-11-02T04:10:00Z');
      const breaches = await Promise.all([...sweepers, ...sweepers].map((one) => one.sweep()));
      expect(warnings.reduce((sum, result) => sum + result.warnings, 0)).toBe(200);
      expect(breaches.reduce((sum, result) => sum + result.breaches, 0)).toBe(200);
      if (url) expect(breaches.filter((result) => result.breaches > 0).length).toBeGreaterThan(1);
      // Events have no unique key, so these counts prove the claim itself, not just the outbox's idempotency keys.
      expect(await database.prisma.ticketEvent.count({ where: { type: 'sla-warning' } })).toBe(200);
      expect(await database.prisma.ticketEvent.count({ where: { type: 'sla-breach' } })).toBe(200);
      const perKind = await database.prisma.outbox.groupBy({ by: ['kind'], _count: { _all: true }, orderBy: { kind: 'asc' } });
      expect(perKind.map((row) => [row.kind, row._count._all])).toEqual([
        // One ping per ticket and moment: the first progress update falls due with the initial response.
        ['sla-at-risk', 100],
        ['sla-breach', 100],
        ['sla-escalation', 100],
        ['sla-warning', 100],
      ]);
    } finally {
      if (second !== database) await second.close();
    }
  }, 180_000);
});
