// End-to-end intake latency: APPEND to a throw-away Dovecot -> deskbot serve (IMAP IDLE, handler, outbox) -> the
// acknowledgement reaching a loopback SMTP capture, matched by In-Reply-To. Run with `npm run bench:intake -- --count 500`.
// PGlite by default; BENCH_DATABASE_URL=postgresql://... uses that (empty) PostgreSQL database instead.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { importDirectoryFile } from '../src/app/import-directory.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { serve } from '../src/main.ts';
import { openRuntime } from '../src/runtime.ts';
import { startDovecot } from '../test/helpers/dovecot.ts';
import { startSmtpCapture } from '../test/helpers/smtp-capture.ts';
import { freePort } from '../test/helpers/net.ts';

const { values: args } = parseArgs({
  options: {
    count: { type: 'string', default: '500' },
    single: { type: 'string', default: '30' },
    /** Give up when no acknowledgement arrived for this many seconds. */
    timeout: { type: 'string', default: '30' },
    /** Run serve() inside the benchmark process instead of `bin/deskbot.mjs serve` as a child process. */
    'in-process': { type: 'boolean', default: false },
  },
});
const burstCount = Number(args.count);
const singleCount = Number(args.single);
const timeoutMs = Number(args.timeout) * 1_000;

interface Caller {
  email: string;
  name: string;
  licence: string;
  product: string;
}

/** Eligible callers of examples/directory.yaml with a licence under valid maintenance. */
const exampleCallers: Caller[] = [
  { email: 'ops@acme.example', name: 'Ana Ops', licence: '27A3-9F10-4C2B', product: 'Kerio Connect' },
  { email: 'it@acme.example', name: 'Ivan Tech', licence: '27A3-9F10-4C2B', product: 'Kerio Connect' },
  { email: 'noc@acme.example', name: 'Nora Noc', licence: '27A3-9F10-4C2B', product: 'Kerio Connect' },
  { email: 'lars@nordic.example', name: 'Lars Berg', licence: '5B61-22D0-9E7A', product: 'Kerio Control' },
  { email: 'ops@nordic.example', name: 'Nordic Ops', licence: '5B61-22D0-9E7A', product: 'Kerio Control' },
  { email: 'karin@nordic.example', name: 'Karin Lund', licence: '5B61-22D0-9E7A', product: 'Kerio Control' },
];

/** At most this many requests per caller: the automatic-mail throttle allows 10 per address in 10 minutes. */
const perCaller = 10;

/**
 * Extra customers (5 eligible callers each) so that no caller sends more than `perCaller` requests and every request
 * is acknowledged; written as a directory file next to the example one.
 */
function benchDirectory(messages: number, file: string): Caller[] {
  const customers = Math.max(0, Math.ceil((messages / perCaller - exampleCallers.length) / 5));
  const callers: Caller[] = [];
  const lines = ['customers:'];
  for (let index = 1; index <= customers; index++) {
    const key = `BENCH${String(index).padStart(3, '0')}`;
    const licence = `BE${String(index).padStart(2, '0').slice(-2)}-${String(index).padStart(4, '0')}-7A7A`;
    lines.push(
      `  - { key: ${key}, name: Bench Customer ${index}, supportLevel: normal, calendar: 24x7, currency: USD, locale: en,`,
      `      licences: [{ number: "${licence}", product: Kerio Connect, type: commercial, registeredOn: 2025-01-01, maintenanceUntil: 2099-01-01 }],`,
      '      eligibleCallers: [',
    );
    for (let person = 1; person <= 5; person++) {
      const caller = { email: `caller${person}@bench${index}.example`, name: `Caller ${person} of ${key}`, licence, product: 'Kerio Connect' };
      callers.push(caller);
      lines.push(`        { email: ${caller.email}, name: "${caller.name}" },`);
    }
    lines.push('      ] }');
  }
  fs.writeFileSync(file, `${customers ? lines.join('\n') : 'customers: []'}\npartners: []\n`);
  return [...exampleCallers, ...callers];
}

let callers: Caller[] = exampleCallers;

const runId = Date.now().toString(36);

function request(index: number): { messageId: string; raw: string } {
  const caller = callers[index % callers.length]!;
  const messageId = `<bench-${runId}-${index}@bench.example>`;
  const raw = [
    `From: ${caller.name} <${caller.email}>`,
    'To: Support <support@deskbot.local>',
    `Subject: Severity 3: ${caller.product} 10.0.${index % 9} queue stalls (bench ${index})`,
    `Message-ID: ${messageId}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Hello, ${caller.product} version 10.0.${index % 9} stops delivering queued mail after a restart.`,
    `Licence number: ${caller.licence}`,
    'Severity: 3 (Minor)',
    '',
    `Regards, ${caller.name}`,
    '',
  ].join('\r\n');
  return { messageId, raw };
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(label: string, latencies: number[], elapsedMs: number, expected: number) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    phase: label,
    messages: expected,
    acknowledged: latencies.length,
    p50Ms: Math.round(percentile(sorted, 50)),
    p95Ms: Math.round(percentile(sorted, 95)),
    p99Ms: Math.round(percentile(sorted, 99)),
    maxMs: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
    throughputPerS: Number(((latencies.length / elapsedMs) * 1_000).toFixed(1)),
  };
}


