// `deskbot ingest`: opens the runtime, ingests, closes; DB_UNAVAILABLE as exit 75 (also through bin/deskbot.mjs as an
// MTA pipe), spooling into DATA_DIR/inbox/ when a running deskbot holds the embedded database, exit 2 for a bad path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import type { IntakeHandlers } from '../../../src/channels/email/mail-pipe.ts';
import { registerIngestCommand } from '../../../src/cli/commands/ingest.ts';
import { runCli } from '../../../src/cli/program.ts';
import { loadConfig } from '../../../src/config.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { fakeHandlers, mail, mailFolder, output } from '../../helpers/intake-fakes.ts';
import { freePort } from '../../helpers/net.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-ingest-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const folder = mailFolder;
/** Nothing listens there (it was free a moment ago). */
const closedPort = freePort;

describe('deskbot ingest command', () => {
  function program(env: NodeJS.ProcessEnv, handlers: IntakeHandlers, stdin?: NodeJS.ReadableStream) {
    const out = output();
    const command = new Command('deskbot').exitOverride();
    registerIngestCommand(command, {
      io: { stdout: out.stdout, stderr: () => undefined, stdin },
      getConfig: () => loadConfig(env),
      loadHandlers: () => handlers,
    });
    return { command, out };
  }

  it('opens the embedded database, ingests a folder and closes it again', async () => {
    const dataDir = path.join(tmp, 'data-ok');
    const dir = folder(tmp, 'cmd-dir', { 'a.eml': mail('cmd-a'), 'b.eml': mail('cmd-b') });
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
