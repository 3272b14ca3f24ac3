// End-to-end intake latency: APPEND to a throw-away Dovecot -> deskbot serve (IMAP IDLE, handler, outbox) -> the
// acknowledgement reaching a loopback SMTP capture, matched by In-Reply-To. Run with `npm run bench:intake -- --count 500`.
// PGlite by default; BENCH_DATABASE_URL=postgresql://... uses that (empty) PostgreSQL database instead, where
// `--processes 3` runs three serve processes on it (one takes the mail, all share the outbox and the sweeper).
// Before deskbot, the same phases run against the floor (bench/intake-floor.ts: IMAP IDLE, FETCH, mailparser, one
// pooled SMTP acknowledgement, no database) on the same Dovecot and SMTP capture; `--skip-floor` leaves it out.
// `--count-statements` (PostgreSQL only) puts a counting proxy (bench/pg-counter.ts) between deskbot and the database
// and prints statements, round trips and transactions per message of each phase. `--bursts 3` runs three bursts in a
// row on the same processes: the later ones show what a burst costs once the code is warm (the ratio uses the first).
import { parseArgs } from 'node:util';
import pg from 'pg';
import { measureIntake, startIntakeRig, type IntakeResult } from './intake-rig.ts';
import { startPgCounter, type WireCounts } from './pg-counter.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    single: { type: 'string', default: '30' },
    /** Give up when no acknowledgement arrived for this many seconds. */
    timeout: { type: 'string', default: '30' },
    /** Bursts in a row on the same serve processes (later ones run on warmed-up code); the ratio uses the first. */
    bursts: { type: 'string', default: '1' },
    /** serve processes on the database (PostgreSQL only above 1). */
    processes: { type: 'string', default: '1' },
    /** Run serve() inside the benchmark process instead of `bin/deskbot.mjs serve` as a child process. */
    'in-process': { type: 'boolean', default: false },
    /** Measure deskbot only, without the floor before it. */
    'skip-floor': { type: 'boolean', default: false },
    /** Count what deskbot sends to PostgreSQL per message (needs BENCH_DATABASE_URL). */
    'count-statements': { type: 'boolean', default: false },
  },
});
const numbers = {
  count: Number(args.count),
  single: Number(args.single),
  timeout: Number(args.timeout),
  processes: Number(args.processes),
  bursts: Number(args.bursts),
};
const atLeastOne = new Set(['processes', 'bursts']);
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isInteger(value) || value < (atLeastOne.has(name) ? 1 : 0)) {
    console.error(`bench:intake: --${name} must be a whole number${atLeastOne.has(name) ? ' of at least 1' : ''}`);
    process.exit(2);
  }
}

const databaseUrl = process.env.BENCH_DATABASE_URL || undefined;
if (args['count-statements'] && !databaseUrl) {
  console.error('bench:intake: --count-statements needs BENCH_DATABASE_URL (PostgreSQL)');
  process.exit(2);
}
const counter = args['count-statements'] && databaseUrl ? await startPgCounter(databaseUrl) : undefined;
/** Committed transactions in the database so far (every process, the sweeper and outbox polls included). */
const commits = async () => {
  if (!databaseUrl) return 0;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ commits: string }>('SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()');
    return Number(result.rows[0]?.commits ?? 0);
  } finally {
    await client.end();
  }
};
const wire: Record<string, WireCounts> = {};

const phases = { single: numbers.single, burst: numbers.count, idleTimeoutMs: numbers.timeout * 1_000 };
let floor: IntakeResult[] | undefined;
const rig = await startIntakeRig({
  databaseUrl: counter?.url ?? databaseUrl,
  processes: numbers.processes,
  inProcess: args['in-process'],
  messages: numbers.single + numbers.count * numbers.bursts,
  floor: args['skip-floor']
    ? undefined
    : async (floorRig) => {
        floor = await measureIntake(floorRig, phases);
      },
});
let results: Awaited<ReturnType<typeof measureIntake>>;
/** Stored messages each serve process handled (deskbot_inbound_handled_total), in start order: the work visibly shared. */
let handledPerProcess: number[] = [];
async function handledByProcess(ports: number[]): Promise<number[]> {
  return Promise.all(
    ports.map(async (port) => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch(() => '');
      return text
        .split('\n')
        .filter((line) => line.startsWith('deskbot_inbound_handled_total{'))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    }),
  );
}
let transactions = 0;
try {
  const commitsBefore = counter ? await commits() : 0;
  if (counter) wire.before = counter.snapshot();
  results = await measureIntake(rig, {
    ...phases,
    onBurst: (phase) => {
      if (counter && phase !== 'appended') wire[phase] = counter.snapshot();
    },
  });
  // Further bursts on the same processes, with requests of their own: what a burst costs once the code is warm.
  for (let round = 2; round <= numbers.bursts && numbers.count > 0; round++) {
    const offset = numbers.single + numbers.count * (round - 1);
    const shifted = { ...rig, request: (index: number, options?: Parameters<typeof rig.request>[1]) => rig.request(index + offset, options) };
    const [burst] = await measureIntake(shifted, { single: 0, burst: numbers.count, idleTimeoutMs: phases.idleTimeoutMs });
    if (burst) results.push({ ...burst, phase: `${burst.phase}, round ${round}` });
  }
  if (counter) {
    wire.after = counter.snapshot();
    transactions = (await commits()) - commitsBefore;
  }
  handledPerProcess = await handledByProcess(rig.ports);
} finally {
  await rig.stop();
  await counter?.close();
}