/** Starts `deskbot serve` (in this process, or as a child) and resolves once its IMAP intake is connected. */
async function startDeskbot(env: NodeJS.ProcessEnv, port: number): Promise<{ stop(): Promise<void> }> {
  let stop: () => Promise<void>;
  if (args['in-process']) {
    const config = loadConfig(env);
    const running = await serve(config, { logger: createLogger({ level: config.LOG_LEVEL }) });
    stop = running.stop;
  } else {
    const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop = async () => {
      child.kill('SIGTERM');
      await exited;
    };
  }
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      const report = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { parts: Record<string, { state: string }> };
      if (report.parts.imap?.state === 'ok') return { stop };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await stop();
  throw new Error('deskbot did not report IMAP ok on /healthz within 60 s');
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-bench-'));
  const dovecot = await startDovecot();
  const smtp = await startSmtpCapture();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dataDir,
    DATABASE_URL: process.env.BENCH_DATABASE_URL ?? '',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    IMAP_HOST: dovecot.host,
    IMAP_PORT: String(dovecot.port),
    IMAP_SECURE: 'false',
    IMAP_USER: dovecot.user,
    IMAP_PASSWORD: dovecot.password,
    SMTP_URL: smtp.url,
  };
  const config = loadConfig(env);
  const logger = createLogger({ level: config.LOG_LEVEL });

  const setup = await openRuntime(config, { logger });
  try {
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { directory: setup.directory, policy: setup.policy });
    const extra = path.join(dataDir, 'bench-directory.yaml');
    callers = benchDirectory(singleCount + burstCount, extra);
    await importDirectoryFile(extra, { directory: setup.directory, policy: setup.policy });
  } finally {
    await setup.close();
  }
  const deskbot = await startDeskbot(env, config.PORT);

  /** Acknowledgement arrival time by the request's Message-ID. */
  const acknowledged = new Map<string, number>();
  let seen = 0;
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        await smtp.waitForMessages(seen + 1, 1_000);
      } catch {
        continue;
      }
      const now = performance.now();
      for (; seen < smtp.messages.length; seen++) {
        const headers = smtp.messages[seen]!.raw.toString('latin1').split(/\r?\n\r?\n/, 1)[0] ?? '';
        const inReplyTo = /^In-Reply-To:\s*(<[^>]+>)/im.exec(headers.replace(/\r?\n[ \t]+/g, ' '))?.[1];
        if (inReplyTo && !acknowledged.has(inReplyTo)) acknowledged.set(inReplyTo, now);
      }
    }
  })();

  /** Waits until every id is acknowledged, or no acknowledgement arrived for `timeoutMs`. */
  const waitForAcks = async (ids: string[]) => {
    let progressAt = Date.now();
    let count = acknowledged.size;
    while (ids.some((id) => !acknowledged.has(id)) && Date.now() - progressAt < timeoutMs) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      if (acknowledged.size !== count) {
        count = acknowledged.size;
        progressAt = Date.now();
      }
    }
  };

  const results = [];
  try {
    // Sequential single messages: each waits for its acknowledgement before the next is sent.
    const singleLatencies: number[] = [];
    const singleStarted = performance.now();
    for (let index = 0; index < singleCount; index++) {
      const { messageId, raw } = request(index);
      const sentAt = performance.now();
      await dovecot.append(raw);
      await waitForAcks([messageId]);
      const ackAt = acknowledged.get(messageId);
      if (ackAt !== undefined) singleLatencies.push(ackAt - sentAt);
    }
    results.push(summary('single (sequential)', singleLatencies, performance.now() - singleStarted, singleCount));

    // Burst: every message APPENDed back to back, then wait for all acknowledgements.
    const sentAt = new Map<string, number>();
    const burstStarted = performance.now();
    for (let index = singleCount; index < singleCount + burstCount; index++) {
      const { messageId, raw } = request(index);
      sentAt.set(messageId, performance.now());
      await dovecot.append(raw);
    }
    const appendMs = performance.now() - burstStarted;
    await waitForAcks([...sentAt.keys()]);
    const burstLatencies = [...sentAt].flatMap(([id, at]) => (acknowledged.has(id) ? [acknowledged.get(id)! - at] : []));
    const lastAck = Math.max(...[...sentAt.keys()].map((id) => acknowledged.get(id) ?? 0));
    results.push({ ...summary(`burst of ${burstCount}`, burstLatencies, lastAck - burstStarted, burstCount), appendMs: Math.round(appendMs) });
    if (burstLatencies.length < burstCount) {
      // Where did the rest stop? deskbot's own view, for the report.
      const health = await (await fetch(`http://127.0.0.1:${config.PORT}/healthz`)).text();
      const metrics = (await (await fetch(`http://127.0.0.1:${config.PORT}/metrics`)).text()).split('\n').filter((line) => /^deskbot_/.test(line));
      console.error(`health: ${health}\n${metrics.join('\n')}`);
    }
  } finally {
    watching = false;
    await watcher;
    await deskbot.stop();
    await smtp.close();
    await dovecot.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }

  const database = process.env.BENCH_DATABASE_URL ? 'postgres' : 'pglite';
  console.log(`\nintake: APPEND -> acknowledgement at the SMTP server (${database}, node ${process.version})`);
  console.table(results);
  console.log(JSON.stringify({ bench: 'intake', database, results }));
  const missing = results.reduce((sum, row) => sum + (row.messages - row.acknowledged), 0);
  if (missing) {
    console.error(`${missing} acknowledgements did not arrive (none for ${timeoutMs / 1_000} s at the end)`);
    process.exitCode = 1;
  }
}

await main();
// A stray handle (a pool, a timer) must not keep the benchmark alive once it reported.
setTimeout(() => process.exit(), 2_000).unref();
