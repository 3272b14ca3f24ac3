// Intake work on every process: three `deskbot serve` processes on one PostgreSQL database and one real Dovecot
// mailbox. One holds IMAP and only stores; all three handle the stored mail. Afterwards more than one process has
// handled messages (deskbot_inbound_handled_total), every request has exactly one ticket and one acknowledgement,
// every follow-up joined its request's ticket, every message is flagged and the stored-mail queue is empty.
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

const requests = 90;
const followUps = 10;
const processes = 3;
const customers = 30;
const available = dovecotAvailable() && (await postgresAvailable());

const callerAddress = (index: number) => `c${Math.floor(index / customers) % 3}@shared${index % customers}.example`;
const licenceOf = (customer: number) => `SH${String(customer).padStart(2, '0')}-9F10-4C2B`;

function directoryYaml(): string {
  const lines = ['customers:'];
  for (let customer = 0; customer < customers; customer += 1) {
    lines.push(`  - key: SHARED${customer}`, `    name: Shared Test ${customer}`, '    calendar: US', '    currency: USD', '    licences:');
    lines.push(
      `      - { number: "${licenceOf(customer)}", product: Kerio Connect, type: commercial, registeredOn: 2024-01-15, maintenanceUntil: 2027-12-31 }`,
    );
    lines.push('    eligibleCallers:');
    for (let caller = 0; caller < 3; caller += 1) lines.push(`      - { email: c${caller}@shared${customer}.example, name: Caller ${caller} }`);
  }
  return `${lines.join('\n')}\n`;
}

const requestId = (index: number) => `<shared.${index}@customer.example>`;

function request(index: number): string {
  return [
    `From: ${callerAddress(index)}`,
    'To: support@deskbot.local',
    `Subject: Kerio Connect 10.0.1 outage number ${index}`,
    `Message-ID: ${requestId(index)}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Severity: 4. Licence number ${licenceOf(index % customers)}, Kerio Connect version 10.0.1. Mail queue ${index} is stuck.`,
    '',
  ].join('\r\n');
}

