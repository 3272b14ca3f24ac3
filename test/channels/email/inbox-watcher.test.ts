// The embedded intake: *.eml files in DATA_DIR/inbox/ are handled once they are completely written and moved to
// processed/ or rejected/ by outcome; temporary names are left alone; handler failures leave the file in place.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OversizedMailHandler } from '../../../src/channels/email/imap/batch.ts';
import { createInboxWatcher, type InboxTimings, type InboxWatcher } from '../../../src/channels/email/inbox-watcher.ts';
import { NotPlainFileError, readMessageFile } from '../../../src/channels/email/mail-pipe.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { HealthRegistry } from '../../../src/health.ts';
import { createSilentLogger, type Logger } from '../../../src/logger.ts';
import type { InboundMailHandler, InboundOutcome, InboundSource } from '../../../src/app/ports.ts';
import { capturedLogger } from '../../helpers/captured-logger.ts';

function mail(id: string, outcome: InboundOutcome = 'ticket', body = `Body of ${id}.`): string {
  return [`From: ops@acme.example`, `Subject: ${id}`, `Message-ID: <${id}@test.example>`, `X-Test-Outcome: ${outcome}`, '', body, ''].join('\r\n');
}

interface Call {
  messageId: string;
  raw: string;
  source: InboundSource;
}

function recorder() {
  const calls: Call[] = [];
  let behaviour: (call: Call) => Promise<void> | void = () => undefined;
  const handler: InboundMailHandler = async (raw, source) => {
    const text = raw.toString();
    const call = { messageId: /^Message-ID:\s*(\S+)/im.exec(text)?.[1] ?? '?', raw: text, source };
    calls.push(call);
    await behaviour(call);
    const outcome = (/^X-Test-Outcome:\s*(\S+)/im.exec(text)?.[1] ?? 'ticket') as InboundOutcome;
    return { outcome, reason: `test-${outcome}` };
  };
  return {
    calls,
    handler,
    set behave(next: typeof behaviour) {
      behaviour = next;
    },
  };
}

