// Time to the HTTP response of Slack deliveries at POST /slack/events with 10,000 open tickets in the store: signed
// slash commands (/support list, show, assign, severity, help) and button clicks (Assign to me, Waiting on customer,
// Resume, Set severity), fired with a fixed concurrency. Slack's 3-second ack limit is the hard bound; the target
// is p99 < 200 ms. "Slack" (the load generator, the Web API and the response_urls) runs in a worker thread, off the
// server's event loop, so the post-ack work really runs alongside and the client does not steal the server's turns.
// Run with `npm run bench:slack -- [requests=2000] [concurrency=16]`; DATABASE_URL selects PostgreSQL, else PGlite.
import { Worker } from 'node:worker_threads';
import { createSlackChannel } from '../src/channels/slack/slack-channel.ts';
import { actionIds } from '../src/channels/slack/blocks/ids.ts';
import { loadConfig } from '../src/config.ts';
import { defaultPolicy } from '../src/domain/policy.ts';
import { formatRequestId } from '../src/domain/request-id.ts';
import { HealthRegistry } from '../src/health.ts';
import { createHttpServer } from '../src/http-server.ts';
import { createSilentLogger } from '../src/logger.ts';
import { systemClock } from '../src/app/ports.ts';
import type { Runtime } from '../src/runtime.ts';
import { createDirectoryRepository } from '../src/store/directory-repository.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { seedOpenTickets } from './seed.ts';
import { createTemplateRenderer } from '../src/channels/email/templates.ts';

const requestCount = Number(process.argv[2] ?? 2_000);
const concurrency = Number(process.argv[3] ?? 16);
const ticketCount = 10_000;
const secret = 'bench-signing-secret';
const engineers = ['UBENCH001', 'UBENCH002', 'UBENCH003', 'UBENCH004'];
const HOUR = 3_600_000;

/**
 * The Slack side, as plain JavaScript for a worker thread: a stub Web API (every method ok) and response_url
 * endpoint that counts answers, and a load generator that signs each request at send time (v0 HMAC).
 */
const slackSide = `
const { parentPort } = require('node:worker_threads');
const { createHmac } = require('node:crypto');
const http = require('node:http');
const counts = {};
let lastAnswerAt = 0;
let ts = 0;
const server = http.createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    const path = new URL(request.url || '/', 'http://stub').pathname;
    const key = path.startsWith('/api/') ? path.slice(5) : 'response_url';
    counts[key] = (counts[key] || 0) + 1;
    if (key === 'response_url') lastAnswerAt = performance.now();
    const body = key === 'response_url' ? 'ok' : JSON.stringify({ ok: true, ts: '1772445600.' + String(++ts).padStart(6, '0'), channel: { id: 'DSTUB' } });
    response.writeHead(200, { 'content-type': key === 'response_url' ? 'text/plain' : 'application/json' });
    response.end(body);
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ type: 'stub', url: 'http://127.0.0.1:' + server.address().port }));
async function fire(target, secret, request) {
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = 'v0=' + createHmac('sha256', secret).update('v0:' + timestamp + ':' + request.body).digest('hex');
  const started = performance.now();
  const response = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature },
    body: request.body,
  });
  await response.arrayBuffer();
  return { kind: request.kind, ms: performance.now() - started, status: response.status };
}
parentPort.on('message', async ({ target, secret, warmup, requests, concurrency }) => {
  for (const request of warmup) await fire(target, secret, request);
  const results = [];
  let next = 0;
  const wall = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) results.push(await fire(target, secret, requests[next++]));
  }));
  const wallMs = performance.now() - wall;
  for (let seen = -1; seen !== (counts.response_url || 0); ) {
    seen = counts.response_url || 0;
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  parentPort.postMessage({ type: 'done', results, wallMs, answers: counts.response_url || 0, lastAnswerMs: lastAnswerAt - wall, counts });
  server.close();
});
`;

interface Result {
  kind: string;
  ms: number;
  status: number;
}

