// The inbound-mail use case end to end on PGlite with real .eml fixtures, the example directory and a fixed clock:
// what each kind of message ends as, what is committed with it (ticket, timers, events, refs, outbox) and what is not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInboundEmailHandler, type InboundEmail, type InboundEmailConfig } from '../../../src/app/intake/handle-inbound-email.ts';
import { respond } from '../../../src/app/engineer/respond.ts';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { outgoingMailSchema, type OutgoingMail } from '../../../src/app/outbox-messages.ts';
import { headerBlockOf } from '../../../src/domain/mail/headers.ts';
import { formatQuarantineTable } from '../../../src/cli/commands/quarantine.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { DeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { InboundSource } from '../../../src/app/ports.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { listQuarantined } from '../../../src/store/inbound-repository.ts';
import { loadTicketCard } from '../../../src/store/ticket-queries.ts';
import { ticketMessage } from '../../../src/channels/slack/blocks/ticket-message.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { createSlaTimers } from '../../../src/store/sla-timers.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

// The terms agreement before a first paid request (issue 12 point 9) is pinned in money-terms.test.ts; here the
// clock rules of complete requests are tested on their own.
const policy = { ...defaultPolicy(), billing: { ...defaultPolicy().billing, requireAgreement: false } };
const fixtureDir = path.resolve('test/fixtures/mail');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-intake-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Tue 17 Nov 2026, 10:00 in New York: ACME's US desk is open, its maintenance valid, TRYCO's trial running. */
const start = new Date('2026-11-17T15:00:00Z');
const source: InboundSource = { kind: 'imap', mailbox: 'INBOX', uidValidity: 7n, uid: 1n };

function fixture(name: string, replacements: Record<string, string> = {}): Buffer {
  let raw = fs.readFileSync(path.join(fixtureDir, name), 'latin1');
  for (const [key, value] of Object.entries(replacements)) raw = raw.replaceAll(`%${key}%`, value);
  return Buffer.from(raw, 'latin1');
}

interface Desk {
  database: Database;
  intake: InboundEmail;
  clock: { current: Date; now(): Date; advance(minutes: number): void };
  committed: { count: number };
  deliver(name: string, replacements?: Record<string, string>): ReturnType<InboundEmail['handleInboundEmail']>;
  emails(): Promise<Array<{ kind: string; idempotencyKey: string; ticketId: number | null; mail: OutgoingMail }>>;
  slack(): Promise<Array<{ kind: string; idempotencyKey: string; payload: unknown }>>;
  events(ticketId: number): Promise<Array<{ type: string; detail: unknown }>>;
  inbound(messageId: string): Promise<{ outcome: string; reason: string | null; ticketId: number | null; source: string } | null>;
}

/** The tables intake writes; emptied before every test (the directory stays). */
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

async function openMigratedDatabase(): Promise<Database> {
  const logger = createSilentLogger();
  const database = await openDatabase({ logger });
  await migrate(database, { logger });
  await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database, policy), policy });
  return database;
}

function createDesk(database: Database, config: Partial<InboundEmailConfig> = {}, now = start): Desk {
  const logger = createSilentLogger();
  const clock = {
    current: new Date(now),
    now() {
      return new Date(this.current);
    },
    advance(minutes: number) {
      this.current = new Date(this.current.getTime() + minutes * 60_000);
    },
  };
  const committed = { count: 0 };
  const intake = createInboundEmailHandler({
    ...storeAccess(database, policy),
    parser: mailParser,
    policy,
    clock,
    logger,
    renderer: createTemplateRenderer(),
    onCommitted: () => void (committed.count += 1),
    config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 64 * 1024, ...config }),
  });
  const prisma = database.prisma;
  return {
    database,
    intake,
    clock,
    committed,
    deliver: (name, replacements) => intake.handleInboundEmail(fixture(name, replacements), source),
    async emails() {
      const rows = await prisma.outbox.findMany({ where: { channel: 'email' }, orderBy: { id: 'asc' } });
      return rows.map((row) => ({ kind: row.kind, idempotencyKey: row.idempotencyKey, ticketId: row.ticketId, mail: outgoingMailSchema.parse(row.payload) }));
    },
    async slack() {
      const rows = await prisma.outbox.findMany({ where: { channel: 'slack' }, orderBy: { id: 'asc' } });
      return rows.map((row) => ({ kind: row.kind, idempotencyKey: row.idempotencyKey, payload: row.payload }));
    },
    async events(ticketId) {
      return prisma.ticketEvent.findMany({ where: { ticketId }, orderBy: { id: 'asc' }, select: { type: true, detail: true } });
    },
    async inbound(messageId) {
      return prisma.inboundMessage.findUnique({ where: { messageId }, select: { outcome: true, reason: true, ticketId: true, source: true } });
    },
  };
}

