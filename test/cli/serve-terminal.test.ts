// `deskbot serve` on a pseudo-terminal (util-linux `script`): human log lines and the start-up banner, a PostgreSQL URL
// with its password masked, and LOG_FORMAT=json keeping JSON lines on a terminal.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deskbotBin, repoRoot, watchProcess } from '../helpers/deskbot-process.ts';
import { freePort } from '../helpers/net.ts';
import { createTestDatabase, postgresAvailable } from '../helpers/postgres.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbtty-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const shellQuote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
const pgAvailable = await postgresAvailable();

/** Runs `deskbot serve` under `script` so its stdout is a terminal; resolves with everything printed until SIGTERM. */
async function serveOnTerminal(env: NodeJS.ProcessEnv, until: string): Promise<string> {
  const command = [process.execPath, deskbotBin, 'serve'].map(shellQuote).join(' ');
  const child = spawn('script', ['-qfc', command, '/dev/null'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, TERM: 'xterm', DESKBOT_FROM_SOURCE: '1', HOST: '127.0.0.1', PORT: String(await freePort()), LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const serve = watchProcess(child);
  try {
    // Start-up from source takes 20-40 s on a busy 2-core machine.
    await serve.waitFor(until, 100_000);
    await serve.waitFor('control-socket-listening', 2_000).catch(() => undefined);
  } finally {
    // script and deskbot share the process group started here.
    process.kill(-child.pid!, 'SIGTERM');
    await serve.stop();
  }
  // Strip colours so the assertions read the text.
  return serve.output().replace(/\u001b\[[0-9;]*m/g, '');
}

describe('deskbot serve on a terminal', { timeout: 150_000 }, () => {
  it('prints the banner and human log lines on the embedded default', async () => {
    const output = await serveOnTerminal({ DATA_DIR: path.join(tmp, 'pglite') }, 'Ctrl-C stops it');
    expect(output).toContain('deskbot is running');
    expect(output).toMatch(/HTTP\s+http:\/\/127\.0\.0\.1:\d+ {2}\(http:\/\/127\.0\.0\.1:\d+\/healthz, http:\/\/127\.0\.0\.1:\d+\/metrics\)/);
    expect(output).toContain(`database     embedded PostgreSQL (PGlite) in ${path.join(tmp, 'pglite', 'pglite')}`);
    expect(output).toContain(`mail in      drop .eml files into ${path.join(tmp, 'pglite', 'inbox')}/`);
    expect(output).toContain(`mail out     written as .eml files to ${path.join(tmp, 'pglite', 'outbox')}/`);
    expect(output).toContain('Slack        off (what would be posted is logged)');
    expect(output).toMatch(/admin .*control\.sock/);
    expect(output).toMatch(/\[\d\d:\d\d:\d\d\] INFO: \[main\] deskbot listening on port \d+/);
    expect(output).not.toContain('{"level"');
  });

  it.skipIf(!pgAvailable)('masks the PostgreSQL and SMTP passwords in the banner and the log lines', async () => {
    const database = await createTestDatabase();
    try {
      const url = new URL(database.url);
      url.password = 'pg-secret-pw';
      const output = await serveOnTerminal(
        { DATA_DIR: path.join(tmp, 'pg'), DATABASE_URL: url.toString(), SMTP_URL: 'smtp://mailer:smtp-secret-pw@127.0.0.1:1' },
        'Ctrl-C stops it',
      );
      expect(output).toContain(`database     postgresql://postgres:***@${url.host}${url.pathname}`);
      expect(output).toContain('mail out     SMTP smtp://mailer:***@127.0.0.1:1');
      expect(output).not.toContain('pg-secret-pw');
      expect(output).not.toContain('smtp-secret-pw');
    } finally {
      await database.drop();
    }
  });

  it('keeps JSON lines and no banner with LOG_FORMAT=json', async () => {
    const output = await serveOnTerminal({ DATA_DIR: path.join(tmp, 'json'), LOG_FORMAT: 'json' }, '"event":"listening"');
    expect(output).not.toContain('deskbot is running');
    // script's own notice on SIGTERM aside, every line is one JSON object.
    const lines = output.split(/\r?\n/).filter((line) => line.trim() && !line.startsWith('Session terminated'));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  });
});