async function main() {
  const logger = createSilentLogger();
  const slack = new Worker(slackSide, { eval: true });
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

  // Seed: 100 customers, 10,000 open tickets on 24x7 with running SLA timers spread over the next days.
  const seeding = performance.now();
  await prisma.$executeRawUnsafe('TRUNCATE "Ticket", "Customer", "SlackDelivery", "Outbox", "RequestCounter" RESTART IDENTITY CASCADE');
  const now = Date.now();
  const tickets = await seedOpenTickets(prisma, {
    now,
    count: ticketCount,
    year: 2026,
    customerPrefix: 'c',
    requesterDomain: 'example.com',
    assignee: (index) => (index % 3 === 0 ? engineers[index % engineers.length]! : null),
    budgetMs: (severity, order) => (severity + order * 8) * 9 * HOUR,
  });
  await prisma.requestCounter.create({ data: { year: 2026, last: ticketCount } });
  const seededMs = performance.now() - seeding;

  const runtime: Runtime = {
    config,
    logger,
    policy,
    database,
    directory: createDirectoryRepository(prisma),
    mailRenderer: createTemplateRenderer(),
    clock: systemClock,
    health: new HealthRegistry(),
    close: () => database.close(),
  };
  const server = createHttpServer(logger);
  const channel = await createSlackChannel(runtime, server, { verifyToken: false });
  await channel.service.start();
  const { port } = await server.listen(0, '127.0.0.1');
  const target = `http://127.0.0.1:${port}/slack/events`;

  const requestIds = tickets.map((_, index) => formatRequestId(2026, index + 1));
  const pick = (index: number) => requestIds[(index * 7_919) % requestIds.length]!;
  const commands = (index: number) => [`list open`, `list mine`, `show ${pick(index)}`, `assign ${pick(index)} me`, `severity ${pick(index)} ${1 + (index % 5)}`, 'help', 'list breaching'][index % 7]!;
  const buttons = (index: number) => [actionIds.assignToMe, actionIds.waitOnCustomer, actionIds.resume, actionIds.setSeverity][index % 4]!;

  function build(index: number): { kind: string; body: string } {
    const user = engineers[index % engineers.length]!;
    if (index % 2 === 0) {
      const text = commands(index / 2);
      return {
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
          ? { type: 'static_select', action_id: actionId, block_id: `ticket:${requestId}`, selected_option: { value: String(1 + (index % 5)) }, action_ts: `${now}.${index}` }
          : { type: 'button', action_id: actionId, block_id: `ticket:${requestId}`, value: requestId, action_ts: `${now}.${index}` },
      ],
    };
    return { kind: `button ${actionId}`, body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString() };
  }

  const warmup = Array.from({ length: 40 }, (_, offset) => build(requestCount + offset));
  const requests = Array.from({ length: requestCount }, (_, index) => build(index));
  const finished = nextMessage();
  slack.postMessage({ target, secret, warmup, requests, concurrency });
  const done = (await finished) as unknown as { results: Result[]; wallMs: number; answers: number; lastAnswerMs: number };
  const { results, wallMs } = done;

  const percentile = (values: number[], p: number) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  };
  const line = (label: string, values: number[]) =>
    `${label.padEnd(30)} n=${String(values.length).padStart(5)}  p50=${percentile(values, 50).toFixed(1).padStart(6)} ms  p99=${percentile(values, 99).toFixed(1).padStart(6)} ms  max=${Math.max(...values).toFixed(1).padStart(6)} ms`;

  const failed = results.filter((result) => result.status !== 200).length;
  console.log(`deskbot Slack bench: ${database.kind}, ${ticketCount} open tickets (${tickets.length * 3} SLA timers, seeded in ${(seededMs / 1000).toFixed(1)} s)`);
  console.log(`${requestCount} signed requests, concurrency ${concurrency}, ${(requestCount / (wallMs / 1000)).toFixed(0)} req/s; non-200: ${failed}`);
  console.log(line('all (time to HTTP response)', results.map((result) => result.ms)));
  for (const kind of [...new Set(results.map((result) => result.kind))].sort()) console.log(line(`  ${kind}`, results.filter((result) => result.kind === kind).map((result) => result.ms)));
  console.log(`post-ack work (queued, answers via response_url): ${done.answers} answers, the last ${(done.lastAnswerMs / 1000).toFixed(1)} s after the first request`);
  const p99 = percentile(results.map((result) => result.ms), 99);
  console.log(p99 < 200 ? `target met: p99 ${p99.toFixed(1)} ms < 200 ms` : `TARGET MISSED: p99 ${p99.toFixed(1)} ms >= 200 ms`);

  await server.close();
  await channel.service.stop();
  await database.close();
  await slack.terminate();
  process.exitCode = failed > 0 || p99 >= 200 ? 1 : 0;
}

await main();
