// Several processes and memory, on PostgreSQL: the intake benchmark with one and with three `deskbot serve`
// processes on one database (one takes the mail, all share outbox and sweeper), then the resident memory (RSS) of one
// process idle with 10,000 open tickets and while it ingests a burst that includes ~20 MB messages, and the RSS while
// a first start with IMAP_START=all works through a backlog of 2,000 month-old requests (and idle 5-15 s and 60-70 s
// afterwards).
// Each phase gets its own throw-away database on 127.0.0.1:5432 (TEST_POSTGRES_URL names another admin database).
// Run with `npm run bench:scale` (options: --count, --single, --memory-burst, --tickets, --backlog, --heap-mb; --only
// memory or --only backlog runs just that phase).
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Runtime } from '../src/runtime.ts';
import { createTestDatabase } from '../test/helpers/postgres.ts';
import { measureIntake, startIntakeRig, type IntakeResult } from './intake-rig.ts';
import { seedOpenTickets } from './seed.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    /** Sequential requests per process count: enough for a p99 that is not just the single slowest one. */
    single: { type: 'string', default: '200' },
    /** Messages of the memory burst; every 40th carries a ~20 MB attachment. */
    'memory-burst': { type: 'string', default: '200' },
    tickets: { type: 'string', default: '10000' },
    /** Month-old requests in the mailbox before the first start (IMAP_START=all). */
    backlog: { type: 'string', default: '2000' },
    /** Run one phase only: memory (idle and a burst with ~20 MB mails) or backlog. */
    only: { type: 'string' },
    /** V8 old-space cap (MB) for the serve process of the backlog phase (NODE_OPTIONS=--max-old-space-size); none by default. */
    'heap-mb': { type: 'string' },
    timeout: { type: 'string', default: '60' },
  },
});
const numbers = {
  count: Number(args.count),
  single: Number(args.single),
  'memory-burst': Number(args['memory-burst']),
  tickets: Number(args.tickets),
  backlog: Number(args.backlog),
  timeout: Number(args.timeout),
};
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench:scale: --${name} must be a whole number of at least 1`);
    process.exit(2);
  }
}
const idleTimeoutMs = numbers.timeout * 1_000;
const HOUR = 3_600_000;
const MB = 1024 * 1024;

/** Resident set size of a process in bytes, from /proc (Linux). */
function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kb) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kb) * 1024;
}

/** Samples a process's RSS every `everyMs` until stopped; reports peak and mean in MB. */
function sampleRss(pid: number, everyMs = 100) {
  const samples: number[] = [rssOf(pid)];
  const timer = setInterval(() => {
    try {
      samples.push(rssOf(pid));
    } catch {
      // the process is gone; the report says how many samples there are
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      const peak = Math.max(...samples);
      const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
      return { samples: samples.length, peakMb: Number((peak / MB).toFixed(1)), meanMb: Number((mean / MB).toFixed(1)) };
    },
  };
}

/** `count` open tickets whose SLA timers have their next event days ahead (truly idle). */
async function seedIdleTickets(runtime: Runtime, count: number): Promise<void> {
  await seedOpenTickets(runtime.database.prisma, {
    count,
    // Last year's numbering: the intake's own IDs (this year's counter) never collide with these.
    year: new Date().getUTCFullYear() - 1,
    customerPrefix: 'SEED',
    requesterDomain: 'seeded.example',
    budgetMs: (_severity, order) => (30 + order * 10) * 24 * HOUR,
  });
}

async function intakeWith(processes: number): Promise<IntakeResult[]> {
  const database = await createTestDatabase();
  try {
    const rig = await startIntakeRig({ databaseUrl: database.url, processes, messages: numbers.single + numbers.count });
    try {
      return await measureIntake(rig, { single: numbers.single, burst: numbers.count, idleTimeoutMs });
    } finally {
      await rig.stop();
    }
  } finally {
    await database.drop();
  }
}

async function memory() {
  const database = await createTestDatabase();
  try {
    const rig = await startIntakeRig({
      databaseUrl: database.url,
      processes: 1,
      messages: numbers['memory-burst'],
      prepare: (runtime) => seedIdleTickets(runtime, numbers.tickets),
    });
    try {
      const pid = rig.pids[0]!;
      // Let start-up settle (first sweeps over the seeded tickets, JIT, first GCs), then watch it idle.
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const idleSampler = sampleRss(pid);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const idle = idleSampler.stop();
      const burstSampler = sampleRss(pid);
      let burstRss: ReturnType<typeof burstSampler.stop> | undefined;
      // ~14.3 MB of random bytes: ~19.7 MB once base64-encoded, below MAIL_MAX_BYTES (25 MB), so parsed whole.
      const results = await measureIntake(rig, {
        single: 0,
        burst: numbers['memory-burst'],
        idleTimeoutMs,
        large: { every: 40, attachmentBytes: 15_000_000 },
        onBurst: (phase) => {
          if (phase === 'acknowledged') burstRss = burstSampler.stop();
        },
      });
      return { idle, burst: burstRss!, results };
    } finally {
      await rig.stop();
    }
  } finally {
    await database.drop();
  }
}

/**
 * The process's own view of its memory (prom-client default metrics): V8 heap used and total, external, in MB; and the
 * seconds it spent in garbage collection so far, by kind (what a smaller heap growth costs).
 */
async function heapOf(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^deskbot_${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / MB;
  return {
    heapUsedMb: Number(read('nodejs_heap_size_used_bytes').toFixed(1)),
    heapTotalMb: Number(read('nodejs_heap_size_total_bytes').toFixed(1)),
    externalMb: Number(read('nodejs_external_memory_bytes').toFixed(1)),
    ...Object.fromEntries(
      ['major', 'minor', 'incremental'].map((kind) => {
        const seconds = Number(new RegExp(`^deskbot_nodejs_gc_duration_seconds_sum\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
        return [`gc${kind[0]!.toUpperCase()}${kind.slice(1)}S`, Number(seconds.toFixed(2))];
      }),
    ),
  };
}

