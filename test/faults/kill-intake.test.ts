// Crash safety of the intake: deskbot processes on PostgreSQL are killed with SIGKILL at random points while
// 200 requests arrive over IMAP (real Dovecot) and acknowledgements go out over SMTP (real server on loopback).
// Afterwards every message has exactly one ticket, no acknowledgement is lost, and acknowledgements sent twice
// are only those of the crash window between the SMTP server's accept and the commit (counted and reported).
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dovecotAvailable, imapEnvOf, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../helpers/postgres.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { freePort } from '../helpers/net.ts';

const messages = 200;
const kills = 20;
const available = dovecotAvailable() && (await postgresAvailable());

// 20 customers x 5 eligible callers: each address sends 2 requests, well inside the automatic-mail throttle.
const customers = 20;
const callerAddress = (index: number) => `c${Math.floor(index / customers) % 5}@kill${index % customers}.example`;
const licenceOf = (customer: number) => `KL${String(customer).padStart(2, '0')}-9F10-4C2B`;

function directoryYaml(): string {
  const lines = ['customers:'];
  for (let customer = 0; customer < customers; customer += 1) {
    lines.push(`  - key: KILL${customer}`, `    name: Kill Test ${customer}`, '    calendar: US', '    currency: USD', '    licences:');
    lines.push(
      `      - { number: "${licenceOf(customer)}", product: Kerio Connect, type: commercial, registeredOn: 2024-01-15, maintenanceUntil: 2027-12-31 }`,
    );
    lines.push('    eligibleCallers:');
    for (let caller = 0; caller < 5; caller += 1) lines.push(`      - { email: c${caller}@kill${customer}.example, name: Caller ${caller} }`);
  }
  return `${lines.join('\n')}\n`;
}

function request(index: number): string {
  return [
    `From: ${callerAddress(index)}`,
    'To: support@deskbot.local',
    `Subject: Kerio Connect 10.0.1 outage number ${index}`,
    `Message-ID: <kill.${index}@customer.example>`,
    'Date: Mon, 30 Nov 2026 15:00:00 +0000',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Severity: 4. Licence number ${licenceOf(index % customers)}, Kerio Connect version 10.0.1. Mail queue ${index} is stuck.`,
    '',
  ].join('\r\n');
}

describe.skipIf(!available)('SIGKILL during intake (PostgreSQL, Dovecot, SMTP)', () => {
  let dovecot: Dovecot;
  let smtp: SmtpCapture;
  let database: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-kill-'));
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    [dovecot, smtp, database] = await Promise.all([startDovecot(), startSmtpCapture(), createTestDatabase()]);
    const directoryFile = path.join(dataDir, 'directory.yaml');
    fs.writeFileSync(directoryFile, directoryYaml());
    env = {
      PATH: process.env.PATH,
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      DIRECTORY_FILE: directoryFile,
      ...imapEnvOf(dovecot),
      SMTP_URL: smtp.url,
      SUPPORT_ADDRESS: 'support@deskbot.local',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      OUTBOX_POLL_INTERVAL_MS: '200',
    };
  });
  afterAll(async () => {
    await Promise.allSettled([dovecot?.stop(), smtp?.close(), database?.drop()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startDeskbot(): Promise<{ child: ChildProcess; listening: Promise<void>; exited: Promise<number | null> }> {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], {
      env: { ...env, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const listening = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        if (output.includes('"event":"listening"')) resolve();
      });
    });
    child.stderr!.on('data', () => undefined);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, listening, exited };
  }

  async function counts(client: pg.Client) {
    const inbound = await client.query<{ n: string }>('SELECT count(*) AS n FROM "InboundMessage"');
    const pending = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "Outbox" WHERE status <> 'sent' AND channel = 'email'`);
    return { inbound: Number(inbound.rows[0]!.n), pendingMail: Number(pending.rows[0]!.n) };
  }

  it(`keeps every one of ${messages} requests and its acknowledgement across ${kills} SIGKILLs`, { timeout: 600_000 }, async () => {
    const perRound = messages / kills;
    let appended = 0;
    for (let round = 0; round < kills; round += 1) {
      for (let n = 0; n < perRound; n += 1) await dovecot.append(request(appended++));
      const deskbot = await startDeskbot();
      await Promise.race([deskbot.listening, deskbot.exited]);
      // Kill at a random point of the intake: 0-1500 ms after start-up completed.
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 1500)));
      deskbot.child.kill('SIGKILL');
      await deskbot.exited;
    }
    // A last, undisturbed process finishes the work, then stops gracefully.
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const final = await startDeskbot();
    await final.listening;
    const deadline = Date.now() + 120_000;
    let state = await counts(client);
    while ((state.inbound < messages || state.pendingMail > 0) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      state = await counts(client);
    }
    final.child.kill('SIGTERM');
    expect(await final.exited).toBe(0);

    // Exactly one InboundMessage and one ticket per request.
    const perMessage = await client.query<{ messageId: string; n: string }>(`SELECT "messageId", count(*) AS n FROM "InboundMessage" GROUP BY "messageId"`);
    expect(perMessage.rows).toHaveLength(messages);
    expect(perMessage.rows.every((row) => row.n === '1')).toBe(true);
    const tickets = await client.query<{ requestId: string }>('SELECT "requestId" FROM "Ticket"');
    expect(tickets.rows).toHaveLength(messages);
    expect(new Set(tickets.rows.map((row) => row.requestId)).size).toBe(messages);
    const outcomes = await client.query<{ outcome: string; n: string }>('SELECT outcome, count(*) AS n FROM "InboundMessage" GROUP BY outcome');
    expect(outcomes.rows).toEqual([{ outcome: 'ticket', n: String(messages) }]);
    await client.end();

    // Every acknowledgement reached the SMTP server; count the ones that arrived twice.
    const acknowledged = new Map<string, number>();
    for (const captured of smtp.messages) {
      const parsed = await simpleParser(captured.raw);
      const requestId = parsed.headers.get('x-deskbot-request-id');
      if (typeof requestId === 'string') acknowledged.set(requestId, (acknowledged.get(requestId) ?? 0) + 1);
    }
    const missing = tickets.rows.filter((row) => !acknowledged.has(row.requestId)).map((row) => row.requestId);
    expect(missing).toEqual([]);
    const duplicates = [...acknowledged.values()].reduce((sum, n) => sum + n - 1, 0);
    console.info(`kill -9 x${kills} over ${messages} requests: ${duplicates} acknowledgement(s) sent twice (crash window between SMTP accept and commit)`);
    // A duplicate needs a kill inside the accept-to-commit window: at most one per kill.
    expect(duplicates).toBeLessThanOrEqual(kills);

    // Every message was marked processed in the mailbox.
    const flags = await dovecot.flags();
    expect([...flags.values()].filter((set) => set.has('$DeskbotProcessed')).length).toBe(messages);
  });
});
