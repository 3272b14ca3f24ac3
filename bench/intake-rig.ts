// The intake benchmarks' test rig: a throw-away Dovecot, a loopback SMTP capture and N `deskbot serve` processes on
// one database, a directory with enough eligible callers, and a watcher that times each acknowledgement by the
// request's Message-ID. Shared by bench/intake.ts (latency, throughput) and bench/scale.ts (processes, memory).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importDirectoryFile } from '../src/app/import-directory.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { serve } from '../src/main.ts';
import { openRuntime, type Runtime } from '../src/runtime.ts';
import { imapEnvOf, startDovecot } from '../test/helpers/dovecot.ts';
import { freePort } from '../test/helpers/net.ts';
import { startSmtpCapture, type SmtpCapture } from '../test/helpers/smtp-capture.ts';
import { startFloor } from './intake-floor.ts';

export interface Caller {
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

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export interface LatencySummary {
  phase: string;
  messages: number;
  acknowledged: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
  throughputPerS: number;
  /** From the first APPEND to the last acknowledgement of the phase. */
  totalMs: number;
}

export function summary(label: string, latencies: number[], elapsedMs: number, expected: number): LatencySummary {
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
    totalMs: Math.round(elapsedMs),
  };
}

export interface IntakeRigOptions {
  /** PostgreSQL URL; PGlite in a temporary DATA_DIR when absent (then only one process). */
  databaseUrl?: string | undefined;
  /** `deskbot serve` processes on the one database (default 1). */
  processes?: number;
  /** Run serve() inside this process instead of child processes (one process only). */
  inProcess?: boolean;
  /** How many requests the run will send: the directory gets enough eligible callers for them. */
  messages: number;
  /** Work on the database before deskbot starts (after migration and the directory import). */
  prepare?: (runtime: Runtime) => Promise<void>;
  /**
   * Requests already in the mailbox before deskbot's first start (a backlog), received by the server at `receivedAt`;
   * deskbot then starts with IMAP_START=all to work through them. Their Message-IDs are in `IntakeRig.backlog`.
   */
  backlog?: { count: number; receivedAt: Date };
  /**
   * The script the serve processes run (`node <entry> serve`) instead of bin/deskbot.mjs over a freshly built dist/
   * bundle: a test's private bundle, so that it never rebuilds dist/ under other suites' processes.
   */
  entry?: string;
  /** Extra environment variables for the serve processes. */
  env?: Record<string, string>;
  logLevel?: string;
  /**
   * Runs the floor (bench/intake-floor.ts) on the same Dovecot and SMTP capture before deskbot starts: `measure` gets
   * a rig whose requests the floor answers; its messages are deleted before deskbot connects.
   */
  floor?: (rig: IntakeRig) => Promise<void>;
}

export interface IntakeRig {
  /** PIDs of the serve child processes (empty in-process). */
  pids: number[];
  /** HTTP ports of the serve processes, in start order. */
  ports: number[];
  /**
   * CPU time (user + system, every thread) the serve processes have used so far, in ms; undefined where it cannot be
   * read (not Linux, in-process, the floor). The burst's CPU per message is steadier than its wall time on a shared
   * machine, and A/B comparisons of a change read it first.
   */
  cpuMs?(): number | undefined;
  /** The index of the process that holds the IMAP intake. */
  leader: number;
  /** Message-IDs of the backlog appended before the first start (empty without `backlog`). */
  backlog: string[];
  /**
   * A request from an eligible caller; `attachmentBytes` adds a binary attachment of about that size, `date` dates it
   * (default now).
   */
  request(index: number, options?: { attachmentBytes?: number; date?: Date }): { messageId: string; raw: Buffer };
  append(raw: Buffer): Promise<void>;
  /** Acknowledgement arrival time (performance.now()) by the request's Message-ID. */
  acknowledged: Map<string, number>;
  /** Waits until every id is acknowledged, or no acknowledgement arrived for `idleTimeoutMs`. */
  waitForAcks(ids: string[], idleTimeoutMs: number): Promise<void>;
  /** deskbot's own view (health and deskbot_* metrics) of each process, for a report on what went missing. */
  diagnostics(): Promise<string>;
  stop(): Promise<void>;
}