/** A first start on a mailbox holding `--backlog` month-old requests: RSS while it works through them, then idle. */
async function backlog() {
  const database = await createTestDatabase();
  try {
    const rig = await startIntakeRig({
      databaseUrl: database.url,
      processes: 1,
      messages: numbers.backlog,
      backlog: { count: numbers.backlog, receivedAt: new Date(Date.now() - 30 * 24 * HOUR) },
      env: { IMAP_START: 'all', ...(args['heap-mb'] ? { NODE_OPTIONS: `--max-old-space-size=${Number(args['heap-mb'])}` } : {}) },
    });
    try {
      const sampler = sampleRss(rig.pids[0]!);
      const started = performance.now();
      await rig.waitForAcks(rig.backlog, idleTimeoutMs);
      const burst = sampler.stop();
      const elapsedMs = performance.now() - started;
      await new Promise((resolve) => setTimeout(resolve, 5_000));
      const idleSampler = sampleRss(rig.pids[0]!);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const idle = idleSampler.stop();
      // V8 gives its young generation back at the first collection once allocation is low: idle a minute later.
      await new Promise((resolve) => setTimeout(resolve, 45_000));
      const settledSampler = sampleRss(rig.pids[0]!);
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      const settled = settledSampler.stop();
      const heap = await heapOf(rig.ports[0]!);
      const acknowledged = rig.backlog.filter((id) => rig.acknowledged.has(id)).length;
      if (acknowledged < rig.backlog.length) console.error(await rig.diagnostics());
      return { messages: rig.backlog.length, acknowledged, seconds: Number((elapsedMs / 1_000).toFixed(1)), burst, idle, settled, heap };
    } finally {
      await rig.stop();
    }
  } finally {
    await database.drop();
  }
}

