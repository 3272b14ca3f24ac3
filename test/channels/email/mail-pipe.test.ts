// `deskbot ingest`: stdin (MTA pipe), files and folders; one JSON line per message; exit 0 when stored,
// 75 (EX_TEMPFAIL) when the database is unavailable, 1 when a message failed otherwise.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import type { OversizedMailHandler } from '../../../src/channels/email/imap-source.ts';
import { ingestMessages, registerIngestCommand, type IntakeHandlers } from '../../../src/channels/email/mail-pipe.ts';
import { runCli } from '../../../src/cli.ts';
import { loadConfig } from '../../../src/config.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { InboundMailHandler, InboundSource } from '../../../src/app/ports.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-pipe-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function mail(id: string, body = `Body of ${id}.`): string {
  return [`From: ops@acme.example`, `Subject: ${id}`, `Message-ID: <${id}@test.example>`, '', body, ''].join('\r\n');
}

function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

function fakeHandlers(fail?: (messageId: string) => Error | undefined) {
  const calls: { messageId: string; source: InboundSource; size: number }[] = [];
  const oversized: { headers: string; size: number; source: InboundSource }[] = [];
  const handler: InboundMailHandler = async (raw, source) => {
    const messageId = /^Message-ID:\s*(\S+)/im.exec(raw.toString())?.[1] ?? '?';
    calls.push({ messageId, source, size: raw.length });
    const error = fail?.(messageId);
    if (error) throw error;
    return { outcome: 'ticket', requestId: `SR-2026-00000${calls.length}`, ticketId: calls.length };
  };
  const oversizedHandler: OversizedMailHandler = async (headers, size, source) => {
    oversized.push({ headers: headers.toString(), size, source });
    return { outcome: 'quarantined', reason: 'too-large' };
  };
  const handlers: IntakeHandlers = { handler, oversizedHandler };
  return { calls, oversized, handlers };
}

