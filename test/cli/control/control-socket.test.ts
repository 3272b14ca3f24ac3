// The control path with real processes: `deskbot serve` on PGlite in a temporary DATA_DIR, and deskbot commands from
// other processes while it runs (import, tickets, outbox, ingest from stdin, a second serve), a stale socket removed
// at start-up and by a client, a directory import that takes effect for the next mail without a restart, and a
// command that waits for a deskbot still starting (or for a command holding the database alone).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../helpers/net.ts';
import { eventually, repoRoot, runDeskbot, startServe, type ServeProcess } from '../../helpers/deskbot-process.ts';
import { startControlServer } from '../../../src/cli/control/control-server.ts';
import { controlServerAnswers } from '../../../src/cli/control/control-client.ts';
import { createSilentLogger } from '../../../src/logger.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbctl-'));
const dataDir = path.join(tmp, 'data');
const socketPath = path.join(dataDir, 'control.sock');
const fixture = fs.readFileSync(path.join(repoRoot, 'test/fixtures/mail/new-request-complete.eml'), 'utf8');
/** The complete-request fixture under another Message-ID, so intake treats it as a new message. */
const requestMail = (id: string) => fixture.replace('<new-complete-1@acme.example>', `<${id}@acme.example>`);
const env = { DATA_DIR: dataDir, LOG_LEVEL: 'silent' };

/** Leaves a Unix socket file nobody listens on, as a SIGKILLed deskbot would. */
function leaveStaleSocket(file: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const script = `require('node:net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`;
  spawnSync(process.execPath, ['-e', script]);
  expect(fs.statSync(file).isSocket()).toBe(true);
}

const filesIn = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => name.endsWith('.eml')) : []);

describe('CLI commands while deskbot serve runs on PGlite (control socket)', { timeout: 120_000 }, () => {
  let serve: ServeProcess;

  beforeAll(async () => {
    leaveStaleSocket(socketPath);
    // Started from another directory than the commands below, with a relative DATA_DIR.
    // The ticket opened below should start its SLA clock at once: a policy that asks for no terms agreement.
    fs.mkdirSync(tmp, { recursive: true });
    fs.writeFileSync(path.join(tmp, 'policy.yaml'), 'billing:\n  requireAgreement: false\n');
    serve = startServe({
      cwd: tmp,
      env: { DATA_DIR: 'data', PORT: String(await freePort()), OUTBOX_POLL_INTERVAL_MS: '200', POLICY_FILE: path.join(tmp, 'policy.yaml') },
    });
    await serve.waitFor('"event":"control-socket-listening"', 110_000);
  });

  afterAll(async () => {
    const code = await serve.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it("collects start-up's garbage once the background warm-up and the intake rehearsal are done", async () => {
    await serve.waitFor('"event":"start-up-collection"', 60_000);
    const output = serve.output();
    expect(output.indexOf('"event":"warmed-up"')).toBeGreaterThan(-1);
    // Every round took the new-request path and composed its acknowledgement (nothing of it is kept: see below).
    const rehearsed = output.split('\n').find((line) => line.includes('"event":"intake-rehearsed"'));
    expect(JSON.parse(rehearsed!)).toMatchObject({ rounds: 300, composed: 300, ended: 'done' });
    expect(output.indexOf('"event":"start-up-collection"')).toBeGreaterThan(output.indexOf('"event":"intake-rehearsed"'));
  });

  it('removes the stale socket a crashed serve left and listens with mode 0600', () => {
    expect(serve.output()).toContain('"event":"control-socket-stale-removed"');
    expect(fs.statSync(socketPath).mode & 0o777).toBe(0o600);
  });

  it('imports the directory from a second process, and the next mail from a listed caller opens a ticket at once', async () => {
    // Before the import the sender is nobody's eligible caller.
    fs.writeFileSync(path.join(dataDir, 'inbox', 'before.eml'), requestMail('before-import'));
    await eventually(() => (filesIn(path.join(dataDir, 'inbox', 'rejected')).length ? true : undefined), 30_000, 'the mail to be rejected');
    const none = await runDeskbot(['tickets', 'list', '--format', 'json'], { env });
    expect(none.code, none.stderr).toBe(0);
    expect(JSON.parse(none.stdout).tickets).toEqual([]);

    // A path relative to the caller's directory, though serve runs elsewhere.
    const imported = await runDeskbot(['import', 'examples/directory.yaml'], { env, cwd: repoRoot });
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ format: 'yaml', customers: { created: 3 }, eligibleCallers: { created: 7 } });
    expect(imported.stderr).toContain('warning: examples/directory.yaml: customers[2] (TRYCO)');

    fs.writeFileSync(path.join(dataDir, 'inbox', 'after.eml'), requestMail('after-import'));
    const acknowledgement = await eventually(
      () =>
        filesIn(path.join(dataDir, 'outbox'))
          .map((name) => fs.readFileSync(path.join(dataDir, 'outbox', name), 'utf8'))
          .find((mail) => mail.includes('[SR-')),
      30_000,
      'the acknowledgement',
    );
    const requestId = /\[(SR-\d{4}-\d{6})\]/.exec(acknowledgement)![1]!;
    // The rehearsal's 300 rolled-back requests used up no request number and left no mail to send.
    expect(requestId).toMatch(/-000001$/);
    const outgoing = filesIn(path.join(dataDir, 'outbox')).map((name) => fs.readFileSync(path.join(dataDir, 'outbox', name), 'utf8'));
    expect(outgoing.filter((mail) => mail.includes('rehearsal.deskbot.invalid'))).toEqual([]);

    const listed = await runDeskbot(['tickets', 'list', '--format', 'json'], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout).tickets).toMatchObject([{ requestId, party: 'ACME', requester: 'ops@acme.example', status: 'open' }]);

    const shown = await runDeskbot(['tickets', 'show', requestId], { env });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('ACME (Acme Corp)');
    expect(shown.stdout).toMatch(/in {3}from ops@acme\.example/);
    expect(shown.stdout).toContain('(acknowledgement, ');

    const outbox = await runDeskbot(['outbox', '--all', '--json'], { env });
    expect(outbox.code, outbox.stderr).toBe(0);
    const items = JSON.parse(outbox.stdout).items as Array<{ kind: string; requestId: string | null }>;
    expect(items.find((item) => item.kind === 'acknowledgement')?.requestId).toMatch(/^SR-\d{4}-\d{6}$/);
    // The table names the ticket by its service-request ID, the ID every other command takes.
    const table = await runDeskbot(['outbox', '--all'], { env });
    expect(table.stdout).toMatch(/\semail\s+acknowledgement\s+SR-\d{4}-\d{6}\s+sent\s/);
  });

  it('hands stdin to the serving process (ingest from a pipe) and reports usage errors with exit 2', async () => {
    const ingested = await runDeskbot(['ingest'], { env, input: requestMail('piped') });
    expect(ingested.code, ingested.stderr).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ source: 'stdin', outcome: 'ticket' });

    const bad = await runDeskbot(['tickets', 'list', '--status', 'bogus'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'bogus' is invalid");
  });

  it('refuses a second serve on the same DATA_DIR instead of handing it over', async () => {
    const second = await runDeskbot(['serve'], { env });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('is in use by deskbot process');
  });
});