if (args.only !== undefined && args.only !== 'memory' && args.only !== 'backlog') {
  console.error('bench:scale: --only takes memory or backlog');
  process.exit(2);
}
if (args.only === 'memory') {
  const mem = await memory();
  const burst = mem.results.find((row) => row.phase.startsWith('burst'))!;
  console.log(`\nscale: RSS of one serve process with ${numbers.tickets.toLocaleString('en-US')} open tickets (PostgreSQL)`);
  console.table([
    { phase: 'idle (10 s)', ...mem.idle, targetMb: 200 },
    { phase: burst.phase, ...mem.burst, targetMb: 350 },
  ]);
  console.table(mem.results);
  console.log(JSON.stringify({ bench: 'scale', memory: mem, verdict: { idleUnder200Mb: mem.idle.peakMb < 200, burstUnder350Mb: mem.burst.peakMb < 350 } }));
  if (burst.acknowledged < burst.messages) process.exitCode = 1;
  setTimeout(() => process.exit(), 2_000).unref();
} else if (args.only === 'backlog') {
  const result = await backlog();
  console.log(`\nscale: RSS of one serve process working through a backlog of ${numbers.backlog} (IMAP_START=all)`);
  console.table([
    { phase: `backlog of ${result.messages} (${result.seconds} s)`, ...result.burst, targetMb: 350 },
    { phase: 'idle 5-15 s afterwards', ...result.idle, targetMb: 200 },
    { phase: 'idle 60-70 s afterwards', ...result.settled, targetMb: 200 },
  ]);
  console.log('heap at the end:', result.heap);
  const verdict = {
    backlogUnder350Mb: result.burst.peakMb < 350,
    idleAfterUnder200Mb: result.idle.peakMb < 200,
    settledUnder200Mb: result.settled.peakMb < 200,
  };
  console.log(JSON.stringify({ bench: 'scale', backlog: result, verdict }));
  if (result.acknowledged < result.messages) process.exitCode = 1;
  setTimeout(() => process.exit(), 2_000).unref();
} else {
  const one = await intakeWith(1);
  const three = await intakeWith(3);
  const mem = await memory();
  const back = await backlog();

  const burstOf = (rows: IntakeResult[]) => rows.find((row) => row.phase.startsWith('burst'))!;
  const singleOf = (rows: IntakeResult[]) => rows.find((row) => row.phase.startsWith('single'))!;
  console.log(`\nscale: intake on PostgreSQL with 1 and 3 serve processes (node ${process.version})`);
  console.table([...one.map((row) => ({ processes: 1, ...row })), ...three.map((row) => ({ processes: 3, ...row }))]);
  const change = (key: 'p99Ms' | 'p50Ms', pick: (rows: IntakeResult[]) => IntakeResult) =>
    Number((((pick(three)[key] - pick(one)[key]) / pick(one)[key]) * 100).toFixed(1));
  const comparison = {
    singleP99ChangePercent: change('p99Ms', singleOf),
    burstP99ChangePercent: change('p99Ms', burstOf),
  };
  console.log(`p99 with 3 processes vs 1: single ${comparison.singleP99ChangePercent}%, burst ${comparison.burstP99ChangePercent}% (target: within +20%)`);
  console.log(`\nscale: RSS of one serve process with ${numbers.tickets.toLocaleString('en-US')} open tickets (PostgreSQL)`);
  console.table([
    { phase: 'idle (10 s)', ...mem.idle, targetMb: 200 },
    { phase: burstOf(mem.results).phase, ...mem.burst, targetMb: 350 },
  ]);
  console.table(mem.results);
  console.log(`\nscale: RSS of one serve process working through a backlog of ${numbers.backlog} (IMAP_START=all)`);
  console.table([
    { phase: `backlog of ${back.messages} (${back.seconds} s)`, ...back.burst, targetMb: 350 },
    { phase: 'idle 5-15 s afterwards', ...back.idle, targetMb: 200 },
    { phase: 'idle 60-70 s afterwards', ...back.settled, targetMb: 200 },
  ]);
  const verdict = {
    intakeP99Within20Percent: comparison.singleP99ChangePercent <= 20 && comparison.burstP99ChangePercent <= 20,
    idleUnder200Mb: mem.idle.peakMb < 200,
    burstUnder350Mb: mem.burst.peakMb < 350,
    backlogUnder350Mb: back.burst.peakMb < 350,
    idleAfterBacklogUnder200Mb: back.idle.peakMb < 200,
    settledAfterBacklogUnder200Mb: back.settled.peakMb < 200,
  };
  console.log(JSON.stringify({ bench: 'scale', intake: { one, three, comparison }, memory: mem, backlog: back, verdict }));
  const missing = [...one, ...three, ...mem.results].reduce((sum, row) => sum + (row.messages - row.acknowledged), 0) + back.messages - back.acknowledged;
  if (missing) {
    console.error(`${missing} acknowledgements did not arrive`);
    process.exitCode = 1;
  }
  setTimeout(() => process.exit(), 2_000).unref();
}
