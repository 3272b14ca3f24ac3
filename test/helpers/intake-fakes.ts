// Fakes shared by the mail-pipe and `deskbot ingest` tests: a tiny RFC 822 message, folders of .eml files,
// recording inbound handlers (optionally failing per Message-ID) and a stdout that collects JSON lines.
import fs from 'node:fs';
import path from 'node:path';
import type { OversizedMailHandler } from '../../src/channels/email/imap/batch.ts';
import type { IntakeHandlers } from '../../src/channels/email/mail-pipe.ts';
import type { InboundMailHandler, InboundSource } from '../../src/app/ports.ts';

export function mail(id: string, body = `Body of ${id}.`): string {
  return [`From: ops@acme.example`, `Subject: ${id}`, `Message-ID: <${id}@test.example>`, '', body, ''].join('\r\n');
}

/** A folder `name` under `tmp` holding `files`. */
export function mailFolder(tmp: string, name: string, files: Record<string, string>): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

export function fakeHandlers(fail?: (messageId: string) => Error | undefined) {
  const calls: { messageId: string; source: InboundSource; size: number }[] = [];
  const oversized: { headers: string; size: number; source: InboundSource }[] = [];
  const handler: InboundMailHandler = async (raw, source) => {
    const messageId = /^Message-ID:\s*(\S+)/im.exec(raw.toString())?.[1] ?? '?';
    calls.push({ messageId, source, size: raw.length });
    const error = fail?.(messageId);
    if (error) throw error;
    return { outcome: 'ticket', requestId: `SR-2026-00000${calls.length}`, ticketId: calls.length };
  };
  const oversizedHandler: OversizedMailHandler = async (headers, size, source) => {
    oversized.push({ headers: headers.toString(), size, source });
    return { outcome: 'quarantined', reason: 'too-large' };
  };
  const handlers: IntakeHandlers = { handler, oversizedHandler };
  return { calls, oversized, handlers };
}

export function output() {
  const lines: string[] = [];
  return { stdout: (text: string) => lines.push(...text.split('\n').filter(Boolean)), json: () => lines.map((line) => JSON.parse(line)) };
}