function output() {
  const lines: string[] = [];
  return { stdout: (text: string) => lines.push(...text.split('\n').filter(Boolean)), json: () => lines.map((line) => JSON.parse(line)) };
}

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe('ingestMessages', () => {
  const logger = createSilentLogger();

  it('ingests one message from stdin and prints its outcome as one JSON line', async () => {
    const fake = fakeHandlers();
    const out = output();
    const code = await ingestMessages([], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, stdin: Readable.from([Buffer.from(mail('stdin-1'))]), logger });
    expect(code).toBe(0);
    expect(fake.calls).toEqual([{ messageId: '<stdin-1@test.example>', source: { kind: 'stdin' }, size: Buffer.byteLength(mail('stdin-1')) }]);
    expect(out.json()).toEqual([{ source: 'stdin', outcome: 'ticket', requestId: 'SR-2026-000001', ticketId: 1 }]);
  });

  it('ingests a file and every *.eml of a folder in name order, skipping other and hidden names', async () => {
    const dir = folder('dir-ok', { 'b.eml': mail('b'), 'a.eml': mail('a'), 'c.EML': mail('c'), 'notes.txt': 'x', '.hidden.eml': mail('hidden'), 'd.eml.tmp': mail('d') });
    const single = path.join(tmp, 'single.eml');
    fs.writeFileSync(single, mail('single'));
    const fake = fakeHandlers();
    const out = output();
    const code = await ingestMessages([single, dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(0);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<single@test.example>', '<a@test.example>', '<b@test.example>', '<c@test.example>']);
    expect(fake.calls[1]?.source).toEqual({ kind: 'file', path: path.join(dir, 'a.eml') });
    expect(out.json().map((line) => [line.source, line.outcome])).toEqual([
      [single, 'ticket'],
      [path.join(dir, 'a.eml'), 'ticket'],
      [path.join(dir, 'b.eml'), 'ticket'],
      [path.join(dir, 'c.EML'), 'ticket'],
    ]);
  });

  it('exits 75 on a retryable failure and leaves the remaining messages for the retry', async () => {
    const dir = folder('dir-down', { '1.eml': mail('one'), '2.eml': mail('two'), '3.eml': mail('three') });
    const fake = fakeHandlers((id) => (id === '<two@test.example>' ? new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true }) : undefined));
    const out = output();
    const code = await ingestMessages([dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(75);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<one@test.example>', '<two@test.example>']);
    expect(out.json()[1]).toMatchObject({ source: path.join(dir, '2.eml'), error: 'DB_UNAVAILABLE', retryable: true });
  });

  it('exits 1 when a message fails for another reason but still ingests the others', async () => {
    const dir = folder('dir-bug', { '1.eml': mail('one'), '2.eml': mail('two'), '3.eml': mail('three') });
    const fake = fakeHandlers((id) => (id === '<two@test.example>' ? new TypeError('bug') : undefined));
    const out = output();
    const code = await ingestMessages([dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(1);
    expect(fake.calls).toHaveLength(3);
    expect(out.json().map((line) => line.outcome ?? line.error)).toEqual(['ticket', 'INTERNAL', 'ticket']);
  });

  it('hands an oversized message from stdin or a file to the oversized handler with its headers only', async () => {
    const raw = mail('big', 'z'.repeat(50_000));
    const file = path.join(tmp, 'big.eml');
    fs.writeFileSync(file, raw);
    const fake = fakeHandlers();
    const out = output();
    const chunks = [Buffer.from(raw.slice(0, 7_000)), Buffer.from(raw.slice(7_000))];
    expect(await ingestMessages([], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, stdin: Readable.from(chunks), logger })).toBe(0);
    expect(await ingestMessages([file], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger })).toBe(0);
    expect(fake.calls).toHaveLength(0);
    for (const call of fake.oversized) {
      expect(call.size).toBe(raw.length);
      expect(call.headers).toBe('From: ops@acme.example\r\nSubject: big\r\nMessage-ID: <big@test.example>\r\n\r\n');
    }
    expect(fake.oversized.map((call) => call.source.kind)).toEqual(['stdin', 'file']);
    expect(out.json().map((line) => line.outcome)).toEqual(['quarantined', 'quarantined']);
  });
});

describe('deskbot ingest command', () => {
  function program(env: NodeJS.ProcessEnv, handlers: IntakeHandlers, stdin?: NodeJS.ReadableStream) {
    const out = output();
    const command = new Command('deskbot').exitOverride();
    registerIngestCommand(command, { io: { stdout: out.stdout, stderr: () => undefined, stdin }, getConfig: () => loadConfig(env), loadHandlers: () => handlers });
    return { command, out };
  }

  it('opens the embedded database, ingests a folder and closes it again', async () => {
    const dataDir = path.join(tmp, 'data-ok');
    const dir = folder('cmd-dir', { 'a.eml': mail('cmd-a'), 'b.eml': mail('cmd-b') });
    const fake = fakeHandlers();
    const { command, out } = program({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, fake.handlers);
    await command.parseAsync(['ingest', dir], { from: 'user' });
    expect(out.json().map((line) => line.outcome)).toEqual(['ticket', 'ticket']);
    expect(fs.existsSync(path.join(dataDir, 'deskbot.lock'))).toBe(false);
  });

  it('turns a retryable handler failure into DB_UNAVAILABLE (exit 75 in runCli)', async () => {
    const dataDir = path.join(tmp, 'data-down');
    const fake = fakeHandlers(() => new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true }));
    const { command } = program({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, fake.handlers, Readable.from([Buffer.from(mail('cmd-down'))]));
    await expect(command.parseAsync(['ingest'], { from: 'user' })).rejects.toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
  });

  it('spools stdin into DATA_DIR/inbox/ when a running deskbot holds the embedded database', async () => {
    const dataDir = path.join(tmp, 'data-locked');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'deskbot.lock'), `${process.ppid}\n`);
    const fake = fakeHandlers();
    const { command, out } = program({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, fake.handlers, Readable.from([Buffer.from(mail('spooled'))]));
    await command.parseAsync(['ingest'], { from: 'user' });
    const [line] = out.json();
    expect(line.spooled).toMatch(new RegExp(`^${path.join(dataDir, 'inbox')}/[^.][^/]*\\.eml$`));
    expect(fs.readFileSync(line.spooled, 'utf8')).toBe(mail('spooled'));
    expect(fs.readdirSync(path.join(dataDir, 'inbox'))).toHaveLength(1);
    expect(fake.calls).toHaveLength(0);
  });

  it('exits 75 from runCli when DATABASE_URL points at a closed port', async () => {
    const file = path.join(tmp, 'closed.eml');
    fs.writeFileSync(file, mail('closed'));
    const port = await closedPort();
    const stderr: string[] = [];
    const code = await runCli(['ingest', file], {
      stdout: () => undefined,
      stderr: (text) => stderr.push(text),
      env: { DATABASE_URL: `postgresql://deskbot@127.0.0.1:${port}/deskbot`, LOG_LEVEL: 'silent' },
    });
    expect(code).toBe(75);
    expect(stderr.join('')).toContain('Cannot connect to PostgreSQL');
  });

  it('exits 2 from runCli for a path that does not exist', async () => {
    const stderr: string[] = [];
    const code = await runCli(['ingest', path.join(tmp, 'missing.eml')], {
      stdout: () => undefined,
      stderr: (text) => stderr.push(text),
      env: { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'data-missing') },
    });
    expect(stderr.join('')).toContain('missing.eml: no such file or directory');
    expect(code).toBe(2);
    expect(fs.existsSync(path.join(tmp, 'data-missing'))).toBe(false);
  });

  it('exits 75 as an MTA pipe (bin/deskbot.mjs ingest < message) when the database is down', async () => {
    const port = await closedPort();
    const result = spawnSync(process.execPath, ['bin/deskbot.mjs', 'ingest'], {
      input: mail('mta'),
      env: { PATH: process.env.PATH, DATABASE_URL: `postgresql://deskbot@127.0.0.1:${port}/deskbot`, LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(result.stderr).toContain('Cannot connect to PostgreSQL');
    expect(result.status).toBe(75);
  });
});
