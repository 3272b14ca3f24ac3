// Slack as an engineer sees it, with 10,000 open tickets in the store: signed slash commands (/support list, show,
// assign, severity, help) and button clicks (Assign to me, Waiting on customer, Resume, Set severity, Reply) at
// POST /slack/events, each timed to its HTTP acknowledgement and to its visible answer: the answer in the
// acknowledgement itself (help), the response_url answer, or for Reply the views.open, reaching the stub Slack. Two
// phases: sustained (an open-loop arrival schedule, 20 requests/s for 60 s) and peak (a fixed concurrency, as fast as
// it takes; throughput is measured to the last visible answer). The outbox dispatcher runs beside it as in
// `deskbot serve`, so the channel updates (chat.postMessage, chat.update, paced by Slack's rate limits) load the store
// as they would. Targets: ack p99 < 200 ms; at 20/s the visible answer p99 < 300 ms; at peak >= 150 commands/s.
// "Slack" runs in a worker thread (bench/slack-side.mjs).
// Run with `npm run bench:slack -- [--rate 20] [--duration 60] [--peak 2000] [--concurrency 16]`; DATABASE_URL
// selects PostgreSQL, else PGlite.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createSlackChannel } from '../src/channels/slack/slack-channel.ts';
import { actionIds } from '../src/channels/slack/blocks/ids.ts';
import { loadConfig } from '../src/config.ts';
import { defaultPolicy } from '../src/domain/policy.ts';
import { formatRequestId } from '../src/domain/request-id.ts';
import { HealthRegistry } from '../src/health.ts';
import { createHttpServer } from '../src/http-server.ts';
import { createOutboxDispatcher } from '../src/jobs/outbox-dispatcher.ts';
import { createDatabaseHousekeepingJob } from '../src/jobs/database-housekeeping.ts';
import { createSilentLogger } from '../src/logger.ts';
import { systemClock } from '../src/app/ports.ts';
import type { Runtime } from '../src/runtime.ts';
import { createDirectoryRepository } from '../src/store/directory-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { percentile } from './intake-rig.ts';
import { seedOpenTickets } from './seed.ts';
import { createTemplateRenderer } from '../src/channels/email/templates.ts';
import { storeAccess } from '../src/store/transactor.ts';
import { createOutboxRepository } from '../src/store/outbox-repository.ts';
import { mailParser } from '../src/channels/email/parse-message.ts';

const { values: args } = parseArgs({
  options: {
    /** Sustained phase: requests per second (open loop) and seconds; --duration 0 skips it. */
    rate: { type: 'string', default: '20' },
    duration: { type: 'string', default: '60' },
    /** Peak phase: requests and senders; --peak 0 skips it. */
    peak: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '16' },
    tickets: { type: 'string', default: '10000' },
    /** How long the stub Slack takes to answer each Web API call and response_url POST (real Slack: ~100-300 ms). */
    'slack-latency-ms': { type: 'string', default: '0' },
    /** Give up waiting for visible answers after this many seconds without one. */
    quiet: { type: 'string', default: '5' },
    /** The post-ack queue's settings (src/channels/slack/slack-live.ts), for diagnosis; deskbot's defaults when absent. */
    'post-ack-concurrency': { type: 'string' },
    'post-ack-defer-ms': { type: 'string' },
    /** Write the main thread's V8 CPU profile of the peak phase to this file (open it in Chrome DevTools). */
    'cpu-profile': { type: 'string' },
    /** Leave the outbox dispatcher out (only the answers to the requests, no channel updates). */
    'skip-outbox': { type: 'boolean', default: false },
  },
});
const numbers = {
  rate: Number(args.rate),
  duration: Number(args.duration),
  peak: Number(args.peak),
  concurrency: Number(args.concurrency),
  tickets: Number(args.tickets),
  quiet: Number(args.quiet),
  slackLatencyMs: Number(args['slack-latency-ms']),
};
for (const [name, value] of Object.entries(numbers)) {
  if (!Number.isFinite(value) || value < 0 || (['rate', 'concurrency', 'tickets'].includes(name) && value <= 0)) {
    console.error(`bench:slack: --${name} must be a positive number`);
    process.exit(2);
  }
}

const secret = 'bench-signing-secret';
const engineers = ['UBENCH001', 'UBENCH002', 'UBENCH003', 'UBENCH004'];
const HOUR = 3_600_000;