/** Requests from the eligible callers, Message-IDs `<bench-{runId}-{index}@bench.example>`. */
export function requestBuilder(callers: Caller[], runId: string): IntakeRig['request'] {
  return (index, requestOptions = {}) => {
    const caller = callers[index % callers.length]!;
    const messageId = `<bench-${runId}-${index}@bench.example>`;
    const text = [
      `Hello, ${caller.product} version 10.0.${index % 9} stops delivering queued mail after a restart.`,
      `Licence number: ${caller.licence}`,
      'Severity: 3 (Minor)',
      '',
      `Regards, ${caller.name}`,
      '',
    ].join('\r\n');
    const head = [
      `From: ${caller.name} <${caller.email}>`,
      'To: Support <support@deskbot.local>',
      `Subject: Severity 3: ${caller.product} 10.0.${index % 9} queue stalls (bench ${index})`,
      `Message-ID: ${messageId}`,
      `Date: ${(requestOptions.date ?? new Date()).toUTCString()}`,
      'MIME-Version: 1.0',
    ];
    if (!requestOptions.attachmentBytes) {
      return { messageId, raw: Buffer.from([...head, 'Content-Type: text/plain; charset=utf-8', '', text].join('\r\n')) };
    }
    const boundary = `bench-${runId}-${index}`;
    const attachment = randomBytes(requestOptions.attachmentBytes).toString('base64').replace(/.{76}/g, '$&\r\n');
    const raw = [
      ...head,
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      `--${boundary}`,
      'Content-Type: application/octet-stream; name="server-dump.bin"',
      'Content-Disposition: attachment; filename="server-dump.bin"',
      'Content-Transfer-Encoding: base64',
      '',
      attachment,
      `--${boundary}--`,
      '',
    ].join('\r\n');
    return { messageId, raw: Buffer.from(raw) };
  };
}

/** Times each acknowledgement reaching the SMTP capture by the In-Reply-To it carries (the request's Message-ID). */
function watchAcknowledgements(smtp: SmtpCapture): Pick<IntakeRig, 'acknowledged' | 'waitForAcks' | 'stop'> {
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
  return {
    acknowledged,
    async waitForAcks(ids, idleTimeoutMs) {
      let progressAt = Date.now();
      let count = acknowledged.size;
      while (ids.some((id) => !acknowledged.has(id)) && Date.now() - progressAt < idleTimeoutMs) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        if (acknowledged.size !== count) {
          count = acknowledged.size;
          progressAt = Date.now();
        }
      }
    },
    async stop() {
      watching = false;
      await watcher;
    },
  };
}

async function fetchJson(url: string): Promise<unknown> {
  return (await fetch(url)).json();
}

