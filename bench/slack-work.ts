// Diagnosis for bench:slack: the post-ack work of each /support sub-command timed alone, one at a time, on a store
// with 10,000 open tickets (the same seed), with the statements each one sends counted. It says which sub-command's
// work bounds the Slack throughput. Run with `npx tsx bench/slack-work.ts [--tickets 10000] [--repeat 20]`;
// DATABASE_URL selects PostgreSQL, else PGlite.
import { parseArgs } from 'node:util';
import { runSupportCommand } from '../src/channels/slack/commands/support-command.ts';
import { parseSupportCommand } from '../src/channels/slack/commands/parse-support-command.ts';
import type { SlackHandlerDeps } from '../src/channels/slack/slack-deps.ts';
import { defaultPolicy } from '../src/domain/policy.ts';
import { formatRequestId } from '../src/domain/request-id.ts';
import { createSilentLogger } from '../src/logger.ts';
import { systemClock } from '../src/ports.ts';
import { openDatabase } from '../src/store/database.ts';
import { migrate } from '../src/store/migrate.ts';
import { createSlaTimers } from '../src/store/sla-timers.ts';
import { claimSlackDelivery } from '../src/store/ticket-queries.ts';
import { percentile } from './intake-rig.ts';
import { seedOpenTickets } from './seed.ts';

const { values: args } = parseArgs({ options: { tickets: { type: 'string', default: '10000' }, repeat: { type: 'string', default: '20' } } });
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
  actions: { prisma, policy, clock: systemClock, slaTimers: createSlaTimers(policy), mail: { supportAddress: 'support@deskbot.local', supportName: 'Support' } },
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
const rows = [];
let trigger = 0;
for (const [name, text] of Object.entries(texts)) {
  const times: number[] = [];
  const before = statements;
  for (let index = 0; index < repeat + 3; index++) {
    const started = performance.now();
    // As support-command.ts does after ack: claim the trigger once, then run the sub-command.
    await claimSlackDelivery(prisma, `command:bench-work-${trigger++}`, systemClock.now());
    const parsed = parseSupportCommand(text(index));
    if (!parsed.ok) throw new Error(parsed.error);
    await runSupportCommand(deps, parsed.command, { id: engineers[index % engineers.length]! });
    if (index >= 3) times.push(performance.now() - started);
  }
  const sorted = times.sort((a, b) => a - b);
  const mean = times.reduce((sum, value) => sum + value, 0) / times.length;
  rows.push({ subCommand: name, meanMs: Number(mean.toFixed(1)), p50Ms: Number(percentile(sorted, 50).toFixed(1)), maxMs: Number(sorted.at(-1)!.toFixed(1)), statements: (statements - before) / (repeat + 3) });
}
console.log(`post-ack work per /support sub-command, alone and one at a time: ${database.kind}, ${ticketCount} open tickets, ${repeat} runs each after 3 warm-up runs`);
console.table(rows);
console.log(JSON.stringify({ bench: 'slack-work', database: database.kind, tickets: ticketCount, rows }));
await database.close();
setTimeout(() => process.exit(), 2_000).unref();