interface Row {
  kind: string;
  status: number;
  ackMs: number;
  /** null: no visible answer arrived (e.g. Set severity to the severity the ticket has: nothing to say). */
  answerMs: number | null;
}
interface PhaseDone {
  rows: Row[];
  sentMs: number;
  lastAnswerMs: number;
  channelPosts: number;
  counts: Record<string, number>;
}

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => (sorted.length ? Math.round(percentile(sorted, p)) : null);
  return { n: sorted.length, p50Ms: at(50), p95Ms: at(95), p99Ms: at(99), maxMs: sorted.length ? Math.round(sorted[sorted.length - 1]!) : null };
};

async function main() {
  const logger = createSilentLogger();
  const slack = new Worker(new URL('./slack-side.mjs', import.meta.url));
  const messages: Array<(message: { type: string; [key: string]: unknown }) => void> = [];
  slack.on('message', (message) => messages.shift()?.(message));
  const nextMessage = () => new Promise<{ type: string; [key: string]: unknown }>((resolve) => messages.push(resolve));
  const stub = { url: String((await nextMessage()).url) };
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: 'xoxb-bench',
    SLACK_SIGNING_SECRET: secret,
    SLACK_API_URL: `${stub.url}/api/`,
    SLACK_TRIAGE_CHANNEL: 'CTRIAGE',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
  const policy = { ...defaultPolicy(), roles: { engineers, managers: [] } };
  const database = await openDatabase({ logger, databaseUrl: config.DATABASE_URL, poolSize: 10 });
  await migrate(database, { logger });
  const prisma = database.prisma;

  // Seed: 100 customers, the open tickets on 24x7 with running SLA timers spread over the next days.
  const seeding = performance.now();
  await prisma.$executeRawUnsafe('TRUNCATE "Ticket", "Customer", "SlackDelivery", "Outbox", "RequestCounter" RESTART IDENTITY CASCADE');
  const now = Date.now();
  const tickets = await seedOpenTickets(prisma, {
    now,
    count: numbers.tickets,
    year: 2026,
    customerPrefix: 'c',
    requesterDomain: 'example.com',
    assignee: (index) => (index % 3 === 0 ? engineers[index % engineers.length]! : null),
    budgetMs: (severity, order) => (severity + order * 8) * 9 * HOUR,
  });
  await prisma.requestCounter.create({ data: { year: 2026, last: numbers.tickets } });
  // An embedded desk with this history under `deskbot serve` has had the housekeeping job's first pass (a minute after
  // start), so its plans have statistics; the bench starts there too. PostgreSQL's autovacuum keeps its own schedule.
  let housekeptMs = 0;
  if (database.housekeeping) {
    const pass = await createDatabaseHousekeepingJob({ housekeeping: database.housekeeping, clock: systemClock, logger }).pass();
    housekeptMs = pass.ms;
  }
  const seededMs = performance.now() - seeding;

  const renderer = createTemplateRenderer();
  const runtime: Runtime = {
    config,
    logger,
    policy,
    database,
    ...storeAccess(database, policy),
    directory: createDirectoryRepository(prisma),
    mailRenderer: renderer,
    renderer,
    parser: mailParser,
    clock: systemClock,
    health: new HealthRegistry(),
    close: () => database.close(),
  };
  const server = createHttpServer(logger);
  let kick = () => undefined as void;
  const channel = await createSlackChannel(runtime, server, {
    verifyToken: false,
    onEnqueued: () => kick(),
    ...(args['post-ack-concurrency'] ? { postAckConcurrency: Number(args['post-ack-concurrency']) } : {}),
    ...(args['post-ack-defer-ms'] ? { postAckMaxDeferMs: Number(args['post-ack-defer-ms']) } : {}),
  });
  const dispatcher = args['skip-outbox']
    ? undefined
    : createOutboxDispatcher({
        outbox: createOutboxRepository(database.prisma),
        logger,
        clock: systemClock,
        pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
        handlers: { slack: channel.outboxHandler },
      });
  if (dispatcher) kick = () => dispatcher.kick();
  await dispatcher?.start();
  await channel.service.start();
  const { port } = await server.listen(0, '127.0.0.1');
  const target = `http://127.0.0.1:${port}/slack/events`;

  const requestIds = tickets.map((_, index) => formatRequestId(2026, index + 1));
  const pick = (index: number) => requestIds[(index * 7_919) % requestIds.length]!;
  const commands = (index: number) =>
    [`list open`, `list mine`, `show ${pick(index)}`, `assign ${pick(index)} me`, `severity ${pick(index)} ${1 + (index % 5)}`, 'help', 'list breaching'][
      index % 7
    ]!;
  const buttons = (index: number) => [actionIds.assignToMe, actionIds.waitOnCustomer, actionIds.resume, actionIds.setSeverity, actionIds.reply][index % 5]!;

  /** Request `index` (unique over the whole run: Slack's trigger_id and action_ts are claimed once). */
  function build(index: number): { index: number; kind: string; body: string } {
    const user = engineers[index % engineers.length]!;
    if (index % 2 === 0) {
      const text = commands(index / 2);
      return {
        index,
        kind: `command ${text.split(' ')[0]}`,
        body: new URLSearchParams({
          team_id: 'T1',
          user_id: user,
          user_name: 'bench',
          command: '/support',
          text,
          response_url: `${stub.url}/respond/${index}`,
          trigger_id: `trigger.${index}.${now}`,
          channel_id: 'CTRIAGE',
          api_app_id: 'A1',
        }).toString(),
      };
    }
    const actionId = buttons((index - 1) / 2);
    const requestId = pick(index);
    const payload = {
      type: 'block_actions',
      team: { id: 'T1' },
      user: { id: user, name: 'bench' },
      api_app_id: 'A1',
      trigger_id: `trigger.${index}.${now}`,
      channel: { id: 'CTRIAGE' },
      container: { type: 'message', channel_id: 'CTRIAGE', message_ts: '1.1' },
      response_url: `${stub.url}/respond/${index}`,
      actions: [
        actionId === actionIds.setSeverity
          ? {
              type: 'static_select',
              action_id: actionId,
              block_id: `ticket:${requestId}`,
              selected_option: { value: String(1 + (index % 5)) },
              action_ts: `${now}.${index}`,
            }
          : { type: 'button', action_id: actionId, block_id: `ticket:${requestId}`, value: requestId, action_ts: `${now}.${index}` },
      ],
    };
    return { index, kind: `button ${actionId}`, body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString() };
  }

  let nextIndex = 0;
  const take = (count: number) => Array.from({ length: count }, () => build(nextIndex++));
  const phases: Array<{ name: string; load: string; offeredPerS: number | null; requests: number; done: PhaseDone }> = [];
  const run = async (name: string, load: string, count: number, shape: { rate?: number; concurrency?: number }) => {
    const warmup = take(40);
    const requests = take(count);
    const finished = nextMessage();
    const settings = { rate: shape.rate ?? 0, concurrency: shape.concurrency ?? 0, quietMs: numbers.quiet * 1_000, slackLatencyMs: numbers.slackLatencyMs };
    slack.postMessage({ target, secret, warmup, requests, ...settings });
    const done = (await finished) as unknown as PhaseDone;
    phases.push({ name, load, offeredPerS: shape.rate ?? null, requests: count, done });
  };
  if (numbers.duration > 0) {
    const load = `${numbers.rate} requests/s for ${numbers.duration} s (open loop)`;
    await run('sustained', load, Math.round(numbers.rate * numbers.duration), { rate: numbers.rate });
  }
  const profiler = args['cpu-profile'] ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post('Profiler.enable');
  await profiler?.post('Profiler.start');
  if (numbers.peak > 0) await run('peak', `${numbers.peak} requests, concurrency ${numbers.concurrency}`, numbers.peak, { concurrency: numbers.concurrency });
  if (profiler) writeFileSync(args['cpu-profile']!, JSON.stringify((await profiler.post('Profiler.stop')).profile));

  const report = phases.map(({ name, load, offeredPerS, requests, done }) => {
    const answered = done.rows.filter((row) => row.answerMs !== null);
    const byKind = Object.fromEntries(
      [...new Set(done.rows.map((row) => row.kind))].sort().map((kind) => {
        const rows = done.rows.filter((row) => row.kind === kind);
        const answers = rows.flatMap((row) => (row.answerMs === null ? [] : [row.answerMs]));
        return [kind, { n: rows.length, unanswered: rows.length - answers.length, ack: stats(rows.map((row) => row.ackMs)), answer: stats(answers) }];
      }),
    );
    return {
      phase: name,
      load,
      offeredPerS,
      requests,
      sentPerS: Number((requests / (done.sentMs / 1_000)).toFixed(1)),
      non200: done.rows.filter((row) => row.status !== 200).length,
      ack: stats(done.rows.map((row) => row.ackMs)),
      answer: stats(answered.map((row) => row.answerMs!)),
      unanswered: done.rows.length - answered.length,
      /** Visible answers per second, from the first request to the last visible answer. */
      answersPerS: Number((answered.length / (done.lastAnswerMs / 1_000)).toFixed(1)),
      lastAnswerS: Number((done.lastAnswerMs / 1_000).toFixed(1)),
      channelPosts: done.channelPosts,
      byKind,
    };
  });

  const fmt = (value: number | null) => (value === null ? '     -' : String(value).padStart(6));
  const line = (label: string, s: ReturnType<typeof stats>) =>
    `${label.padEnd(34)} n=${String(s.n).padStart(5)}  p50=${fmt(s.p50Ms)} ms  p95=${fmt(s.p95Ms)} ms  p99=${fmt(s.p99Ms)} ms  max=${fmt(s.maxMs)} ms`;
  const seeded = `${tickets.length * 3} SLA timers, seeded in ${(seededMs / 1000).toFixed(1)} s${housekeptMs ? `, housekept in ${housekeptMs} ms` : ''}`;
  console.log(`deskbot Slack bench: ${database.kind}, ${numbers.tickets} open tickets (${seeded}), node ${process.version}`);
  const outbox = dispatcher ? 'running (channel updates paced by Slack rate limits)' : 'off (--skip-outbox)';
  console.log(`outbox dispatcher ${outbox}; stub Slack answers after ${numbers.slackLatencyMs} ms`);
  const misses: string[] = [];
  for (const phase of report) {
    console.log(`\n${phase.phase}: ${phase.load}; sent at ${phase.sentPerS} req/s; non-200: ${phase.non200}`);
    console.log(line('HTTP acknowledgement', phase.ack));
    console.log(line('visible answer', phase.answer));
    for (const [kind, entry] of Object.entries(phase.byKind)) {
      const answer = entry.answer;
      const unanswered = entry.unanswered ? `  no answer: ${entry.unanswered}` : '';
      const figures = `ack p99=${fmt(entry.ack.p99Ms)} ms  answer p50=${fmt(answer.p50Ms)} p99=${fmt(answer.p99Ms)} ms`;
      console.log(`  ${kind.padEnd(32)} n=${String(entry.n).padStart(5)}  ${figures}${unanswered}`);
    }
    console.log(
      `visible answers: ${phase.answer.n} of ${phase.requests}, ${phase.answersPerS}/s to the last one (${phase.lastAnswerS} s after the first request); ` +
        `channel posts/updates meanwhile: ${phase.channelPosts}`,
    );
    if (phase.non200) misses.push(`${phase.phase}: ${phase.non200} requests not acknowledged with 200`);
    if ((phase.ack.p99Ms ?? Infinity) >= 200) misses.push(`${phase.phase}: ack p99 ${phase.ack.p99Ms} ms >= 200 ms`);
    if (phase.phase === 'sustained' && (phase.answer.p99Ms ?? Infinity) >= 300) misses.push(`sustained: visible answer p99 ${phase.answer.p99Ms} ms >= 300 ms`);
    if (phase.phase === 'peak' && phase.answersPerS < 150) misses.push(`peak: ${phase.answersPerS} visible answers/s < 150/s`);
  }
  const met = 'targets met: ack p99 < 200 ms; sustained answer p99 < 300 ms; peak >= 150 answers/s';
  console.log(misses.length ? `\nTARGETS MISSED: ${misses.join('; ')}` : `\n${met}`);
  console.log(JSON.stringify({ bench: 'slack', database: database.kind, tickets: numbers.tickets, outbox: Boolean(dispatcher), phases: report }));

  await server.close();
  await channel.service.stop();
  await dispatcher?.stop();
  await database.close();
  await slack.terminate();
  process.exitCode = misses.length ? 1 : 0;
  // A stray handle (a pool, a limiter timer) must not keep the benchmark alive once it reported.
  setTimeout(() => process.exit(), 2_000).unref();
}

await main();
