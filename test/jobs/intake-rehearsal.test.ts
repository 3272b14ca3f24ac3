// The intake rehearsal after start-up: synthetic requests go through the real intake on both back ends and leave
// nothing behind (no row, no request number, no metric), each round composes its acknowledgement, and real mail
// comes first: the rehearsal waits while intake is busy, ends once real mail did the warming, and stops with serve.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailParser } from '../../src/channels/email/parse-message.ts';
import { composeMessage } from '../../src/channels/email/smtp-sender.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createIntakeRehearsal, type IntakeRehearsalOptions } from '../../src/jobs/intake-rehearsal.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { metrics } from '../../src/metrics.ts';
import type { Database } from '../../src/store/database.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { backends } from '../helpers/backends.ts';
import { intakeConfig } from '../helpers/intake-config.ts';

const policy = defaultPolicy();
const clock = { now: () => new Date('2026-11-17T15:00:00Z') };

async function rowCounts(database: Database): Promise<Record<string, number>> {
  const tables = await database.prisma.$queryRawUnsafe<Array<{ name: string }>>(
    `SELECT table_name::text AS "name" FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%'`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const rows = await database.prisma.$queryRawUnsafe<Array<{ count: number }>>(`SELECT count(*)::int AS "count" FROM "${name}"`);
    counts[name] = Number(rows[0]?.count);
  }
  return counts;
}

async function counterTotal(metric: { get(): Promise<{ values: Array<{ value: number }> }> }): Promise<number> {
  return (await metric.get()).values.reduce((sum, { value }) => sum + value, 0);
}

function rehearsalOptions(database: Database, dataDir: string, overrides: Partial<IntakeRehearsalOptions> = {}): IntakeRehearsalOptions {
  return {
    intake: {
      ...storeAccess(database, policy),
      policy,
      clock,
      renderer: createTemplateRenderer({}),
      parser: mailParser,
      config: intakeConfig(dataDir),
    },
    compose: (mail) => composeMessage(mail, { name: 'Support', address: 'support@deskbot.local' }),
    logger: createSilentLogger(),
    rounds: 6,
    busy: () => false,
    handledSoFar: () => 0,
    waitMs: 5,
    ...overrides,
  };
}

describe.each(backends)('the intake rehearsal on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>> | undefined;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'deskbot-rehearsal-'));
  });
  afterAll(async () => {
    await opened?.dispose();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it.skipIf(!backend.available)('takes the new-request path every round and keeps no row, no request number and no metric', async () => {
    opened = await backend.open();
    const { database } = opened;
    const store = storeAccess(database, policy);
    const before = await rowCounts(database);
    const [received, opened_] = [await counterTotal(metrics.messagesReceived), await counterTotal(metrics.ticketsOpened)];
    const composed: string[] = [];
    const rehearsal = createIntakeRehearsal(
      rehearsalOptions(database, dataDir, {
        compose: async (mail) => composed.push((await composeMessage(mail, { name: 'Support', address: 'support@deskbot.local' })).toString()),
      }),
    );
    await rehearsal.start();
    const summary = await rehearsal.finished;
    expect(summary).toMatchObject({ ended: 'done', rounds: 6, composed: 6 });
    // Each an acknowledgement of a request numbered as the next real one would be, to the rehearsal's own caller.
    expect(composed).toHaveLength(6);
    for (const message of composed) {
      expect(message).toMatch(/^X-Deskbot-Request-ID: SR-2026-000001\r$/m);
      expect(message).toMatch(/^To: Rehearsal Caller <caller\.[0-9a-f]+@rehearsal\.deskbot\.invalid>\r$/m);
      expect(message).toContain('opened service =\r\nrequest SR-2026-000001.');
    }
    expect(await rowCounts(database)).toEqual(before);
    expect(await counterTotal(metrics.messagesReceived)).toBe(received);
    expect(await counterTotal(metrics.ticketsOpened)).toBe(opened_);
    expect(await store.transactor.run((tx) => tx.tickets.nextRequestId(2026))).toBe('SR-2026-000001');
    // Nothing was written for sending or kept as a file.
    expect(await fs.readdir(dataDir)).toEqual([]);
  });
});

describe('the intake rehearsal beside real mail', () => {
  const pglite = backends.find((backend) => backend.name === 'pglite')!;
  let opened: Awaited<ReturnType<typeof pglite.open>>;
  let dataDir: string;
  beforeAll(async () => {
    opened = await pglite.open();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'deskbot-rehearsal-'));
  });
  afterAll(async () => {
    await opened?.dispose();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('runs no round while intake is busy, then carries on once it is idle', async () => {
    let busy = true;
    let checks = 0;
    const rehearsal = createIntakeRehearsal(
      rehearsalOptions(opened.database, dataDir, {
        rounds: 2,
        busy: () => {
          checks += 1;
          // Idle after a few looks: the rounds run only then.
          if (checks >= 4) busy = false;
          return busy;
        },
      }),
    );
    await rehearsal.start();
    expect(await rehearsal.finished).toMatchObject({ ended: 'done', rounds: 2, composed: 2 });
    expect(checks).toBeGreaterThanOrEqual(4);
  });

  it('ends early once enough real mail was handled while it waited', async () => {
    let handled = 0;
    const rehearsal = createIntakeRehearsal(
      rehearsalOptions(opened.database, dataDir, {
        rounds: 50,
        enoughRealMail: 10,
        busy: () => {
          handled += 3;
          return true;
        },
        handledSoFar: () => handled,
      }),
    );
    await rehearsal.start();
    expect(await rehearsal.finished).toMatchObject({ ended: 'real-mail', rounds: 0, composed: 0 });
  });

  it('stops with serve, before it started or while it waits', async () => {
    const never = createIntakeRehearsal(rehearsalOptions(opened.database, dataDir));
    await never.stop();
    expect(await never.finished).toMatchObject({ ended: 'stopped', rounds: 0 });
    await never.start();
    expect(await never.finished).toMatchObject({ ended: 'stopped', rounds: 0 });

    const waiting = createIntakeRehearsal(rehearsalOptions(opened.database, dataDir, { busy: () => true, waitMs: 60_000 }));
    await waiting.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await waiting.stop();
    expect(await waiting.finished).toMatchObject({ ended: 'stopped', rounds: 0 });
  });

  it('takes the new-request path where sender authentication is required too, and without a trusted server id', async () => {
    for (const AUTH_SERV_ID of ['mx.deskbot.local', undefined]) {
      const options = rehearsalOptions(opened.database, dataDir, { rounds: 2 });
      options.intake = { ...options.intake, config: { ...intakeConfig(dataDir, { AUTH_REQUIRED: true }), AUTH_SERV_ID } };
      const rehearsal = createIntakeRehearsal(options);
      await rehearsal.start();
      expect(await rehearsal.finished).toMatchObject({ ended: 'done', rounds: 2, composed: 2 });
    }
  });

  it('reports a round that fails instead of throwing, and keeps nothing of it', async () => {
    const failing = rehearsalOptions(opened.database, dataDir);
    const refusing = () => Promise.reject(new Error('database is unavailable'));
    failing.intake = { ...failing.intake, transactor: { run: refusing } };
    const rehearsal = createIntakeRehearsal(failing);
    await rehearsal.start();
    expect(await rehearsal.finished).toMatchObject({ ended: 'failed', rounds: 0, error: 'database is unavailable' });
  });
});
