// `deskbot tickets list|show` through runCli on PGlite and PostgreSQL: tickets made by real intake (import + ingest),
// filtered by status, customer and SLA state, shown whole, and bad arguments as usage errors (exit 2).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/program.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { backends } from '../../helpers/backends.ts';
import { createTestDatabase, type TestDatabase } from '../../helpers/postgres.ts';

const repoRoot = path.resolve(import.meta.dirname, '..', '..', '..');
const fixtures = path.join(repoRoot, 'test/fixtures/mail');

async function run(args: string[], env: NodeJS.ProcessEnv) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
  return { code, stdout, stderr };
}

describe.each(backends)('deskbot tickets on $name', (backend) => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `deskbot-tickets-${backend.name}-`));
  let env: NodeJS.ProcessEnv = {};
  let testDatabase: TestDatabase | undefined;
  const ids: Record<'complete' | 'incomplete' | 'trial', string> = { complete: '', incomplete: '', trial: '' };

  /** A short-lived connection to change ticket state between commands (PGlite admits one process at a time). */
  async function withDatabase(work: (database: Database) => Promise<void>) {
    const database = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR, logger: createSilentLogger() });
    try {
      await work(database);
    } finally {
      await database.close();
    }
  }

  beforeAll(async () => {
    if (!backend.available) return;
    // About listing and showing tickets, not the terms agreement: a policy that asks for none, so SLA clocks run at once.
    const policyFile = path.join(tmp, 'policy.yaml');
    fs.writeFileSync(policyFile, 'billing:\n  requireAgreement: false\n');
    env = { DATA_DIR: path.join(tmp, 'data'), LOG_LEVEL: 'silent', POLICY_FILE: policyFile };
    if (backend.name === 'postgres') {
      testDatabase = await createTestDatabase();
      env.DATABASE_URL = testDatabase.url;
    }
    expect((await run(['import', path.join(repoRoot, 'examples/directory.yaml')], env)).code).toBe(0);
    for (const [name, file] of [
      ['complete', 'new-request-complete.eml'],
      ['incomplete', 'incomplete-request.eml'],
      ['trial', 'trial.eml'],
    ] as const) {
      const ingested = await run(['ingest', path.join(fixtures, file)], env);
      expect(ingested.code, ingested.stderr).toBe(0);
      const line = JSON.parse(ingested.stdout) as { outcome: string; requestId: string };
      expect(line.outcome).toBe('ticket');
      ids[name] = line.requestId;
    }
  });

  afterAll(async () => {
    await testDatabase?.drop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.skipIf(!backend.available)('lists tickets not closed as a table and as JSON, filtered by customer and status', async () => {
    const table = await run(['tickets', 'list'], env);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^REQUEST\s+STATUS\s+SEV\s+CUSTOMER\s+REQUESTER\s+NEXT DUE\s+SLA\s+SUBJECT$/);
    expect(lines).toHaveLength(4);

    const acme = await run(['tickets', 'list', '--customer', 'ACME', '--format', 'json'], env);
    expect(
      JSON.parse(acme.stdout)
        .tickets.map((ticket: { requestId: string }) => ticket.requestId)
        .sort(),
    ).toEqual([ids.complete, ids.incomplete].sort());

    await withDatabase(async (database) => {
      await database.prisma.ticket.update({ where: { requestId: ids.incomplete }, data: { status: 'waiting' } });
      await database.prisma.ticket.update({ where: { requestId: ids.trial }, data: { status: 'closed', closedAt: new Date() } });
    });
    const requestIds = async (...args: string[]) =>
      JSON.parse((await run(['tickets', 'list', ...args, '--format', 'json'], env)).stdout).tickets.map((ticket: { requestId: string }) => ticket.requestId);
    expect(await requestIds('--status', 'open')).toEqual([ids.complete]);
    expect(await requestIds('--status', 'waiting')).toEqual([ids.incomplete]);
    expect(await requestIds('--status', 'closed')).toEqual([ids.trial]);
    expect((await requestIds()).sort()).toEqual([ids.complete, ids.incomplete].sort());
    expect(await requestIds('--customer', 'NORDIC')).toEqual([]);
    // A key the directory does not have is named, not taken for a customer without tickets.
    const typo = await run(['tickets', 'list', '--customer', 'NOPE'], env);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('no customer NOPE in the directory');
  });

  it.skipIf(!backend.available)('lists only tickets with a running SLA target past its warning point under --breaching', async () => {
    const requestIds = async () =>
      JSON.parse((await run(['tickets', 'list', '--breaching', '--format', 'json'], env)).stdout).tickets.map(
        (ticket: { requestId: string }) => ticket.requestId,
      );
    expect(await requestIds()).toEqual([]);
    await withDatabase(async (database) => {
      const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: ids.complete } });
      const past = new Date(Date.now() - 60_000);
      await database.prisma.slaTimer.updateMany({ where: { ticketId: ticket.id, target: 'initial-response' }, data: { warnAt: past, dueAt: past } });
    });
    expect(await requestIds()).toEqual([ids.complete]);
    const table = await run(['tickets', 'list', '--breaching'], env);
    expect(table.stdout).toMatch(new RegExp(`${ids.complete}.*initial-response \\S+\\s+breached`));
  });

  it.skipIf(!backend.available)('shows one ticket: party, requester, severity, SLA, charge, conversation and history', async () => {
    const shown = await run(['tickets', 'show', ids.complete], env);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain(`${ids.complete}  `);
    expect(shown.stdout).toMatch(/customer\s+ACME \(Acme Corp\)/);
    expect(shown.stdout).toMatch(/requester\s+Ana Ops <ops@acme\.example> \(eligible-caller\)/);
    expect(shown.stdout).toMatch(/severity\s+4/);
    // The previous test moved the initial response's due time into the past.
    expect(shown.stdout).toMatch(/SLA\s+initial-response: due \S+Z, running, overdue\n\s+progress-update: due \S+Z, running\n/);
    expect(shown.stdout).toMatch(/charge\s+not decided until close; Fee at open: USD\s\d+\.\d\d per incident, taxes excluded, charged at close/);
    expect(shown.stdout).toMatch(/Conversation\n {2}\S+ {2}in {3}from ops@acme\.example to support@deskbot\.local {2}"Kerio Connect/);
    expect(shown.stdout).toMatch(/ {2}\S+ {2}out {2}to ops@acme\.example {2}"Re: .*\(acknowledgement, pending\)/);
    expect(shown.stdout).toMatch(/History\n {2}\S+ {2}mail-received by ops@acme\.example/);

    const json = JSON.parse((await run(['tickets', 'show', ids.complete.toLowerCase(), '--format', 'json'], env)).stdout);
    expect(json.ticket).toMatchObject({ requestId: ids.complete, severity: 4, customer: { key: 'ACME' } });
    expect(json.conversation.map((entry: { direction: string }) => entry.direction)).toEqual(['in', 'out']);
  });

  it.skipIf(!backend.available)('names the attachments the conversation store kept for a message', async () => {
    const ingested = await run(['ingest', path.join(fixtures, 'html-only.eml')], env);
    expect(ingested.code, ingested.stderr).toBe(0);
    const { requestId } = JSON.parse(ingested.stdout) as { requestId: string };
    const shown = await run(['tickets', 'show', requestId], env);
    expect(shown.stdout).toMatch(/ {2}\S+ {2}in {3}from ops@acme\.example .*\n {6}attachments: screenshot\.png\n/);
  });

  it.skipIf(!backend.available)('reports an unknown ticket (exit 1) and bad arguments (exit 2)', async () => {
    const missing = await run(['tickets', 'show', 'SR-2026-999999'], env);
    expect(missing).toMatchObject({ code: 1, stderr: 'deskbot: no ticket SR-2026-999999\n' });
    for (const args of [
      ['tickets', 'show', 'ticket-1'],
      ['tickets', 'list', '--status', 'pending'],
      ['tickets', 'list', '--format', 'xml'],
      ['tickets', 'list', '--limit', '0'],
      ['tickets', 'list', '--bogus'],
    ]) {
      const bad = await run(args, env);
      expect(bad.code, args.join(' ')).toBe(2);
    }
  });
});
