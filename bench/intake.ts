// End-to-end intake latency: APPEND to a throw-away Dovecot -> deskbot serve (IMAP IDLE, handler, outbox) -> the
// acknowledgement reaching a loopback SMTP capture, matched by In-Reply-To. Run with `npm run bench:intake -- --count 500`.
// PGlite by default; BENCH_DATABASE_URL=postgresql://... uses that (empty) PostgreSQL database instead, where
// `--processes 3` runs three serve processes on it (one takes the mail, all share the outbox and the sweeper).
import { parseArgs } from 'node:util';
import { measureIntake, startIntakeRig } from './intake-rig.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    single: { type: 'string', default: '30' },
    /** Give up when no acknowledgement arrived for this many seconds. */
    timeout: { type: 'string', default: '30' },
    /** serve processes on the database (PostgreSQL only above 1). */
    processes: { type: 'string', default: '1' },
    /** Run serve() inside the benchmark process instead of `bin/deskbot.mjs serve` as a child process. */
    'in-process': { type: 'boolean', default: false },
  },
});
const numbers = { count: Number(args.count), single: Number(args.single), timeout: Number(args.timeout), processes: Number(args.processes) };
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isInteger(value) || value < (name === 'processes' ? 1 : 0)) {
    console.error(`bench:intake: --${name} must be a whole number${name === 'processes' ? ' of at least 1' : ''}`);
    process.exit(2);
  }
}

const rig = await startIntakeRig({
  databaseUrl: process.env.BENCH_DATABASE_URL || undefined,
  processes: numbers.processes,
  inProcess: args['in-process'],
  messages: numbers.single + numbers.count,
});
let results: Awaited<ReturnType<typeof measureIntake>>;
try {
  results = await measureIntake(rig, { single: numbers.single, burst: numbers.count, idleTimeoutMs: numbers.timeout * 1_000 });
} finally {
  await rig.stop();
}

const database = process.env.BENCH_DATABASE_URL ? 'postgres' : 'pglite';
console.log(`\nintake: APPEND -> acknowledgement at the SMTP server (${database}, ${numbers.processes} process${numbers.processes > 1 ? 'es' : ''}, node ${process.version})`);
console.table(results);
console.log(JSON.stringify({ bench: 'intake', database, processes: numbers.processes, results }));
const missing = results.reduce((sum, row) => sum + (row.messages - row.acknowledged), 0);
if (missing) {
  console.error(`${missing} acknowledgements did not arrive (none for ${numbers.timeout} s at the end)`);
  process.exitCode = 1;
}
// A stray handle (a pool, a timer) must not keep the benchmark alive once it reported.
setTimeout(() => process.exit(), 2_000).unref();
