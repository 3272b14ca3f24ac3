// `deskbot sla-report`: per customer and severity, first-response and resolution times in support hours of each
// ticket's calendar, breaches, and weekly attainment, with every figure worked out by hand; the PNG chart; the CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTicket } from '../../src/app/close-ticket.ts';
import { renderSlaAttainmentPng, slaAttainmentSvg } from '../../src/channels/slack/sla-chart-image.ts';
import { buildSlaReport, formatSlaReport, isoWeekLabel, isoWeekStart, summarizeHours, type SlaReport } from '../../src/app/sla-report.ts';
import { runCli } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSlaSweeper } from '../../src/jobs/sla-sweeper.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import type { Database } from '../../src/store/database.ts';
import { createSlaTimers } from '../../src/store/sla-timers.ts';
import { backends } from '../helpers/backends.ts';
import { manualClock, seedTicket, ticketClock, type ManualClock } from '../helpers/sla-fixtures.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { storeAccess } from '../../src/store/transactor.ts';

const logger = createSilentLogger();
const policy = defaultPolicy();
const slaTimers = createSlaTimers(policy);
const november = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };

/**
 * Four tickets in the first week of November 2026 (US is on EST from Nov 1; Stockholm on CET):
 * - T1 Acme (US) Major: clock Mon 11-02 09:00 EST; first answer 11:30 EST = 2.5 support h; closed Tue 10:00 EST =
 *   Mon 9 h + Tue 1 h = 10 h.
 * - T2 Acme (US) Major: clock Wed 11-04 17:00 EST; first answer Thu 12:30 EST = Wed 1 h + Thu 3.5 h = 4.5 h; open.
 * - T3 Nordic (EMEA) Critical: clock Mon 11-02 10:00 CET; the 4 h targets breach at 14:00 CET (the sweeper runs);
 *   first answer 15:00 CET = 5 h.
 * - T4 Plus Ltd (US, Support Plus) Critical runs on 24x7: clock Sat 11-07 10:00Z, answer 12:00Z = 2 h.
 */
