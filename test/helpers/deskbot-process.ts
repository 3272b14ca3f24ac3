// Real deskbot processes for CLI tests: a `deskbot serve` child whose output is collected and awaited, and one-shot
// `deskbot <command>` runs with their exit code and output.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const deskbotBin = path.join(repoRoot, 'bin', 'deskbot.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `deskbot <args>` to completion; `input` is piped into stdin (stdin is closed otherwise). */
export function runDeskbot(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [deskbotBin, ...args], {
      cwd: options.cwd ?? repoRoot,
      env: { PATH: process.env.PATH, DESKBOT_FROM_SOURCE: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => void (stdout += chunk));
    child.stderr.on('data', (chunk) => void (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

export interface ServeProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the output contains `text`; rejects after `timeoutMs` or when the process exits first. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Collects a child's stdout and stderr and lets a test wait for a line. */
export function watchProcess(child: ChildProcess): ServeProcess {
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let exitedYet = false;
  void exited.then(() => (exitedYet = true));
  child.stdout?.on('data', (chunk) => void (output += chunk));
  child.stderr?.on('data', (chunk) => void (output += chunk));
  const matches = (text: string | RegExp) => (typeof text === 'string' ? output.includes(text) : text.test(output));
  return {
    child,
    output: () => output,
    async waitFor(text, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      while (!matches(text)) {
        if (exitedYet) throw new Error(`process exited before printing ${String(text)}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(text)}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    async stop() {
      if (!exitedYet) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Starts `deskbot serve` as a child process (JSON logs unless `env` says otherwise). */
export function startServe(options: { env: NodeJS.ProcessEnv; cwd?: string }): ServeProcess {
  const child = spawn(process.execPath, [deskbotBin, 'serve'], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH, DESKBOT_FROM_SOURCE: '1', HOST: '127.0.0.1', LOG_LEVEL: 'info', LOG_FORMAT: 'json', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watchProcess(child);
}

/** Polls `check` every 100 ms until it returns a value other than undefined. */
export async function eventually<T>(check: () => T | undefined, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
