// The needs-info reminder end to end on PGlite and PostgreSQL: a real incomplete request through intake, the SLA sweeper
// at hand-computed instants, one reminder only (also with two sweepers racing), the triage thread told, and the mail
// delivered to a real SMTP server.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmail } from '../../src/app/intake/handle-inbound-email.ts';
import { outgoingMailSchema } from '../../src/app/outbox-messages.ts';
import { createEmailOutboxHandler, createSmtpSender } from '../../src/channels/email/smtp-sender.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSlaSweeper } from '../../src/jobs/sla-sweeper.ts';
import { reminderSkipReason } from '../../src/jobs/needs-info-reminders.ts';
import { createSilentLogger } from '../../src/logger.ts';
import type { Database } from '../../src/store/database.ts';
import { backends } from '../helpers/backends.ts';
import { manualClock, type ManualClock } from '../helpers/sla-fixtures.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { mailParser } from '../../src/channels/email/parse-message.ts';
import { intakeConfig } from '../helpers/intake-config.ts';

const logger = createSilentLogger();
// About the reminder, not the terms agreement (tested in test/app/intake/money-terms.test.ts): no agreement asked.
const policy = { ...defaultPolicy(), billing: { ...defaultPolicy().billing, requireAgreement: false } };
const renderer = createTemplateRenderer();
const config = { SLA_SWEEP_INTERVAL_MS: 15_000, MANAGER_EMAILS: [], SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support', LOCALE: 'en' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-reminder-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** Tue 17 Nov 2026 10:00 in New York. ACME runs on the US calendar: 2 business days of 9 h = Tue 10-18, Wed, Thu 9-10. */
const ARRIVED = '2026-11-17T15:00:00Z';
const DUE = '2026-11-19T15:00:00.000Z';

function fixture(name: string): Buffer {
  return fs.readFileSync(path.resolve('test/fixtures/mail', name));
}

describe('reminderSkipReason', () => {
  const waiting = { status: 'new', clockStartedAt: null, missingInfo: ['version'] };
  it.each([
    ['an incomplete request nobody answered is reminded', waiting, null],
    ['a closed request is not', { ...waiting, status: 'closed' }, 'closed'],
    ['a request whose clock started is complete', { ...waiting, status: 'open', clockStartedAt: new Date(ARRIVED) }, 'complete'],
    ['a request with nothing missing is complete', { ...waiting, missingInfo: [] }, 'complete'],
  ])('%s', (_rule, ticket, reason) => {
    expect(reminderSkipReason(ticket)).toBe(reason);
  });
});

describe.each(backends)('needs-info reminder on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let clock: ManualClock;
  let intake: InboundEmail;
  let smtp: SmtpCapture;

  beforeAll(async () => {
    if (!backend.available) return;
    const opened = await backend.open();
    database = opened.database;
    dispose = opened.dispose;
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database, policy), policy });
    smtp = await startSmtpCapture();
  });
  afterAll(async () => {
    if (!backend.available) return;
    await smtp.close();
    await dispose();
  });
  beforeEach(async () => {
    if (!backend.available) return;
    await database.prisma.$executeRawUnsafe(
      'TRUNCATE "Ticket", "InboundMessage", "Outbox", "AutoMailLog", "RequestCounter", "MessageRef", "TicketEvent", "SlaTimer" RESTART IDENTITY CASCADE',
    );
    clock = manualClock(ARRIVED);
    intake = createInboundEmailHandler({
      ...storeAccess(database, policy),
      parser: mailParser,
      policy,
      clock,
      logger,
      renderer,
      config: intakeConfig(dataDir),
    });
  });

  const test = it.skipIf(!backend.available);
  const sweeper = () => createSlaSweeper({ ...storeAccess(database, policy), policy, clock, logger, config, renderer });
  const reminders = () => database.prisma.outbox.findMany({ where: { kind: 'needs-info' }, orderBy: { id: 'asc' } });

  test('an incomplete request is reminded once, two business days later, and the triage thread is told', async () => {
    const opened = await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    expect(opened).toMatchObject({ outcome: 'ticket', reason: 'incomplete: missing severity, version' });
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { id: opened.ticketId! } });
    expect(ticket.needsInfoRemindAt?.toISOString()).toBe(DUE);

    const sweep = sweeper();
    clock.set('2026-11-19T14:59:59.999Z');
    expect(await sweep.sweep()).toMatchObject({ reminders: 0, nextEventAt: new Date(DUE) });
    expect(await reminders()).toEqual([]);
    clock.set(DUE);
    expect(await sweep.sweep()).toMatchObject({ reminders: 1 });
    clock.set('2026-11-24T15:00:00Z');
    expect(await sweep.sweep()).toMatchObject({ reminders: 0, nextEventAt: null });

    const [row] = await reminders();
    expect(row).toMatchObject({ idempotencyKey: `needs-info:${opened.requestId}`, ticketId: ticket.id });
    const mail = outgoingMailSchema.parse(row!.payload);
    expect(mail.to).toEqual([{ address: 'it@acme.example', name: 'Ivan Tech' }]);
    expect(mail.subject).toBe(`Information needed: Outgoing mail is slow [${opened.requestId}]`);
    expect(mail.inReplyTo).toBe('<incomplete-1@acme.example>');
    expect(mail.text).toContain('* Severity: how badly the problem affects you');
    expect(mail.text).toContain('* Version: the exact version you run');
    expect(mail.text).not.toContain('* Licence number');
    const event = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'needs-info-reminder' } });
    expect(event.at.toISOString()).toBe(DUE);
    const slack = await database.prisma.outbox.findMany({ where: { ticketId: ticket.id, kind: 'ticket-event' } });
    expect(slack.map((item) => item.payload)).toEqual([{ ticketId: ticket.id, eventId: Number(event.id) }]);
    expect(await database.prisma.messageRef.findUnique({ where: { messageId: mail.messageId } })).toMatchObject({ ticketId: ticket.id, direction: 'out' });

    // Delivered like any outbox mail, to a real SMTP server.
    const sender = createSmtpSender({ smtpUrl: smtp.url, from: { name: 'Support', address: 'support@deskbot.local' }, logger });
    try {
      const before = smtp.messages.length;
      await createEmailOutboxHandler(sender).deliver({ id: String(row!.id), payload: row!.payload });
      const [captured] = (await smtp.waitForMessages(before + 1)).slice(before);
      expect(captured!.rcptTo).toEqual(['it@acme.example']);
      expect(captured!.raw.toString('utf8')).toContain(`Information needed: Outgoing mail is slow [${opened.requestId}]`);
    } finally {
      await sender.close();
    }
  });

  test('a request completed before the date gets no reminder', async () => {
    const opened = await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set('2026-11-17T16:10:00Z');
    expect(await intake.handleInboundEmail(fixture('reply-with-missing-info.eml'), { kind: 'stdin' })).toMatchObject({
      outcome: 'reply',
      reason: 'request-completed',
    });
    clock.set(DUE);
    expect(await sweeper().sweep()).toMatchObject({ reminders: 0 });
    expect(await reminders()).toEqual([]);
    expect((await database.prisma.ticket.findUniqueOrThrow({ where: { id: opened.ticketId! } })).needsInfoRemindAt).toBeNull();
  });

  test('a request completed by an answer gets a confirmation with its due times, once, threaded and tagged', async () => {
    const opened = await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set('2026-11-17T16:10:00Z');
    const answer = fixture('reply-with-missing-info.eml');
    expect(await intake.handleInboundEmail(answer, { kind: 'stdin' })).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
    // The same mail again (a retry) is a duplicate: no second confirmation.
    await intake.handleInboundEmail(answer, { kind: 'stdin' });
    const rows = await database.prisma.outbox.findMany({ where: { kind: 'request-update' } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.idempotencyKey).toBe('request-update:<incomplete-2@acme.example>');
    const mail = outgoingMailSchema.parse(rows[0]!.payload);
    expect(mail.to).toEqual([{ address: 'it@acme.example', name: 'Ivan Tech' }]);
    expect(mail.subject).toBe(`Request complete: Outgoing mail is slow [${opened.requestId}]`);
    expect(mail.inReplyTo).toBe('<incomplete-2@acme.example>');
    expect(mail.text).toContain('- the severity\n- the exact product version you run\n');
    expect(mail.text).toContain('Your request is now complete: our targets run from now.');
    // The due times of the timers the answer started, as the acknowledgement states them.
    const timer = await database.prisma.slaTimer.findFirstOrThrow({ where: { ticketId: opened.ticketId!, target: 'initial-response' } });
    const dueAt = new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(timer.dueAt!);
    expect(mail.text).toMatch(new RegExp(`- Initial response by \\w{3} \\d{1,2} \\w{3} 2026, ${dueAt} E[SD]T`));
    expect(mail.text).toContain('- Progress updates every');
    expect(mail.text).not.toContain('we still need');
    const event = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: opened.ticketId!, type: 'request-update' } });
    expect(event.detail).toMatchObject({ complete: true, received: ['severity', 'version'], messageId: mail.messageId });
    const slack = await database.prisma.outbox.findMany({ where: { ticketId: opened.ticketId!, kind: 'ticket-event' } });
    expect(slack.map((item) => item.payload)).toContainEqual({ ticketId: opened.ticketId!, eventId: Number(event.id) });
  });

  test('a partial answer is told what arrived and what is missing, and the reminder for the rest still comes', async () => {
    const opened = await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set('2026-11-17T16:10:00Z');
    const partial = fixture('reply-with-missing-info.eml')
      .toString('utf8')
      .replace('We run Kerio Connect 10.0.2 on Debian.', 'We will look up the version tomorrow.');
    expect(await intake.handleInboundEmail(Buffer.from(partial), { kind: 'stdin' })).toMatchObject({ outcome: 'reply' });
    const [update] = await database.prisma.outbox.findMany({ where: { kind: 'request-update' } });
    const mail = outgoingMailSchema.parse(update!.payload);
    expect(mail.subject).toBe(`Information received: Outgoing mail is slow [${opened.requestId}]`);
    expect(mail.text).toContain('We received:\n- the severity\n');
    expect(mail.text).toContain('Before we can start, we still need:\n- the exact product version you run\n');
    expect(mail.text).not.toContain('- the severity, a number');
    expect(mail.text).toContain('Our targets start once your request is complete.');
    expect(mail.inReplyTo).toBe('<incomplete-2@acme.example>');
    expect(mail.html).toContain('<li>the exact product version you run</li>');

    clock.set(DUE);
    expect(await sweeper().sweep()).toMatchObject({ reminders: 1 });
    const [row] = await reminders();
    const reminder = outgoingMailSchema.parse(row!.payload);
    expect(reminder.text).toContain('* Version: the exact version you run');
    expect(reminder.text).not.toContain('* Severity:');
  });

  test('an answer asking for no automatic replies (X-Auto-Response-Suppress) completes the request but gets no mail', async () => {
    const opened = await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set('2026-11-17T16:10:00Z');
    const quiet = fixture('reply-with-missing-info.eml').toString('utf8').replace('MIME-Version: 1.0', 'X-Auto-Response-Suppress: All\nMIME-Version: 1.0');
    expect(await intake.handleInboundEmail(Buffer.from(quiet), { kind: 'stdin' })).toMatchObject({ reason: 'request-completed' });
    expect(await database.prisma.outbox.count({ where: { kind: 'request-update' } })).toBe(0);
    const event = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: opened.ticketId!, type: 'request-update-suppressed' } });
    expect(event.detail).toMatchObject({ complete: true });
  });

  test('an answer that supplies nothing gets no update mail, and is still reminded', async () => {
    await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set('2026-11-17T16:10:00Z');
    const nothing = fixture('reply-with-missing-info.eml')
      .toString('utf8')
      .replace('Severity: 3\nWe run Kerio Connect 10.0.2 on Debian.', 'Thanks, we will send the details.');
    expect(await intake.handleInboundEmail(Buffer.from(nothing), { kind: 'stdin' })).toMatchObject({ outcome: 'reply' });
    expect(await database.prisma.outbox.count({ where: { kind: 'request-update' } })).toBe(0);
    clock.set(DUE);
    expect(await sweeper().sweep()).toMatchObject({ reminders: 1 });
  });

  test('two sweepers at the same instant send one reminder', async () => {
    await intake.handleInboundEmail(fixture('incomplete-request.eml'), { kind: 'stdin' });
    clock.set(DUE);
    const results = await Promise.all([sweeper().sweep(), sweeper().sweep()]);
    expect(results.map((result) => result.reminders).sort()).toEqual([0, 1]);
    expect(await reminders()).toHaveLength(1);
  });
});
