// Diagnosis for bench:slack: the post-ack work of each /support sub-command timed alone, one at a time, on a store
// with 10,000 open tickets (the same seed), with the statements each one sends counted. It says which sub-command's
// work bounds the Slack throughput. Run with `npx tsx bench/slack-work.ts [--tickets 10000] [--repeat 20]`;
// DATABASE_URL selects PostgreSQL, else PGlite. `--profile` adds where each one's CPU time goes (V8's sampling
// profiler around the timed runs only, self time grouped by package). cpuMs is this process's CPU time per run, which
// a loaded machine disturbs less than the wall time.
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { runSupportCommand } from '../src/channels/slack/commands/support-command.ts';
import { parseSupportCommand } from '../src/channels/slack/commands/parse-support-command.ts';
import type { SlackHandlerDeps } from '../src/channels/slack/slack-deps.ts';
import { defaultPolicy } from '../src/domain/policy.ts';
import { formatRequestId } from '../src/domain/request-id.ts';
import { createSilentLogger } from '../src/logger.ts';
import { systemClock } from '../src/app/ports.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { claimSlackDelivery } from '../src/store/ticket-queries.ts';
import { percentile } from './intake-rig.ts';
import { seedOpenTickets } from './seed.ts';
import { storeAccess } from '../src/store/transactor.ts';

const { values: args } = parseArgs({
  options: { tickets: { type: 'string', default: '10000' }, repeat: { type: 'string', default: '20' }, profile: { type: 'boolean', default: false } },
});
const ticketCount = Number(args.tickets);
const repeat = Number(args.repeat);
const engineers = ['UBENCH001', 'UBENCH002', 'UBENCH003', 'UBENCH004'];
const logger = createSilentLogger();
const policy = { ...defaultPolicy(), roles: { engineers, managers: [] } };
const database = await openDatabase({ logger, databaseUrl: process.env.DATABASE_URL, poolSize: 10 });
await migrate(database, { logger });
await database.prisma.$executeRawUnsafe('TRUNCATE "Ticket", "Customer", "SlackDelivery", "Outbox", "RequestCounter" RESTART IDENTITY CASCADE');
await seedOpenTickets(database.prisma, {
  count: ticketCount,
  year: 2026,
  customerPrefix: 'c',
  requesterDomain: 'example.com',
  assignee: (index) => (index % 3 === 0 ? engineers[index % engineers.length]! : null),
  budgetMs: (severity, order) => (severity + order * 8) * 9 * 3_600_000,
});

// Statements per sub-command: every Prisma operation (model and raw) passes through this extension.
let statements = 0;
const prisma = database.prisma.$extends({
  query: {
    async $allOperations({ args: operationArgs, query }) {
      statements += 1;
      return query(operationArgs);
    },
  },
}) as unknown as typeof database.prisma;
const deps = {
  actions: {
    ...storeAccess(prisma, policy),
    policy,
    clock: systemClock,
    config: { SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support' },
  },
  command: '/support',
} as unknown as SlackHandlerDeps;

const pick = (index: number) => formatRequestId(2026, 1 + ((index * 7_919) % ticketCount));
const texts: Record<string, (index: number) => string> = {
  help: () => 'help',
  'list open': () => 'list open',
  'list mine': () => 'list mine',
  'list breaching': () => 'list breaching',
  show: (index) => `show ${pick(index)}`,
  assign: (index) => `assign ${pick(index)} me`,
  severity: (index) => `severity ${pick(index)} ${1 + (index % 5)}`,
};
interface ProfileNode {
  id: number;
  callFrame: { url: string; functionName: string };
}
/** Self time (ms) by where the code lives: PostgreSQL in PGlite's wasm, PGlite's JS, Prisma, pg, deskbot's src/, Node, GC. */
function groupSelfTime(profile: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }): Record<string, number> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const groups: Record<string, number> = {};
  const groupOf = (node: ProfileNode) => {
    const { url, functionName } = node.callFrame;
    // The inspector's own 'dispatch' (stopping the profile) is not the work.
    if (!url) return functionName === 'dispatch' ? undefined : functionName.startsWith('(') ? functionName : 'native';
    if (url.startsWith('wasm://')) return 'postgres (PGlite wasm)';
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
    if (pkg) return pkg.startsWith('@prisma') || pkg.includes('prisma') ? 'prisma' : pkg;
    if (url.includes('/src/generated/')) return 'prisma';
    if (url.includes('/src/')) return 'deskbot src/';
    if (url.startsWith('node:')) return 'node';
    return 'other';
  };
  (profile.samples ?? []).forEach((sample, index) => {
    const node = byId.get(sample);
    if (!node) return;
    const group = groupOf(node);
    if (!group) return;
    groups[group] = (groups[group] ?? 0) + (profile.timeDeltas?.[index] ?? 0) / 1_000;
  });
  return groups;
}
const session = args.profile ? new Session() : undefined;
session?.connect();
await session?.post('Profiler.enable');
await session?.post('Profiler.setSamplingInterval', { interval: 200 });
const profiles: Record<string, Record<string, number>> = {};

const rows = [];
let trigger = 0;
for (const [name, text] of Object.entries(texts)) {
  const times: number[] = [];
  const cpu: number[] = [];
  const before = statements;
  for (let index = 0; index < repeat + 3; index++) {
    if (index === 3) await session?.post('Profiler.start');
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    // As support-command.ts does after ack: claim the trigger once, then run the sub-command.
    await claimSlackDelivery(prisma, `command:bench-work-${trigger++}`, systemClock.now());
    const parsed = parseSupportCommand(text(index));
    if (!parsed.ok) throw new Error(parsed.error);
    await runSupportCommand(deps, parsed.command, { id: engineers[index % engineers.length]! });
    if (index >= 3) {
      times.push(performance.now() - started);
      const used = process.cpuUsage(cpuStarted);
      cpu.push((used.user + used.system) / 1_000);
    }
  }
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    const grouped = groupSelfTime(profile as never);
    profiles[name] = Object.fromEntries(Object.entries(grouped).map(([group, ms]) => [group, Number((ms / repeat).toFixed(1))]));
  }
  const sorted = times.sort((a, b) => a - b);
  const mean = times.reduce((sum, value) => sum + value, 0) / times.length;
  rows.push({
    subCommand: name,
    meanMs: Number(mean.toFixed(1)),
    p50Ms: Number(percentile(sorted, 50).toFixed(1)),
    maxMs: Number(sorted.at(-1)!.toFixed(1)),
    // CPU time of this process (all threads) per run: steadier than wall time on a shared machine.
    cpuMs: Number((cpu.reduce((sum, value) => sum + value, 0) / cpu.length).toFixed(1)),
    statements: Number(((statements - before) / (repeat + 3)).toFixed(1)),
  });
}
console.log(`post-ack work per /support sub-command, alone and one at a time: ${database.kind}, ${ticketCount} open tickets,`);
console.log(`${repeat} runs each after 3 warm-up runs`);
console.table(rows);
if (session) {
  console.log('CPU self time per run (ms) of this process by where the code lives (PostgreSQL server time is not in it):');
  console.table(profiles);
}
console.log(JSON.stringify({ bench: 'slack-work', database: database.kind, tickets: ticketCount, rows, ...(session ? { profiles } : {}) }));
await database.close();
setTimeout(() => process.exit(), 2_000).unref();