async function waitFor(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const noOversized: OversizedMailHandler = async () => {
  throw new Error('unexpected oversized message');
};

describe('inbox watcher', () => {
  let dataDir: string;
  let inbox: string;
  let watcher: InboxWatcher | undefined;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-inbox-'));
    inbox = path.join(dataDir, 'inbox');
  });
  afterEach(async () => {
    await watcher?.stop();
    watcher = undefined;
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  function start(
    handler: InboundMailHandler,
    extra: { timings?: Partial<InboxTimings>; logger?: Logger; health?: HealthRegistry; oversized?: OversizedMailHandler; maxBytes?: number } = {},
  ) {
    watcher = createInboxWatcher({
      dir: inbox,
      handlers: { handler, oversizedHandler: extra.oversized ?? noOversized },
      maxBytes: extra.maxBytes ?? 1024 * 1024,
      logger: extra.logger ?? createSilentLogger(),
      ...(extra.health ? { health: extra.health } : {}),
      timings: { settleMs: 150, rescanIntervalMs: 60_000, retry: { initialMs: 50, maxMs: 200 }, ...extra.timings },
      random: () => 0.5,
    });
    return watcher.start().then(() => watcher!);
  }

  const list = (sub: string) => (fs.existsSync(path.join(inbox, sub)) ? fs.readdirSync(path.join(inbox, sub)).sort() : []);

  it('handles the files present at start in name order and files them by outcome, leaving temporary names alone', async () => {
    fs.mkdirSync(inbox, { recursive: true });
    const outcomes: [string, InboundOutcome][] = [
      ['a-ticket', 'ticket'],
      ['b-rejected', 'rejected'],
      ['c-quarantined', 'quarantined'],
      ['d-ignored', 'ignored'],
      ['e-duplicate', 'duplicate'],
    ];
    for (const [name, outcome] of outcomes) fs.writeFileSync(path.join(inbox, `${name}.eml`), mail(name, outcome));
    for (const name of ['.hidden.eml', 'partial.eml.tmp', 'notes.txt', '~lock.eml']) fs.writeFileSync(path.join(inbox, name), mail(name));
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    const health = new HealthRegistry();
    await start(fake.handler, { logger, health });
    await waitFor(() => fake.calls.length === 5 && list('processed').length + list('rejected').length === 5, 5_000, 'five files');

    expect(fake.calls.map((call) => call.messageId)).toEqual(outcomes.map(([name]) => `<${name}@test.example>`));
    expect(fake.calls[0]?.source).toEqual({ kind: 'file', path: path.join(inbox, 'a-ticket.eml') });
    expect(list('processed')).toEqual(['a-ticket.eml', 'd-ignored.eml', 'e-duplicate.eml']);
    expect(list('rejected')).toEqual(['b-rejected.eml', 'c-quarantined.eml']);
    expect(fs.readdirSync(inbox).sort()).toEqual(['.hidden.eml', 'notes.txt', 'partial.eml.tmp', 'processed', 'rejected', '~lock.eml']);
    expect(lines.find((line) => line.event === 'file-handled' && line.file === 'c-quarantined.eml')).toMatchObject({
      component: 'inbox',
      outcome: 'quarantined',
      reason: 'test-quarantined',
      movedTo: 'rejected/c-quarantined.eml',
    });
    expect(health.get('inbox')?.state).toBe('ok');
  });

  it('picks up a file dropped while running through fs.watch, not the rescan', async () => {
    const fake = recorder();
    await start(fake.handler, { timings: { rescanIntervalMs: 600_000 } });
    await sleep(100);
    const droppedAt = Date.now();
    fs.writeFileSync(path.join(inbox, 'new.eml'), mail('new'));
    await waitFor(() => list('processed').includes('new.eml'), 3_000, 'the dropped file');
    expect(Date.now() - droppedAt).toBeLessThan(2_000);
    expect(fake.calls).toHaveLength(1);
  });

  it('waits for a slowly written file to be complete before handling it', async () => {
    const fake = recorder();
    await start(fake.handler, { timings: { settleMs: 400 } });
    const file = path.join(inbox, 'slow.eml');
    const handle = fs.openSync(file, 'w');
    const lines = mail('slow', 'ticket', Array.from({ length: 10 }, (_, index) => `line ${index}`).join('\r\n')).split('\r\n');
    for (const line of lines) {
      fs.writeSync(handle, `${line}\r\n`);
      await sleep(120);
    }
    fs.writeSync(handle, 'END\r\n');
    fs.closeSync(handle);
    await waitFor(() => list('processed').includes('slow.eml'), 5_000, 'the slow file');
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0]?.raw.endsWith('line 9\r\n\r\nEND\r\n')).toBe(true);
  });

  it('takes a file renamed into place from a temporary name', async () => {
    const fake = recorder();
    await start(fake.handler);
    const temporary = path.join(inbox, '.incoming.eml.tmp');
    fs.writeFileSync(temporary, mail('renamed'));
    await sleep(400);
    expect(fake.calls).toHaveLength(0);
    fs.renameSync(temporary, path.join(inbox, 'renamed.eml'));
    await waitFor(() => list('processed').includes('renamed.eml'), 3_000, 'the renamed file');
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<renamed@test.example>']);
  });

  it('leaves a file in the inbox while the handler fails retryably and files it once the handler succeeds', async () => {
    const fake = recorder();
    let failures = 2;
    fake.behave = () => {
      if (failures-- > 0) throw new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true });
    };
    const health = new HealthRegistry();
    await start(fake.handler, { health });
    fs.writeFileSync(path.join(inbox, 'retry.eml'), mail('retry'));
    await waitFor(() => fake.calls.length === 2, 5_000, 'two failed attempts');
    expect(fs.existsSync(path.join(inbox, 'retry.eml'))).toBe(true);
    expect(health.get('inbox')?.state).toBe('degraded');
    await waitFor(() => list('processed').includes('retry.eml') && watcher!.stats().processed === 1, 5_000, 'the retried file');
    expect(fake.calls).toHaveLength(3);
    expect(watcher!.stats()).toMatchObject({ processed: 1, retried: 2, failed: 0 });
    expect(health.get('inbox')?.state).toBe('ok');
  });

  it('leaves a file whose handler fails with a bug in the inbox, logs it and moves on to the next', async () => {
    const fake = recorder();
    fake.behave = (call) => {
      if (call.messageId === '<a-poison@test.example>') throw new TypeError('bug');
    };
    const { logger, lines } = capturedLogger();
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'a-poison.eml'), mail('a-poison', 'ticket', 'private words'));
    fs.writeFileSync(path.join(inbox, 'b-fine.eml'), mail('b-fine'));
    await start(fake.handler, { logger });
    await waitFor(() => list('processed').includes('b-fine.eml') && watcher!.stats().processed === 1, 5_000, 'the next file');
    await sleep(400);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<a-poison@test.example>', '<b-fine@test.example>']);
    expect(fs.existsSync(path.join(inbox, 'a-poison.eml'))).toBe(true);
    expect(watcher!.stats()).toMatchObject({ processed: 1, failed: 1 });
    expect(lines.find((line) => line.event === 'handler-failed')).toMatchObject({ file: 'a-poison.eml', level: 50 });
    expect(JSON.stringify(lines)).not.toContain('private words');
  });

  it('hands a file above MAIL_MAX_BYTES to the oversized handler with its headers only', async () => {
    const fake = recorder();
    const calls: { headers: string; size: number }[] = [];
    const oversized: OversizedMailHandler = async (headers, size) => {
      calls.push({ headers: headers.toString(), size });
      return { outcome: 'quarantined', reason: 'too-large' };
    };
    const raw = mail('huge', 'ticket', 'y'.repeat(4_000));
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'huge.eml'), raw);
    await start(fake.handler, { oversized, maxBytes: 1_000 });
    await waitFor(() => list('rejected').includes('huge.eml'), 5_000, 'the oversized file');
    expect(fake.calls).toHaveLength(0);
    expect(calls[0]?.size).toBe(Buffer.byteLength(raw));
    expect(calls[0]?.headers).toContain('Message-ID: <huge@test.example>');
    expect(calls[0]?.headers).not.toContain('yyy');
  });

  it('finishes the file in hand when stopped', async () => {
    const fake = recorder();
    let started = false;
    fake.behave = async () => {
      started = true;
      await sleep(300);
    };
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(inbox, 'inhand.eml'), mail('inhand'));
    fs.writeFileSync(path.join(inbox, 'later.eml'), mail('later'));
    const running = await start(fake.handler);
    await waitFor(() => started, 5_000, 'the handler');
    await running.stop();
    expect(list('processed')).toEqual(['inhand.eml']);
    expect(fs.existsSync(path.join(inbox, 'later.eml'))).toBe(true);
  });

  it('moves a 255-byte name used a second time under a shortened -1 name instead of failing the move (point 3)', async () => {
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    await start(fake.handler, { logger });
    const name = `${'n'.repeat(251)}.eml`;
    fs.writeFileSync(path.join(inbox, name), mail('first'));
    await waitFor(() => list('processed').length === 1, 3_000, 'the first file');
    fs.writeFileSync(path.join(inbox, name), mail('second'));
    await waitFor(() => list('processed').length === 2, 3_000, 'the second file');
    await sleep(400);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<first@test.example>', '<second@test.example>']);
    const second = list('processed').find((entry) => entry !== name) ?? '';
    expect(Buffer.byteLength(second)).toBeLessThanOrEqual(255);
    expect(second.endsWith('-1.eml')).toBe(true);
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('renames a handled file in place when it cannot be moved out, and never handles it again (point 3)', async () => {
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    await start(fake.handler, { logger });
    fs.rmSync(path.join(inbox, 'processed'), { recursive: true });
    fs.writeFileSync(path.join(inbox, 'processed'), 'not a folder');
    fs.writeFileSync(path.join(inbox, 'stuck.eml'), mail('stuck'));
    await waitFor(() => watcher!.stats().unmovable === 1, 3_000, 'the failed move');
    await sleep(600);
    expect(fake.calls).toHaveLength(1);
    expect(fs.existsSync(path.join(inbox, 'stuck.eml'))).toBe(false);
    const marked = fs.readdirSync(inbox).filter((entry) => entry.startsWith('~deskbot-unmovable-'));
    expect(marked).toHaveLength(1);
    expect(fs.readFileSync(path.join(inbox, marked[0]!), 'utf8')).toContain('<stuck@test.example>');
    expect(lines.filter((line) => line.event === 'file-unmovable')).toHaveLength(1);
    expect(lines.find((line) => line.event === 'file-unmovable')).toMatchObject({ file: 'stuck.eml', code: 'ENOTDIR', level: 50 });
  });

  it('never follows a symlink and moves links, folders, FIFOs and sockets to rejected/ without blocking (point 4)', async () => {
    fs.mkdirSync(inbox, { recursive: true });
    const outside = path.join(dataDir, 'outside');
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.eml'), mail('secret'));
    fs.symlinkSync(path.join(outside, 'secret.eml'), path.join(inbox, 'a-link.eml'));
    fs.symlinkSync(outside, path.join(inbox, 'b-folder-link.eml'));
    fs.symlinkSync(path.join(outside, 'gone.eml'), path.join(inbox, 'c-dangling.eml'));
    fs.mkdirSync(path.join(inbox, 'd-folder.eml'));
    execFileSync('mkfifo', [path.join(inbox, 'e-fifo.eml')]);
    const socketServer = net.createServer();
    await new Promise<void>((resolve) => socketServer.listen(path.join(inbox, 'f-socket.eml'), resolve));
    fs.writeFileSync(path.join(inbox, 'g-plain.eml'), mail('plain'));
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    try {
      await start(fake.handler, { logger });
      // The counter goes up once the move has returned: wait for both, not for the file alone.
      await waitFor(() => list('processed').includes('g-plain.eml') && watcher!.stats().processed === 1, 5_000, 'the plain file after the refused entries');
    } finally {
      socketServer.close();
    }
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<plain@test.example>']);
    expect(list('rejected')).toEqual(['a-link.eml', 'b-folder-link.eml', 'c-dangling.eml', 'd-folder.eml', 'e-fifo.eml', 'f-socket.eml']);
    expect(fs.lstatSync(path.join(inbox, 'rejected', 'a-link.eml')).isSymbolicLink()).toBe(true);
    expect(fs.existsSync(path.join(outside, 'secret.eml'))).toBe(true);
    const refused = lines.filter((line) => line.event === 'file-refused').map((line) => [line.file, line.reason]);
    expect(refused).toEqual([
      ['a-link.eml', 'symlink'],
      ['b-folder-link.eml', 'symlink'],
      ['c-dangling.eml', 'symlink'],
      ['d-folder.eml', 'directory'],
      ['e-fifo.eml', 'fifo'],
      ['f-socket.eml', 'socket'],
    ]);
    expect(watcher!.stats()).toMatchObject({ processed: 1, rejected: 6, refused: 6 });
  });

  it('refuses a symlink or FIFO swapped in after the check: opened with O_NOFOLLOW and O_NONBLOCK (point 4)', async () => {
    fs.mkdirSync(inbox, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'target.eml'), mail('target'));
    fs.symlinkSync(path.join(dataDir, 'target.eml'), path.join(inbox, 'link.eml'));
    execFileSync('mkfifo', [path.join(inbox, 'fifo.eml')]);
    await expect(readMessageFile(path.join(inbox, 'link.eml'), 1_000, { plainFileOnly: true })).rejects.toMatchObject({ kind: 'symlink' });
    await expect(readMessageFile(path.join(inbox, 'fifo.eml'), 1_000, { plainFileOnly: true })).rejects.toBeInstanceOf(NotPlainFileError);
    expect((await readMessageFile(path.join(inbox, 'link.eml'), 1_000)).kind).toBe('whole');
  });

  it('moves an empty file to rejected/ with a reason once it stayed empty, but waits for one that is filled in time (point 5)', async () => {
    const fake = recorder();
    const { logger, lines } = capturedLogger();
    await start(fake.handler, { logger, timings: { emptySettleMs: 400 } });
    fs.writeFileSync(path.join(inbox, 'empty.eml'), '');
    const growing = path.join(inbox, 'growing.eml');
    fs.writeFileSync(growing, '');
    await sleep(200);
    fs.appendFileSync(growing, mail('growing').slice(0, 40));
    await sleep(100);
    fs.appendFileSync(growing, mail('growing').slice(40));
    await waitFor(() => list('rejected').includes('empty.eml') && list('processed').includes('growing.eml'), 5_000, 'both files');
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<growing@test.example>']);
    expect(fake.calls[0]?.raw).toBe(mail('growing'));
    expect(lines.find((line) => line.event === 'file-refused')).toMatchObject({ file: 'empty.eml', reason: 'empty', movedTo: 'rejected/empty.eml' });
  });
});
