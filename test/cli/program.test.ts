// The deskbot command line: help, usage errors (exit 2), `sla` output, `import`, and `serve` start-up/shutdown.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CommanderError } from 'commander';
import { createProgram, runCli } from '../../src/cli/program.ts';
import { freePort } from '../helpers/net.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'data'), ...env },
  });
  return { code, stdout, stderr };
}

describe('deskbot CLI', () => {
  it('lists every command in --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    for (const command of ['serve', 'migrate', 'import', 'sla']) expect(stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it.each([
    ['an unknown command', ['frobnicate', 'x']],
    ['an unknown option', ['sla', '--calendar', 'US', '--severity', '3', '--bogus']],
    ['a missing required option', ['sla', '--severity', '3']],
    ['a severity out of range', ['sla', '--calendar', 'US', '--severity', '6']],
    ['a non-numeric severity', ['sla', '--calendar', 'US', '--severity', 'high']],
    ['an unparseable instant', ['sla', '--calendar', 'US', '--severity', '3', '--at', 'tomorrow']],
    ['an unknown support level', ['sla', '--calendar', 'US', '--severity', '3', '--level', 'gold']],
    ['an unknown calendar', ['sla', '--calendar', 'MARS', '--severity', '3', '--at', '2026-11-30T10:00:00-05:00']],
    ['import without a file', ['import']],
    ['a charges period that ends before it starts', ['charges', '--from', '2026-12-01', '--to', '2026-11-01']],
    ['an sla-report period that ends before it starts', ['sla-report', '--from', '2026-12-01', '--to', '2026-11-01']],
  ])('exits 2 with a usage message on %s', async (_label, args) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(/error|unknown|invalid|must|missing/i);
  });

  it('names what a date argument must be when it is not a calendar date (exit 2)', async () => {
    const { code, stderr } = await run(['charges', '--from', '2026-13-01']);
    expect(code).toBe(2);
    expect(stderr).toContain("argument '2026-13-01' is invalid. expected a calendar date as YYYY-MM-DD");
  });

  it('names an unknown command as unknown and lists the commands (exit 2), not "too many arguments for \'serve\'"', async () => {
    const { code, stdout, stderr } = await run(['frobnicate']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: unknown command 'frobnicate'\n/);
    expect(stderr).not.toMatch(/too many arguments/);
    for (const command of ['serve', 'migrate', 'import', 'sla', 'tickets']) expect(stderr).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
  });

  it('--version prints the package version (exit 0)', async () => {
    const { code, stdout } = await run(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('still runs serve, the default command, with no command given, and only then', async () => {
    const ran: string[][] = [];
    const program = () => {
      const built = createProgram({ stdout: () => undefined, stderr: () => undefined, env: {} });
      built.commands.find((command) => command.name() === 'serve')!.action(() => void ran.push(built.args));
      return built;
    };
    await program().parseAsync([], { from: 'user' });
    await program().parseAsync(['serve'], { from: 'user' });
    expect(ran).toEqual([[], ['serve']]);
    const unknown = await program()
      .parseAsync(['frobnicate'], { from: 'user' })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(CommanderError);
    expect(unknown).toMatchObject({ code: 'commander.unknownCommand', exitCode: 2 });
    const extra = await program()
      .parseAsync(['serve', 'extra'], { from: 'user' })
      .catch((error: unknown) => error);
    expect(extra).toMatchObject({ code: 'commander.excessArguments' });
    expect(ran).toHaveLength(2);
  });

  it('prints the due times of a complete request (US, severity 3, Monday 10:00 EST)', async () => {
    const { code, stdout } = await run(['sla', '--calendar', 'US', '--severity', '3', '--at', '2026-11-30T10:00:00-05:00']);
    expect(code).toBe(0);
    // 2d = 18 support hours: Mon 8 h + Tue 9 h + Wed 1 h -> Wed 10:00 EST. 3d = 27 h -> Thu 10:00 EST.
    // 15d = 135 h: Mon 8 h + 14 full days (Dec 1-18) = 134 h, + 1 h -> Mon Dec 21 10:00 EST.
    expect(JSON.parse(stdout)).toEqual({
      initialResponseDue: '2026-12-02T15:00:00.000Z',
      progressUpdateDue: '2026-12-03T15:00:00.000Z',
      resolutionDue: '2026-12-21T15:00:00.000Z',
    });
  });

  it('runs Support Plus severity 5 around the clock and has no resolution target', async () => {
    const { code, stdout } = await run(['sla', '--calendar', 'EMEA', '--severity', '5', '--level', 'plus', '--at', '2026-12-24T22:00:00Z']);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ initialResponseDue: '2026-12-25T02:00:00.000Z', progressUpdateDue: '2026-12-25T02:00:00.000Z', resolutionDue: null });
  });

  it('Support Plus severity 4: response and updates on 24x7, resolution in EMEA business days (Cryptzone §7)', async () => {
    const { code, stdout } = await run(['sla', '--calendar', 'EMEA', '--severity', '4', '--level', 'plus', '--at', '2026-11-27T17:00:00Z']);
    expect(code).toBe(0);
    // Fri 18:00 CET. IR 8 h and PU 2d = 48 h on 24x7. Resolution 3 business days = 27 h from Mon 09:00 CET -> Wed 18:00 CET.
    expect(JSON.parse(stdout)).toEqual({
      initialResponseDue: '2026-11-28T01:00:00.000Z',
      progressUpdateDue: '2026-11-29T17:00:00.000Z',
      resolutionDue: '2026-12-02T17:00:00.000Z',
    });
  });

  it.each([
    ['an unknown time zone', 'calendars:\n  EMEA: { timeZone: Mars/Olympus }\n', 'calendars.EMEA.timeZone'],
    ['an unknown key', 'role:\n  engineers: [U1]\n', 'unknown key "role"'],
  ])('exits 78 on a policy file with %s, naming the file and the field', async (_label, yaml, named) => {
    const policyFile = path.join(tmp, `policy-${named.replace(/\W+/g, '-')}.yaml`);
    fs.writeFileSync(policyFile, yaml);
    const { code, stderr } = await run(['sla', '--calendar', 'EMEA', '--severity', '3'], { POLICY_FILE: policyFile });
    expect(code).toBe(78);
    expect(stderr).toContain(policyFile);
    expect(stderr).toContain(named);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 78 on a bad environment and names the variable', async () => {
    const { code, stderr } = await run(['sla', '--calendar', 'US', '--severity', '3'], { PORT: 'eighty' });
    expect(code).toBe(78);
    expect(stderr).toContain('PORT');
  });

  it('imports a directory file and reports a bad one with exit 1', async () => {
    const good = await run(['import', 'examples/directory.yaml'], { DATA_DIR: path.join(tmp, 'import-data') });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ format: 'yaml', customers: { created: 3, updated: 0 } });
    expect(good.stderr).toContain('warning: examples/directory.yaml: customers[2] (TRYCO): eligibleCallers');
    const badFile = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(badFile, 'customers:\n  - { key: X, name: X, calendar: US, currency: YEN }\n');
    const bad = await run(['import', badFile], { DATA_DIR: path.join(tmp, 'import-data') });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`${badFile}: customers[0] (X): currency:`);
  });
});

describe('deskbot serve (a real process)', () => {
  it('comes up on PGlite with no other service, answers /healthz, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const dataDir = path.join(tmp, 'serve-data');
    const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], {
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let health: Response | undefined;
      // Up to 60 s: start-up from the sources (tsx) on a loaded 2-core machine has taken over 20 s.
      const deadline = Date.now() + 60_000;
      while (!health && Date.now() < deadline) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(health?.status, output).toBe(200);
      const body = (await health!.json()) as { status: string; parts: Record<string, { state: string }> };
      expect(body.parts.database?.state).toBe('ok');
      expect(fs.existsSync(path.join(dataDir, 'deskbot.lock'))).toBe(true);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('deskbot_messages_received_total');
      expect(metrics).toMatch(/^deskbot_process_resident_memory_bytes \d+/m);
      const stoppedAt = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(10_000);
      expect(fs.existsSync(path.join(dataDir, 'deskbot.lock'))).toBe(false);
      expect(output).toContain('"event":"listening"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