describe('a command given while another process holds the embedded database', { timeout: 60_000 }, () => {
  /** A DATA_DIR whose lock names this (live) test process, as a starting deskbot's would before its socket listens. */
  function heldDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    fs.writeFileSync(path.join(dir, 'deskbot.lock'), `${process.pid}\n`);
    return dir;
  }

  it('removes a stale socket, waits CLI_LOCK_WAIT_MS for the holder, then reports the database in use', async () => {
    const lockedDir = heldDir('dbctl-stale-');
    try {
      leaveStaleSocket(path.join(lockedDir, 'control.sock'));
      const startedAt = Date.now();
      const run = await runDeskbot(['outbox'], { env: { DATA_DIR: lockedDir, LOG_LEVEL: 'silent', CLI_LOCK_WAIT_MS: '1500' } });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`waiting for deskbot process ${process.pid}`);
      expect(run.stderr).toContain(`is in use by deskbot process ${process.pid}`);
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(1_500);
      expect(fs.existsSync(path.join(lockedDir, 'control.sock'))).toBe(false);
    } finally {
      fs.rmSync(lockedDir, { recursive: true, force: true });
    }
  });

  it('leaves a socket that was just created alone when it refuses (a server between bind and listen), and removes it once old', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dbctl-young-'));
    const file = path.join(dir, 'control.sock');
    try {
      leaveStaleSocket(file);
      expect(await controlServerAnswers(dir)).toBe(false);
      expect(fs.existsSync(file)).toBe(true);
      const old = new Date(Date.now() - 5_000);
      fs.utimesSync(file, old, old);
      expect(await controlServerAnswers(dir)).toBe(false);
      expect(fs.existsSync(file)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is handed to a deskbot that opens its control socket after the command started (serve still starting)', async () => {
    const lockedDir = heldDir('dbctl-starting-');
    let server: Awaited<ReturnType<typeof startControlServer>> | undefined;
    try {
      const run = runDeskbot(['tickets', 'list'], { env: { DATA_DIR: lockedDir, LOG_LEVEL: 'silent' } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      server = await startControlServer({
        dataDir: lockedDir,
        logger: createSilentLogger(),
        runCommand: async (argv, io) => {
          io.stdout(`ran here: ${argv.join(' ')}\n`);
          return 0;
        },
      });
      const result = await run;
      expect(result.stdout).toBe('ran here: tickets list\n');
      expect(result.code).toBe(0);
    } finally {
      await server?.close();
      fs.rmSync(lockedDir, { recursive: true, force: true });
    }
  });

  it('a serve started meanwhile waits for the command to finish, then serves', async () => {
    const lockedDir = heldDir('dbctl-serve-waits-');
    const serve = startServe({ env: { DATA_DIR: lockedDir, PORT: String(await freePort()) } });
    try {
      await serve.waitFor(`waiting for deskbot process ${process.pid}`, 20_000);
      fs.rmSync(path.join(lockedDir, 'deskbot.lock'));
      await serve.waitFor('"event":"control-socket-listening"', 30_000);
      expect(serve.output()).not.toContain('is in use');
    } finally {
      expect(await serve.stop()).toBe(0);
      fs.rmSync(lockedDir, { recursive: true, force: true });
    }
  });

  it('runs itself once the holder lets go of the database (a command that ran alone)', async () => {
    const lockedDir = heldDir('dbctl-released-');
    try {
      const run = runDeskbot(['tickets', 'list'], { env: { DATA_DIR: lockedDir, LOG_LEVEL: 'silent' } });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      fs.rmSync(path.join(lockedDir, 'deskbot.lock'));
      const result = await run;
      expect(result.stderr).not.toContain('is in use');
      expect(result.stdout).toContain('no tickets match');
      expect(result.code).toBe(0);
      // It opened the embedded database itself, and let go of it again.
      expect(fs.existsSync(path.join(lockedDir, 'pglite'))).toBe(true);
      expect(fs.existsSync(path.join(lockedDir, 'deskbot.lock'))).toBe(false);
    } finally {
      fs.rmSync(lockedDir, { recursive: true, force: true });
    }
  });
});
