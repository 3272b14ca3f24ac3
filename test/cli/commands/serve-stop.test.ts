// How `deskbot serve` ends: a signal stops it with exit code 0; a database lost for good (the embedded database's
// thread stopped) stops it with 1 so that a supervisor starts it again; a stop slower than SHUTDOWN_TIMEOUT_MS exits 1.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runUntilStopped } from '../../../src/cli/commands/serve.ts';
import { exitCodes } from '../../../src/cli/io.ts';
import type { Database } from '../../../src/store/database.ts';
import type { Logger } from '../../../src/logger.ts';

function fakeRuntime() {
  const lost: Array<(error: Error) => void> = [];
  const logged: Array<{ level: string; event: unknown }> = [];
  const log = (level: string) => (fields: { event?: unknown }) => void logged.push({ level, event: fields.event });
  const logger = { info: log('info'), error: log('error'), warn: log('warn') } as unknown as Logger;
  const database = { onLost: (listener: (error: Error) => void) => void lost.push(listener) } as unknown as Database;
  const lose = (error: Error) => {
    for (const listener of lost) listener(error);
  };
  return { runtime: { database, logger }, lose, logged };
}

describe('serve: how it stops', () => {
  afterEach(() => {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
  });

  it('stops with exit code 1 when the database is lost, logging why, and stops only once', async () => {
    const { runtime, lose, logged } = fakeRuntime();
    const stop = vi.fn(async () => undefined);
    const exit = vi.fn();
    const done = runUntilStopped({ runtime, config: { SHUTDOWN_TIMEOUT_MS: 5_000 }, stop, exit });
    lose(new Error("The embedded database's thread stopped (exit code 70)"));
    lose(new Error('again'));
    process.emit('SIGTERM', 'SIGTERM');
    await expect(done).resolves.toBe(exitCodes.failure);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exit).not.toHaveBeenCalled();
    expect(logged).toContainEqual({ level: 'error', event: 'database-lost' });
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops with exit code 0 on SIGTERM', async () => {
    const { runtime, logged } = fakeRuntime();
    const stop = vi.fn(async () => undefined);
    const done = runUntilStopped({ runtime, config: { SHUTDOWN_TIMEOUT_MS: 5_000 }, stop, exit: vi.fn() });
    process.emit('SIGTERM', 'SIGTERM');
    await expect(done).resolves.toBe(exitCodes.ok);
    expect(stop).toHaveBeenCalledTimes(1);
    expect(logged).toContainEqual({ level: 'info', event: 'signal' });
  });

  it('exits 1 when stopping takes longer than SHUTDOWN_TIMEOUT_MS', async () => {
    const { runtime, lose, logged } = fakeRuntime();
    const exited = new Promise<number>((resolve) => {
      void runUntilStopped({ runtime, config: { SHUTDOWN_TIMEOUT_MS: 50 }, stop: () => new Promise(() => undefined), exit: resolve });
    });
    lose(new Error('gone'));
    await expect(exited).resolves.toBe(exitCodes.failure);
    expect(logged).toContainEqual({ level: 'error', event: 'shutdown-timeout' });
  });
});