describe('inbound e-mail', () => {
  let database: Database;
  let desk: Desk;
  beforeAll(async () => {
    database = await openMigratedDatabase();
  });
  afterAll(async () => database?.close());
  beforeEach(async () => {
    await database.prisma.$executeRawUnsafe(`TRUNCATE ${intakeTables.map((table) => `"${table}"`).join(', ')} RESTART IDENTITY CASCADE`);
    desk = createDesk(database);
  });

  /** Opens SR-2026-000001 from new-request-complete.eml and returns its acknowledgement's Message-ID. */
  async function openFirstTicket(): Promise<{ ticketId: number; ackId: string }> {
    const result = await desk.deliver('new-request-complete.eml');
    expect(result.requestId).toBe('SR-2026-000001');
    const ack = (await desk.emails()).find((email) => email.kind === 'acknowledgement')!;
    return { ticketId: result.ticketId!, ackId: ack.mail.messageId };
  }

  describe('new requests', () => {
    it('opens one ticket for a complete request: price, SLA timers, events, refs, acknowledgement and Slack item in one commit', async () => {
      const result = await desk.deliver('new-request-complete.eml');
      expect(result).toEqual({ outcome: 'ticket', reason: 'maintenance-valid', requestId: 'SR-2026-000001', ticketId: expect.any(Number) });

      const prisma = desk.database.prisma;
      const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! }, include: { customer: true, licence: true } });
      expect(ticket).toMatchObject({
        requestId: 'SR-2026-000001',
        status: 'open',
        severity: 4,
        requesterKind: 'eligible-caller',
        requesterEmail: 'ops@acme.example',
        requesterName: 'Ana Ops',
        subject: 'Kerio Connect 10.0.1 crashes on startup - Severity: 4',
        product: 'Kerio Connect',
        productVersion: '10.0.1',
        missingInfo: [],
        calendar: 'US',
        supportLevel: 'normal',
        priceMinor: 8000,
        priceCurrency: 'USD',
        openedAt: start,
        clockStartedAt: start,
        rootMessageId: '<new-complete-1@acme.example>',
      });
      expect(ticket.customer?.key).toBe('ACME');
      expect(ticket.licence?.number).toBe('27A3-9F10-4C2B');
      expect(ticket.summary).toContain('crashes right after startup');

      const timers = await prisma.slaTimer.findMany({ where: { ticketId: ticket.id }, orderBy: { target: 'asc' } });
      // 8 h from Tue 10:00 EST -> Tue 18:00; 2 d = 18 h -> Thu 10:00; 3 d = 27 h -> Fri 10:00.
      expect(timers.map((timer) => [timer.target, timer.dueAt?.toISOString()])).toEqual([
        ['initial-response', '2026-11-17T23:00:00.000Z'],
        ['progress-update', '2026-11-19T15:00:00.000Z'],
        ['resolution', '2026-11-20T15:00:00.000Z'],
      ]);

      const [ack, ...otherEmails] = await desk.emails();
      expect(otherEmails).toEqual([]);
      expect(ack).toMatchObject({ kind: 'acknowledgement', idempotencyKey: 'ack:SR-2026-000001', ticketId: ticket.id });
      expect(ack!.mail).toMatchObject({
        template: 'acknowledgement',
        to: [{ address: 'ops@acme.example', name: 'Ana Ops' }],
        inReplyTo: '<new-complete-1@acme.example>',
        references: ['<new-complete-1@acme.example>'],
        autoSubmitted: 'auto-replied',
        requestId: 'SR-2026-000001',
      });
      expect(ack!.mail.subject).toBe('Re: Kerio Connect 10.0.1 crashes on startup - Severity: 4 [SR-2026-000001]');
      expect(ack!.mail.text).toContain('opened service request SR-2026-000001');
      expect(ack!.mail.text).toContain('Severity: 4 (Major)\n');
      expect(ack!.mail.text).toContain('- Initial response by Tue 17 Nov 2026, 18:00 EST');
      expect(ack!.mail.text).toContain('the first by Thu 19 Nov 2026, 10:00 EST');
      expect(ack!.mail.text).toContain('- Resolution by Fri 20 Nov 2026, 10:00 EST');
      expect(ack!.mail.text).not.toContain('we still need');

      expect(await desk.slack()).toEqual([
        { kind: 'ticket-opened', idempotencyKey: 'slack:ticket-opened:SR-2026-000001', payload: { ticketId: ticket.id, requestId: 'SR-2026-000001' } },
      ]);
      expect((await desk.events(ticket.id)).map((event) => event.type)).toEqual(['mail-received', 'acknowledgement']);
      expect(
        await prisma.messageRef.findMany({ where: { ticketId: ticket.id }, orderBy: { direction: 'asc' }, select: { messageId: true, direction: true } }),
      ).toEqual([
        { messageId: '<new-complete-1@acme.example>', direction: 'in' },
        { messageId: ack!.mail.messageId, direction: 'out' },
      ]);
      expect(await desk.inbound('<new-complete-1@acme.example>')).toEqual({
        outcome: 'ticket',
        reason: 'maintenance-valid',
        ticketId: ticket.id,
        source: 'imap',
      });
      expect(await prisma.autoMailLog.findMany({ select: { address: true, kind: true } })).toEqual([{ address: 'ops@acme.example', kind: 'acknowledgement' }]);
      expect(desk.committed.count).toBe(1);
    });

    it('gives an incomplete request its ID and an acknowledgement listing exactly what is missing; no clock yet', async () => {
      const result = await desk.deliver('incomplete-request.eml');
      expect(result).toMatchObject({ outcome: 'ticket', reason: 'incomplete: missing severity, version', requestId: 'SR-2026-000001' });
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! } });
      // Severity defaults to the policy's 3 but still counts as missing; licence and product follow from ACME's only licence.
      expect(ticket).toMatchObject({ status: 'new', severity: 3, missingInfo: ['severity', 'version'], product: 'Kerio Connect', clockStartedAt: null });
      expect(await desk.database.prisma.slaTimer.count({ where: { ticketId: ticket.id } })).toBe(0);
      const [ack] = await desk.emails();
      expect(ack!.mail.text).toContain('Severity: 3 (Minor), assumed until you tell us the severity');
      expect(ack!.mail.text).toContain(
        'Before we can start, we still need:\n- the severity, a number from 1 (feature request) to 5 (critical)\n- the exact product version you run\n',
      );
      expect(ack!.mail.text).not.toContain('your licence number');
      expect(ack!.mail.text).not.toContain('Initial response by');
      expect(ack!.mail.to).toEqual([{ address: 'it@acme.example', name: 'Ivan Tech' }]);
    });

    it('starts the clock when a reply supplies the missing information', async () => {
      const opened = await desk.deliver('incomplete-request.eml');
      desk.clock.advance(70);
      const result = await desk.deliver('reply-with-missing-info.eml');
      expect(result).toEqual({ outcome: 'reply', reason: 'request-completed', ticketId: opened.ticketId, requestId: 'SR-2026-000001' });
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: opened.ticketId! } });
      expect(ticket).toMatchObject({ status: 'open', severity: 3, productVersion: '10.0.2', missingInfo: [], clockStartedAt: desk.clock.now() });
      const timers = await desk.database.prisma.slaTimer.findMany({ where: { ticketId: ticket.id }, orderBy: { target: 'asc' } });
      // Severity 3: 2 d = 18 support hours from Tue 11:10 EST -> Thu 11:10 EST.
      expect(timers.map((timer) => [timer.target, timer.startedAt.toISOString(), timer.dueAt?.toISOString()])).toEqual([
        ['initial-response', '2026-11-17T16:10:00.000Z', '2026-11-19T16:10:00.000Z'],
        ['progress-update', '2026-11-17T16:10:00.000Z', '2026-11-20T16:10:00.000Z'],
        ['resolution', '2026-11-17T16:10:00.000Z', expect.any(String)],
      ]);
      expect((await desk.events(ticket.id)).map((event) => event.type)).toEqual([
        'mail-received',
        'acknowledgement',
        'mail-received',
        'request-completed',
        'request-update',
      ]);
      expect((await desk.slack()).map((item) => item.kind)).toEqual(['ticket-opened', 'ticket-event', 'ticket-event', 'ticket-event']);
      // The acknowledgement, then the confirmation that the request is complete and its targets run.
      expect((await desk.emails()).map((row) => row.kind)).toEqual(['acknowledgement', 'request-update']);
    });

    it('threads its answer to a reply that names its parent in In-Reply-To only (RFC 5322 3.6.4)', async () => {
      await desk.deliver('incomplete-request.eml');
      desk.clock.advance(70);
      const raw = fixture('reply-with-missing-info.eml').toString('latin1');
      const withoutReferences = raw.replace(/^References: .*\r?\n/m, '');
      expect(withoutReferences).not.toBe(raw);
      const result = await desk.intake.handleInboundEmail(Buffer.from(withoutReferences, 'latin1'), source);
      expect(result.reason).toBe('request-completed');
      const update = (await desk.emails()).find((row) => row.kind === 'request-update');
      expect(update!.mail).toMatchObject({
        inReplyTo: '<incomplete-2@acme.example>',
        references: ['<incomplete-1@acme.example>', '<incomplete-2@acme.example>'],
      });
    });

    it('meets the initial response at the clock start when an engineer answered while the request was incomplete', async () => {
      const opened = await desk.deliver('incomplete-request.eml');
      desk.clock.advance(30);
      const engineer = {
        ...storeAccess(database, policy),
        policy,
        clock: desk.clock,
        renderer: createTemplateRenderer(),
        config: { SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support' },
      };
      await respond(engineer, { requestId: 'SR-2026-000001', text: 'Which version do you run?', actor: { slackId: 'UENG00001' } });
      desk.clock.advance(40);
      expect(await desk.deliver('reply-with-missing-info.eml')).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
      const timers = await desk.database.prisma.slaTimer.findMany({ where: { ticketId: opened.ticketId! }, orderBy: { target: 'asc' } });
      expect(timers.map((timer) => [timer.target, timer.metAt?.toISOString() ?? null])).toEqual([
        ['initial-response', desk.clock.now().toISOString()],
        ['progress-update', null],
        ['resolution', null],
      ]);
      const card = await loadTicketCard(desk.database.prisma, { id: opened.ticketId! });
      expect(JSON.stringify(ticketMessage(card!, { policy, now: desk.clock.now() }).blocks)).not.toContain('Initial response');
    });

    it('answers the From address, never Reply-To', async () => {
      const raw = fixture('new-request-complete.eml')
        .toString('latin1')
        .replace('From: Ana Ops <ops@acme.example>\n', 'From: Ana Ops <ops@acme.example>\nReply-To: collector@elsewhere.example\n');
      await desk.intake.handleInboundEmail(Buffer.from(raw, 'latin1'), source);
      const [ack] = await desk.emails();
      expect(ack!.mail.to).toEqual([{ address: 'ops@acme.example', name: 'Ana Ops' }]);
    });

    it('opens the ticket but sends no acknowledgement when the sender asks for none (X-Auto-Response-Suppress)', async () => {
      const raw = fixture('new-request-complete.eml')
        .toString('latin1')
        .replace('MIME-Version: 1.0\n', 'X-Auto-Response-Suppress: OOF, AutoReply\nMIME-Version: 1.0\n');
      const result = await desk.intake.handleInboundEmail(Buffer.from(raw, 'latin1'), source);
      expect(result.outcome).toBe('ticket');
      expect(await desk.emails()).toEqual([]);
      expect(await desk.events(result.ticketId!)).toEqual([
        { type: 'mail-received', detail: expect.anything() },
        { type: 'acknowledgement-suppressed', detail: { reason: 'x-auto-response-suppress: oof' } },
      ]);
      // The engineers see it on the card until one of them writes to the customer.
      const card = await loadTicketCard(desk.database.prisma, { id: result.ticketId! });
      expect(card?.acknowledgementWithheld).toBe('x-auto-response-suppress: oof');
      const message = JSON.stringify(ticketMessage(card!, { policy: defaultPolicy(), now: desk.clock.current }).blocks);
      expect(message).toContain('No acknowledgement went to the customer (x-auto-response-suppress: oof)');
      await desk.database.prisma.ticketEvent.create({ data: { ticketId: result.ticketId!, type: 'engineer-response', at: new Date(), actor: 'U1' } });
      expect((await loadTicketCard(desk.database.prisma, { id: result.ticketId! }))?.acknowledgementWithheld).toBeNull();
    });

    it("opens a partner ticket priced in the partner's currency on the end customer's calendar, without attaching the customer", async () => {
      const result = await desk.deliver('partner-with-id.eml');
      expect(result).toMatchObject({ outcome: 'ticket', reason: 'partner-verified', requestId: 'SR-2026-000001' });
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! }, include: { partner: true, licence: true } });
      expect(ticket).toMatchObject({
        requesterKind: 'partner',
        requesterEmail: 'tech@reseller.example',
        customerId: null,
        severity: 5,
        status: 'open',
        priceMinor: 8000,
        priceCurrency: 'USD',
        calendar: 'US',
        supportLevel: 'normal',
      });
      expect(ticket.partner?.partnerId).toBe('KP-10001');
      expect(ticket.licence?.number).toBe('27A3-9F10-4C2B');
      const [ack] = await desk.emails();
      expect(ack!.mail.to).toEqual([{ address: 'tech@reseller.example', name: 'Tom Tech' }]);
      expect(ack!.mail.text).toContain('Severity: 5 (Critical)');
      expect(ack!.mail.text).toMatch(/keep working until the problem is resolved or a workaround is in place/);
    });

    it("opens a ticket for a running trial, priced in the customer's currency on its calendar", async () => {
      const result = await desk.deliver('trial.eml');
      expect(result).toMatchObject({ outcome: 'ticket', reason: 'trial-active' });
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! }, include: { licence: true } });
      expect(ticket).toMatchObject({ severity: 2, priceMinor: 5500, priceCurrency: 'GBP', calendar: 'EMEA', status: 'open' });
      expect(ticket.licence?.type).toBe('trial');
      const [ack] = await desk.emails();
      expect(ack!.mail.text).toMatch(/Initial response by .* CET/);
      // Severity 2 has no resolution target, and Cryptzone §7 promises continued work until resolved to Critical only.
      expect(ack!.mail.text).toContain('No resolution target applies to this severity');
      expect(ack!.mail.text).not.toMatch(/keep working until the problem is resolved/);
    });

    it.each([
      ['iso-8859-2.eml', 'Kerio Control 9.4.2 padá při spuštění', 'restartuje každých pět minut', 4],
      ['windows-1252.eml', 'VPN drops users – “urgent”', 'The “Kerio Control 9.4.2” VPN drops every user', 3],
    ])('opens a ticket from %s with its text decoded', async (name, subject, summaryPart, severity) => {
      const result = await desk.deliver(name);
      expect(result.outcome).toBe('ticket');
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! } });
      expect(ticket).toMatchObject({
        subject,
        severity,
        priceCurrency: 'EUR',
        priceMinor: 6500,
        calendar: 'EMEA',
        supportLevel: 'plus',
        product: 'Kerio Control',
        productVersion: '9.4.2',
      });
      expect(ticket.summary).toContain(summaryPart);
      const [ack] = await desk.emails();
      expect(ack!.mail.subject).toContain(subject);
      // Support Plus: severity 4 counts initial response and progress updates on 24x7, so its "2d" is 2 days, not business days.
      if (severity === 4) {
        expect(ack!.mail.text).toContain('Progress updates every 2 days,');
        expect(ack!.mail.text).toContain(
          'Support Plus: initial response and progress updates count around the clock; the resolution target counts business days',
        );
      } else {
        expect(ack!.mail.text).toContain('Progress updates every 3 business days,');
        expect(ack!.mail.text).not.toContain('Support Plus');
      }
    });

    it('opens a ticket from HTML-only mail, reading the converted text', async () => {
      const result = await desk.deliver('html-only.eml');
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! } });
      expect(ticket).toMatchObject({ severity: 3, productVersion: '10.0.1', status: 'open' });
      expect(ticket.summary).toContain('webmail shows error 500 after login');
      expect(ticket.summary).not.toContain('<');
    });

    it.each([
      ['malformed-no-boundary.eml', 2],
      ['malformed-base64.eml', 3],
    ])('parses what it can of %s and opens the ticket', async (name, severity) => {
      const result = await desk.deliver(name);
      expect(result.outcome).toBe('ticket');
      expect((await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! } })).severity).toBe(severity);
    });
  });

  describe('threading', () => {
    it('joins a reply to its ticket by In-Reply-To our acknowledgement', async () => {
      const { ticketId, ackId } = await openFirstTicket();
      desk.clock.advance(30);
      const result = await desk.deliver('reply-in-reply-to.eml', { ACK_MESSAGE_ID: ackId });
      expect(result).toEqual({ outcome: 'reply', ticketId, requestId: 'SR-2026-000001' });
      const events = await desk.events(ticketId);
      expect(events.at(-1)).toEqual({
        type: 'mail-received',
        detail: { messageId: '<reply-1@acme.example>', kind: 'reply', via: 'references', attachments: 1 },
      });
      const eventId = (await desk.database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId, type: 'mail-received' }, orderBy: { id: 'desc' } })).id;
      // The mail's thread post, then its attachment: the thread shows a mail's files under its text.
      const slack = await desk.slack();
      expect(slack.at(-2)).toEqual({
        kind: 'ticket-event',
        idempotencyKey: `slack:ticket-event:${eventId}`,
        payload: { ticketId, eventId: Number(eventId) },
      });
      expect(slack.at(-1)).toMatchObject({ kind: 'ticket-file', payload: { ticketId } });
      expect(await desk.database.prisma.ticket.count()).toBe(1);
      expect(await desk.emails()).toHaveLength(1);
      expect((await desk.database.prisma.messageRef.findUnique({ where: { messageId: '<reply-1@acme.example>' } }))?.ticketId).toBe(ticketId);
    });

    it('joins a reply by the [SR-...] tag when another eligible caller of the same customer writes', async () => {
      const { ticketId } = await openFirstTicket();
      const result = await desk.deliver('reply-sr-tag.eml');
      expect(result).toEqual({ outcome: 'reply', ticketId, requestId: 'SR-2026-000001' });
      expect((await desk.events(ticketId)).at(-1)?.detail).toMatchObject({ via: 'subject-tag' });
    });

    it.each([
      ['Re: SR-2026-000001 spam filter logs', 'after Re:'],
      ['RE: sr-2026-000001 logs attached', 'in lower case'],
    ])('joins a reply by a bare request ID in the subject (%s: %s), as by the tag', async (subject) => {
      const { ticketId } = await openFirstTicket();
      const bare = fixture('reply-sr-tag.eml')
        .toString('latin1')
        .replace('Subject: Re: [SR-2026-000001] Kerio Connect crashes on startup', `Subject: ${subject}`);
      expect(bare).toContain(`Subject: ${subject}\n`);
      const result = await desk.intake.handleInboundEmail(Buffer.from(bare, 'latin1'), source);
      expect(result).toEqual({ outcome: 'reply', ticketId, requestId: 'SR-2026-000001' });
      expect((await desk.events(ticketId)).at(-1)?.detail).toMatchObject({ messageId: '<noc-1@acme.example>', via: 'subject-tag' });
      expect(await desk.database.prisma.ticket.count()).toBe(1);
    });

    it('opens a new ticket for a tag that names no ticket, and stores its subject without that tag', async () => {
      const { ticketId } = await openFirstTicket();
      const unknownTag = fixture('reply-sr-tag.eml')
        .toString('latin1')
        .replace('Subject: Re: [SR-2026-000001] Kerio Connect crashes on startup', 'Subject: Re: [SR-2026-999999] still broken, like SR-2026-000777');
      expect(unknownTag).toContain('[SR-2026-999999]');
      const result = await desk.intake.handleInboundEmail(Buffer.from(unknownTag, 'latin1'), source);
      expect(result).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000002' });
      expect(result.ticketId).not.toBe(ticketId);
      const ticket = await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: result.ticketId! } });
      expect(ticket.subject).toBe('Re: still broken, like SR-2026-000777');
    });

    it("treats a stranger quoting a ticket's tag as a new message from that stranger", async () => {
      const { ticketId } = await openFirstTicket();
      const result = await desk.deliver('sr-tag-stranger.eml');
      expect(result).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      expect((await desk.events(ticketId)).map((event) => event.type)).toEqual(['mail-received', 'acknowledgement']);
      const notice = (await desk.emails()).find((email) => email.kind === 'not-eligible');
      expect(notice?.mail.to).toEqual([{ address: 'mallory@evil.example' }]);
    });

    it('resumes the clock of a ticket waiting on the customer, moving due times by the pause', async () => {
      const { ticketId } = await openFirstTicket();
      const prisma = desk.database.prisma;
      const slaTimers = createSlaTimers(policy);
      const ticketClock = { id: ticketId, severity: 4, calendar: 'US', supportLevel: 'normal' };
      // Waiting on the customer from 11:00 to 14:00 EST: 3 support hours.
      await prisma.$transaction(async (tx) => {
        await slaTimers.pause(tx, ticketClock, new Date('2026-11-17T16:00:00Z'));
        await tx.ticket.update({ where: { id: ticketId }, data: { status: 'waiting' } });
      });
      desk.clock.current = new Date('2026-11-17T19:00:00Z');
      const result = await desk.deliver('reply-sr-tag.eml');
      expect(result).toMatchObject({ outcome: 'reply', reason: 'clock-resumed', ticketId });
      const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } });
      expect(ticket).toMatchObject({ status: 'open', pausedAt: null });
      const initial = await prisma.slaTimer.findFirstOrThrow({ where: { ticketId, target: 'initial-response' } });
      // 7 support hours were left at 11:00; from 14:00 that ends Wed 12:00 EST (4 h today, 3 h tomorrow).
      expect(initial).toMatchObject({ remainingMs: null, dueAt: new Date('2026-11-18T17:00:00Z') });
      expect(initial.nextEventAt).not.toBeNull();
      expect((await desk.events(ticketId)).at(-1)).toMatchObject({ type: 'status-change', detail: { from: 'waiting', to: 'open', reason: 'customer-reply' } });
      // The thread gets the mail, then the line that the request is open again (not only the mail).
      const resumed = await prisma.ticketEvent.findFirstOrThrow({ where: { ticketId, type: 'status-change' }, orderBy: { id: 'desc' } });
      const slack = await desk.slack();
      expect(slack.at(-1)).toEqual({
        kind: 'ticket-event',
        idempotencyKey: `slack:ticket-event:${resumed.id}`,
        payload: { ticketId, eventId: Number(resumed.id) },
      });
      expect(slack.at(-2)).toMatchObject({ kind: 'ticket-event' });
    });

    it('records a reply to a closed ticket and tells engineers, without reopening it', async () => {
      const { ticketId } = await openFirstTicket();
      await desk.database.prisma.ticket.update({ where: { id: ticketId }, data: { status: 'closed', closedAt: start } });
      const result = await desk.deliver('reply-sr-tag.eml');
      expect(result).toEqual({ outcome: 'reply', reason: 'ticket-closed', ticketId, requestId: 'SR-2026-000001' });
      expect((await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).status).toBe('closed');
      expect((await desk.events(ticketId)).map((event) => event.type).slice(-2)).toEqual(['mail-received', 'closed-request-notice']);
      expect((await desk.events(ticketId)).at(-2)).toMatchObject({ type: 'mail-received', detail: { afterClose: true } });
      expect((await desk.slack()).at(-1)?.kind).toBe('ticket-event');
      // Kerio ToS 2.4.9: the customer is told the request is closed and a new problem needs a new request.
      const emails = await desk.emails();
      expect(emails.map((email) => email.kind)).toEqual(['acknowledgement', 'closed-request']);
      expect(emails[1]!.mail.text).toContain('Service request SR-2026-000001 is closed');
      expect(emails[1]!.mail.text).toContain('without the request ID SR-2026-000001');
      expect(emails[1]!.mail).toMatchObject({ autoSubmitted: 'auto-replied', inReplyTo: expect.any(String) });
    });
  });

  describe('eligibility', () => {
    it('rejects a not-eligible sender with one notice per address per 24 hours', async () => {
      expect(await desk.deliver('not-eligible.eml')).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      expect(await desk.database.prisma.ticket.count()).toBe(0);
      const [notice] = await desk.emails();
      expect(notice).toMatchObject({ kind: 'not-eligible', idempotencyKey: 'not-eligible:<stranger-help-1@unknown.example>', ticketId: null });
      expect(notice!.mail).toMatchObject({
        to: [{ address: 'someone@unknown.example' }],
        inReplyTo: '<stranger-help-1@unknown.example>',
        autoSubmitted: 'auto-replied',
      });
      expect(notice!.mail.text).toContain('Your address is not registered with us as a contact allowed to open support requests.');
      expect(notice!.mail.text).toContain('sales team: sales@vendor.example');

      desk.clock.advance(60);
      const again = fixture('not-eligible.eml').toString('latin1').replace('<stranger-help-1@unknown.example>', '<stranger-help-2@unknown.example>');
      expect(await desk.intake.handleInboundEmail(Buffer.from(again, 'latin1'), source)).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      expect(await desk.emails()).toHaveLength(1);
      expect((await desk.inbound('<stranger-help-2@unknown.example>'))?.reason).toBe(
        'unknown-sender; no notice: not-eligible already sent to this address within 24 h',
      );

      desk.clock.advance(24 * 60);
      const later = again.replace('<stranger-help-2@unknown.example>', '<stranger-help-3@unknown.example>');
      await desk.intake.handleInboundEmail(Buffer.from(later, 'latin1'), source);
      expect(await desk.emails()).toHaveLength(2);
    });

    it('tells a sender who may not write on a request that the message was not added to it, naming the request', async () => {
      expect(await desk.deliver('new-request-complete.eml')).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
      const stranger = fixture('not-eligible.eml')
        .toString('latin1')
        .replace('Subject: Need help with Kerio Control', 'Subject: Re: VPN broken [SR-2026-000001]')
        .replace('<stranger-help-1@unknown.example>', '<stranger-reply-1@unknown.example>');
      expect(await desk.intake.handleInboundEmail(Buffer.from(stranger, 'latin1'), source)).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      const notice = (await desk.emails()).find((email) => email.kind === 'not-eligible');
      expect(notice!.mail.text).toContain('We could not add your message "VPN broken" to service request SR-2026-000001');
      expect(notice!.mail.text).not.toContain('could not open a service request');
      // A stranger's new message (no request named) keeps the first sentence it had.
      desk.clock.advance(25 * 60);
      expect(await desk.deliver('not-eligible.eml')).toMatchObject({ outcome: 'rejected' });
      const later = (await desk.emails()).filter((email) => email.kind === 'not-eligible').at(-1);
      expect(later!.mail.text).toContain('We could not open a service request for your message "Need help with Kerio Control"');
    });

    it('never lets a display name make a stranger eligible; the notice goes to the real From address', async () => {
      expect(await desk.deliver('display-name-spoof.eml')).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      expect(await desk.database.prisma.ticket.count()).toBe(0);
      const [notice] = await desk.emails();
      expect(notice!.mail.to).toEqual([{ address: 'attacker@evil.example' }]);
      expect(notice!.mail.text).not.toContain('ops@acme.example');
    });

    it('rejects a partner-domain address that does not quote its Partner Support ID', async () => {
      expect(await desk.deliver('partner-domain-no-id.eml')).toEqual({ outcome: 'rejected', reason: 'partner-id-missing' });
      const [notice] = await desk.emails();
      expect(notice!.mail.text).toContain('did not quote a valid Partner Support ID');
    });

    it("tells a stranger quoting a partner's Support ID that the ID is not registered for their address", async () => {
      const fixture = fs
        .readFileSync(path.join(fixtureDir, 'partner-with-id.eml'), 'latin1')
        .replaceAll('tech@reseller.example', 'eve@evil.example')
        .replace('header.d=reseller.example', 'header.d=evil.example')
        .replace('header.from=reseller.example', 'header.from=evil.example')
        .replace('<partner-1@reseller.example>', '<stranger-partner-id@evil.example>');
      expect(await desk.intake.handleInboundEmail(Buffer.from(fixture, 'latin1'), source)).toEqual({ outcome: 'rejected', reason: 'partner-sender-mismatch' });
      const [notice] = await desk.emails();
      expect(notice!.mail.to).toEqual([{ address: 'eve@evil.example' }]);
      expect(notice!.mail.text).toContain('The Partner Support ID in your message is not registered for the address you wrote from');
      expect(notice!.mail.text).not.toContain('came from a partner address');
    });

    it('rejects an eligible caller whose maintenance has expired', async () => {
      desk.clock.current = new Date('2036-02-01T15:00:00Z');
      expect(await desk.deliver('expired-maintenance.eml')).toEqual({ outcome: 'rejected', reason: 'maintenance-expired' });
      const [notice] = await desk.emails();
      // A known caller: addressed by the directory's name, the customer named (the display name proves nothing, the
      // address matched the directory).
      expect(notice!.mail.to).toEqual([{ address: 'ops@acme.example', name: 'Ana Ops' }]);
      expect(notice!.mail.text).toContain('Hello Ana Ops,');
      expect(notice!.mail.text).toContain("The software maintenance of Acme Corp's licence has expired");
    });

    it('refuses forged From with DMARC fail under AUTH_REQUIRED, sending nothing to the impersonated address', async () => {
      const strict = createDesk(database, { AUTH_REQUIRED: true });
      expect(await strict.deliver('dmarc-fail.eml')).toEqual({ outcome: 'rejected', reason: 'sender-not-authenticated' });
      expect(await strict.database.prisma.ticket.count()).toBe(0);
      expect(await strict.emails()).toEqual([]);
      expect((await strict.deliver('new-request-complete.eml')).outcome).toBe('ticket');
      // Without AUTH_REQUIRED the recorded dmarc=fail refuses the same forgery too (issue 13 point 16).
      const forged = fixture('dmarc-fail.eml').toString('latin1').replace('<forged-1@attacker.example>', '<forged-2@attacker.example>');
      expect(await desk.intake.handleInboundEmail(Buffer.from(forged, 'latin1'), source)).toEqual({ outcome: 'rejected', reason: 'sender-not-authenticated' });
    });

    it('does not let an unauthenticated sender reply on a ticket under AUTH_REQUIRED', async () => {
      const strict = createDesk(database, { AUTH_REQUIRED: true });
      await strict.deliver('new-request-complete.eml');
      const forged = fixture('dmarc-fail.eml').toString('latin1').replace('Subject: ', 'Subject: Re: [SR-2026-000001] ');
      expect(await strict.intake.handleInboundEmail(Buffer.from(forged, 'latin1'), source)).toEqual({
        outcome: 'rejected',
        reason: 'sender-not-authenticated',
      });
      expect(await strict.events(1)).toHaveLength(2);
    });
  });

  describe('automatic mail and loops', () => {
    it('records an out-of-office reply on its ticket without answering or opening a ticket', async () => {
      const { ticketId, ackId } = await openFirstTicket();
      const result = await desk.deliver('out-of-office.eml', { ACK_MESSAGE_ID: ackId });
      expect(result).toEqual({ outcome: 'ignored', reason: 'auto-reply: auto-submitted: auto-replied', ticketId, requestId: 'SR-2026-000001' });
      expect((await desk.events(ticketId)).at(-1)).toMatchObject({ type: 'auto-reply-received' });
      expect(await desk.database.prisma.ticket.count()).toBe(1);
      expect(await desk.emails()).toHaveLength(1);
      expect((await desk.database.prisma.ticket.findUniqueOrThrow({ where: { id: ticketId } })).status).toBe('open');
    });

    it('links a delivery-status bounce of our acknowledgement to its ticket', async () => {
      const { ticketId, ackId } = await openFirstTicket();
      const result = await desk.deliver('bounce-dsn.eml', { ACK_MESSAGE_ID: ackId });
      expect(result).toEqual({ outcome: 'bounce', reason: 'delivery failed 5.2.2', ticketId, requestId: 'SR-2026-000001' });
      const bounced = (await desk.events(ticketId)).at(-1);
      expect(bounced).toEqual({
        type: 'mail-bounced',
        detail: { messageId: '<dsn-1@mx.acme.example>', bouncedMessageId: ackId, action: 'failed', status: '5.2.2', recipients: ['ops@acme.example'] },
      });
      expect((await desk.slack()).at(-1)).toMatchObject({ kind: 'ticket-event', payload: { ticketId } });
      expect(await desk.emails()).toHaveLength(1);
    });

    it('records a bounce it cannot link, and answers nothing', async () => {
      const result = await desk.deliver('bounce-dsn.eml', { ACK_MESSAGE_ID: '<deskbot.99999999-9999-4999-8999-999999999999@deskbot.local>' });
      expect(result).toEqual({ outcome: 'bounce', reason: 'unlinked mailer-daemon' });
      expect(await desk.emails()).toEqual([]);
    });

    it('ignores mailing-list mail, even from an eligible caller', async () => {
      expect(await desk.deliver('mailing-list.eml')).toEqual({ outcome: 'ignored', reason: 'bulk: precedence: list' });
      expect(await desk.database.prisma.ticket.count()).toBe(0);
      expect(await desk.emails()).toEqual([]);
    });

    it('ignores our own outgoing mail coming back as a loop', async () => {
      expect(await desk.deliver('own-mail-loop.eml')).toEqual({ outcome: 'ignored', reason: 'loop: own message-id' });
      expect(await desk.inbound('<deskbot.6f1c2a9e-0b7d-4c55-9a51-3e2f4b1d8c70@deskbot.local>')).toMatchObject({ outcome: 'ignored' });
      expect(await desk.emails()).toEqual([]);
    });

    it('never answers 30 messages of an auto-responder that marks itself', async () => {
      for (let n = 1; n <= 30; n += 1) {
        expect(await desk.deliver('auto-responder.eml', { N: String(n) })).toEqual({ outcome: 'ignored', reason: 'auto-reply: auto-submitted: auto-replied' });
        desk.clock.advance(0.2);
      }
      expect(await desk.emails()).toEqual([]);
      expect(await desk.database.prisma.inboundMessage.count({ where: { outcome: 'ignored' } })).toBe(30);
    });

    it('throttles a bot that does not mark itself: 30 messages in 5 minutes get at most 10 automatic answers', async () => {
      const results = [];
      for (let n = 1; n <= 30; n += 1) {
        results.push(await desk.deliver('naive-bot.eml', { N: String(n) }));
        desk.clock.advance(1 / 6);
      }
      // The ticket work still happens for every message; only the automatic answer stops.
      expect(results.every((result) => result.outcome === 'ticket')).toBe(true);
      const acks = await desk.emails();
      expect(acks).toHaveLength(10);
      expect(new Set(acks.map((ack) => ack.mail.to[0]!.address))).toEqual(new Set(['noc@acme.example']));
      const suppressed = await desk.database.prisma.ticketEvent.findMany({ where: { type: 'acknowledgement-suppressed' } });
      expect(suppressed).toHaveLength(20);
      expect(suppressed[0]!.detail).toEqual({ reason: 'throttled: 10 automatic mails to this address within 10 min' });

      // Ten minutes after the first answers the 10-minute step has room again, up to 25 an hour.
      desk.clock.advance(10);
      await desk.deliver('naive-bot.eml', { N: '31' });
      expect(await desk.emails()).toHaveLength(11);
    });
  });

  describe('idempotency, quarantine and failures', () => {
    it('answers a second delivery of the same Message-ID with duplicate and changes nothing', async () => {
      const first = await desk.deliver('new-request-complete.eml');
      const counts = async () => ({
        tickets: await desk.database.prisma.ticket.count(),
        outbox: await desk.database.prisma.outbox.count(),
        events: await desk.database.prisma.ticketEvent.count(),
        inbound: await desk.database.prisma.inboundMessage.count(),
      });
      const before = await counts();
      expect(await desk.deliver('new-request-complete.eml')).toEqual({
        outcome: 'duplicate',
        reason: 'already handled: ticket',
        ticketId: first.ticketId,
        requestId: 'SR-2026-000001',
      });
      expect(await counts()).toEqual(before);
    });

    it('lets only one of two concurrent deliveries of one message through', async () => {
      const results = await Promise.all([desk.deliver('new-request-complete.eml'), desk.deliver('new-request-complete.eml')]);
      expect(results.map((result) => result.outcome).sort()).toEqual(['duplicate', 'ticket']);
      expect(await desk.database.prisma.ticket.count()).toBe(1);
      expect(await desk.emails()).toHaveLength(1);
    });

    it('turns a delivery that commits between the duplicate check and the transaction into a duplicate (unique constraint)', async () => {
      const prisma = database.prisma;
      // Another process records the same Message-ID right after this handler's pre-check.
      const racing = new Proxy(prisma, {
        get(target, property, receiver) {
          if (property !== '$transaction') return Reflect.get(target, property, receiver);
          return async (...args: Parameters<typeof prisma.$transaction>) => {
            await target.inboundMessage.create({
              data: { messageId: '<new-complete-1@acme.example>', rawSize: 1, source: 'imap', receivedAt: start, outcome: 'ticket', reason: 'other process' },
            });
            return target.$transaction(...args);
          };
        },
      });
      const raced = createInboundEmailHandler({
        ...storeAccess(racing, policy),
        parser: mailParser,
        policy,
        clock: desk.clock,
        logger: createSilentLogger(),
        renderer: createTemplateRenderer(),
        config: {
          SUPPORT_ADDRESS: 'support@deskbot.local',
          SUPPORT_NAME: 'Support',
          SALES_CONTACT: undefined,
          MAIL_MAX_BYTES: 64 * 1024,
          AUTH_REQUIRED: false,
          AUTH_SERV_ID: undefined,
          LOCALE: 'en',
          dataDir,
        },
      });
      expect(await raced.handleInboundEmail(fixture('new-request-complete.eml'), source)).toEqual({ outcome: 'duplicate', reason: 'already handled: ticket' });
      expect(await prisma.ticket.count()).toBe(0);
      expect(await prisma.outbox.count()).toBe(0);
      expect(await prisma.requestCounter.count()).toBe(0);
    });

    it('de-duplicates a message without Message-ID by the hash of its raw bytes', async () => {
      const raw = Buffer.from(fixture('new-request-complete.eml').toString('latin1').replace('Message-ID: <new-complete-1@acme.example>\n', ''), 'latin1');
      expect((await desk.intake.handleInboundEmail(raw, source)).outcome).toBe('ticket');
      expect((await desk.intake.handleInboundEmail(Buffer.from(raw), source)).outcome).toBe('duplicate');
      const ticket = await desk.database.prisma.ticket.findFirstOrThrow();
      expect(ticket.rootMessageId).toBeNull();
      const [ack] = await desk.emails();
      expect(ack!.mail.inReplyTo).toBeUndefined();
    });

    it('quarantines mail with nothing usable, keeping the raw bytes; a retry that fails again keeps the same quarantine row', async () => {
      const raw = fixture('no-sender.eml');
      expect(await desk.intake.handleInboundEmail(raw, source)).toEqual({ outcome: 'quarantined', reason: 'no-sender' });
      const [entry] = await listQuarantined(desk.database.prisma);
      expect(entry).toMatchObject({ reason: 'no-sender', rawSize: raw.length, messageId: '<no-sender-1@broken.example>', status: 'held', retryable: true });
      expect(formatQuarantineTable([entry!])).toMatch(
        /^ID\s+RECEIVED\s+REASON\s+SIZE\s+MESSAGE-ID\s+STATUS\n\d+\s+2026-11-17T15:00:00.000Z\s+no-sender\s+\d+ bytes\s+<no-sender-1@broken.example>\s+held$/,
      );

      expect(await desk.intake.retryQuarantined(entry!.id)).toEqual({ outcome: 'quarantined', reason: 'no-sender' });
      expect(await desk.database.prisma.quarantinedMessage.count()).toBe(1);
      expect(await desk.database.prisma.quarantinedMessage.findUniqueOrThrow({ where: { id: entry!.id }, select: { retriedAt: true, status: true } })).toEqual({
        retriedAt: start,
        status: 'held',
      });
      expect(await desk.inbound('<no-sender-1@broken.example>')).toMatchObject({ outcome: 'quarantined', source: 'quarantine' });
    });

    it('retries a quarantined message through the same handler, and it becomes a ticket', async () => {
      // As if an earlier version could not parse it: held in quarantine and recorded as quarantined.
      const raw = fixture('new-request-complete.eml');
      const id = await desk.database.prisma.$transaction(async (tx) => {
        const { quarantineMessage, recordInbound } = await import('../../../src/store/inbound-repository.ts');
        await recordInbound(tx, {
          messageId: '<new-complete-1@acme.example>',
          rawSize: raw.length,
          source: 'imap',
          fromAddress: null,
          subject: null,
          receivedAt: start,
          outcome: 'quarantined',
          reason: 'unparseable',
          ticketId: null,
        });
        return quarantineMessage(tx, {
          messageId: '<new-complete-1@acme.example>',
          reason: 'unparseable',
          rawSize: raw.length,
          raw,
          rawPath: null,
          receivedAt: start,
        });
      });
      expect(await desk.deliver('new-request-complete.eml')).toMatchObject({ outcome: 'duplicate', reason: 'already handled: quarantined' });
      const result = await desk.intake.retryQuarantined(id);
      expect(result).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
      expect(await desk.inbound('<new-complete-1@acme.example>')).toMatchObject({ outcome: 'ticket', source: 'quarantine', ticketId: result.ticketId });
      expect(await listQuarantined(desk.database.prisma)).toEqual([]);
      expect((await listQuarantined(desk.database.prisma, { all: true }))[0]).toMatchObject({ id, status: 'retried' });
      await expect(desk.intake.retryQuarantined(id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
      await expect(desk.intake.retryQuarantined(9999)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('quarantines an over-cap message unparsed, keeps it in a file and sends the oversized notice', async () => {
      const head = fixture('new-request-complete.eml')
        .toString('latin1')
        .split('\n\n')[0]!
        .replace('Content-Type: text/plain; charset=utf-8; format=flowed\nContent-Transfer-Encoding: 7bit', 'Content-Type: multipart/mixed; boundary="big"');
      const big = Buffer.from(
        `${head}\n\n--big\nContent-Type: text/plain\n\nLogs attached.\n--big\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="dump.bin"\nContent-Transfer-Encoding: base64\n\n${Buffer.alloc(
          80 * 1024,
          1,
        )
          .toString('base64')
          .replace(/.{76}/g, '$&\n')}\n--big--\n`,
        'latin1',
      );
      expect(big.length).toBeGreaterThan(64 * 1024);
      expect(await desk.intake.handleInboundEmail(big, source)).toEqual({ outcome: 'quarantined', reason: 'mail-too-large' });
      expect(await desk.database.prisma.ticket.count()).toBe(0);
      const row = await desk.database.prisma.quarantinedMessage.findFirstOrThrow({
        select: { id: true, reason: true, rawSize: true, rawPath: true, messageId: true },
      });
      expect(row).toMatchObject({ reason: 'mail-too-large', rawSize: big.length, messageId: '<new-complete-1@acme.example>' });
      expect(fs.readFileSync(row.rawPath!)).toEqual(big);
      const [notice] = await desk.emails();
      expect(notice).toMatchObject({ kind: 'oversized-notice', idempotencyKey: 'oversized-notice:<new-complete-1@acme.example>' });
      expect(notice!.mail.to).toEqual([{ address: 'ops@acme.example' }]);
      expect(notice!.mail.text).toContain(`more than the 64 KB we accept`);
      expect(notice!.mail.text).toContain(`(reference Q-${row.id})`);
    });

    it('quarantines an over-cap message from its headers alone (IMAP), without raw, and cannot retry it', async () => {
      const headers = headerBlockOf(fixture('new-request-complete.eml'));
      const result = await desk.intake.handleOversizedEmail(headers, 40 * 1024 * 1024, source);
      expect(result).toEqual({ outcome: 'quarantined', reason: 'mail-too-large' });
      const row = await desk.database.prisma.quarantinedMessage.findFirstOrThrow({ select: { id: true, rawPath: true, rawSize: true, reason: true } });
      expect(row).toMatchObject({ rawPath: null, rawSize: 40 * 1024 * 1024, reason: 'mail-too-large' });
      expect(await desk.inbound('<new-complete-1@acme.example>')).toMatchObject({ outcome: 'quarantined', reason: 'mail-too-large' });
      expect((await desk.emails())[0]!.mail.text).toContain('was 40 MB');
      expect((await listQuarantined(desk.database.prisma))[0]).toMatchObject({ retryable: false });
      await expect(desk.intake.retryQuarantined(row.id)).rejects.toMatchObject({ code: 'INVALID_STATE' });
      expect((await desk.intake.handleOversizedEmail(headers, 40 * 1024 * 1024, source)).outcome).toBe('duplicate');
    });

    it('sends no oversized notice to an auto-submitted sender', async () => {
      const headers = headerBlockOf(fixture('out-of-office.eml', { ACK_MESSAGE_ID: '<x@y>' }));
      expect(await desk.intake.handleOversizedEmail(headers, 30 * 1024 * 1024, source)).toEqual({ outcome: 'quarantined', reason: 'mail-too-large' });
      expect(await desk.emails()).toEqual([]);
    });

    it('rejects with a retryable DB_UNAVAILABLE when the database is gone, committing nothing', async () => {
      const gone = createDesk(await openMigratedDatabase());
      await gone.database.close();
      const failure = await gone.deliver('new-request-complete.eml').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DeskbotError);
      expect(failure).toMatchObject({ code: 'DB_UNAVAILABLE', retryable: true });
    });
  });

  describe('old mail (AUTO_NOTICE_MAX_AGE, default 48 h)', () => {
    const HOUR = 3_600_000;
    /** An IMAP delivery whose server INTERNALDATE is `hoursAgo` before the fixed clock. */
    const receivedHoursAgo = (hoursAgo: number): InboundSource => ({ ...source, receivedAt: new Date(start.getTime() - hoursAgo * HOUR) }) as InboundSource;

    it.each([
      { rule: 'a month-old message by INTERNALDATE gets no not-eligible notice', hoursAgo: 30 * 24, notice: false },
      { rule: 'a message just past 48 h gets no not-eligible notice', hoursAgo: 49, notice: false },
      { rule: 'a message received an hour ago gets the notice', hoursAgo: 1, notice: true },
    ])('$rule, and is still recorded as rejected', async ({ hoursAgo, notice }) => {
      const result = await desk.intake.handleInboundEmail(fixture('not-eligible.eml'), receivedHoursAgo(hoursAgo));
      expect(result).toEqual({ outcome: 'rejected', reason: 'unknown-sender' });
      expect((await desk.emails()).map((email) => email.kind)).toEqual(notice ? ['not-eligible'] : []);
      const inbound = await desk.inbound('<stranger-help-1@unknown.example>');
      expect(inbound?.outcome).toBe('rejected');
      if (!notice) expect(inbound?.reason).toMatch(/^unknown-sender; no notice: message older than AUTO_NOTICE_MAX_AGE/);
    });

    it('falls back to the Date: header without an INTERNALDATE (the mail pipe), and honours a shorter AUTO_NOTICE_MAX_AGE', async () => {
      // not-eligible.eml is dated 17 Nov 2026 09:00 -0500: one hour before the clock.
      const strict = createDesk(database, { AUTO_NOTICE_MAX_AGE: 30 * 60_000 });
      await strict.intake.handleInboundEmail(fixture('not-eligible.eml'), { kind: 'stdin' });
      expect(await strict.emails()).toEqual([]);
    });

    it('sends no oversized notice for an old over-cap message, but quarantines it', async () => {
      const headers = headerBlockOf(fixture('new-request-complete.eml'));
      const result = await desk.intake.handleOversizedEmail(headers, 40 * 1024 * 1024, receivedHoursAgo(72));
      expect(result).toEqual({ outcome: 'quarantined', reason: 'mail-too-large' });
      expect(await desk.emails()).toEqual([]);
      expect(await desk.database.prisma.quarantinedMessage.count()).toBe(1);
    });

    it('still opens a ticket for an old request from an eligible caller; the acknowledgement says when it was received', async () => {
      const result = await desk.intake.handleInboundEmail(fixture('new-request-complete.eml'), receivedHoursAgo(30 * 24));
      expect(result).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
      const [ack] = (await desk.emails()).filter((email) => email.kind === 'acknowledgement');
      expect(ack!.mail.text).toMatch(/Your message reached our mailbox on .*18 Oct 2026/);
      expect(ack!.mail.html).toContain('Your message reached our mailbox on');
    });

    it('says nothing about the receive time in the acknowledgement of a fresh request', async () => {
      await desk.intake.handleInboundEmail(fixture('new-request-complete.eml'), receivedHoursAgo(1));
      const [ack] = (await desk.emails()).filter((email) => email.kind === 'acknowledgement');
      expect(ack!.mail.text).not.toContain('reached our mailbox');
    });
  });
});

describe('the README example request (examples/new-request.eml)', () => {
  let database: Database;
  beforeAll(async () => {
    database = await openMigratedDatabase();
  });
  afterAll(async () => database?.close());

  /** Three days after the fixtures' Date: (17 Nov), past AUTO_NOTICE_MAX_AGE (48 h). */
  const threeDaysLater = new Date(start.getTime() + 3 * 24 * 3_600_000);

  async function acknowledgementText(raw: Buffer): Promise<string> {
    await database.prisma.$executeRawUnsafe(`TRUNCATE ${intakeTables.map((table) => `"${table}"`).join(', ')} RESTART IDENTITY CASCADE`);
    const desk = createDesk(database, {}, threeDaysLater);
    expect((await desk.intake.handleInboundEmail(raw, source)).outcome).toBe('ticket');
    const ack = (await desk.emails()).find((email) => email.kind === 'acknowledgement');
    expect(ack).toBeDefined();
    return ack!.mail.text;
  }

  it('has no Date: header, so a newcomer who drops it at any time gets an acknowledgement without the late-receipt apology', async () => {
    const example = fs.readFileSync(path.resolve('examples/new-request.eml'));
    expect(headerBlockOf(example).toString('latin1')).not.toMatch(/^date:/im);
    const text = await acknowledgementText(example);
    expect(text).toContain('SR-2026-000001');
    expect(text).not.toContain('acknowledged only now');
  });

  it('while a dropped mail whose Date: is past AUTO_NOTICE_MAX_AGE is acknowledged with the date it was received', async () => {
    const text = await acknowledgementText(fixture('new-request-complete.eml'));
    expect(text).toContain('acknowledged only now');
  });
});
