// The stored SLA clock: start, pause/resume, engineer updates, retargeting and reopening, on both back ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSlaTimers, nextEventAt } from '../../src/store/sla-timers.ts';
import { backends } from '../helpers/backends.ts';

const policy = defaultPolicy();
const slaTimers = createSlaTimers(policy);
const at = (iso: string) => new Date(iso);

describe('nextEventAt', () => {
  const base = { warnAt: at('2026-01-01T10:00:00Z'), dueAt: at('2026-01-01T12:00:00Z'), warnedAt: null, breachedAt: null, metAt: null, remainingMs: null };
  it.each([
    ['the warning first', base, base.warnAt],
    ['the breach once warned', { ...base, warnedAt: base.warnAt }, base.dueAt],
    ['nothing once breached', { ...base, warnedAt: base.warnAt, breachedAt: base.dueAt }, null],
    ['nothing once met', { ...base, metAt: base.warnAt }, null],
    ['nothing while paused', { ...base, remainingMs: 5n }, null],
  ])('looks at %s', (_label, timer, expected) => {
    expect(nextEventAt(timer)).toEqual(expected);
  });
});

describe.each(backends)('SLA timers on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let sequence = 0;
  beforeAll(async () => {
    if (backend.available) opened = await backend.open();
  });
  afterAll(async () => opened?.dispose());

  async function newTicket(severity: number, calendar = 'US', supportLevel = 'normal') {
    sequence += 1;
    return opened.database.prisma.ticket.create({
      data: {
        requestId: `SR-2026-${String(sequence).padStart(6, '0')}`,
        requesterKind: 'eligible-caller',
        requesterEmail: 'ops@acme.example',
        subject: 'x',
        severity,
        calendar,
        supportLevel,
        openedAt: at('2026-11-30T15:00:00Z'),
        priceMinor: 8000,
        priceCurrency: 'USD',
        status: 'open',
      },
    });
  }
  const timersOf = (ticketId: number) => opened.database.prisma.slaTimer.findMany({ where: { ticketId }, orderBy: [{ target: 'asc' }, { cycle: 'asc' }] });

  it.skipIf(!backend.available)('starts one timer per target with warnings at 75% (US severity 4, Monday 10:00 EST)', async () => {
    const ticket = await newTicket(4);
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-11-30T15:00:00Z')));
    const timers = await timersOf(ticket.id);
    // 8 h from Mon 10:00 -> Mon 18:00; 75% = 6 h -> Mon 16:00. 2d = 18 h -> Wed 10:00 (warn 13.5 h -> Tue 14:30).
    // 3d = 27 h -> Thu 10:00 (warn 20.25 h -> Wed 12:15).
    expect(timers.map((timer) => [timer.target, timer.warnAt?.toISOString(), timer.dueAt?.toISOString(), timer.nextEventAt?.toISOString()])).toEqual([
      ['initial-response', '2026-11-30T21:00:00.000Z', '2026-11-30T23:00:00.000Z', '2026-11-30T21:00:00.000Z'],
      ['progress-update', '2026-12-01T19:30:00.000Z', '2026-12-02T15:00:00.000Z', '2026-12-01T19:30:00.000Z'],
      ['resolution', '2026-12-02T17:15:00.000Z', '2026-12-03T15:00:00.000Z', '2026-12-02T17:15:00.000Z'],
    ]);
  });

  it.skipIf(!backend.available)('pausing keeps the remaining support time and resuming moves the due time by the pause', async () => {
    const ticket = await newTicket(5);
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-12-04T20:00:00Z'))); // Fri 15:00 EST
    // 4 h: Fri 15:00-18:00 = 3 h, Mon 09:00 + 1 h -> Mon 10:00. Pause Fri 17:00 (1 h used... 2 h left).
    await opened.database.prisma.$transaction((tx) => slaTimers.pause(tx, ticket, at('2026-12-04T22:00:00Z')));
    const paused = await timersOf(ticket.id);
    expect(paused.every((timer) => timer.nextEventAt === null)).toBe(true);
    expect(Number(paused.find((timer) => timer.target === 'initial-response')!.remainingMs)).toBe(2 * 3_600_000);
    // Resume Mon 10:00 EST with 2 h left -> due Mon 12:00 EST; warning at 75% of 4 h = 3 h used, i.e. 1 h left -> Mon 11:00.
    await opened.database.prisma.$transaction((tx) => slaTimers.resume(tx, ticket, at('2026-12-07T15:00:00Z')));
    const initial = (await timersOf(ticket.id)).find((timer) => timer.target === 'initial-response')!;
    expect(initial.dueAt?.toISOString()).toBe('2026-12-07T17:00:00.000Z');
    expect(initial.warnAt?.toISOString()).toBe('2026-12-07T16:00:00.000Z');
    expect(initial.remainingMs).toBeNull();
    expect(initial.nextEventAt?.toISOString()).toBe('2026-12-07T16:00:00.000Z');
    expect((await opened.database.prisma.ticket.findUnique({ where: { id: ticket.id } }))?.pausedAt).toBeNull();
  });

  it.skipIf(!backend.available)('an engineer update meets the initial response and restarts the progress-update cycle', async () => {
    const ticket = await newTicket(5);
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-11-30T15:00:00Z')));
    const first = await opened.database.prisma.$transaction((tx) => slaTimers.recordEngineerUpdate(tx, ticket, at('2026-11-30T16:00:00Z')));
    const second = await opened.database.prisma.$transaction((tx) => slaTimers.recordEngineerUpdate(tx, ticket, at('2026-11-30T18:00:00Z')));
    expect([first.initialResponse, second.initialResponse]).toEqual([true, false]);
    const timers = await timersOf(ticket.id);
    expect(timers.map((timer) => [timer.target, timer.cycle, timer.metAt?.toISOString() ?? null])).toEqual([
      ['initial-response', 1, '2026-11-30T16:00:00.000Z'],
      ['progress-update', 1, '2026-11-30T16:00:00.000Z'],
      ['progress-update', 2, '2026-11-30T18:00:00.000Z'],
      ['progress-update', 3, null],
    ]);
    // Cycle 3 starts Mon 13:00 EST; 4 h -> Mon 17:00 EST.
    expect(timers[3]!.dueAt?.toISOString()).toBe('2026-11-30T22:00:00.000Z');
    const row = await opened.database.prisma.ticket.findUnique({ where: { id: ticket.id } });
    expect(row?.firstResponseAt?.toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(row?.lastEngineerUpdateAt?.toISOString()).toBe('2026-11-30T18:00:00.000Z');
  });

  it.skipIf(!backend.available)('a clock starting after an engineer already answered has its initial response met at the start', async () => {
    const ticket = await opened.database.prisma.ticket.update({
      where: { id: (await newTicket(4)).id },
      data: { status: 'new', lastEngineerUpdateAt: at('2026-11-27T15:00:00Z') },
    });
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-11-30T15:00:00Z')));
    const timers = await timersOf(ticket.id);
    // Met at the start, never looked at again; progress update and resolution run from the start as usual (see above).
    expect(timers.map((timer) => [timer.target, timer.metAt?.toISOString() ?? null, timer.nextEventAt?.toISOString() ?? null])).toEqual([
      ['initial-response', '2026-11-30T15:00:00.000Z', null],
      ['progress-update', null, '2026-12-01T19:30:00.000Z'],
      ['resolution', null, '2026-12-02T17:15:00.000Z'],
    ]);
    const row = await opened.database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ clockStartedAt: at('2026-11-30T15:00:00Z'), firstResponseAt: at('2026-11-30T15:00:00Z') });
    // A later update is a progress update only: the initial response stays met at the start.
    expect((await opened.database.prisma.$transaction((tx) => slaTimers.recordEngineerUpdate(tx, ticket, at('2026-11-30T16:00:00Z')))).initialResponse).toBe(
      false,
    );
  });

  it.skipIf(!backend.available)('retargeting to a higher severity shortens open timers and drops a resolution target the new severity lacks', async () => {
    const ticket = await newTicket(3);
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-11-30T15:00:00Z')));
    const raised = await opened.database.prisma.ticket.update({ where: { id: ticket.id }, data: { severity: 5 } });
    await opened.database.prisma.$transaction((tx) => slaTimers.retarget(tx, raised, at('2026-11-30T16:00:00Z')));
    const timers = await timersOf(ticket.id);
    expect(timers.map((timer) => timer.target)).toEqual(['initial-response', 'progress-update']);
    // Severity 5 initial response: 4 h from Mon 10:00 EST -> Mon 14:00 EST.
    expect(timers[0]!.dueAt?.toISOString()).toBe('2026-11-30T19:00:00.000Z');
  });

  it.skipIf(!backend.available)('Support Plus severity 5 runs around the clock; stop meets everything; reopen restarts progress', async () => {
    const ticket = await newTicket(5, 'EMEA', 'plus');
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-12-24T22:00:00Z')));
    expect((await timersOf(ticket.id))[0]!.dueAt?.toISOString()).toBe('2026-12-25T02:00:00.000Z');
    await opened.database.prisma.$transaction((tx) => slaTimers.stop(tx, ticket.id, at('2026-12-25T01:00:00Z')));
    expect((await timersOf(ticket.id)).every((timer) => timer.metAt && timer.nextEventAt === null)).toBe(true);
    await opened.database.prisma.$transaction((tx) => slaTimers.reopen(tx, ticket, at('2026-12-26T10:00:00Z')));
    const open = (await timersOf(ticket.id)).filter((timer) => !timer.metAt);
    expect(open.map((timer) => [timer.target, timer.cycle, timer.dueAt?.toISOString()])).toEqual([['progress-update', 2, '2026-12-26T14:00:00.000Z']]);
  });

  it.skipIf(!backend.available)('Support Plus severity 4: response and updates 24x7, resolution on the business calendar (Cryptzone §7)', async () => {
    const ticket = await newTicket(4, 'EMEA', 'plus');
    // Mon 30 Nov 2026, 10:00 CET.
    await opened.database.prisma.$transaction((tx) => slaTimers.start(tx, ticket, at('2026-11-30T09:00:00Z')));
    const due = async () => Object.fromEntries((await timersOf(ticket.id)).map((timer) => [timer.target, timer.dueAt?.toISOString()]));
    // 8 h around the clock; 2 d = 48 h around the clock; 3 business days of 9 h = 27 h: Mon 8 h, Tue 9 h, Wed 9 h, Thu 1 h.
    expect(await due()).toEqual({
      'initial-response': '2026-11-30T17:00:00.000Z',
      'progress-update': '2026-12-02T09:00:00.000Z',
      resolution: '2026-12-03T09:00:00.000Z',
    });
    // Paused Mon 12:00 CET for 24 hours: the resolution keeps its 25 business hours, counted from Tue 12:00 CET.
    await opened.database.prisma.$transaction((tx) => slaTimers.pause(tx, ticket, at('2026-11-30T11:00:00Z')));
    await opened.database.prisma.$transaction((tx) => slaTimers.resume(tx, ticket, at('2026-12-01T11:00:00Z')));
    expect((await due()).resolution).toBe('2026-12-04T09:00:00.000Z');
    // A workaround meets the resolution objective; the other timers run on.
    expect(await opened.database.prisma.$transaction((tx) => slaTimers.meetResolution(tx, ticket.id, at('2026-12-01T12:00:00Z')))).toBe(true);
    const timers = await timersOf(ticket.id);
    expect(timers.map((timer) => [timer.target, timer.metAt?.toISOString() ?? null])).toEqual([
      ['initial-response', null],
      ['progress-update', null],
      ['resolution', '2026-12-01T12:00:00.000Z'],
    ]);
  });
});
