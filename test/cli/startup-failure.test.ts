// `deskbot serve` start-up failures (issue 13 point 15): port in use, DATA_DIR a file, HOST unresolvable, DIRECTORY_FILE
// missing or unreadable print one line
// naming the setting and exit 78 (configuration) or 1, without errno text or a JSON stack; other errors are not mapped.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStartupFailure } from '../../src/cli/startup-failure.ts';
import { DeskbotError } from '../../src/errors.ts';
import { freePort } from '../helpers/net.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-startup-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function systemError(code: string, syscall: string, extra: Record<string, unknown> = {}): NodeJS.ErrnoException {
  return Object.assign(new Error(`${syscall} ${code}`), { code, syscall, ...extra });
}

describe('describeStartupFailure', () => {
  const dataDir = path.join(tmp, 'table-data');
  const settings = { PORT: 3000, HOST: 'desk.example', dataDir };
  fs.mkdirSync(dataDir, { recursive: true });

  it.each([
    ['port in use is not a wrong setting: exit 1', systemError('EADDRINUSE', 'listen'), 1, /^PORT 3000: already in use on desk\.example/],
    ['a privileged port: exit 78', systemError('EACCES', 'listen'), 78, /^PORT 3000: not permitted/],
    ['HOST not on this machine: exit 78', systemError('EADDRNOTAVAIL', 'listen'), 78, /^HOST desk\.example: not an address of this machine/],
    ['HOST unresolvable: exit 78', systemError('ENOTFOUND', 'getaddrinfo', { hostname: 'desk.example' }), 78, /^HOST desk\.example: cannot be resolved/],
    ['DATA_DIR is a file: exit 78', systemError('EEXIST', 'mkdir', { path: dataDir }), 78, /^DATA_DIR .+: is a file, not a folder$/],
    [
      'a file where a folder of DATA_DIR belongs',
      systemError('EEXIST', 'mkdir', { path: path.join(dataDir, 'pglite') }),
      78,
      /: holds a file where the folder pglite belongs$/,
    ],
    ['DATA_DIR read-only: exit 78', systemError('EACCES', 'open', { path: path.join(dataDir, 'deskbot.lock') }), 78, /^DATA_DIR .+: not writable/],
    ['the errno error wrapped as a cause', new DeskbotError('DB_LOCKED', 'x', { cause: systemError('EADDRINUSE', 'listen') }), 1, /^PORT 3000/],
  ])('%s', (_rule, error, exitCode, line) => {
    const failure = describeStartupFailure(error, settings);
    expect(failure?.exitCode).toBe(exitCode);
    expect(failure?.line).toMatch(line);
    expect(failure?.line).not.toMatch(/E[A-Z]{4,}|errno|\n/);
  });

  describe('DIRECTORY_FILE that cannot be read is a configuration error: exit 78', () => {
    const directoryFile = path.join(tmp, 'directory.yaml');
    const withFile = { ...settings, DIRECTORY_FILE: directoryFile };
    /** What importDirectoryFile throws when it cannot read the file: DIRECTORY_INVALID with the fs error as cause. */
    const unreadable = (cause: NodeJS.ErrnoException) =>
      new DeskbotError('DIRECTORY_INVALID', `Cannot read directory file ${directoryFile}: ${cause.message}`, { cause, details: { file: directoryFile } });

    it.each([
      ['missing', unreadable(systemError('ENOENT', 'open', { path: directoryFile })), /^DIRECTORY_FILE .+directory\.yaml: does not exist$/],
      ['not readable', unreadable(systemError('EACCES', 'open', { path: directoryFile })), /^DIRECTORY_FILE .+directory\.yaml: not readable by this user$/],
      ['a folder (EISDIR names no path)', unreadable(systemError('EISDIR', 'read')), /^DIRECTORY_FILE .+directory\.yaml: is a folder, not a file$/],
    ])('%s', (_rule, error, line) => {
      const failure = describeStartupFailure(error, withFile);
      expect(failure?.exitCode).toBe(78);
      expect(failure?.line).toMatch(line);
      // \b: the setting's own name (DIRECTORY_FILE) has an E followed by capitals too.
      expect(failure?.line).not.toMatch(/\bE[A-Z]{4,}|errno|\n/);
    });

    it('maps a DIRECTORY_FILE with invalid content to 78, its issues kept; an invalid file other than DIRECTORY_FILE stays unmapped', () => {
      const message = `Directory file ${directoryFile} is invalid; nothing was imported:\n  ${directoryFile}: customers[0] (X): calendar: Required (line 2)`;
      expect(describeStartupFailure(new DeskbotError('DIRECTORY_INVALID', message, { details: { file: directoryFile } }), withFile)).toEqual({
        line: `DIRECTORY_FILE: ${message}`,
        exitCode: 78,
      });
      const other = path.join(tmp, 'other.yaml');
      expect(describeStartupFailure(new DeskbotError('DIRECTORY_INVALID', 'bad', { details: { file: other } }), withFile)).toBeUndefined();
      expect(describeStartupFailure(new DeskbotError('DIRECTORY_INVALID', 'bad', { details: { file: directoryFile } }), settings)).toBeUndefined();
    });

    it('leaves a missing file other than DIRECTORY_FILE unmapped', () => {
      expect(describeStartupFailure(systemError('ENOENT', 'open', { path: path.join(tmp, 'other.yaml') }), withFile)).toBeUndefined();
    });
  });

  it.each([
    ['a database host that does not resolve is not HOST', systemError('ENOTFOUND', 'getaddrinfo', { hostname: 'db.example' })],
    ['a file outside DATA_DIR', systemError('EEXIST', 'mkdir', { path: path.join(tmp, 'elsewhere') })],
    ['an error without errno', new Error('bug')],
    ['a DeskbotError of its own', new DeskbotError('POLICY_INVALID', 'bad policy')],
  ])('leaves %s unmapped', (_rule, error) => {
    expect(describeStartupFailure(error, settings)).toBeUndefined();
  });
});

