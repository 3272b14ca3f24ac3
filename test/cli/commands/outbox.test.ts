// `deskbot outbox` as text: a line per kind of pending row, then the rows; "nothing pending" only when no row follows.
// Through the real CLI on PGlite (DATA_DIR) as well.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxListItem, OutboxPendingSummary } from '../../../src/app/outbox-delivery.ts';
import { formatOutboxText } from '../../../src/cli/commands/outbox.ts';
import { runCli } from '../../../src/cli/program.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { openRuntime } from '../../../src/runtime.ts';
import { enqueueOutboxRow } from '../../../src/store/outbox-repository.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-outbox-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const at = new Date('2026-11-30T10:00:00.000Z');

function item(id: string, status: string): OutboxListItem {
  return {
    id,
    channel: 'email',
    kind: 'acknowledgement',
    ticketId: 1,
    requestId: 'SR-2026-000001',
    status,
    attempts: status === 'pending' ? 0 : 1,
    nextAttemptAt: at,
    lockedUntil: null,
    lastError: status === 'dead' ? 'SMTP_PERMANENT: 550 no such user' : null,
    createdAt: at,
    sentAt: status === 'sent' ? at : null,
  };
}

const pending: OutboxPendingSummary = { channel: 'email', kind: 'acknowledgement', count: 1, oldestCreatedAt: at, oldestAgeMs: 5 * 60_000 };

describe('formatOutboxText', () => {
  it.each([
    { rule: 'nothing at all: nothing pending', summary: [], items: [], all: false, first: 'nothing pending', lines: 1 },
    { rule: 'nothing at all with --all: the outbox is empty', summary: [], items: [], all: true, first: 'the outbox is empty', lines: 1 },
    {
      rule: '--all with delivered rows only: the rows, no "nothing pending" above them',
      summary: [],
      items: [item('2', 'sent'), item('1', 'sent')],
      all: true,
      first: 'ID',
      lines: 3,
    },
    { rule: 'dead rows only: the rows, no "nothing pending" above them', summary: [], items: [item('1', 'dead')], all: false, first: 'ID', lines: 2 },
    {
      rule: 'pending rows: their summary, a blank line, then the rows',
      summary: [pending],
      items: [item('2', 'sent'), item('1', 'pending')],
      all: true,
      first: 'pending email/acknowledgement: 1 (oldest waiting 5 min)',
      lines: 5,
    },
  ])('$rule', ({ summary, items, all, first, lines }) => {
    const text = formatOutboxText(summary, items, { all });
    expect(text.endsWith('\n')).toBe(true);
    const printed = text.slice(0, -1).split('\n');
    expect(printed[0]!.startsWith(first)).toBe(true);
    expect(printed).toHaveLength(lines);
    if (items.length && !summary.length) expect(text).not.toContain('nothing pending');
    if (summary.length) expect(printed[1]).toBe('');
  });
});

describe('deskbot outbox through the CLI', () => {
  const env = { LOG_LEVEL: 'silent', DATA_DIR: path.join(tmp, 'data') };
  let sentId = '';

  beforeAll(async () => {
    const runtime = await openRuntime(loadConfig(env), { logger: createSilentLogger() });
    try {
      const now = runtime.clock.now();
      await enqueueOutboxRow(runtime.database.prisma, { idempotencyKey: 'ack:sent', channel: 'email', kind: 'acknowledgement', payload: {} }, now);
      const [stored] = await runtime.database.prisma.outbox.findMany();
      await runtime.database.prisma.outbox.update({ where: { id: stored!.id }, data: { status: 'sent', sentAt: now, attempts: 1 } });
      sentId = stored!.id.toString();
    } finally {
      await runtime.close();
    }
  });

  async function run(...args: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), env });
    return { code, stdout, stderr };
  }

  it('--all with only delivered rows lists them without "nothing pending" above', async () => {
    const all = await run('outbox', '--all');
    expect(all.code).toBe(0);
    expect(all.stdout).not.toContain('nothing pending');
    expect(all.stdout).toMatch(/^ID\s+CHANNEL/);
    expect(all.stdout).toMatch(new RegExp(`^${sentId}\\s+email\\s+acknowledgement\\s+-\\s+sent\\s`, 'm'));
    expect(await run('outbox')).toMatchObject({ code: 0, stdout: 'nothing pending\n' });
  });

  it('takes --format table|json like the other list commands, and --json as --format json', async () => {
    const json = await run('outbox', '--all', '--format', 'json');
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as { summary: unknown[]; items: Array<{ id: string; status: string }> };
    expect(listed.items).toEqual([expect.objectContaining({ id: sentId, status: 'sent' })]);
    expect(await run('outbox', '--all', '--json')).toEqual(json);
    expect((await run('outbox', '--all', '--format', 'table')).stdout).toMatch(/^ID\s+CHANNEL/);
    expect(await run('outbox', 'retry', '--pending', '--format', 'json')).toMatchObject({ code: 0, stdout: '{"due":0}\n' });
    expect(await run('outbox', 'retry', '--pending', '--json')).toMatchObject({ code: 0, stdout: '{"due":0}\n' });
    expect(await run('outbox', 'retry', '--pending')).toMatchObject({ code: 0, stdout: '0 pending row(s) waiting on a back-off are due now\n' });
    expect(await run('quarantine', 'list', '--format', 'json')).toMatchObject({ code: 0, stdout: '{"quarantined":[]}\n' });
    expect(await run('quarantine', 'list', '--json')).toMatchObject({ code: 0, stdout: '{"quarantined":[]}\n' });
  });

  it.each([
    { rule: 'an unknown format', args: ['outbox', '--format', 'xml'], says: "argument 'xml' is invalid. Allowed choices are table, json" },
    {
      rule: '--json beside another --format',
      args: ['outbox', '--json', '--format', 'table'],
      says: "option '--json' cannot be used with option '--format <format>'",
    },
    { rule: 'an unknown format of quarantine list', args: ['quarantine', 'list', '--format', 'csv'], says: "argument 'csv' is invalid" },
  ])('refuses $rule as a usage error (exit 2)', async ({ args, says }) => {
    const refused = await run(...args);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(says);
  });
});
