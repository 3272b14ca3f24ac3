// The start-up warm-up of the intake path: its statements run on both back ends in transactions that are rolled back
// (nothing kept, no request number used up, nothing queued), are then prepared on the embedded database, and a
// database that refuses them leaves serve starting with the failure reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailParser } from '../src/channels/email/parse-message.ts';
import { createTemplateRenderer } from '../src/channels/email/templates.ts';
import { defaultPolicy } from '../src/domain/policy.ts';
import { DeskbotError } from '../src/errors.ts';
import type { Database } from '../src/store/database.ts';
import { storeAccess } from '../src/store/transactor.ts';
import { warmIntake, warmIntakeStatements } from '../src/warm-up.ts';
import { backends } from './helpers/backends.ts';

const policy = defaultPolicy();
const clock = { now: () => new Date('2026-11-17T15:00:00Z') };
const tables = ['Ticket', 'SlaTimer', 'TicketEvent', 'MessageRef', 'Outbox', 'AutoMailLog', 'InboundMessage', 'ConversationMessage', 'RequestCounter'];

async function rowCounts(database: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const rows = await database.prisma.$queryRawUnsafe<Array<{ count: number | bigint }>>(`SELECT count(*)::int AS "count" FROM "${table}"`);
    counts[table] = Number(rows[0]?.count);
  }
  return counts;
}

describe.each(backends)('warming the intake statements on $name', (backend) => {
  // The directory's content does not matter: the statements probe an address nobody has.
  let opened: Awaited<ReturnType<typeof backend.open>> | undefined;
  afterAll(async () => opened?.dispose());

  it.skipIf(!backend.available)('keeps no row and uses up no request number, however often it runs', async () => {
    opened = await backend.open();
    const store = storeAccess(opened.database, policy);
    const before = await rowCounts(opened.database);
    expect(await warmIntakeStatements({ ...store, policy, clock }, 3)).toBe(3);
    expect(await rowCounts(opened.database)).toEqual(before);
    expect(await store.transactor.run((tx) => tx.tickets.nextRequestId(2026))).toBe('SR-2026-000001');
  });
});

describe('warming the intake statements on the embedded database', () => {
  const pglite = backends.find((backend) => backend.name === 'pglite')!;
  let opened: Awaited<ReturnType<typeof pglite.open>>;
  beforeAll(async () => {
    opened = await pglite.open();
  });
  afterAll(async () => opened?.dispose());

  it('leaves them prepared for the first mail (PGlite prepares a statement on its second use)', async () => {
    const { database } = opened;
    const store = storeAccess(database, policy);
    const preparedStatements = async () =>
      (await database.prisma.$queryRawUnsafe<Array<{ statement: string }>>('SELECT "statement" FROM pg_prepared_statements')).map((row) => row.statement);
    await warmIntakeStatements({ ...store, policy, clock }, 1);
    expect((await preparedStatements()).some((statement) => statement.includes('INSERT INTO "Ticket"'))).toBe(false);
    await warmIntakeStatements({ ...store, policy, clock }, 1);
    const prepared = await preparedStatements();
    expect(prepared.some((statement) => statement.includes('INSERT INTO "RequestCounter"'))).toBe(true);
    expect(prepared.some((statement) => statement.includes('INSERT INTO "Ticket"'))).toBe(true);
    expect(prepared.some((statement) => statement.includes('FROM "EligibleCaller"'))).toBe(true);
  });
});

describe('warmIntake', () => {
  it('compiles the answer templates and reports a database that refuses the statements instead of failing', async () => {
    const refusing = () => Promise.reject(new DeskbotError('DB_UNAVAILABLE', 'The database is unavailable: connection refused', { retryable: true }));
    const summary = await warmIntake({
      mailRenderer: createTemplateRenderer({}),
      policy,
      clock,
      parser: mailParser,
      database: { kind: 'postgres' } as Database,
      transactor: { run: refusing, group: refusing } as never,
      repositories: { directory: { lookupSenderWithInbound: refusing }, tickets: { loadCard: refusing } } as never,
    });
    expect(summary.statementRounds).toBe(0);
    expect(summary.statementsError).toMatch(/database is unavailable/);
    // acknowledgement and not-eligible, in each of the built-in locales.
    expect(summary.templates).toBe(2 * 4);
    expect(summary.calendars).toBeGreaterThan(0);
  });
});
