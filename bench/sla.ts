// SLA at scale: seeds 100,000 open tickets with their timers (multi-row INSERT ... SELECT FROM unnest), then times one sweeper tick with
// nothing due (target < 50 ms; the plan must use the nextEventAt index) and computing every ticket's due times
// (target > 100,000 tickets/s). On PGlite, and on PostgreSQL when BENCH_DATABASE_URL is set (a throw-away database is
// created next to it and dropped). Run with `npm run bench:sla [-- tickets]`.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { defaultPolicy, type Policy } from '../src/domain/policy.ts';
import { computeDueTimes, type SlaInput, type SupportLevel } from '../src/domain/sla/index.ts';
import { createSlaSweeper } from '../src/jobs/sla-sweeper.ts';
import { createSilentLogger } from '../src/logger.ts';
import { openDatabase, type Database } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { nextEventAt } from '../src/store/sla-timers.ts';
import { createTemplateRenderer } from '../src/channels/email/templates.ts';
import { storeAccess } from '../src/store/transactor.ts';

const ticketCount = Number(process.argv[2] ?? 100_000);
const batchSize = 10_000;
const logger = createSilentLogger();
const policy = defaultPolicy();
/** "Now" of the bench: every clock started in the hour before, so no warning (3 h at the least) is due yet. */
const now = new Date('2026-06-03T13:00:00Z');
const customers = [
  { key: 'us', calendar: 'US', supportLevel: 'normal' },
  { key: 'emea', calendar: 'EMEA', supportLevel: 'normal' },
  { key: 'plus', calendar: 'US', supportLevel: 'plus' },
  { key: 'ops', calendar: '24x7', supportLevel: 'normal' },
] as const;

/** Deterministic tickets: a small LCG so every run measures the same work. */
function ticketInputs(count: number): Array<SlaInput & { customer: number }> {
  let seed = 20_260_603;
  const next = (): number => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  return Array.from({ length: count }, () => {
    const customer = Math.floor(next() * customers.length);
    const { calendar, supportLevel } = customers[customer]!;
    return {
      customer,
      calendar,
      supportLevel: supportLevel as SupportLevel,
      severity: 1 + Math.floor(next() * 5),
      clockStartedAt: new Date(now.getTime() - Math.floor(next() * 3_600_000)),
    };
  });
}

function rate(count: number, ms: number): string {
  return `${Math.round(count / (ms / 1000)).toLocaleString('en-US')} tickets/s`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function seed(database: Database, inputs: Array<SlaInput & { customer: number }>): Promise<void> {
  const prisma = database.prisma;
  const customerIds: number[] = [];
  for (const customer of customers) {
    const row = await prisma.customer.create({
      data: { key: customer.key, name: customer.key, supportLevel: customer.supportLevel, calendar: customer.calendar, currency: 'USD' },
    });
    customerIds.push(row.id);
  }
  // One INSERT ... SELECT FROM unnest(arrays) per batch: a COPY-like bulk load through the ordinary driver.
  for (let start = 0; start < inputs.length; start += batchSize) {
    const slice = inputs.slice(start, start + batchSize);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "Ticket" ("requestId", "customerId", "requesterKind", "requesterEmail", "subject", "severity", "status",
         "calendar", "supportLevel", "openedAt", "clockStartedAt", "priceMinor", "priceCurrency", "updatedAt")
       SELECT r, c, 'eligible-caller', e, 'Benchmark ticket', s, 'open', cal, lvl, o, o, 8000, 'USD', now()
       FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[]) AS x(r, c, e, s, cal, lvl, o)`,
      slice.map((_input, offset) => `SR-2026-${String(start + offset + 1).padStart(6, '0')}`),
      slice.map((input) => customerIds[input.customer]!),
      slice.map((_input, offset) => `caller${(start + offset) % 500}@example.com`),
      slice.map((input) => input.severity),
      slice.map((input) => input.calendar),
      slice.map((input) => input.supportLevel),
      slice.map((input) => input.clockStartedAt.toISOString()),
    );
  }
  const ids = await prisma.ticket.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
  const timers: Array<{ ticketId: number; target: string; startedAt: Date; warnAt: Date; dueAt: Date; nextEventAt: Date | null }> = [];
  inputs.forEach((input, index) => {
    const due = computeDueTimes(policy, input);
    const ticketId = ids[index]!.id;
    const add = (target: string, warnAt: Date, dueAt: Date) =>
      timers.push({
        ticketId,
        target,
        startedAt: input.clockStartedAt,
        warnAt,
        dueAt,
        nextEventAt: nextEventAt({ warnAt, dueAt, warnedAt: null, breachedAt: null, metAt: null, remainingMs: null }),
      });
    add('initial-response', due.initialResponseWarnAt, due.initialResponseDue);
    add('progress-update', due.progressUpdateWarnAt, due.progressUpdateDue);
    if (due.resolutionDue && due.resolutionWarnAt) add('resolution', due.resolutionWarnAt, due.resolutionDue);
  });
  for (let start = 0; start < timers.length; start += batchSize) {
    const slice = timers.slice(start, start + batchSize);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "SlaTimer" ("ticketId", "target", "budgetMs", "startedAt", "warnAt", "dueAt", "nextEventAt")
       SELECT t, g, 0, s, w, d, n FROM unnest($1::int[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[]) AS x(t, g, s, w, d, n)`,
      slice.map((timer) => timer.ticketId),
      slice.map((timer) => timer.target),
      slice.map((timer) => timer.startedAt.toISOString()),
      slice.map((timer) => timer.warnAt.toISOString()),
      slice.map((timer) => timer.dueAt.toISOString()),
      slice.map((timer) => timer.nextEventAt?.toISOString() ?? null),
    );
  }
  await prisma.$executeRawUnsafe('ANALYZE "SlaTimer"');
  await prisma.$executeRawUnsafe('ANALYZE "Ticket"');
}

