// A private PostgreSQL server for fault tests that restart the database: its own cluster in a temp folder on a
// free loopback port, run as the postgres user, so the machine's shared server is never restarted.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './net.ts';

export interface PrivatePostgres {
  url: string;
  port: number;
  stop(): void;
  start(): void;
  restart(): void;
  destroy(): void;
}

function binDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!fs.existsSync(root)) return undefined;
  const version = fs.readdirSync(root).sort().pop();
  const dir = version ? path.join(root, version, 'bin') : undefined;
  return dir && fs.existsSync(path.join(dir, 'initdb')) ? dir : undefined;
}

export function privatePostgresAvailable(): boolean {
  const ok = binDir() !== undefined && (process.getuid?.() !== 0 || spawnSync('id', ['postgres']).status === 0);
  if (!ok && process.env.CI === 'true') throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are required under CI=true');
  if (!ok) console.warn('\n*** PostgreSQL binaries not found: PostgreSQL restart tests are SKIPPED ***\n');
  return ok;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = binDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found');
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-pg-'));
  const dataDir = path.join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  if (asRoot) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const run = (command: string, args: string[]) => {
    const full = path.join(bin, command);
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe', cwd: dir });
    else execFileSync(full, args, { stdio: 'pipe', cwd: dir });
  };
  run('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=200`;
  const start = () => run('pg_ctl', ['-D', dataDir, '-o', options, '-l', path.join(dir, 'log'), '-w', 'start']);
  const stop = () => run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
  start();
  run('createdb', ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', 'deskbot']);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/deskbot`,
    port,
    start,
    stop,
    restart() {
      stop();
      start();
    },
    destroy() {
      try {
        stop();
      } catch {
        // already stopped
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