async function seedReport(database: Pick<Database, 'prisma'>, clock: ManualClock): Promise<void> {
  const answer = async (ticketId: number, at: string) => {
    clock.set(at);
    const ticket = await ticketClock(database.prisma, ticketId);
    await database.prisma.$transaction((tx) => slaTimers.recordEngineerUpdate(tx, ticket, clock.now()));
  };
  const acme = { key: 'acme', name: 'Acme Corp', calendar: 'US' };
  const t1 = await seedTicket(database.prisma, policy, { requestId: 'SR-2026-000001', customer: acme, severity: 4, openedAt: '2026-11-02T14:00:00Z' });
  await answer(t1, '2026-11-02T16:30:00Z');
  clock.set('2026-11-03T15:00:00Z');
  await closeTicket(
    {
      ...storeAccess(database, policy),
      policy,
      clock,
      logger,
      config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Support' },
      renderer: createTemplateRenderer(),
    },
    { requestId: 'SR-2026-000001', outcome: 'resolved', actor: 'U_ENG' },
  );
  const t2 = await seedTicket(database.prisma, policy, { requestId: 'SR-2026-000002', customer: acme, severity: 4, openedAt: '2026-11-04T22:00:00Z' });
  await answer(t2, '2026-11-05T17:30:00Z');
  const t3 = await seedTicket(database.prisma, policy, {
    requestId: 'SR-2026-000003',
    customer: { key: 'nordic', name: 'Nordic AB', calendar: 'EMEA' },
    severity: 5,
    openedAt: '2026-11-02T09:00:00Z',
  });
  clock.set('2026-11-02T13:00:00Z');
  const sweeper = createSlaSweeper({
    ...storeAccess(database, policy),
    policy,
    clock,
    logger,
    config: { SLA_SWEEP_INTERVAL_MS: 15_000, MANAGER_EMAILS: [], SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Support', LOCALE: 'en' },
    renderer: createTemplateRenderer(),
  });
  expect(await sweeper.sweep()).toMatchObject({ breaches: 2 });
  await answer(t3, '2026-11-02T14:00:00Z');
  const t4 = await seedTicket(database.prisma, policy, {
    requestId: 'SR-2026-000004',
    customer: { key: 'plus', name: 'Plus Ltd', calendar: 'US', supportLevel: 'plus' },
    severity: 5,
    openedAt: '2026-11-07T10:00:00Z',
  });
  await answer(t4, '2026-11-07T12:00:00Z');
  // Opened in October: not in November's rows.
  await seedTicket(database.prisma, policy, { requestId: 'SR-2026-000000', customer: acme, severity: 3, openedAt: '2026-10-30T14:00:00Z' });
  clock.set('2026-12-01T00:00:00Z');
}

describe('report arithmetic', () => {
  it.each([
    ['an empty list has no figures', [], { count: 0, averageHours: null, medianHours: null }],
    ['an odd count takes the middle value', [5, 1, 3], { count: 3, averageHours: 3, medianHours: 3 }],
    ['an even count averages the two middle values', [1, 2, 4, 10], { count: 4, averageHours: 4.25, medianHours: 3 }],
  ])('%s', (_name, values, expected) => {
    expect(summarizeHours(values)).toEqual(expected);
  });

  it.each([
    ['a Sunday belongs to the week of the Monday before', '2026-11-01T12:00:00Z', '2026-10-26', '2026-W44'],
    ['a Monday starts its week', '2026-11-02T00:00:00Z', '2026-11-02', '2026-W45'],
    ['New Year 2027 (a Friday) is in 2026-W53', '2027-01-01T08:00:00Z', '2026-12-28', '2026-W53'],
    ['the first Thursday makes week 1', '2027-01-04T00:00:00Z', '2027-01-04', '2027-W01'],
  ])('ISO week: %s', (_name, at, monday, label) => {
    const start = isoWeekStart(new Date(at));
    expect(start.toISOString().slice(0, 10)).toBe(monday);
    expect(isoWeekLabel(start)).toBe(label);
  });
});

describe.each(backends)('SLA report on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let report: SlaReport;

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
    clock = manualClock('2026-11-01T00:00:00Z');
    await seedReport(database, clock);
    report = await buildSlaReport({ ...storeAccess(database, policy), policy, clock }, november);
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });

  const test = it.skipIf(!backend.available);

  test('rows per customer and severity in support hours of each calendar', () => {
    expect(report.rows).toEqual([
      {
        customerKey: 'acme',
        customer: 'Acme Corp',
        severity: 4,
        severityName: 'Major',
        tickets: 2,
        firstResponse: { count: 2, averageHours: 3.5, medianHours: 3.5 },
        resolution: { count: 1, averageHours: 10, medianHours: 10 },
        breaches: 0,
      },
      {
        customerKey: 'nordic',
        customer: 'Nordic AB',
        severity: 5,
        severityName: 'Critical',
        tickets: 1,
        firstResponse: { count: 1, averageHours: 5, medianHours: 5 },
        resolution: { count: 0, averageHours: null, medianHours: null },
        breaches: 2,
      },
      {
        customerKey: 'plus',
        customer: 'Plus Ltd',
        severity: 5,
        severityName: 'Critical',
        tickets: 1,
        firstResponse: { count: 1, averageHours: 2, medianHours: 2 },
        resolution: { count: 0, averageHours: null, medianHours: null },
        breaches: 0,
      },
    ]);
    // Nordic's breached request still needs its post-mortem.
    expect(report.totals).toEqual({ tickets: 4, breaches: 2, postMortems: { open: 1, done: 0 } });
  });

  test('counts open and done post-mortems of breached requests (Cryptzone §7)', async () => {
    const tickets = await database.prisma.ticket.findMany({ orderBy: { id: 'asc' }, take: 2 });
    const before = await database.prisma.ticket.findMany({ select: { id: true, breached: true, needsPostMortem: true } });
    await database.prisma.ticket.updateMany({ data: { needsPostMortem: false } });
    await database.prisma.ticket.update({ where: { id: tickets[0]!.id }, data: { breached: true, needsPostMortem: true } });
    await database.prisma.ticket.update({
      where: { id: tickets[1]!.id },
      data: { breached: true, postMortemAt: new Date('2026-11-20T10:00:00Z'), postMortemNotes: 'rota' },
    });
    try {
      const counted = await buildSlaReport({ ...storeAccess(database, policy), policy, clock }, november);
      expect(counted.totals.postMortems).toEqual({ open: 1, done: 1 });
      expect(formatSlaReport(counted)).toContain('Post-mortems (Cryptzone §7): 1 open, 1 done.');
    } finally {
      for (const row of before) {
        await database.prisma.ticket.update({
          where: { id: row.id },
          data: { breached: row.breached, needsPostMortem: row.needsPostMortem, postMortemAt: null, postMortemNotes: null },
        });
      }
    }
  });

  test('weekly attainment counts the targets due each week and met on time', () => {
    // W45 (Nov 2-8), due and met by hand:
    //   T1: initial (Mon 17:00 EST) met 11:30; progress c1 met by the answer, c2 (due Wed 11:30 EST) and resolution
    //       (due Wed 18:00 EST) met by the close on Tue -> 4 of 4.
    //   T2: initial (due Thu 16:00 EST) met 12:30; progress c1 (due Fri 17:00 EST) met by the answer -> 2 of 2.
    //   T3: initial and progress c1 breached; progress c2 (due Tue 10:00 CET) never met -> 0 of 3.
    //   T4: initial and progress c1 (due Sat 14:00Z) met at 12:00Z; progress c2 (due Sat 16:00Z) not met -> 2 of 3.
    //   The October ticket (US Minor, clock Fri 10-30 10:00 EDT, never answered): initial response 18 h = Fri 8 h
    //   + Mon 9 h + Tue 1 h = Tue 11-03 10:00 EST; progress update 27 h = Wed 11-04 10:00 EST -> 0 of 2 in W45.
    // W46: T2's progress c2 (Thu 12:30 EST + 18 h = Mon 11-09 12:30 EST) and resolution (Mon 17:00 EST) not met.
    // W48: the October ticket's resolution, 135 h = Fri 8 h + 14 business days (Veterans Day, Wed 11-11, closed)
    //   + 1 h = Mon 11-23 10:00 EST, not met. Its timers count by due week, whenever the ticket was opened.
    const byLabel = Object.fromEntries(report.weeks.map((week) => [week.label, week]));
    expect(report.weeks.map((week) => week.label)).toEqual(['2026-W44', '2026-W45', '2026-W46', '2026-W47', '2026-W48', '2026-W49']);
    expect(byLabel['2026-W45']!.targets).toEqual({
      'initial-response': { due: 5, met: 3 },
      'progress-update': { due: 8, met: 4 },
      resolution: { due: 1, met: 1 },
    });
    expect(byLabel['2026-W45']!.total).toEqual({ due: 14, met: 8 });
    expect(byLabel['2026-W46']!.total).toEqual({ due: 2, met: 0 });
    expect(byLabel['2026-W47']!.total).toEqual({ due: 0, met: 0 });
    expect(byLabel['2026-W48']!.targets.resolution).toEqual({ due: 1, met: 0 });
  });

  test('prints a readable table', () => {
    const text = formatSlaReport(report);
    expect(text).toMatch(/^Acme Corp\s+4 Major\s+2\s+3\.5\s+3\.5\s+10\.0\s+10\.0\s+0$/m);
    expect(text).toMatch(/^Nordic AB\s+5 Critical\s+1\s+5\.0\s+5\.0\s+-\s+-\s+2$/m);
    expect(text).toContain('Total: 4 tickets, 2 breaches.');
    expect(text).toMatch(/^2026-W45 \(2026-11-02\)\s+60% \(3\/5\)\s+50% \(4\/8\)\s+100% \(1\/1\)\s+57% \(8\/14\)$/m);
  });
});