async function serve(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['bin/deskbot.mjs', 'serve'], {
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => void (stdout += chunk));
  child.stderr.on('data', (chunk) => void (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (exitCode) => resolve(exitCode)));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

function expectOneLine(result: { stdout: string; stderr: string }, line: RegExp): void {
  expect(result.stderr.split('\n').filter(Boolean), result.stderr).toHaveLength(1);
  expect(result.stderr).toMatch(line);
  for (const text of [result.stdout, result.stderr]) {
    expect(text).not.toMatch(/"stack"|errno|EADDRINUSE|EEXIST|ENOTDIR|ENOTFOUND|EAI_AGAIN/);
  }
}

// A loaded machine compiles the sources through tsx slowly: generous time for each start.
describe('deskbot serve start-up failures (a real process)', { timeout: 120_000 }, () => {
  it('port in use: one line naming PORT, exit 1', async () => {
    const port = await freePort();
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    try {
      const result = await serve({ PORT: String(port), DATA_DIR: path.join(tmp, 'port-data') });
      expect(result.code, result.stderr).toBe(1);
      expectOneLine(result, new RegExp(`^deskbot: PORT ${port}: already in use on 127\\.0\\.0\\.1`));
    } finally {
      holder.close();
    }
  });

  it('DATA_DIR is a file: one line naming DATA_DIR, exit 78', async () => {
    const file = path.join(tmp, 'not-a-folder');
    fs.writeFileSync(file, 'x');
    const result = await serve({ PORT: String(await freePort()), DATA_DIR: file });
    expect(result.code, result.stderr).toBe(78);
    expectOneLine(result, /^deskbot: DATA_DIR .*not-a-folder: is a file, not a folder$/m);
  });

  it('DIRECTORY_FILE with invalid content: its problems with their lines, exit 78, nothing imported', async () => {
    const invalid = path.join(tmp, 'invalid-directory.yaml');
    fs.writeFileSync(invalid, 'customers:\n  - key: X\n    name: X\n');
    const result = await serve({ PORT: String(await freePort()), DATA_DIR: path.join(tmp, 'invalid-directory-data'), DIRECTORY_FILE: invalid });
    expect(result.code, result.stderr).toBe(78);
    expect(result.stderr).toMatch(/^deskbot: DIRECTORY_FILE: Directory file .*invalid-directory\.yaml is invalid; nothing was imported:$/m);
    expect(result.stderr).toMatch(/customers\[0\] \(X\): calendar: .*\(line 2\)/);
    expect(result.stderr).not.toMatch(/"stack"|\n\s+at /);
  });

  it('DIRECTORY_FILE missing: one line naming DIRECTORY_FILE and its path, exit 78', async () => {
    const missing = path.join(tmp, 'no-such-directory.yaml');
    const result = await serve({ PORT: String(await freePort()), DATA_DIR: path.join(tmp, 'directory-data'), DIRECTORY_FILE: missing });
    expect(result.code, result.stderr).toBe(78);
    expectOneLine(result, /^deskbot: DIRECTORY_FILE .*no-such-directory\.yaml: does not exist$/m);
    expect(result.stderr).not.toMatch(/ENOENT/);
  });

  it('HOST unresolvable: one line naming HOST, exit 78', async () => {
    const result = await serve({ PORT: String(await freePort()), HOST: 'no-such-host.invalid', DATA_DIR: path.join(tmp, 'host-data') });
    expect(result.code, result.stderr).toBe(78);
    expectOneLine(result, /^deskbot: HOST no-such-host\.invalid: cannot be resolved/);
  });
});
