// `deskbot charges`: which incidents a period exports (a charge in exactly one period), the columns invoicing needs,
// RFC 4180 quoting that survives commas, quotes and line breaks, and JSON; on PGlite and PostgreSQL, plus the CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chargeExportColumns, csvField, exportCharges, formatChargeExport, majorUnits } from '../../src/app/charges-export.ts';
import { closeTicket, type CloseTicketDeps } from '../../src/app/close-ticket.ts';
import { runCli } from '../../src/cli/program.ts';
import { loadConfig } from '../../src/config.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openRuntime } from '../../src/runtime.ts';
import type { Database } from '../../src/store/database.ts';
import { createSlaTimers } from '../../src/store/sla-timers.ts';
import { backends } from '../helpers/backends.ts';
import { manualClock, seedTicket, ticketClock, type ManualClock, type SeedTicket } from '../helpers/sla-fixtures.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { storeAccess } from '../../src/store/transactor.ts';

const logger = createSilentLogger();
const policy = defaultPolicy();
const config = { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' };
const november = { from: new Date('2026-11-01T00:00:00Z'), to: new Date('2026-12-01T00:00:00Z') };
const december = { from: new Date('2026-12-01T00:00:00Z'), to: new Date('2027-01-01T00:00:00Z') };
const west = { key: 'acme-west', name: 'Acme, Inc. "West"', calendar: 'US' };

/** Seeds and closes the period's incidents; returns nothing, the export is what the tests read. */
async function seedIncidents(database: Pick<Database, 'prisma'>, clock: ManualClock): Promise<void> {
  const deps: CloseTicketDeps = { ...storeAccess(database, policy), policy, clock, logger, config, renderer: createTemplateRenderer() };
  const slaTimers = createSlaTimers(policy);
  const open = (requestId: string, seed: Partial<SeedTicket> = {}) =>
    seedTicket(database.prisma, policy, { requestId, openedAt: '2026-10-20T15:00:00Z', customer: west, ...seed });
  const closeAt = async (at: string, input: Parameters<typeof closeTicket>[1]) => {
    clock.set(at);
    return closeTicket(deps, input);
  };
  await open('SR-2026-000001', { licence: { number: 'LIC-0001', type: 'commercial', registeredOn: '2025-01-15' } });
  await closeAt('2026-11-05T16:00:00Z', { requestId: 'SR-2026-000001', outcome: 'resolved', actor: 'U_ANNA' });
  await open('SR-2026-000002');
  await closeAt('2026-11-06T16:00:00Z', {
    requestId: 'SR-2026-000002',
    outcome: 'exceptional',
    charge: 'no-charge',
    reason: 'lab said "no repro", sorry',
    actor: 'U_ANNA',
  });
  await open('SR-2026-000003', { partner: { partnerId: 'P-7', name: 'Reseller GmbH' }, customer: undefined });
  await closeAt('2026-11-07T16:00:00Z', { requestId: 'SR-2026-000003', outcome: 'resolved', actor: 'U_BEN' });
  // Closed in December: not November's.
  await open('SR-2026-000004');
  await closeAt('2026-12-02T16:00:00Z', { requestId: 'SR-2026-000004', outcome: 'documentation', actor: 'U_BEN' });
  // Charged in November, reopened and closed again in December: invoiced in November only.
  const reopened = await open('SR-2026-000005');
  await closeAt('2026-11-10T16:00:00Z', { requestId: 'SR-2026-000005', outcome: 'excluded', exclusion: 'third-party', actor: 'U_ANNA' });
  clock.set('2026-12-01T10:00:00Z');
  const clockTicket = await ticketClock(database.prisma, reopened);
  await database.prisma.$transaction(async (tx) => {
    await tx.ticket.update({ where: { id: reopened }, data: { status: 'open' } });
    await slaTimers.reopen(tx, clockTicket, clock.now());
  });
  await closeAt('2026-12-03T16:00:00Z', { requestId: 'SR-2026-000005', outcome: 'resolved', actor: 'U_BEN' });
  // Still open: in no export.
  await open('SR-2026-000006');
}

describe('CSV and amounts', () => {
  it.each([
    ['plain text', 'Acme', 'Acme'],
    ['a comma', 'Acme, Inc.', '"Acme, Inc."'],
    ['a quote', 'the "West"', '"the ""West"""'],
    ['a line break', 'line one\nline two', '"line one\nline two"'],
    ['leading space', ' padded', '" padded"'],
    ['null', null, ''],
    ['a boolean', true, 'true'],
  ] as const)('quotes a field with %s', (_name, value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it.each([
    [8000, 'USD', '80.00'],
    [160000, 'CZK', '1600.00'],
    [5, 'EUR', '0.05'],
    [0, 'GBP', '0.00'],
  ] as const)('writes %i minor units of %s as %s', (minor, currency, major) => {
    expect(majorUnits(minor, currency)).toBe(major);
  });

  it('writes the header alone for an empty period, CRLF-terminated', () => {
    expect(formatChargeExport([], 'csv')).toBe(`${chargeExportColumns.join(',')}\r\n`);
    expect(formatChargeExport([], 'json')).toBe('[]\n');
  });
});

describe.each(backends)('charges export on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
    await seedIncidents(database, manualClock('2026-11-01T00:00:00Z'));
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });

  const test = it.skipIf(!backend.available);

  test('November: charged and free incidents closed in November, the re-closed one once, in order', async () => {
    const { text } = await exportCharges(storeAccess(database, policy), { ...november, format: 'csv' });
    const records = parseCsv(text, { columns: true }) as Array<Record<string, string>>;
    expect(Object.keys(records[0]!)).toEqual([...chargeExportColumns]);
    expect(records.map((row) => [row.request_id, row.chargeable, row.amount, row.currency, row.reason_code, row.closed_by])).toEqual([
      ['SR-2026-000001', 'true', '80.00', 'USD', 'resolved', 'U_ANNA'],
      ['SR-2026-000002', 'false', '0.00', 'USD', 'exceptional-free', 'U_ANNA'],
      ['SR-2026-000003', 'false', '0.00', 'USD', 'partner', 'U_BEN'],
      ['SR-2026-000005', 'true', '80.00', 'USD', 'excluded', 'U_ANNA'],
    ]);
    expect(records[0]).toMatchObject({
      customer_key: 'acme-west',
      customer_name: 'Acme, Inc. "West"',
      partner_id: '',
      licence: 'LIC-0001',
      opened_at: '2026-10-20T15:00:00.000Z',
      closed_at: '2026-11-05T16:00:00.000Z',
      outcome: 'resolved',
      exclusion: '',
      charged_at: '2026-11-05T16:00:00.000Z',
    });
    expect(records[0]!.reason).toMatch(/^Charged \$80\.00 plus applicable taxes: the incident was resolved\.$/);
    expect(records[1]!.reason).toContain('lab said "no repro", sorry');
    expect(records[2]).toMatchObject({ customer_key: '', customer_name: 'Reseller GmbH', partner_id: 'P-7' });
    // Re-closed in December: its last close is December's, its charge (and the outcome that made it) November's.
    expect(records[3]).toMatchObject({
      outcome: 'excluded',
      exclusion: 'third-party',
      closed_at: '2026-12-03T16:00:00.000Z',
      charged_at: '2026-11-10T16:00:00.000Z',
    });
    // The raw line keeps the quoting a spreadsheet needs.
    expect(text.split('\r\n')[1]).toContain('"Acme, Inc. ""West"""');
  });

  test('December: the incident closed in December; the re-closed incident is not invoiced again', async () => {
    const { rows, text } = await exportCharges(storeAccess(database, policy), { ...december, format: 'json' });
    expect(rows.map((row) => row.requestId)).toEqual(['SR-2026-000004']);
    expect(JSON.parse(text)).toEqual([
      {
        requestId: 'SR-2026-000004',
        customerKey: 'acme-west',
        customerName: 'Acme, Inc. "West"',
        partnerId: null,
        licence: null,
        openedAt: '2026-10-20T15:00:00.000Z',
        closedAt: '2026-12-02T16:00:00.000Z',
        outcome: 'documentation',
        exclusion: null,
        chargeable: true,
        amount: '80.00',
        amountMinor: 8000,
        currency: 'USD',
        reasonCode: 'documentation',
        reason: 'Charged $80.00 plus applicable taxes: the incident was answered by referring to the documentation.',
        closedBy: 'U_BEN',
        chargedAt: '2026-12-02T16:00:00.000Z',
      },
    ]);
  });

  test('refuses a period that ends before it starts', async () => {
    await expect(exportCharges(storeAccess(database, policy), { from: november.to, to: november.from, format: 'csv' })).rejects.toThrow(/period/);
  });
});