describe('SLA attainment chart', () => {
  const weeks = (rows: Array<[string, number, number]>): SlaReport['weeks'] =>
    rows.map(([monday, due, met]) => {
      const weekStart = new Date(`${monday}T00:00:00Z`);
      const count = { due, met };
      return {
        weekStart,
        label: isoWeekLabel(weekStart),
        targets: { 'initial-response': count, 'progress-update': { due: due * 2, met }, resolution: { due: 0, met: 0 } },
        total: { due: due * 3, met: met * 2 },
      };
    });
  const report: SlaReport = {
    from: new Date('2026-11-01T00:00:00Z'),
    to: new Date('2026-12-01T00:00:00Z'),
    generatedAt: new Date('2026-12-01T00:00:00Z'),
    rows: [],
    totals: { tickets: 0, breaches: 0, postMortems: { open: 0, done: 0 } },
    weeks: weeks([
      ['2026-10-26', 0, 0],
      ['2026-11-02', 4, 3],
      ['2026-11-09', 10, 9],
      ['2026-11-16', 5, 5],
      ['2026-11-23', 8, 6],
      ['2026-11-30', 2, 1],
    ]),
  };

  it('labels weeks, bars and the legend as text, escaping what it prints', () => {
    const svg = slaAttainmentSvg({ ...report, weeks: report.weeks });
    expect(svg).toContain('SLA attainment per week');
    for (const label of ['W45', 'W49', 'Initial response', 'Progress update', 'Resolution', 'n=30', '100%', '75']) expect(svg).toContain(label);
    expect(svg).not.toMatch(/<text[^>]*>[^<]*&(?!amp;|lt;|gt;|quot;|apos;)/);
  });

  it('renders a 1000x560 PNG', () => {
    const png = renderSlaAttainmentPng(report);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(1000);
    expect(png.readUInt32BE(20)).toBe(560);
    expect(png.length).toBeGreaterThan(10_000);
  });
});

describe('deskbot sla-report', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-sla-report-'));
  const env = { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'data') };
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints the report, writes the chart and queues it for the managers with --post', async () => {
    const runtime = await openRuntime(loadConfig(env), { logger });
    try {
      await seedReport(runtime.database, manualClock('2026-11-01T00:00:00Z'));
    } finally {
      await runtime.close();
    }
    let stdout = '';
    let stderr = '';
    const out = path.join(tmp, 'charts', 'november.png');
    const code = await runCli(['sla-report', '--from', '2026-11-01', '--to', '2026-11-30', '--out', out, '--post'], {
      stdout: (text) => void (stdout += text),
      stderr: (text) => void (stderr += text),
      env,
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain('Acme Corp');
    expect(stdout).toContain(`chart: ${out}`);
    expect(fs.readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
    const check = await openRuntime(loadConfig(env), { logger });
    try {
      const queued = await check.database.prisma.outbox.findMany({ where: { kind: 'sla-report' } });
      expect(queued.map((row) => [row.channel, row.payload])).toEqual([
        ['slack', { path: out, from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', text: stdout.slice(0, stdout.indexOf('chart: ')) }],
      ]);
    } finally {
      await check.close();
    }
  });
});