const database = process.env.BENCH_DATABASE_URL ? 'postgres' : 'pglite';
const setting = `${database}, ${numbers.processes} process${numbers.processes > 1 ? 'es' : ''}, node ${process.version}`;
if (floor) {
  console.log('\nfloor: APPEND -> acknowledgement at the SMTP server (one IMAP IDLE connection, FETCH, mailparser, pooled SMTP; no database)');
  console.table(floor);
}
console.log(`\nintake: APPEND -> acknowledgement at the SMTP server (deskbot: ${setting})`);
console.table(results);

if (handledPerProcess.length)
  console.log(`messages handled per process (deskbot_inbound_handled_total, process ${rig.leader} holds IMAP): ${handledPerProcess.join(', ')}`);
/** deskbot against the floor: the targets are burst total time <= 2x and single p99 <= floor + 150 ms. */
function ratios(deskbot: IntakeResult[], base: IntakeResult[]) {
  const single = (rows: IntakeResult[]) => rows.find((row) => row.phase.startsWith('single'));
  const burst = (rows: IntakeResult[]) => rows.find((row) => row.phase.startsWith('burst'));
  const [ds, fs, db, fb] = [single(deskbot), single(base), burst(deskbot), burst(base)];
  return {
    burstTotalRatio: db && fb ? Number((db.totalMs / fb.totalMs).toFixed(2)) : null,
    singleP99DeltaMs: ds && fs ? ds.p99Ms - fs.p99Ms : null,
    singleP99Ratio: ds && fs ? Number((ds.p99Ms / fs.p99Ms).toFixed(2)) : null,
  };
}
const versus = floor ? ratios(results, floor) : undefined;
if (versus) {
  const burstNote = versus.burstTotalRatio === null ? 'no burst' : `${versus.burstTotalRatio}x the floor (target <= 2x)`;
  const singleNote =
    versus.singleP99DeltaMs === null ? 'no single phase' : `floor + ${versus.singleP99DeltaMs} ms, ${versus.singleP99Ratio}x (target <= floor + 150 ms)`;
  console.log(`deskbot vs floor: burst total time ${burstNote}; single p99 ${singleNote}`);
}
/** What deskbot sent to PostgreSQL per message, per phase (from the counting proxy). */
function perMessage(from: WireCounts | undefined, to: WireCounts | undefined, messages: number) {
  if (!from || !to || !messages) return undefined;
  const per = (value: number) => Number((value / messages).toFixed(1));
  return { messages, statements: per(to.query + to.execute - from.query - from.execute), roundTrips: per(to.query + to.sync - from.query - from.sync) };
}
const statements = counter
  ? {
      single: perMessage(wire.before, wire.start ?? wire.after, numbers.single),
      burst: perMessage(wire.start, wire.acknowledged, numbers.count),
      transactionsPerMessage: Number((transactions / Math.max(1, numbers.single + numbers.count * numbers.bursts)).toFixed(1)),
      connections: counter.counts.connections,
    }
  : undefined;
if (statements) {
  console.log('deskbot -> PostgreSQL per message (every process; the sweeper and outbox polls during the phase included):');
  console.table({ single: statements.single, burst: statements.burst });
  console.log(`committed transactions per message over both phases: ${statements.transactionsPerMessage}`);
  if (wire.start && wire.acknowledged && numbers.count) {
    const texts = Object.entries(wire.acknowledged.byText)
      .map(([text, count]) => ({ statement: text, perMessage: Number(((count - (wire.start!.byText[text] ?? 0)) / numbers.count).toFixed(2)) }))
      .filter((row) => row.perMessage > 0)
      .sort((a, b) => b.perMessage - a.perMessage);
    console.log('burst: statements per message by text (parsed or simple-protocol, first 90 characters):');
    console.table(texts.slice(0, 25));
  }
}
const extra = { ...(floor ? { floor, versusFloor: versus } : {}), ...(statements ? { statements } : {}) };
console.log(JSON.stringify({ bench: 'intake', database, processes: numbers.processes, results, handledPerProcess, ...extra }));
const missing = [...results, ...(floor ?? [])].reduce((sum, row) => sum + (row.messages - row.acknowledged), 0);
if (missing) {
  console.error(`${missing} acknowledgements did not arrive (none for ${numbers.timeout} s at the end)`);
  process.exitCode = 1;
}
// A stray handle (a pool, a timer) must not keep the benchmark alive once it reported.
setTimeout(() => process.exit(), 2_000).unref();
