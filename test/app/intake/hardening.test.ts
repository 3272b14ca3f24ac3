// Intake against what customers send (issue 13 points 10–13 and 16), on PGlite and PostgreSQL: dmarc=fail refused by
// default and strict AUTH_REQUIRED kept, encoded-word-only senders quarantined, our +tag address a loop, customer
// text neutralised and subjects capped in what is stored and sent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmail, type InboundEmailConfig } from '../../../src/app/intake/handle-inbound-email.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { InboundSource } from '../../../src/app/ports.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import type { Database } from '../../../src/store/database.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { backends } from '../../helpers/backends.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const policy = defaultPolicy();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-hardening-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Tue 17 Nov 2026, 10:00 in New York: ACME's desk is open and its maintenance valid. */
const now = new Date('2026-11-17T15:00:00Z');
const source: InboundSource = { kind: 'file', path: 'hardening.eml' };
const intakeTables = [
  'TicketEvent',
  'SlaTimer',
  'MessageRef',
  'Charge',
  'Ticket',
  'InboundMessage',
  'QuarantinedMessage',
  'AutoMailLog',
  'RequestCounter',
  'Outbox',
];

let counter = 0;
/** A complete request from ACME's eligible caller; `headers` replace or add header lines, `from` the From value. */
function request(options: { from?: string; subject?: string; extra?: string[]; body?: string } = {}): Buffer {
  counter += 1;
  return Buffer.from(
    [
      `From: ${options.from ?? 'Ana Ops <ops@acme.example>'}`,
      'To: support@deskbot.local',
      `Subject: ${options.subject ?? 'Kerio Connect 10.0.1 crashes on startup - Severity: 4'}`,
      'Date: Tue, 17 Nov 2026 09:58:00 -0500',
      `Message-ID: <hardening-${counter}@acme.example>`,
      ...(options.extra ?? []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      options.body ?? 'Our server crashes after startup.\nLicence number: 27A3-9F10-4C2B',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

const dmarcFail = 'Authentication-Results: mx.deskbot.local; spf=fail smtp.mailfrom=bounce@attacker.example; dmarc=fail (p=reject) header.from=acme.example';
const hostileCharacters = /[\u202A-\u202E\u2066-\u2069\u0000-\u0008\u000B-\u001F\u007F-\u009F]/;
/** The same in JSON text, where control characters are written as \u00XX escapes. */
const hostileInJson = /[\u202A-\u202E\u2066-\u2069\u007F-\u009F]|\\u00(?:0[0-8bcef]|1[0-9a-f])/i;

describe.each(backends.filter((backend) => backend.available))('intake hardening on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  beforeAll(async () => {
    opened = await backend.open();
    database = opened.database;
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database, policy), policy });
  });
  afterAll(async () => {
    await opened?.dispose();
  });
  beforeEach(async () => {
    await database.prisma.$executeRawUnsafe(`TRUNCATE ${intakeTables.map((table) => `"${table}"`).join(', ')} RESTART IDENTITY CASCADE`);
  });

  function intake(config: Partial<InboundEmailConfig> = {}): InboundEmail {
    return createInboundEmailHandler({
      ...storeAccess(database, policy),
      parser: mailParser,
      policy,
      clock: { now: () => new Date(now) },
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { SALES_CONTACT: undefined, ...config }),
    });
  }

  describe('sender authentication (point 16)', () => {
    it('refuses by default a forged From of an eligible caller whose receiving server recorded dmarc=fail: no ticket, no mail', async () => {
      expect(await intake().handleInboundEmail(request({ extra: [dmarcFail] }), source)).toEqual({ outcome: 'rejected', reason: 'sender-not-authenticated' });
      expect(await database.prisma.ticket.count()).toBe(0);
      expect(await database.prisma.outbox.count()).toBe(0);
    });

    it('lets mail without Authentication-Results pass by default', async () => {
      expect((await intake().handleInboundEmail(request(), source)).outcome).toBe('ticket');
    });

    it('ignores a dmarc=fail written under another authserv-id than AUTH_SERV_ID (the sender can write that header)', async () => {
      const written = 'Authentication-Results: mx.attacker.example; dmarc=fail header.from=acme.example';
      expect((await intake().handleInboundEmail(request({ extra: [written] }), source)).outcome).toBe('ticket');
    });

    it('does not let a dmarc=fail reply join the ticket it names by default', async () => {
      const desk = intake();
      const opened = await desk.handleInboundEmail(request(), source);
      expect(opened.outcome).toBe('ticket');
      const events = await database.prisma.ticketEvent.count();
      const forged = request({ subject: `Re: [${opened.requestId}] please send the admin password`, extra: [dmarcFail] });
      expect(await desk.handleInboundEmail(forged, source)).toEqual({ outcome: 'rejected', reason: 'sender-not-authenticated' });
      expect(await database.prisma.ticketEvent.count()).toBe(events);
    });

    it('keeps the strict mode under AUTH_REQUIRED=true: mail without a passing verdict is refused', async () => {
      expect(await intake({ AUTH_REQUIRED: true }).handleInboundEmail(request(), source)).toEqual({ outcome: 'rejected', reason: 'sender-not-authenticated' });
      const passed = 'Authentication-Results: mx.deskbot.local; dkim=pass header.d=acme.example; dmarc=pass header.from=acme.example';
      expect((await intake({ AUTH_REQUIRED: true }).handleInboundEmail(request({ extra: [passed] }), source)).outcome).toBe('ticket');
    });
  });

  describe('what customers send (points 10–13)', () => {
    it('quarantines a From whose address only appears after decoding an encoded-word as sender-invalid', async () => {
      const from = `=?utf-8?B?${Buffer.from('Ana Ops <ops@acme.example>').toString('base64')}?=`;
      expect(await intake().handleInboundEmail(request({ from }), source)).toEqual(
        expect.objectContaining({ outcome: 'quarantined', reason: 'sender-invalid' }),
      );
      expect(await database.prisma.quarantinedMessage.count()).toBe(1);
      expect(await database.prisma.ticket.count()).toBe(0);
    });

    it('takes mail from support+tag@ our domain as our own and never answers it', async () => {
      const result = await intake().handleInboundEmail(request({ from: 'Support <support+billing@deskbot.local>' }), source);
      expect(result).toEqual(expect.objectContaining({ outcome: 'ignored', reason: 'loop: own address as sender' }));
      expect(await database.prisma.outbox.count()).toBe(0);
    });

    it('stores and sends subject, name and text without bidi overrides or control characters, the subject capped', async () => {
      const subject = `=?utf-8?q?Invoice_=E2=80=AEfdp.exe=E2=81=A6_=07?= ${'=?utf-8?B?V2ljaHRpZ2UgU3TDtnJ1bmcg?= '.repeat(4_000)}Severity: 4`;
      const from = '=?utf-8?q?Ana_=E2=80=AEspO=00?= <ops@acme.example>';
      const result = await intake().handleInboundEmail(
        request({ from, subject, body: 'crash \u202Ereversed\u202C\u0000\u001B[31m\nLicence number: 27A3-9F10-4C2B' }),
        source,
      );
      expect(result.outcome).toBe('ticket');
      const ticket = await database.prisma.ticket.findFirstOrThrow({ select: { subject: true, requesterName: true, summary: true } });
      expect([...ticket.subject].length).toBeLessThanOrEqual(250);
      expect(ticket.subject.startsWith('Invoice fdp.exe Wichtige Störung')).toBe(true);
      expect(JSON.stringify(ticket)).not.toMatch(hostileCharacters);
      const outbox = await database.prisma.outbox.findMany({ select: { channel: true, payload: true } });
      expect(outbox.map((row) => row.channel).sort()).toEqual(['email', 'slack']);
      for (const row of outbox) expect(JSON.stringify(row.payload)).not.toMatch(hostileInJson);
      const acknowledgement = outbox.find((row) => row.channel === 'email')!.payload as { subject: string };
      expect(acknowledgement.subject.length).toBeLessThan(320);
      expect(acknowledgement.subject).not.toMatch(hostileCharacters);
    });
  });
});