async function run(label: string, database: Database, policyUsed: Policy): Promise<void> {
  console.log(`\n== ${label}: ${ticketCount.toLocaleString('en-US')} open tickets`);
  const inputs = ticketInputs(ticketCount);
  let started = performance.now();
  await seed(database, inputs);
  const timerCount = await database.prisma.slaTimer.count();
  console.log(
    `seeded ${ticketCount.toLocaleString('en-US')} tickets and ${timerCount.toLocaleString('en-US')} timers in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  const sweeper = createSlaSweeper({
    ...storeAccess(database, policyUsed),
    policy: policyUsed,
    clock: { now: () => now },
    logger,
    config: { SLA_SWEEP_INTERVAL_MS: 15_000, MANAGER_EMAILS: [], SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support', LOCALE: 'en' },
    renderer: createTemplateRenderer(),
  });
  const ticks: number[] = [];
  for (let index = 0; index < 25; index += 1) {
    started = performance.now();
    const result = await sweeper.sweep();
    ticks.push(performance.now() - started);
    if (result.warnings + result.breaches > 0) throw new Error(`bench expected nothing due, sweep fired ${JSON.stringify(result)}`);
  }
  const tick = median(ticks);
  console.log(
    `sweep tick, nothing due: median ${tick.toFixed(2)} ms, first ${ticks[0]!.toFixed(2)} ms, max ${Math.max(...ticks).toFixed(2)} ms (target < 50 ms) ${tick < 50 ? 'OK' : 'SLOW'}`,
  );

  const plan = await database.prisma.$queryRawUnsafe<Array<{ 'QUERY PLAN': string }>>(
    `EXPLAIN SELECT s."id" FROM "SlaTimer" s JOIN "Ticket" t ON t."id" = s."ticketId" WHERE s."nextEventAt" <= $1 ORDER BY s."nextEventAt" LIMIT $2 FOR NO KEY UPDATE SKIP LOCKED`,
    now,
    100,
  );
  const planText = plan.map((row) => row['QUERY PLAN']).join('\n');
  console.log(`claim plan:\n${planText.replace(/^/gm, '  ')}`);
  console.log(`claim uses the nextEventAt index: ${/SlaTimer_nextEventAt_idx/.test(planText) ? 'yes' : 'NO'}`);

  started = performance.now();
  const rows = await database.prisma.ticket.findMany({ select: { severity: true, calendar: true, supportLevel: true, clockStartedAt: true } });
  const readMs = performance.now() - started;
  const loaded: SlaInput[] = rows.map((row) => ({
    calendar: row.calendar,
    supportLevel: row.supportLevel as SupportLevel,
    severity: row.severity,
    clockStartedAt: row.clockStartedAt!,
  }));
  const computeMs: number[] = [];
  let checksum = 0;
  for (let pass = 0; pass < 3; pass += 1) {
    const fresh = pass === 0 ? defaultPolicy() : policyUsed;
    started = performance.now();
    for (const input of loaded) checksum += computeDueTimes(fresh, input).initialResponseDue.getTime() % 997;
    computeMs.push(performance.now() - started);
  }
  console.log(`read ${rows.length.toLocaleString('en-US')} tickets: ${readMs.toFixed(0)} ms`);
  console.log(
    `due times, cold calendars: ${rate(loaded.length, computeMs[0]!)}; warm: ${rate(loaded.length, Math.min(computeMs[1]!, computeMs[2]!))} (target > 100,000 tickets/s; checksum ${checksum})`,
  );
  console.log(`read + compute (warm): ${rate(loaded.length, readMs + Math.min(computeMs[1]!, computeMs[2]!))}`);
}

const pglite = await openDatabase({ logger });
try {
  await migrate(pglite, { logger });
  await run('PGlite (embedded)', pglite, policy);
} finally {
  await pglite.close();
}

const benchUrl = process.env.BENCH_DATABASE_URL;
if (benchUrl) {
  const name = `deskbot_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: benchUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(benchUrl);
  url.pathname = `/${name}`;
  try {
    const postgres = await openDatabase({ databaseUrl: url.toString(), logger });
    try {
      await migrate(postgres, { logger });
      await run('PostgreSQL', postgres, policy);
    } finally {
      await postgres.close();
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
} else {
  console.log('\n(set BENCH_DATABASE_URL=postgresql://... to run against PostgreSQL too)');
}
