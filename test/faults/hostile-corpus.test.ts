// Bad input: 320 malformed, truncated, oversized, wrongly encoded and hostile messages go through the real
// inbound handler on PGlite with no crash, and every one is accounted for (ticket, reply, rejection, ignored,
// quarantine, bounce or duplicate) in InboundMessage or the quarantine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInboundEmailHandler } from '../../src/app/intake/handle-inbound-email.ts';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { loadConfig } from '../../src/config.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { inboundOutcomes, type InboundResult } from '../../src/app/ports.ts';
import { backends } from '../helpers/backends.ts';
import { hostileCorpus } from './hostile-corpus.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { mailParser } from '../../src/channels/email/parse-message.ts';

const maxBytes = 256 * 1024;
const corpus = hostileCorpus(320, maxBytes);
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-hostile-'));

describe('hostile inbound corpus', () => {
  let opened: Awaited<ReturnType<(typeof backends)[number]['open']>>;
  beforeAll(async () => {
    opened = await backends[0]!.open();
  });
  afterAll(async () => {
    await opened?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  // 320 messages through the real handler: minutes, not seconds, on a loaded machine.
  it(`ingests ${corpus.length} hostile messages with no crash and accounts for every one`, { timeout: 240_000 }, async () => {
    const policy = defaultPolicy();
    await importDirectoryFile('examples/directory.yaml', { ...storeAccess(opened.database, policy), policy });
    const config = loadConfig({ DATA_DIR: dataDir, MAIL_MAX_BYTES: String(maxBytes) });
    const handler = createInboundEmailHandler({
      ...storeAccess(opened.database, policy),
      parser: mailParser,
      policy,
      config,
      clock: { now: () => new Date('2026-11-30T15:00:00Z') },
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
    });
    const results: Array<{ label: string; result?: InboundResult; error?: unknown }> = [];
    for (const [index, message] of corpus.entries()) {
      try {
        results.push({ label: message.label, result: await handler.handleInboundEmail(message.raw, { kind: 'file', path: `hostile-${index}.eml` }) });
      } catch (error) {
        results.push({ label: message.label, error });
      }
    }
    const failures = results.filter((entry) => entry.error !== undefined).map((entry) => `${entry.label}: ${(entry.error as Error).message}`);
    expect(failures).toEqual([]);
    for (const entry of results) expect(inboundOutcomes, entry.label).toContain(entry.result!.outcome);

    const byOutcome = results.reduce<Record<string, number>>((acc, entry) => ({ ...acc, [entry.result!.outcome]: (acc[entry.result!.outcome] ?? 0) + 1 }), {});
    console.info(`hostile corpus outcomes: ${JSON.stringify(byOutcome)}`);
    // Every message that is not a duplicate left a record: an InboundMessage row (quarantined ones also a quarantine row).
    const recorded = await opened.database.prisma.inboundMessage.count();
    const quarantined = await opened.database.prisma.quarantinedMessage.count();
    expect(recorded).toBe(results.length - (byOutcome.duplicate ?? 0));
    expect(quarantined).toBeGreaterThanOrEqual(byOutcome.quarantined ?? 0);
    expect(byOutcome.quarantined ?? 0).toBeGreaterThan(0);
    // Oversized messages never become tickets.
    for (const entry of results.filter((candidate) => candidate.label.startsWith('oversized'))) expect(entry.result!.outcome).toBe('quarantined');
    // A display name never makes a stranger eligible.
    for (const entry of results.filter((candidate) => candidate.label.startsWith('From display name spoof'))) expect(entry.result!.outcome).not.toBe('ticket');
    // Issue 13: an address only inside an encoded-word is no sender; our own +tag address is a loop; dmarc=fail is refused.
    const outcomesOf = (label: string) =>
      results.filter((entry) => entry.label.startsWith(label)).map((entry) => [entry.result!.outcome, entry.result!.reason]);
    for (const label of ['From address only inside an encoded-word', 'From address encoded inside angle brackets']) {
      expect(outcomesOf(label).length, label).toBeGreaterThan(0);
      for (const outcome of outcomesOf(label)) expect(outcome, label).toEqual(['quarantined', 'sender-invalid']);
    }
    for (const [outcome, reason] of outcomesOf('From our own address with a +tag'))
      expect([outcome, reason]).toEqual(['ignored', 'loop: own address as sender']);
    for (const [outcome, reason] of outcomesOf('forged From of an eligible caller with dmarc=fail'))
      expect([outcome, reason]).toEqual(['rejected', 'sender-not-authenticated']);
    // Customer text reaches no header, Slack message or ticket with bidi controls or control characters, and subjects are capped.
    const hostileCharacters = /[\u202A-\u202E\u2066-\u2069]|\\u00(?:0[0-8bcef]|1[0-9a-f])/i;
    const tickets = await opened.database.prisma.ticket.findMany({ select: { subject: true, requesterName: true } });
    expect(tickets.length).toBeGreaterThan(0);
    for (const ticket of tickets) {
      expect(JSON.stringify(ticket)).not.toMatch(hostileCharacters);
      expect([...ticket.subject].length).toBeLessThanOrEqual(250);
    }
    const outbox = await opened.database.prisma.outbox.findMany({ select: { channel: true, payload: true } });
    expect(outbox.length).toBeGreaterThan(0);
    for (const row of outbox) {
      expect(JSON.stringify(row.payload)).not.toMatch(hostileCharacters);
      const subject = (row.payload as { subject?: unknown }).subject;
      if (typeof subject === 'string') expect([...subject].length, subject.slice(0, 80)).toBeLessThanOrEqual(400);
    }
  });
});
