// When the embedded database is vacuumed: after enough writes, or an hour after the last pass when anything was
// written; never while nothing changed; a failing pass is logged and the next check tries again; stop() waits for
// the table under way and starts no further one.
import { describe, expect, it } from 'vitest';
import type { DatabaseHousekeeping, TableHousekept } from '../../src/app/ports.ts';
import { createDatabaseHousekeepingJob } from '../../src/jobs/database-housekeeping.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { manualClock } from '../helpers/sla-fixtures.ts';
import { capturedLogger } from '../helpers/captured-logger.ts';

function fakeHousekeeping(tables = ['Outbox', 'InboundQueue', 'Ticket']) {
  const state = { position: 0, kept: [] as string[], failOn: undefined as string | undefined, keepDelayMs: 0 };
  const housekeeping: DatabaseHousekeeping = {
    writePosition: async () => state.position,
    tables: async () => tables,
    async keep(table): Promise<TableHousekept> {
      if (state.keepDelayMs) await new Promise((resolve) => setTimeout(resolve, state.keepDelayMs));
      if (table === state.failOn) throw new Error(`vacuum of ${table} failed`);
      state.kept.push(table);
      return { table, bytesBefore: 1_000, bytesAfter: 400, analyzed: false, ms: 1 };
    },
  };
  return { housekeeping, state };
}

describe('database housekeeping job', () => {
  it('runs a pass once enough transactions were written, over every table, and counts from the pass on', async () => {
    const { housekeeping, state } = fakeHousekeeping();
    const clock = manualClock('2026-11-30T10:00:00Z');
    const { logger, lines } = capturedLogger();
    const job = createDatabaseHousekeepingJob({ housekeeping, clock, logger, afterTransactions: 100 });
    state.position = 99;
    expect(await job.check()).toBeUndefined();
    state.position = 100;
    const pass = await job.check();
    expect(state.kept).toEqual(['Outbox', 'InboundQueue', 'Ticket']);
    expect(pass?.reclaimedBytes).toBe(1_800);
    expect(lines.find((line) => line.event === 'database-housekept')).toMatchObject({ tables: 3, reclaimedBytes: 1_800 });
    state.position = 199;
    expect(await job.check()).toBeUndefined();
    state.position = 200;
    expect(await job.check()).toBeDefined();
  });

  it('runs a pass an hour after the last when anything was written, and never when nothing was', async () => {
    const { housekeeping, state } = fakeHousekeeping();
    const clock = manualClock('2026-11-30T10:00:00Z');
    const job = createDatabaseHousekeepingJob({ housekeeping, clock, logger: createSilentLogger(), afterTransactions: 1_000 });
    state.position = 5;
    expect(await job.check()).toBeUndefined();
    clock.advance(3_600_000);
    expect(await job.check()).toBeDefined();
    clock.advance(5 * 3_600_000);
    state.kept = [];
    expect(await job.check()).toBeUndefined();
    expect(state.kept).toEqual([]);
  });

  it('gives a database with a long history its first pass at the first check', async () => {
    const { housekeeping, state } = fakeHousekeeping();
    const job = createDatabaseHousekeepingJob({ housekeeping, clock: manualClock('2026-11-30T10:00:00Z'), logger: createSilentLogger() });
    state.position = 250_000;
    expect(await job.check()).toBeDefined();
  });

  it('logs a failed pass and tries again at the next check', async () => {
    const { housekeeping, state } = fakeHousekeeping();
    const { logger, lines } = capturedLogger();
    const job = createDatabaseHousekeepingJob({ housekeeping, clock: manualClock('2026-11-30T10:00:00Z'), logger, checkIntervalMs: 20, afterTransactions: 10 });
    state.position = 50;
    state.failOn = 'InboundQueue';
    await job.start();
    try {
      await expect.poll(() => lines.some((line) => line.event === 'database-housekeeping-failed'), { timeout: 2_000 }).toBe(true);
      state.failOn = undefined;
      await expect.poll(() => lines.some((line) => line.event === 'database-housekept'), { timeout: 2_000 }).toBe(true);
    } finally {
      await job.stop();
    }
    expect(JSON.stringify(lines.find((line) => line.event === 'database-housekeeping-failed'))).toContain('vacuum of InboundQueue failed');
  });

  it('stop() lets the table under way finish and starts no other', async () => {
    const { housekeeping, state } = fakeHousekeeping();
    const job = createDatabaseHousekeepingJob({
      housekeeping,
      clock: manualClock('2026-11-30T10:00:00Z'),
      logger: createSilentLogger(),
      checkIntervalMs: 10,
      afterTransactions: 1,
    });
    state.position = 10;
    state.keepDelayMs = 150;
    await job.start();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await job.stop();
    expect(state.kept).toEqual(['Outbox']);
  });
});
