// PostgreSQL restarting under a running deskbot: /healthz reports the database down while it lasts, mail that
// arrives meanwhile waits in the inbox, and everything is handled once the database is back — nothing lost.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { serve, type RunningDeskbot } from '../../src/main.ts';
import { privatePostgresAvailable, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.ts';

const available = privatePostgresAvailable();

function request(index: number): string {
  return [
    'From: ops@acme.example',
    'To: support@deskbot.local',
    `Subject: Kerio Connect 10.0.1 problem ${index}`,
    `Message-ID: <pg-restart.${index}@acme.example>`,
    'Date: Mon, 30 Nov 2026 15:00:00 +0000',
    '',
    'Severity: 3. Licence 27A3-9F10-4C2B, Kerio Connect version 10.0.1. Calendar sync fails.',
    '',
  ].join('\r\n');
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe.skipIf(!available)('PostgreSQL restart', () => {
  let postgres: PrivatePostgres;
  let running: RunningDeskbot;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-pgrestart-'));
  const inbox = path.join(dataDir, 'inbox');
  const outbox = path.join(dataDir, 'outbox');

  beforeAll(async () => {
    postgres = await startPrivatePostgres();
    const config = loadConfig({
      DATABASE_URL: postgres.url,
      DATA_DIR: dataDir,
      DIRECTORY_FILE: path.resolve('examples/directory.yaml'),
      PORT: '0',
      HOST: '127.0.0.1',
      OUTBOX_POLL_INTERVAL_MS: '200',
    });
    running = await serve(config, { logger: createSilentLogger() });
  });
  afterAll(async () => {
    await running?.stop().catch(() => undefined);
    postgres?.destroy();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const health = async () => {
    const response = await fetch(`http://127.0.0.1:${running.port}/healthz`);
    return { status: response.status, body: (await response.json()) as { status: string; parts: Record<string, { state: string }> } };
  };
  const acknowledgements = () => (fs.existsSync(outbox) ? fs.readdirSync(outbox).filter((name) => name.endsWith('.eml')).length : 0);

  it('reports the database down while it restarts and handles the mail that arrived meanwhile', { timeout: 120_000 }, async () => {
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'first.eml'), request(1));
    await waitFor(async () => (acknowledgements() >= 1 ? true : undefined), 20_000);
    expect((await health()).status).toBe(200);

    postgres.stop();
    const down = await waitFor(async () => {
      const report = await health();
      return report.status === 503 ? report : undefined;
    }, 10_000);
    expect(down.body.parts.database?.state).toBe('down');
    fs.writeFileSync(path.join(inbox, 'during-outage.eml'), request(2));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    postgres.start();

    const back = await waitFor(async () => {
      const report = await health();
      return report.status === 200 && report.body.parts.database?.state === 'ok' ? report : undefined;
    }, 20_000);
    expect(back.status).toBe(200);
    await waitFor(async () => (acknowledgements() >= 2 ? true : undefined), 60_000);
    fs.writeFileSync(path.join(inbox, 'after.eml'), request(3));
    await waitFor(async () => (acknowledgements() >= 3 ? true : undefined), 30_000);

    const tickets = await running.runtime.database.prisma.ticket.findMany({ select: { requestId: true } });
    expect(tickets).toHaveLength(3);
    expect(fs.readdirSync(path.join(inbox, 'processed')).sort()).toEqual(['after.eml', 'during-outage.eml', 'first.eml']);
  });
});