/** A quick follow-up to request `index`, appended right after it: it must wait for the request's ticket. */
function followUp(index: number): string {
  return [
    `From: ${callerAddress(index)}`,
    'To: support@deskbot.local',
    `Subject: Re: Kerio Connect 10.0.1 outage number ${index}`,
    `Message-ID: <shared.${index}.followup@customer.example>`,
    `In-Reply-To: ${requestId(index)}`,
    `References: ${requestId(index)}`,
    `Date: ${new Date().toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `One more detail about mail queue ${index}.`,
    '',
  ].join('\r\n');
}

interface Serve {
  child: ChildProcess;
  port: number;
  listening: Promise<void>;
  exited: Promise<number | null>;
}

describe.skipIf(!available)('intake work shared by three serve processes (PostgreSQL, Dovecot, SMTP)', () => {
  let dovecot: Dovecot;
  let smtp: SmtpCapture;
  let database: TestDatabase;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-shared-'));
  let env: NodeJS.ProcessEnv;
  const serves: Serve[] = [];
  const outputs: Array<() => string> = [];

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
    for (const serve of serves) serve.child.kill('SIGKILL');
    await Promise.allSettled([dovecot?.stop(), smtp?.close(), database?.drop()]);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function startServe(): Promise<Serve> {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], {
      env: { ...env, PORT: String(port), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    outputs.push(() => output);
    const listening = new Promise<void>((resolve) => {
      child.stdout!.on('data', (chunk) => {
        output = (output + chunk).slice(-10_000);
        if (output.includes('"event":"listening"')) resolve();
      });
    });
    child.stderr!.on('data', () => undefined);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, port, listening, exited };
  }

  async function handledBy(port: number): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('deskbot_inbound_handled_total{'))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  }

  it(`handles ${requests} requests and ${followUps} follow-ups on more than one process, one acknowledgement each`, { timeout: 300_000 }, async () => {
    // One after another, as an operator would start them (each imports DIRECTORY_FILE at start).
    for (let index = 0; index < processes; index += 1) {
      const serve = await startServe();
      serves.push(serve);
      const started = await Promise.race([serve.listening.then(() => 'listening'), serve.exited.then((code) => `exited with ${code}`)]);
      expect(started, outputs[index]!().slice(-3_000)).toBe('listening');
    }
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      // The first process takes the IMAP lock; wait for it to be connected before the burst.
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      for (let index = 0; index < requests; index += 1) {
        await dovecot.append(request(index));
        if (index < followUps) await dovecot.append(followUp(index));
      }
      const total = requests + followUps;
      const deadline = Date.now() + 120_000;
      const state = async () => {
        const inbound = await client.query<{ n: string }>('SELECT count(*) AS n FROM "InboundMessage"');
        const pending = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "Outbox" WHERE status <> 'sent' AND channel = 'email'`);
        return { inbound: Number(inbound.rows[0]!.n), pendingMail: Number(pending.rows[0]!.n) };
      };
      let now = await state();
      let reportAt = Date.now() + 10_000;
      while ((now.inbound < total || now.pendingMail > 0 || smtp.messages.length < requests) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        now = await state();
        if (Date.now() > reportAt) {
          reportAt = Date.now() + 10_000;
          console.info(`waiting: ${JSON.stringify(now)}, ${smtp.messages.length} acknowledgements`);
        }
      }

      if (now.inbound < total) for (const output of outputs) console.info(output().slice(-3_000));
      // More than one process did intake work, and together they handled every message once.
      const handled = await Promise.all(serves.map((serve) => handledBy(serve.port)));
      console.info(`messages handled per process: ${handled.join(', ')}`);
      expect(handled.filter((count) => count > 0).length).toBeGreaterThan(1);
      expect(handled.reduce((sum, count) => sum + count, 0)).toBe(total);

      // Exactly one outcome per Message-ID: a ticket per request, each follow-up a reply on its request's ticket.
      const outcomes = await client.query<{ messageId: string; outcome: string; ticketId: number | null }>(
        'SELECT "messageId", outcome, "ticketId" FROM "InboundMessage"',
      );
      expect(outcomes.rows).toHaveLength(total);
      const byId = new Map(outcomes.rows.map((row) => [row.messageId, row]));
      for (let index = 0; index < requests; index += 1) expect(byId.get(requestId(index))?.outcome).toBe('ticket');
      for (let index = 0; index < followUps; index += 1) {
        const reply = byId.get(`<shared.${index}.followup@customer.example>`);
        expect(reply?.outcome, `follow-up ${index}`).toBe('reply');
        expect(reply?.ticketId).toBe(byId.get(requestId(index))?.ticketId);
      }
      const tickets = await client.query<{ requestId: string }>('SELECT "requestId" FROM "Ticket"');
      expect(tickets.rows).toHaveLength(requests);

      // One acknowledgement per request, none twice.
      const acknowledged = new Map<string, number>();
      for (const captured of smtp.messages) {
        const parsed = await simpleParser(captured.raw);
        const id = parsed.headers.get('x-deskbot-request-id');
        if (typeof id === 'string') acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
      }
      expect(tickets.rows.filter((row) => acknowledged.get(row.requestId) !== 1)).toEqual([]);

      // Every message flagged, the queue empty.
      const flags = await dovecot.flags();
      expect([...flags.values()].filter((set) => set.has('$DeskbotProcessed')).length).toBe(total);
      const queued = await client.query<{ n: string }>('SELECT count(*) AS n FROM "InboundQueue"');
      expect(Number(queued.rows[0]!.n)).toBe(0);
    } finally {
      await client.end();
      for (const serve of serves) serve.child.kill('SIGTERM');
      const killer = setTimeout(() => {
        for (const serve of serves) serve.child.kill('SIGKILL');
      }, 30_000);
      const codes = await Promise.all(serves.map((serve) => serve.exited));
      clearTimeout(killer);
      serves.length = 0;
      expect(codes).toEqual([0, 0, 0]);
    }
  });
});
