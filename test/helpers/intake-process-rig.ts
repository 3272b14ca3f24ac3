// What the multi-process intake tests share: a real Dovecot mailbox, a real SMTP capture and a fresh PostgreSQL
// database, a directory of customers with their eligible callers, requests from those callers, `deskbot serve`
// processes spawned on them, and the counts and acknowledgements read back afterwards.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type pg from 'pg';
import { startDovecot, imapEnvOf, type Dovecot } from './dovecot.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { startSmtpCapture, type SmtpCapture } from './smtp-capture.ts';
import { freePort } from './net.ts';

/** Customers `<key><n>` with `callers` eligible callers each (c<k>@<domain><n>.example) and one commercial licence. */
export interface CallerBook {
  /** Customer key and domain stem, e.g. KILL -> customer KILL3, callers c0@kill3.example. */
  stem: string;
  customers: number;
  callers: number;
}

export const licenceOf = (book: CallerBook, customer: number) => `${book.stem.slice(0, 2)}${String(customer).padStart(2, '0')}-9F10-4C2B`;

/** The address request `index` comes from: customers in turn, then the next caller of each. */
export const callerAddress = (book: CallerBook, index: number) =>
  `c${Math.floor(index / book.customers) % book.callers}@${book.stem.toLowerCase()}${index % book.customers}.example`;

export function directoryYaml(book: CallerBook): string {
  const lines = ['customers:'];
  for (let customer = 0; customer < book.customers; customer += 1) {
    lines.push(`  - key: ${book.stem}${customer}`, `    name: ${book.stem} Test ${customer}`, '    calendar: US', '    currency: USD', '    licences:');
    lines.push(
      `      - { number: "${licenceOf(book, customer)}", product: Kerio Connect, type: commercial, registeredOn: 2024-01-15, maintenanceUntil: 2036-12-31 }`,
    );
    lines.push('    eligibleCallers:');
    for (let caller = 0; caller < book.callers; caller += 1) {
      lines.push(`      - { email: c${caller}@${book.stem.toLowerCase()}${customer}.example, name: Caller ${caller} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Request `index` (Severity 4, the customer's licence), Message-ID `<stem.index@customer.example>` in lower case. */
export function requestMail(book: CallerBook, index: number, date = new Date()): string {
  return [
    `From: ${callerAddress(book, index)}`,
    'To: support@deskbot.local',
    `Subject: Kerio Connect 10.0.1 outage number ${index}`,
    `Message-ID: ${requestMessageId(book, index)}`,
    `Date: ${date.toUTCString()}`,
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Severity: 4. Licence number ${licenceOf(book, index % book.customers)}, Kerio Connect version 10.0.1. Mail queue ${index} is stuck.`,
    '',
  ].join('\r\n');
}

export const requestMessageId = (book: CallerBook, index: number) => `<${book.stem.toLowerCase()}.${index}@customer.example>`;

export interface ServeProcess {
  child: ChildProcess;
  port: number;
  listening: Promise<void>;
  exited: Promise<number | null>;
  /** The last 10,000 characters it wrote to stdout. */
  output(): string;
}

export interface IntakeProcessRig {
  dovecot: Dovecot;
  smtp: SmtpCapture;
  database: TestDatabase;
  /** `deskbot serve` on this rig, LOG_LEVEL info, its own port. */
  startServe(): Promise<ServeProcess>;
  /** InboundMessage rows and e-mail outbox rows not yet sent. */
  counts(client: pg.Client): Promise<{ inbound: number; pendingMail: number }>;
  /** How many acknowledgements reached the SMTP capture, by request ID. */
  acknowledgements(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

export async function startIntakeProcessRig(book: CallerBook): Promise<IntakeProcessRig> {
  const [dovecot, smtp, database] = await Promise.all([startDovecot(), startSmtpCapture(), createTestDatabase()]);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `deskbot-${book.stem.toLowerCase()}-`));
  const directoryFile = path.join(dataDir, 'directory.yaml');
  fs.writeFileSync(directoryFile, directoryYaml(book));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    DIRECTORY_FILE: directoryFile,
    ...imapEnvOf(dovecot),
    SMTP_URL: smtp.url,
    SUPPORT_ADDRESS: 'support@deskbot.local',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    OUTBOX_POLL_INTERVAL_MS: '200',
  };
  const spawned: ChildProcess[] = [];
  return {
    dovecot,
    smtp,
    database,
    async startServe() {
      const port = await freePort();
      const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], { env: { ...env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
      spawned.push(child);
      let output = '';
      const listening = new Promise<void>((resolve) => {
        child.stdout!.on('data', (chunk) => {
          output = (output + chunk).slice(-10_000);
          if (output.includes('"event":"listening"')) resolve();
        });
      });
      child.stderr!.on('data', () => undefined);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      return { child, port, listening, exited, output: () => output };
    },
    async counts(client) {
      const inbound = await client.query<{ n: string }>('SELECT count(*) AS n FROM "InboundMessage"');
      const pending = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "Outbox" WHERE status <> 'sent' AND channel = 'email'`);
      return { inbound: Number(inbound.rows[0]!.n), pendingMail: Number(pending.rows[0]!.n) };
    },
    async acknowledgements() {
      const acknowledged = new Map<string, number>();
      for (const captured of smtp.messages) {
        const id = (await simpleParser(captured.raw)).headers.get('x-deskbot-request-id');
        if (typeof id === 'string') acknowledged.set(id, (acknowledged.get(id) ?? 0) + 1);
      }
      return acknowledged;
    },
    async stop() {
      for (const child of spawned) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await Promise.allSettled([dovecot.stop(), smtp.close(), database.drop()]);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
