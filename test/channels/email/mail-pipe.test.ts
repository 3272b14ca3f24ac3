// The mail pipe: stdin (MTA pipe), files and folders; one JSON line per message; 0 when stored,
// 75 (EX_TEMPFAIL) when the database is unavailable, 1 when a message failed otherwise. The command: test/cli/commands/ingest.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestMessages } from '../../../src/channels/email/mail-pipe.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { fakeHandlers, mailFolder, mail, output } from '../../helpers/intake-fakes.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-pipe-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const folder = mailFolder;

describe('ingestMessages', () => {
  const logger = createSilentLogger();

  it('ingests one message from stdin and prints its outcome as one JSON line', async () => {
    const fake = fakeHandlers();
    const out = output();
    const code = await ingestMessages([], {
      handlers: fake.handlers,
      maxBytes: 10_000,
      stdout: out.stdout,
      stdin: Readable.from([Buffer.from(mail('stdin-1'))]),
      logger,
    });
    expect(code).toBe(0);
    expect(fake.calls).toEqual([{ messageId: '<stdin-1@test.example>', source: { kind: 'stdin' }, size: Buffer.byteLength(mail('stdin-1')) }]);
    expect(out.json()).toEqual([{ source: 'stdin', outcome: 'ticket', requestId: 'SR-2026-000001', ticketId: 1 }]);
  });

  it('ingests a file and every *.eml of a folder in name order, skipping other and hidden names', async () => {
    const dir = folder(tmp, 'dir-ok', {
      'b.eml': mail('b'),
      'a.eml': mail('a'),
      'c.EML': mail('c'),
      'notes.txt': 'x',
      '.hidden.eml': mail('hidden'),
      'd.eml.tmp': mail('d'),
    });
    const single = path.join(tmp, 'single.eml');
    fs.writeFileSync(single, mail('single'));
    const fake = fakeHandlers();
    const out = output();
    const code = await ingestMessages([single, dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(0);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<single@test.example>', '<a@test.example>', '<b@test.example>', '<c@test.example>']);
    expect(fake.calls[1]?.source).toEqual({ kind: 'file', path: path.join(dir, 'a.eml') });
    expect(out.json().map((line) => [line.source, line.outcome])).toEqual([
      [single, 'ticket'],
      [path.join(dir, 'a.eml'), 'ticket'],
      [path.join(dir, 'b.eml'), 'ticket'],
      [path.join(dir, 'c.EML'), 'ticket'],
    ]);
  });

  it('exits 75 on a retryable failure and leaves the remaining messages for the retry', async () => {
    const dir = folder(tmp, 'dir-down', { '1.eml': mail('one'), '2.eml': mail('two'), '3.eml': mail('three') });
    const fake = fakeHandlers((id) => (id === '<two@test.example>' ? new DeskbotError('DB_UNAVAILABLE', 'database down', { retryable: true }) : undefined));
    const out = output();
    const code = await ingestMessages([dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(75);
    expect(fake.calls.map((call) => call.messageId)).toEqual(['<one@test.example>', '<two@test.example>']);
    expect(out.json()[1]).toMatchObject({ source: path.join(dir, '2.eml'), error: 'DB_UNAVAILABLE', retryable: true });
  });

  it('exits 1 when a message fails for another reason but still ingests the others', async () => {
    const dir = folder(tmp, 'dir-bug', { '1.eml': mail('one'), '2.eml': mail('two'), '3.eml': mail('three') });
    const fake = fakeHandlers((id) => (id === '<two@test.example>' ? new TypeError('bug') : undefined));
    const out = output();
    const code = await ingestMessages([dir], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger });
    expect(code).toBe(1);
    expect(fake.calls).toHaveLength(3);
    expect(out.json().map((line) => line.outcome ?? line.error)).toEqual(['ticket', 'INTERNAL', 'ticket']);
  });

  it('hands an oversized message from stdin or a file to the oversized handler with its headers only', async () => {
    const raw = mail('big', 'z'.repeat(50_000));
    const file = path.join(tmp, 'big.eml');
    fs.writeFileSync(file, raw);
    const fake = fakeHandlers();
    const out = output();
    const chunks = [Buffer.from(raw.slice(0, 7_000)), Buffer.from(raw.slice(7_000))];
    expect(await ingestMessages([], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, stdin: Readable.from(chunks), logger })).toBe(0);
    expect(await ingestMessages([file], { handlers: fake.handlers, maxBytes: 10_000, stdout: out.stdout, logger })).toBe(0);
    expect(fake.calls).toHaveLength(0);
    for (const call of fake.oversized) {
      expect(call.size).toBe(raw.length);
      expect(call.headers).toBe('From: ops@acme.example\r\nSubject: big\r\nMessage-ID: <big@test.example>\r\n\r\n');
    }
    expect(fake.oversized.map((call) => call.source.kind)).toEqual(['stdin', 'file']);
    expect(out.json().map((line) => line.outcome)).toEqual(['quarantined', 'quarantined']);
  });
});