/** Starts the rig and resolves once every process serves HTTP and one of them holds a connected IMAP intake. */
export async function startIntakeRig(options: IntakeRigOptions): Promise<IntakeRig> {
  const processes = options.processes ?? 1;
  if (processes > 1 && !options.databaseUrl) throw new Error('several processes need PostgreSQL (a database URL)');
  if (processes > 1 && options.inProcess) throw new Error('--in-process runs one process only');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-bench-'));
  const dovecot = await startDovecot();
  const smtp = await startSmtpCapture();
  const acks = watchAcknowledgements(smtp);
  const runId = randomBytes(4).toString('hex');
  const baseEnv: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: options.databaseUrl ?? '',
    LOG_LEVEL: options.logLevel ?? process.env.LOG_LEVEL ?? 'error',
    HOST: '127.0.0.1',
    ...imapEnvOf(dovecot),
    SMTP_URL: smtp.url,
    ...options.env,
  };
  const envs: NodeJS.ProcessEnv[] = [];
  for (let index = 0; index < processes; index++) {
    const dir = path.join(dataDir, `p${index}`);
    fs.mkdirSync(dir);
    envs.push({ ...baseEnv, DATA_DIR: dir, PORT: String(await freePort()) });
  }
  const config = loadConfig(envs[0]!);
  const logger = createLogger({ level: config.LOG_LEVEL });

  let callers = exampleCallers;
  const setup = await openRuntime(config, { logger });
  try {
    await importDirectoryFile(path.resolve('examples/directory.yaml'), setup);
    const extra = path.join(dataDir, 'bench-directory.yaml');
    callers = benchDirectory(options.messages, extra);
    await importDirectoryFile(extra, setup);
    await options.prepare?.(setup);
  } finally {
    await setup.close();
  }

  if (options.floor) {
    const floor = await startFloor(dovecot, smtp.url);
    try {
      await options.floor({
        pids: [],
        ports: [],
        leader: 0,
        backlog: [],
        request: requestBuilder(callers, `floor-${runId}`),
        append: async (raw) => void (await dovecot.append(raw)),
        acknowledged: acks.acknowledged,
        waitForAcks: acks.waitForAcks,
        diagnostics: async () => `floor: ${floor.answered} answered; errors: ${floor.errors.join('; ') || 'none'}`,
        // startIntakeRig stops the floor once `options.floor` returned.
        stop: async () => undefined,
      });
    } finally {
      await floor.stop();
    }
  }

  const backlog: string[] = [];
  if (options.backlog) {
    const { count, receivedAt } = options.backlog;
    const request = requestBuilder(callers, `backlog-${runId}`);
    for (let index = 0; index < count; index++) {
      const { messageId, raw } = request(index, { date: receivedAt });
      await dovecot.withClient((client) => client.append('INBOX', raw, [], receivedAt));
      backlog.push(messageId);
    }
  }

  // Serve from the dist/ bundle, as `npm start` does (bin/deskbot.mjs falls back to tsx when it is stale).
  if (!options.inProcess && !options.entry) execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
  const children: ChildProcess[] = [];
  const stops: Array<() => Promise<void>> = [];
  if (options.inProcess) {
    const running = await serve(config, { logger });
    stops.push(running.stop);
  } else {
    // BENCH_NODE_ARGS: node flags for the serve processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" (NODE_OPTIONS refuses --cpu-prof).
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    for (const env of envs) {
      const child = spawn(process.execPath, [...nodeArgs, options.entry ?? 'bin/deskbot.mjs', 'serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      children.push(child);
      stops.push(async () => {
        child.kill('SIGTERM');
        await exited;
      });
    }
  }
  const ports = envs.map((env) => Number(env.PORT));
  const stopAll = async () => {
    await acks.stop();
    await Promise.all(stops.map((stop) => stop()));
    await smtp.close();
    await dovecot.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  // Ready: every process answers /healthz with IMAP ok (the leader connected, the others on standby), one leads.
  let leader = -1;
  const deadline = Date.now() + 60_000;
  while (leader < 0) {
    if (Date.now() > deadline) {
      await stopAll();
      throw new Error('deskbot did not come up with a connected IMAP intake within 60 s');
    }
    try {
      const states = await Promise.all(
        ports.map(async (port) => {
          const report = (await fetchJson(`http://127.0.0.1:${port}/healthz`)) as { parts: Record<string, { state: string }> };
          const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return { imapOk: report.parts.imap?.state === 'ok', leads: /^deskbot_imap_leader 1$/m.test(metrics) };
        }),
      );
      const leading = states.findIndex((state) => state.leads);
      if (states.every((state) => state.imapOk) && leading >= 0) leader = leading;
    } catch {
      // not listening yet
    }
    if (leader < 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    pids: children.map((child) => child.pid!),
    ports,
    // In-process the benchmark's own work (APPENDs, the SMTP capture) would count too: no figure then.
    cpuMs: () => (options.inProcess ? undefined : cpuOfProcesses(children.map((child) => child.pid!))),
    leader,
    backlog,
    request: requestBuilder(callers, runId),
    async append(raw) {
      await dovecot.append(raw);
    },
    acknowledged: acks.acknowledged,
    waitForAcks: acks.waitForAcks,
    async diagnostics() {
      const reports = await Promise.all(
        ports.map(async (port, index) => {
          const health = await (await fetch(`http://127.0.0.1:${port}/healthz`)).text().catch((error: Error) => error.message);
          const metrics = (await (await fetch(`http://127.0.0.1:${port}/metrics`)).text().catch(() => ''))
            .split('\n')
            .filter((line) => /^deskbot_(?!process|nodejs)/.test(line));
          return `process ${index} (port ${port}) health: ${health}\n${metrics.join('\n')}`;
        }),
      );
      return reports.join('\n');
    },
    async stop() {
      await stopAll();
    },
  };
}

/** The summed CPU time in ms of `pids` from /proc (Linux; clock ticks of 10 ms), or undefined. */
function cpuOfProcesses(pids: number[]): number | undefined {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // Fields after the command name: state is the 1st, utime the 12th, stime the 13th (proc(5)).
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').pop()!.trim().split(/\s+/);
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }
  return ticks * 10;
}

export interface IntakeMeasureOptions {
  /** Sequential requests, each sent when the previous one was acknowledged. */
  single: number;
  /** Requests APPENDed back to back, then all awaited. */
  burst: number;
  /** Give up when no acknowledgement arrived for this long. */
  idleTimeoutMs: number;
  /** Burst positions (0-based) whose request carries an attachment of this many bytes. */
  large?: { every: number; attachmentBytes: number };
  /** Called before the burst's first APPEND, once it is appended and when it is acknowledged (sampling hooks). */
  onBurst?: (phase: 'start' | 'appended' | 'acknowledged') => void;
}

export type IntakeResult = LatencySummary & { appendMs?: number; cpuMsPerMessage?: number };

/** The intake benchmark proper: a sequential phase, then a burst; latency from APPEND to the acknowledgement. */
export async function measureIntake(rig: IntakeRig, options: IntakeMeasureOptions): Promise<IntakeResult[]> {
  const results: IntakeResult[] = [];
  const singleLatencies: number[] = [];
  const singleStarted = performance.now();
  for (let index = 0; index < options.single; index++) {
    const { messageId, raw } = rig.request(index);
    const sentAt = performance.now();
    await rig.append(raw);
    await rig.waitForAcks([messageId], options.idleTimeoutMs);
    const ackAt = rig.acknowledged.get(messageId);
    if (ackAt !== undefined) singleLatencies.push(ackAt - sentAt);
  }
  if (process.env.BENCH_VERBOSE) console.error('single latencies (ms):', singleLatencies.map(Math.round).join(' '));
  if (options.single) results.push(summary('single (sequential)', singleLatencies, performance.now() - singleStarted, options.single));

  if (options.burst) {
    const sentAt = new Map<string, number>();
    options.onBurst?.('start');
    const cpuBefore = rig.cpuMs?.();
    const burstStarted = performance.now();
    let large = 0;
    for (let position = 0; position < options.burst; position++) {
      const big = options.large && position % options.large.every === options.large.every - 1;
      if (big) large += 1;
      const { messageId, raw } = rig.request(options.single + position, big ? { attachmentBytes: options.large!.attachmentBytes } : {});
      sentAt.set(messageId, performance.now());
      await rig.append(raw);
    }
    const appendMs = performance.now() - burstStarted;
    options.onBurst?.('appended');
    await rig.waitForAcks([...sentAt.keys()], options.idleTimeoutMs);
    options.onBurst?.('acknowledged');
    const cpuAfter = rig.cpuMs?.();
    const latencies = [...sentAt].flatMap(([id, at]) => (rig.acknowledged.has(id) ? [rig.acknowledged.get(id)! - at] : []));
    const lastAck = Math.max(...[...sentAt.keys()].map((id) => rig.acknowledged.get(id) ?? 0));
    if (process.env.BENCH_VERBOSE) {
      // Acknowledgements per 500 ms since the burst began: shows whether intake keeps pace with the APPENDs.
      const buckets: number[] = [];
      for (const id of sentAt.keys()) {
        const at = rig.acknowledged.get(id);
        if (at === undefined) continue;
        const bucket = Math.floor((at - burstStarted) / 500);
        buckets[bucket] = (buckets[bucket] ?? 0) + 1;
      }
      console.error(`burst acknowledgements per 500 ms (APPENDs done at ${Math.round(appendMs)} ms):`, Array.from(buckets, (n) => n ?? 0).join(' '));
    }
    const label = `burst of ${options.burst}${large ? ` (${large} of ~${Math.round((options.large!.attachmentBytes * 4) / 3 / 1_000_000)} MB)` : ''}`;
    const cpu = cpuBefore !== undefined && cpuAfter !== undefined ? { cpuMsPerMessage: Number(((cpuAfter - cpuBefore) / options.burst).toFixed(1)) } : {};
    results.push({ ...summary(label, latencies, lastAck - burstStarted, options.burst), appendMs: Math.round(appendMs), ...cpu });
  }
  if (results.some((row) => row.acknowledged < row.messages)) console.error(await rig.diagnostics());
  return results;
}