describe('deskbot charges', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-charges-'));
  const env = { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'data') };
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  async function run(args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
    return { code, stdout, stderr };
  }

  it('exports a period given as dates, --to inclusive, as CSV by default and as JSON', async () => {
    const runtime = await openRuntime(loadConfig(env), { logger });
    try {
      await seedIncidents(runtime.database, manualClock('2026-11-01T00:00:00Z'));
    } finally {
      await runtime.close();
    }
    const csv = await run(['charges', '--from', '2026-11-01', '--to', '2026-11-30']);
    expect(csv.code).toBe(0);
    expect((parseCsv(csv.stdout, { columns: true }) as Array<{ request_id: string }>).map((row) => row.request_id)).toEqual([
      'SR-2026-000001',
      'SR-2026-000002',
      'SR-2026-000003',
      'SR-2026-000005',
    ]);
    const json = await run(['charges', '--from', '2026-12-02', '--to', '2026-12-02', '--format', 'json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as Array<{ requestId: string }>).map((row) => row.requestId)).toEqual(['SR-2026-000004']);
  });

  it.each([
    ['a missing --to', ['charges', '--from', '2026-11-01']],
    ['an unknown format', ['charges', '--from', '2026-11-01', '--to', '2026-11-30', '--format', 'xlsx']],
    ['a date that does not exist', ['charges', '--from', '2026-02-30', '--to', '2026-03-01']],
  ])('exits 2 on %s', async (_name, args) => {
    expect((await run(args)).code).toBe(2);
  });
});
