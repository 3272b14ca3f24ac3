// Issue 12 through intake and close, on PGlite and PostgreSQL: partner customers free, the fee told at open, the terms
// agreement before a customer's first paid request, unsupported versions, mail to a closed request, suspension.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { closeTicket } from '../../../src/app/close-ticket.ts';
import { respond } from '../../../src/app/engineer/respond.ts';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmail } from '../../../src/app/intake/handle-inbound-email.ts';
import { outgoingMailSchema } from '../../../src/app/outbox-messages.ts';
import type { InboundSource } from '../../../src/app/ports.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { defaultPolicy, type Policy } from '../../../src/domain/policy.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Database } from '../../../src/store/database.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { ticketMessage } from '../../../src/channels/slack/blocks/ticket-message.ts';
import { createSlaSweeper } from '../../../src/jobs/sla-sweeper.ts';
import { loadTicketCard } from '../../../src/store/ticket-queries.ts';
import { conversationOf } from '../../../src/store/conversation-repository.ts';
import { backends } from '../../helpers/backends.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const logger = createSilentLogger();
const source: InboundSource = { kind: 'imap', mailbox: 'INBOX', uidValidity: 7n, uid: 1n };
/** Tue 17 Nov 2026, 10:00 in New York. */
const start = new Date('2026-11-17T15:00:00Z');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-money-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const policy: Policy = {
  ...defaultPolicy(),
  billing: { ...defaultPolicy().billing, termsUrl: 'https://vendor.example/support-terms' },
  products: {
    Gateway: {
      versions: [
        { version: '9.3', releasedOn: '2025-03-01', maintenanceReleases: [{ version: '9.3.2', releasedOn: '2025-06-01' }] },
        { version: '9.4', releasedOn: '2026-05-01', maintenanceReleases: [] },
      ],
    },
  },
};

const directoryYaml = `customers:
  - { key: GEROLD, name: Alte Wartung GmbH, supportLevel: normal, calendar: US, currency: EUR, locale: de,
      licences: [{ number: "GER-0002-0002", product: Gateway, type: commercial, registeredOn: 2024-01-10, maintenanceUntil: 2025-12-31 }],
      eligibleCallers: [{ email: otto@gerold.example, name: Otto Alt }, { email: ina@gerold.example, name: Ina }, { email: jo@gerold.example, name: Jo }] }
  - { key: GERMAN, name: Deutsche Kunde GmbH, supportLevel: normal, calendar: US, currency: EUR, locale: de,
      licences: [{ number: "GER-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2036-01-10 }],
      eligibleCallers: [{ email: udo@german.example, name: Udo }, { email: eva@german.example, name: Eva }, { email: max@german.example, name: Max }] }
  - { key: PAYING, name: Paying Ltd, supportLevel: normal, calendar: US, currency: USD, locale: en,
      licences: [{ number: "PAY-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [{ email: ana@paying.example, name: Ana }, { email: bo@paying.example, name: Bo }, { email: cy@paying.example, name: Cy }] }
  - { key: RESELL, name: Reseller Corp, supportLevel: normal, calendar: US, currency: USD, partner: true, locale: en,
      licences: [{ number: "RES-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [{ email: ria@resell.example, name: Ria }, { email: rob@resell.example, name: Rob }, { email: rue@resell.example, name: Rue }] }
  - { key: TRIAL, name: Trial Inc, supportLevel: normal, calendar: US, currency: USD, locale: en,
      licences: [{ number: "TRI-0001-0001", product: Gateway, type: trial, registeredOn: 2026-11-01, trialEndsOn: 2026-12-01 }],
      eligibleCallers: [{ email: tia@trial.example, name: Tia }, { email: tom@trial.example, name: Tom }, { email: tod@trial.example, name: Tod }] }
  - { key: SISTER, name: Sister Co, supportLevel: normal, calendar: US, currency: USD, locale: en,
      licences: [{ number: "SIS-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [{ email: ana@paying.example, name: Ana }, { email: sid@sister.example, name: Sid }, { email: sue@sister.example, name: Sue }] }
  - { key: LATE, name: Late Payer GmbH, supportLevel: normal, calendar: US, currency: USD, locale: en,
      suspended: { since: 2026-11-01, reason: "Invoice 2026-117 unpaid" },
      licences: [{ number: "LAT-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [{ email: lea@late.example, name: Lea }, { email: leo@late.example, name: Leo }, { email: lou@late.example, name: Lou }] }
  - { key: TWOLIC, name: Two Licences Ltd, supportLevel: normal, calendar: US, currency: USD, locale: en,
      licences: [{ number: "TWO-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 },
                 { number: "TWO-0002-0002", product: Gateway, type: commercial, registeredOn: 2026-11-10, maintenanceUntil: 2027-11-10 }],
      eligibleCallers: [{ email: tw@two.example, name: Tw }, { email: tx@two.example, name: Tx }, { email: ty@two.example, name: Ty }] }
partners: []
`;

function mail(options: { from: string; subject: string; body: string; messageId: string; inReplyTo?: string }): Buffer {
  return Buffer.from(
    [
      `From: ${options.from}`,
      'To: Support <support@deskbot.local>',
      `Subject: ${options.subject}`,
      'Date: Tue, 17 Nov 2026 09:58:00 -0500',
      `Message-ID: ${options.messageId}`,
      ...(options.inReplyTo ? [`In-Reply-To: ${options.inReplyTo}`, `References: ${options.inReplyTo}`] : []),
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      options.body,
      '',
    ].join('\r\n'),
  );
}

const complete = (licence: string, version = '9.4') =>
  `Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nLicence: ${licence}\nProduct: Gateway\nVersion: ${version}\n`;

describe.each(backends)('money and terms through intake on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let intake: InboundEmail;
  const clock = { current: new Date(start), now: () => new Date(clock.current) };

  beforeAll(async () => {
    if (!backend.available) return;
    ({ database, dispose } = await backend.open());
    const file = path.join(dataDir, `directory-${backend.name}.yaml`);
    fs.writeFileSync(file, directoryYaml);
    await importDirectoryFile(file, { ...storeAccess(database, policy), policy });
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });
  beforeEach(async () => {
    if (!backend.available) return;
    await database.prisma.$executeRawUnsafe(
      'TRUNCATE "TicketEvent", "SlaTimer", "MessageRef", "Charge", "Ticket", "InboundMessage", "QuarantinedMessage", "AutoMailLog", "RequestCounter", "Outbox", "HeldRequest", "ConversationMessage" RESTART IDENTITY CASCADE',
    );
    await database.prisma.customer.updateMany({ data: { agreedAt: null, agreedBy: null, agreementMessageId: null } });
    clock.current = new Date(start);
    intake = intakeUnder(policy);
  });

  const test = it.skipIf(!backend.available);
  /** Intake over the test database under `rules` (the default policy, or one a test varies). */
  const intakeUnder = (rules: typeof policy) =>
    createInboundEmailHandler({
      ...storeAccess(database, rules),
      parser: mailParser,
      policy: rules,
      clock,
      logger,
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 64 * 1024 }),
    });
  const deliver = (raw: Buffer) => intake.handleInboundEmail(raw, source);
  async function emails() {
    const rows = await database.prisma.outbox.findMany({ where: { channel: 'email' }, orderBy: { id: 'asc' } });
    return rows.map((row) => ({ kind: row.kind, mail: outgoingMailSchema.parse(row.payload) }));
  }
  const closeDeps = () => ({
    ...storeAccess(database, policy),
    policy,
    clock,
    logger,
    config: { SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support' },
    renderer: createTemplateRenderer(),
  });

  test('a customer marked partner: true is told no fee applies, is never asked to agree, and its close is free (point 1)', async () => {
    const opened = await deliver(
      mail({ from: 'Ria <ria@resell.example>', subject: 'VPN drops', body: complete('RES-0001-0001'), messageId: '<p1@resell.example>' }),
    );
    expect(opened).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('no fee applies to this incident: technical support is free for our partners.');
    expect(ack!.mail.text).not.toContain('I agree');
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } })).toMatchObject({
      status: 'open',
      awaitingAgreement: false,
    });
    clock.current = new Date(start.getTime() + 86_400_000);
    const closed = await closeTicket(closeDeps(), { requestId: 'SR-2026-000001', actor: 'U_ENG', outcome: 'resolved' });
    expect(closed).toMatchObject({ chargeable: false, amountMinor: 0, chargeReason: 'partner' });
    expect(await database.prisma.charge.count()).toBe(0);
    expect((await emails()).at(-1)!.mail.text).toContain('technical support is free for our partners');
  });

  test('the first paid request tells the fee, asks for "I agree" and waits; the agreement is recorded once (points 8, 9)', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<a1@paying.example>' }));
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } });
    expect(ticket).toMatchObject({ status: 'new', awaitingAgreement: true, clockStartedAt: null, missingInfo: [] });
    expect(await database.prisma.slaTimer.count()).toBe(0);
    const [ack] = await emails();
    expect(ack!.mail.text).toMatch(/Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded, charged when the incident is closed\./);
    expect(ack!.mail.text).toContain('The fee is charged to your payment card; an invoice follows by e-mail.');
    expect(ack!.mail.text).toContain('never charged');
    expect(ack!.mail.text).toContain('accept our support terms at https://vendor.example/support-terms: reply to this message with the words "I agree"');
    // Nothing is missing: the targets wait for the agreement, not for a "complete" request.
    expect(ack!.mail.text).toContain('They start once you have agreed to our support terms (below).');
    expect(ack!.mail.text).not.toContain('once your request is complete');

    // A reply that only quotes our question does not agree.
    clock.current = new Date(start.getTime() + 60_000);
    const quoted = `Thanks, here are logs.\n\n> ${ack!.mail.text.split('\n').join('\n> ')}\n`;
    expect(
      await deliver(mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: quoted, messageId: '<a2@paying.example>' })),
    ).toMatchObject({ outcome: 'reply' });
    expect(await database.prisma.slaTimer.count()).toBe(0);

    clock.current = new Date(start.getTime() + 120_000);
    const agreed = await deliver(
      mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'I agree.\n', messageId: '<a3@paying.example>' }),
    );
    expect(agreed).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({
      status: 'open',
      awaitingAgreement: false,
      clockStartedAt: clock.current,
    });
    expect(await database.prisma.slaTimer.count({ where: { ticketId: ticket.id } })).toBe(3);
    expect(await database.prisma.customer.findUniqueOrThrow({ where: { key: 'PAYING' } })).toMatchObject({
      agreedAt: clock.current,
      agreedBy: 'ana@paying.example',
      agreementMessageId: '<a3@paying.example>',
    });

    // Never asked again: the next paid request of the customer (another caller) starts at once.
    clock.current = new Date(start.getTime() + 3_600_000);
    await deliver(
      mail({ from: 'Bo <bo@paying.example>', subject: 'Web filter blocks intranet', body: complete('PAY-0001-0001'), messageId: '<b1@paying.example>' }),
    );
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000002' } })).toMatchObject({
      status: 'open',
      awaitingAgreement: false,
    });
    const second = (await emails()).at(-1)!;
    expect(second.mail.text).toContain('Fee: this incident is chargeable');
    expect(second.mail.text).not.toContain('I agree');
  });

  test("a German customer's acknowledgement tells how to pay in German, with no English sentence in it", async () => {
    await deliver(mail({ from: 'Udo <udo@german.example>', subject: 'VPN bricht ab', body: complete('GER-0001-0001'), messageId: '<g1@german.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('Die Gebühr wird Ihrer Zahlungskarte belastet; die Rechnung folgt per E-Mail.');
    expect(ack!.mail.html).toContain('Die Gebühr wird Ihrer Zahlungskarte belastet; die Rechnung folgt per E-Mail.');
    expect(ack!.mail.text).not.toContain('payment card');
    expect(ack!.mail.text).not.toContain('card on file');
  });

  test("a known caller whose customer's maintenance ended hears it in the customer's language, by name", async () => {
    const result = await deliver(
      mail({ from: 'Otto <otto@gerold.example>', subject: 'VPN bricht ab', body: complete('GER-0002-0002'), messageId: '<o1@gerold.example>' }),
    );
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'maintenance-expired' });
    const [notice] = await emails();
    expect(notice).toMatchObject({ kind: 'not-eligible' });
    expect(notice!.mail.to).toEqual([{ address: 'otto@gerold.example', name: 'Otto Alt' }]);
    expect(notice!.mail.text).toContain('Guten Tag Otto Alt,');
    expect(notice!.mail.text).toContain('Die Softwarewartung der Lizenz von Alte Wartung GmbH ist abgelaufen');
    // The licence by number, the day its maintenance ended, how to renew; not the "how to become eligible" list.
    expect(notice!.mail.text).toContain('- Lizenz GER-0002-0002 (Gateway): Softwarewartung endete am 31. Dezember 2025\n');
    expect(notice!.mail.text).toContain('verlängern Sie bitte die Softwarewartung über unseren Vertrieb');
    expect(notice!.mail.text).not.toContain('So erhalten Sie Support:');
    expect(notice!.mail.text).not.toContain('Partner Support ID');
    expect(notice!.mail.html).toContain('<li>Lizenz GER-0002-0002 (Gateway): Softwarewartung endete am 31. Dezember 2025</li>');
  });

  test('a known caller whose trial ended is told which trial and since when, and to buy a licence', async () => {
    clock.current = new Date('2026-12-05T15:00:00Z');
    // Received today (INTERNALDATE): the fixture's Date: header would make it old mail, which gets no notice.
    const raw = mail({ from: 'tia@trial.example', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<x1@trial.example>' });
    const result = await intake.handleInboundEmail(raw, { ...source, receivedAt: clock.current });
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'trial-expired' });
    const [notice] = await emails();
    expect(notice!.mail.text).toContain('- Licence TRI-0001-0001 (Gateway): the trial ended on 1 Dec 2026\n');
    expect(notice!.mail.text).toContain('To get support again, buy a full licence from our sales team:');
    expect(notice!.mail.text).not.toContain('How to get support:');
  });

  test('a stranger still gets the generic ways to become eligible', async () => {
    const result = await deliver(
      mail({ from: 'who@nowhere.example', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<x2@nowhere.example>' }),
    );
    expect(result).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    const [notice] = await emails();
    expect(notice!.mail.text).toContain('How to get support:\n* Each customer names 3 to 5 members');
    expect(notice!.mail.text).not.toContain('TRI-0001-0001');
  });

  test('"I agree" is confirmed with the due times; an agreement with information still missing says what is missing', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<c1@paying.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Here are logs.\n', messageId: '<c2@paying.example>' }));
    expect((await emails()).map((row) => row.kind)).toEqual(['acknowledgement']);
    clock.current = new Date(start.getTime() + 120_000);
    await deliver(mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'I agree.\n', messageId: '<c3@paying.example>' }));
    const confirmation = (await emails()).at(-1)!;
    expect(confirmation.kind).toBe('request-update');
    expect(confirmation.mail.subject).toBe('Request complete: VPN drops [SR-2026-000001]');
    expect(confirmation.mail.text).toContain('We received:\n- your agreement to our support terms\n');
    expect(confirmation.mail.text).toContain('Your request is now complete and you have agreed to our support terms: our targets run from now.');
    // Agreed Tue 17 Nov 10:02 in New York, severity 3 on the US calendar: the due times the timers have.
    const timer = await database.prisma.slaTimer.findFirstOrThrow({ where: { target: 'initial-response' } });
    expect(timer.dueAt).toEqual(new Date('2026-11-19T15:02:00Z'));
    expect(confirmation.mail.text).toContain('- Initial response by Thu 19 Nov 2026, 10:02 EST\n');
    expect(confirmation.mail.text).toContain('- Progress updates every 3 business days, the first by Fri 20 Nov 2026, 10:02 EST\n');
    expect(confirmation.mail.inReplyTo).toBe('<c3@paying.example>');

    // The second customer's first paid request lacks its version: "I agree" alone is received, the version still missing.
    clock.current = new Date(start.getTime() + 3_600_000);
    await deliver(
      mail({
        from: 'Tw <tw@two.example>',
        subject: 'Proxy fails',
        body: 'Hello,\n\nThe proxy fails.\n\nSeverity: 3\nLicence: TWO-0001-0001\nProduct: Gateway\n',
        messageId: '<t1@two.example>',
      }),
    );
    await deliver(mail({ from: 'tw@two.example', subject: 'Re: Proxy fails [SR-2026-000002]', body: 'I agree.\n', messageId: '<t2@two.example>' }));
    const partial = (await emails()).at(-1)!;
    expect(partial.kind).toBe('request-update');
    expect(partial.mail.subject).toBe('Information received: Proxy fails [SR-2026-000002]');
    expect(partial.mail.text).toContain('- your agreement to our support terms\n');
    expect(partial.mail.text).toContain('Before we can start, we still need:\n- the exact product version you run\n');
    expect(partial.mail.text).not.toContain('"I agree"');
  });

  test('one "I agree" releasing several requests of the customer confirms each in its own mail, once per request', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<m1@paying.example>' }));
    await deliver(
      mail({ from: 'Bo <bo@paying.example>', subject: 'Web filter blocks intranet', body: complete('PAY-0001-0001'), messageId: '<m2@paying.example>' }),
    );
    const noVersion = 'Hello,\n\nThe proxy fails.\n\nSeverity: 3\nLicence: PAY-0001-0001\nProduct: Gateway\n';
    await deliver(mail({ from: 'Cy <cy@paying.example>', subject: 'Proxy fails', body: noVersion, messageId: '<m3@paying.example>' }));
    expect(await database.prisma.ticket.count({ where: { awaitingAgreement: true } })).toBe(3);

    clock.current = new Date(start.getTime() + 120_000);
    const agree = mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'I agree.\n', messageId: '<m4@paying.example>' });
    expect(await deliver(agree)).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
    const updates = await database.prisma.outbox.findMany({ where: { kind: 'request-update' }, orderBy: { id: 'asc' } });
    // One per request the answer released: the request answered keeps its key, the others add their request ID.
    expect(updates.map((row) => row.idempotencyKey)).toEqual([
      'request-update:<m4@paying.example>',
      'request-update:<m4@paying.example>:SR-2026-000002',
      'request-update:<m4@paying.example>:SR-2026-000003',
    ]);
    const [first, second, third] = updates.map((row) => outgoingMailSchema.parse(row.payload));
    // The answered request's own mail thanks for the answer on it, as before.
    expect(first!.subject).toBe('Request complete: VPN drops [SR-2026-000001]');
    expect(first!.text).toContain('Thank you for your answer on service request SR-2026-000001. We received:\n- your agreement to our support terms\n');
    // Each other request's mail names the request answered (SR-2026-000001) and says that answer released this one.
    const releasedBy = (requestId: string) =>
      `Thank you for your answer on service request SR-2026-000001: your agreement to our support terms in it also released service request ${requestId}, which was waiting for that agreement.`;

    // Bo's request started its clock with the agreement: told so, with the due times its timers hold.
    const bo = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000002' } });
    expect(bo).toMatchObject({ status: 'open', clockStartedAt: clock.current });
    expect(updates[1]!.ticketId).toBe(bo.id);
    expect(second!.subject).toBe('Request complete: Web filter blocks intranet [SR-2026-000002]');
    expect(second!.to.map((to) => to.address)).toEqual(['ana@paying.example']);
    expect(second!.text).toContain('Hello Ana,');
    expect(second!.text).toContain(releasedBy('SR-2026-000002'));
    expect(second!.text).not.toContain('answer on service request SR-2026-000002');
    expect(second!.html).toContain(
      'Thank you for your answer on service request <strong>SR-2026-000001</strong>: your agreement to our support terms in it also released service request <strong>SR-2026-000002</strong>',
    );
    const initial = await database.prisma.slaTimer.findFirstOrThrow({ where: { ticketId: bo.id, target: 'initial-response' } });
    expect(initial.dueAt).toEqual(new Date('2026-11-19T15:02:00Z'));
    expect(second!.text).toContain('- Initial response by Thu 19 Nov 2026, 10:02 EST\n');

    // Cy's request still lacks its version: the agreement is received, the version still asked for.
    expect(third!.subject).toBe('Information received: Proxy fails [SR-2026-000003]');
    expect(third!.text).toContain(releasedBy('SR-2026-000003'));
    expect(third!.text).not.toContain('answer on service request SR-2026-000003');
    expect(third!.text).toContain('Before we can start, we still need:\n- the exact product version you run\n');
    expect(third!.text).not.toContain('"I agree"');

    const events = await database.prisma.ticketEvent.findMany({ where: { type: 'request-update' }, orderBy: { id: 'asc' } });
    expect(events.map((event) => (event.detail as { released?: boolean }).released ?? false)).toEqual([false, true, true]);
    // The Slack line of a released request names the request answered.
    expect(events.map((event) => (event.detail as { answeredRequestId?: string }).answeredRequestId ?? null)).toEqual([
      null,
      'SR-2026-000001',
      'SR-2026-000001',
    ]);

    // The same answer again changes nothing: no second mail for any request.
    await deliver(agree);
    expect(await database.prisma.outbox.count({ where: { kind: 'request-update' } })).toBe(3);
  });

  test('an engineer who answered before "I agree" has met the initial response once the agreement starts the clock: no warning, no breach', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<e1@paying.example>' }));
    clock.current = new Date(start.getTime() + 3_600_000);
    const engineer = { ...closeDeps(), config: { SUPPORT_ADDRESS: 'support@deskbot.local', SUPPORT_NAME: 'Support' } };
    const answer = await respond(engineer, { requestId: 'SR-2026-000001', text: 'We are looking at the tunnels now.', actor: { slackId: 'UENG00001' } });
    // No clock yet, so nothing to meet: the event says the reply came before the clock.
    expect(answer.initialResponse).toBe(false);
    const replied = await database.prisma.ticketEvent.findFirstOrThrow({ where: { type: 'engineer-response' } });
    expect(replied.detail).toMatchObject({ initialResponse: false, beforeClock: true });

    clock.current = new Date(start.getTime() + 2 * 3_600_000);
    const agreedAt = new Date(clock.current);
    const agreed = await deliver(
      mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'I agree.\n', messageId: '<e2@paying.example>' }),
    );
    expect(agreed).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } });
    expect(ticket).toMatchObject({ clockStartedAt: agreedAt, firstResponseAt: agreedAt });
    const initial = await database.prisma.slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'initial-response' } });
    expect(initial).toMatchObject({ metAt: agreedAt, nextEventAt: null });

    // The confirmation tells what the timers hold: the initial response already given, no due time for it.
    const confirmation = (await emails()).at(-1)!;
    expect(confirmation.kind).toBe('request-update');
    expect(confirmation.mail.text).toContain('- Initial response: already given\n');
    expect(confirmation.mail.text).not.toContain('Initial response by');
    expect(confirmation.mail.html).toContain('<li>Initial response: already given</li>');
    const progress = await database.prisma.slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'progress-update', cycle: 1 } });
    // Agreed Tue 17 Nov 12:00 in New York, severity 3: the first progress update three business days on.
    expect(progress.dueAt).toEqual(new Date('2026-11-20T17:00:00Z'));
    expect(confirmation.mail.text).toContain('- Progress updates every 3 business days, the first by Fri 20 Nov 2026, 12:00 EST\n');

    // The card lists only the targets still running.
    const card = await loadTicketCard(database.prisma, { id: ticket.id });
    const sla = JSON.stringify(ticketMessage(card!, { policy, now: clock.current }).blocks);
    expect(sla).toContain('Progress update due');
    expect(sla).not.toContain('Initial response');

    // Past the initial response's due time the sweeper warns and escalates nobody about it.
    const sweeper = createSlaSweeper({
      ...closeDeps(),
      config: {
        SLA_SWEEP_INTERVAL_MS: 15_000,
        MANAGER_EMAILS: ['boss@vendor.example'],
        SUPPORT_ADDRESS: 'support@deskbot.local',
        SUPPORT_NAME: 'Support',
        LOCALE: 'en',
      },
    });
    clock.current = new Date(initial.dueAt!.getTime() + 60_000);
    await sweeper.sweep();
    const pings = await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id, type: { in: ['sla-warning', 'sla-breach'] } } });
    expect(pings.filter((event) => (event.detail as { target?: string }).target === 'initial-response')).toEqual([]);
    expect(await database.prisma.slaTimer.findUniqueOrThrow({ where: { id: initial.id } })).toMatchObject({ warnedAt: null, breachedAt: null });
  });

  test('"please send me the terms" with no published terms: the customer is told an engineer sends them, engineers are told in Slack', async () => {
    const unpublished = { ...policy, billing: { ...policy.billing, termsUrl: null } };
    intake = intakeUnder(unpublished);
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<q1@paying.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(
      mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Please send me the terms.\n', messageId: '<q2@paying.example>' }),
    );
    const answer = (await emails()).at(-1)!;
    expect(answer.kind).toBe('request-update');
    // It received nothing: its subject says what it answers.
    expect(answer.mail.subject).toBe('Our support terms: VPN drops [SR-2026-000001]');
    expect(answer.mail.text).toContain('Thank you for your answer on service request SR-2026-000001.\n');
    expect(answer.mail.text).not.toContain('We received:');
    expect(answer.mail.text).toContain(
      'You asked for our support terms: they are not published online, so one of our engineers will send them to you by e-mail.',
    );
    // The agreement is still asked for, without offering again what was just promised.
    expect(answer.mail.text).toContain('please accept our support terms: reply to this message with the words "I agree".');
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } });
    expect(ticket).toMatchObject({ status: 'new', awaitingAgreement: true });
    const asked = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'terms-requested' } });
    expect(asked.detail).toEqual({ messageId: '<q2@paying.example>', termsUrl: null, toldByMail: true });
    // The engineers' thread gets the event.
    expect(await database.prisma.outbox.count({ where: { idempotencyKey: `slack:ticket-event:${asked.id}` } })).toBe(1);
  });

  test('"please send me the terms" with published terms: the update gives their address', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<q3@paying.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(
      mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Where can I read your terms?\n', messageId: '<q4@paying.example>' }),
    );
    const answer = (await emails()).at(-1)!;
    expect(answer.mail.subject).toBe('Our support terms: VPN drops [SR-2026-000001]');
    expect(answer.mail.text).toContain('You asked for our support terms: you can read them at https://vendor.example/support-terms.');
  });

  test('an answer that supplies an item and asks for the terms keeps the subject of received information', async () => {
    const incomplete = complete('PAY-0001-0001').replace('Version: 9.4\n', '');
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: incomplete, messageId: '<q5@paying.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(
      mail({
        from: 'ana@paying.example',
        subject: 'Re: VPN drops [SR-2026-000001]',
        body: 'Version: 9.4\n\nPlease send me the terms.\n',
        messageId: '<q6@paying.example>',
      }),
    );
    const answer = (await emails()).at(-1)!;
    expect(answer.mail.subject).toBe('Information received: VPN drops [SR-2026-000001]');
    expect(answer.mail.text).toContain('- the exact product version you run\n');
    expect(answer.mail.text).toContain('You asked for our support terms: you can read them at https://vendor.example/support-terms.');
  });

  test('a first mail asking for unpublished terms: the acknowledgement says an engineer sends them, engineers are told in Slack', async () => {
    const unpublished = { ...policy, billing: { ...policy.billing, termsUrl: null } };
    intake = intakeUnder(unpublished);
    const body = `${complete('PAY-0001-0001')}\nOur server crashes. Before we agree to pay, please send me your support terms.\n`;
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body, messageId: '<qa1@paying.example>' }));
    const [ack] = await emails();
    expect(ack!.kind).toBe('acknowledgement');
    // The request update's words, not a second wording.
    expect(ack!.mail.text).toContain(
      '\n\nYou asked for our support terms: they are not published online, so one of our engineers will send them to you by e-mail.\n\n',
    );
    expect(ack!.mail.html).toContain(
      '<p>You asked for our support terms: they are not published online, so one of our engineers will send them to you by e-mail.</p>',
    );
    // The agreement is still asked for, without offering again what was just promised.
    expect(ack!.mail.text).toContain('please accept our support terms: reply to this message with the words "I agree".');
    expect(ack!.mail.text).not.toContain('(we send them on request)');
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } });
    expect(ticket).toMatchObject({ status: 'new', awaitingAgreement: true });
    const events = await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => event.type)).toEqual(['mail-received', 'acknowledgement', 'terms-requested']);
    expect(events[2]!).toMatchObject({ actor: 'ana@paying.example' });
    expect(events[2]!.detail).toEqual({ messageId: '<qa1@paying.example>', termsUrl: null, toldByMail: true });
    expect(await database.prisma.outbox.count({ where: { idempotencyKey: `slack:ticket-event:${events[2]!.id}` } })).toBe(1);
  });

  test('a first mail asking for published terms: the acknowledgement gives their address, once', async () => {
    const body = `${complete('PAY-0001-0001')}\nWhere can I read your support terms?\n`;
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body, messageId: '<qa2@paying.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('You asked for our support terms: you can read them at https://vendor.example/support-terms.');
    expect(ack!.mail.text).toContain('please accept our support terms at https://vendor.example/support-terms: reply');
    const asked = await database.prisma.ticketEvent.findFirstOrThrow({ where: { type: 'terms-requested' } });
    expect(asked.detail).toEqual({ messageId: '<qa2@paying.example>', termsUrl: 'https://vendor.example/support-terms', toldByMail: true });
  });

  test('a first mail that does not ask for the terms: the acknowledgement offers them on request, no terms-requested', async () => {
    const unpublished = { ...policy, billing: { ...policy.billing, termsUrl: null } };
    intake = intakeUnder(unpublished);
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<qa3@paying.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('please accept our support terms (we send them on request): reply');
    expect(ack!.mail.text).not.toContain('You asked for our support terms');
    expect(await database.prisma.ticketEvent.count({ where: { type: 'terms-requested' } })).toBe(0);
  });

  test('a free incident asking for the terms: the acknowledgement tells no terms, an engineer is asked in Slack', async () => {
    const body = `${complete('RES-0001-0001')}\nPlease send me your support terms.\n`;
    await deliver(mail({ from: 'Ria <ria@resell.example>', subject: 'VPN drops', body, messageId: '<qa4@resell.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('technical support is free for our partners.');
    expect(ack!.mail.text).not.toContain('You asked for our support terms');
    expect(ack!.mail.text).not.toContain('I agree');
    const asked = await database.prisma.ticketEvent.findFirstOrThrow({ where: { type: 'terms-requested' } });
    expect(asked.detail).toEqual({ messageId: '<qa4@resell.example>', termsUrl: 'https://vendor.example/support-terms', toldByMail: false });
    expect(await database.prisma.outbox.count({ where: { idempotencyKey: `slack:ticket-event:${asked.id}` } })).toBe(1);
  });

  test('a paid request closed before the customer accepted the terms is not charged (point 9); a person may still charge it', async () => {
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body: complete('PAY-0001-0001'), messageId: '<n1@paying.example>' }));
    // "Before I agree…" is no acceptance: the request keeps waiting.
    clock.current = new Date(start.getTime() + 60_000);
    const asked = 'Before I agree to anything, please send me your support terms.\n';
    await deliver(mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: asked, messageId: '<n2@paying.example>' }));
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } })).toMatchObject({ awaitingAgreement: true });

    clock.current = new Date(start.getTime() + 86_400_000);
    const closed = await closeTicket(closeDeps(), { requestId: 'SR-2026-000001', actor: 'U_ENG', outcome: 'resolved' });
    expect(closed).toMatchObject({ chargeable: false, amountMinor: 0, chargeReason: 'terms-not-agreed' });
    expect(await database.prisma.charge.count()).toBe(0);
    expect((await emails()).at(-1)!.mail.text).toContain(
      'No fee applies to this incident: our support terms, which a paid incident needs, were not accepted for it.',
    );

    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'Web filter', body: complete('PAY-0001-0001'), messageId: '<n3@paying.example>' }));
    const charged = await closeTicket(closeDeps(), {
      requestId: 'SR-2026-000002',
      actor: 'U_MGR',
      outcome: 'resolved',
      charge: 'charge',
      reason: 'Agreed by phone on 2026-11-30',
    });
    expect(charged).toMatchObject({ chargeable: true, chargeReason: 'override-charged' });
  });

  test('a request that waited in the mailbox is judged on the day the server received it, its clock starts when taken up', async () => {
    // The trial's last day is 2026-12-01 (New York). The mail reached the mailbox that evening; deskbot was down until 12-03.
    const receivedAt = new Date('2026-12-02T01:00:00Z');
    clock.current = new Date('2026-12-03T15:00:00Z');
    const waited = mail({ from: 'Tia <tia@trial.example>', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<w1@trial.example>' });
    expect(await intake.handleInboundEmail(waited, { ...source, receivedAt })).toMatchObject({ outcome: 'ticket' });
    const ticket = await database.prisma.ticket.findFirstOrThrow({ where: { requesterEmail: 'tia@trial.example' } });
    expect(ticket).toMatchObject({ openedAt: receivedAt, clockStartedAt: clock.current });
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('support is free for your registered trial licence, until 1 Dec 2026.');
    // The sender's Date: header is no server's word: the same request without INTERNALDATE is judged today.
    const claimed = mail({ from: 'Tia <tia@trial.example>', subject: 'VPN drops again', body: complete('TRI-0001-0001'), messageId: '<w2@trial.example>' });
    expect(await intake.handleInboundEmail(claimed, { kind: 'file', path: '/tmp/x.eml' })).toMatchObject({ outcome: 'rejected', reason: 'trial-expired' });
  });

  test('a request naming no licence of a customer with a new one is told the fee may not apply; naming the new one frees it', async () => {
    const body = 'Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nProduct: Gateway\nVersion: 9.4\n';
    await deliver(mail({ from: 'Tw <tw@two.example>', subject: 'VPN drops', body, messageId: '<t1@two.example>' }));
    const opened = await database.prisma.ticket.findFirstOrThrow({ where: { requesterEmail: 'tw@two.example' } });
    expect(opened).toMatchObject({ status: 'new', awaitingAgreement: true, missingInfo: ['licence'] });
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('If the licence you name is a registered trial or within its installation period, no fee applies.');

    clock.current = new Date(start.getTime() + 60_000);
    const named = await deliver(
      mail({ from: 'tw@two.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Licence: TWO-0002-0002\n', messageId: '<t2@two.example>' }),
    );
    expect(named).toMatchObject({ outcome: 'reply', reason: 'request-completed' });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: opened.id } })).toMatchObject({
      status: 'open',
      awaitingAgreement: false,
      clockStartedAt: clock.current,
    });
    // The update tells the truth about money as the acknowledgement did: free now, and why, until when.
    const update = (await emails()).at(-1)!.mail;
    expect(update.text).toContain('- your licence number\n');
    expect(update.text).toContain(
      'Fee: no fee applies to this incident: the request falls within the installation period of your licence, free until 7 Feb 2027.',
    );
    expect(update.text).not.toContain('I agree');
    expect(update.html).toContain('free until 7 Feb 2027.');
    const told = await database.prisma.ticketEvent.findFirstOrThrow({ where: { ticketId: opened.id, type: 'request-update' } });
    expect(told.detail).toMatchObject({ fee: 'Free: installation period of the licence until 2027-02-07' });
    // No agreement was recorded for the customer: its next paid request still asks.
    expect(await database.prisma.customer.findUniqueOrThrow({ where: { key: 'TWOLIC' } })).toMatchObject({ agreedAt: null });
    const closed = await closeTicket(closeDeps(), { requestId: 'SR-2026-000001', actor: 'U_ENG', outcome: 'resolved' });
    expect(closed).toMatchObject({ chargeable: false, chargeReason: 'installation-period' });
  });

  test('naming the licence that keeps the fee ends the "may be free" caveat: the update states the fee as charged', async () => {
    const body = 'Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nProduct: Gateway\nVersion: 9.4\n';
    await deliver(mail({ from: 'Tw <tw@two.example>', subject: 'VPN drops', body, messageId: '<c1@two.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(mail({ from: 'tw@two.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Licence: TWO-0001-0001\n', messageId: '<c2@two.example>' }));
    const update = (await emails()).at(-1)!.mail;
    expect(update.text).toMatch(/Fee: this incident is chargeable at USD\s80\.00 per incident, taxes excluded, charged when the incident is closed\./);
    expect(update.text).not.toContain('If the licence you name is a registered trial');
    // Still a paid request: the agreement is still asked for.
    expect(update.text).toContain('reply to this message with the words "I agree"');
  });

  test('an answer that leaves the fee as told says nothing new about money', async () => {
    const body = 'Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nLicence: PAY-0001-0001\nProduct: Gateway\n';
    await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body, messageId: '<u1@paying.example>' }));
    clock.current = new Date(start.getTime() + 60_000);
    await deliver(mail({ from: 'ana@paying.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'Version: 9.4\n', messageId: '<u2@paying.example>' }));
    const update = (await emails()).at(-1)!.mail;
    expect(update.text).toContain('- the exact product version you run\n');
    expect(update.text).not.toContain('Fee:');
  });

  test('a trial request is free until the trial ends and asks for no agreement (point 8)', async () => {
    await deliver(mail({ from: 'tia@trial.example', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<t1@trial.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('support is free for your registered trial licence, until 1 Dec 2026');
    expect(ack!.mail.text).not.toContain('I agree');
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } })).toMatchObject({ status: 'open' });
  });

  test('an unsupported version: the acknowledgement lists the supported versions and warns of an excluded charge (point 11)', async () => {
    await deliver(mail({ from: 'tia@trial.example', subject: 'VPN drops', body: complete('TRI-0001-0001', '8.1'), messageId: '<t2@trial.example>' }));
    const [ack] = await emails();
    expect(ack!.mail.text).toContain('Gateway 8.1 is not a supported version. Supported versions today: 9.3, 9.3.2, 9.4.');
    expect(ack!.mail.text).toContain('may be charged as excluded');
  });

  test('mail to a closed request is answered: closed, write a new request without the tag, an engineer was told (point 3)', async () => {
    await deliver(mail({ from: 'tia@trial.example', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<t3@trial.example>' }));
    await closeTicket(closeDeps(), { requestId: 'SR-2026-000001', actor: 'U_ENG', outcome: 'resolved' });
    const reply = await deliver(
      mail({ from: 'tia@trial.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'It is back.\n', messageId: '<t4@trial.example>' }),
    );
    expect(reply).toMatchObject({ outcome: 'reply', reason: 'ticket-closed' });
    const last = (await emails()).at(-1)!;
    expect(last.kind).toBe('closed-request');
    expect(last.mail.text).toContain('without the request ID SR-2026-000001');
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' } })).toMatchObject({ status: 'closed' });
  });

  test('mail to a closed request from another eligible caller greets that caller, not the requester (point 3)', async () => {
    await deliver(mail({ from: 'Tia <tia@trial.example>', subject: 'VPN drops', body: complete('TRI-0001-0001'), messageId: '<t5@trial.example>' }));
    await closeTicket(closeDeps(), { requestId: 'SR-2026-000001', actor: 'U_ENG', outcome: 'resolved' });
    const reply = await deliver(
      mail({ from: 'tom@trial.example', subject: 'Re: VPN drops [SR-2026-000001]', body: 'It is back.\n', messageId: '<t6@trial.example>' }),
    );
    expect(reply).toMatchObject({ outcome: 'reply', reason: 'ticket-closed' });
    const last = (await emails()).at(-1)!;
    expect(last.kind).toBe('closed-request');
    expect(last.mail.to.map((to) => to.address)).toEqual(['tom@trial.example']);
    expect(last.mail.text).toContain('Hello Tom,');
    expect(last.mail.text).not.toContain('Tia');
  });

  test('a suspended customer: the caller gets the notice, no ticket is opened, the triage channel is told (point 12)', async () => {
    const result = await deliver(
      mail({ from: 'Lea <lea@late.example>', subject: 'VPN drops', body: complete('LAT-0001-0001'), messageId: '<l1@late.example>' }),
    );
    expect(result).toEqual({ outcome: 'rejected', reason: 'customer-suspended' });
    expect(await database.prisma.ticket.count()).toBe(0);
    const [notice] = await emails();
    expect(notice!.kind).toBe('service-suspended');
    expect(notice!.mail.text).toContain('Technical support for Late Payer GmbH is currently suspended');
    expect(notice!.mail.text).not.toContain('Invoice 2026-117');
    const slack = await database.prisma.outbox.findMany({ where: { channel: 'slack' } });
    expect(slack.map((row) => [row.kind, row.payload])).toEqual([
      [
        'customer-suspended',
        {
          customer: 'Late Payer GmbH',
          customerKey: 'LATE',
          since: '2026-11-01',
          reason: 'Invoice 2026-117 unpaid',
          from: 'lea@late.example',
          subject: 'VPN drops',
          messageId: '<l1@late.example>',
        },
      ],
    ]);
  });

  test('a caller listed for two customers is asked for the licence number; the reply with it opens the request for its owner (point 7)', async () => {
    const body = 'Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nProduct: Gateway\nVersion: 9.4\n';
    const first = await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body, messageId: '<amb1@paying.example>' }));
    expect(first).toEqual({ outcome: 'rejected', reason: 'ambiguous-sender' });
    expect(await database.prisma.ticket.count()).toBe(0);
    const [notice] = await emails();
    expect(notice!.kind).toBe('licence-needed');
    expect(notice!.mail.text).toContain('listed as a contact of more than one customer');
    expect(notice!.mail.text).toContain('your licence number');
    expect(notice!.mail.text).not.toContain('not registered');

    clock.current = new Date(start.getTime() + 600_000);
    const answered = await deliver(
      mail({
        from: 'Ana <ana@paying.example>',
        subject: 'Re: VPN drops',
        body: `Licence: SIS-0001-0001\n\n${body}`,
        messageId: '<amb2@paying.example>',
        inReplyTo: notice!.mail.messageId,
      }),
    );
    expect(answered).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    const ticket = await database.prisma.ticket.findUniqueOrThrow({ where: { requestId: 'SR-2026-000001' }, include: { customer: true, licence: true } });
    expect(ticket.customer?.key).toBe('SISTER');
    expect(ticket.licence?.number).toBe('SIS-0001-0001');
  });
  /** Ana (a caller of PAYING and SISTER) asks without a licence number; returns the licence-needed notice's Message-ID. */
  async function heldRequestOfAna(messageId = '<held1@paying.example>') {
    const body = 'Hello,\n\nThe gateway drops VPN tunnels every hour.\n\nSeverity: 3\nProduct: Gateway\nVersion: 9.4\n\nAna\n';
    expect(await deliver(mail({ from: 'Ana <ana@paying.example>', subject: 'VPN drops', body, messageId }))).toEqual({
      outcome: 'rejected',
      reason: 'ambiguous-sender',
    });
    const notice = (await emails()).at(-1)!;
    expect(notice.kind).toBe('licence-needed');
    return notice.mail.messageId;
  }
  const licenceOnly = (from: string, messageId: string, inReplyTo: string) =>
    mail({ from, subject: 'Re: Licence number needed: VPN drops', body: 'Our licence, as asked:\n\nLicence: SIS-0001-0001\n', messageId, inReplyTo });
  const openedTicket = (requestId: string) => database.prisma.ticket.findUniqueOrThrow({ where: { requestId }, include: { customer: true } });

  test('the answer naming only the licence opens the request with what the held mail said: severity, version, subject, text (point 7)', async () => {
    const noticeId = await heldRequestOfAna();
    clock.current = new Date(start.getTime() + 600_000);
    const answered = await deliver(licenceOnly('Ana <ana@paying.example>', '<held2@paying.example>', noticeId));
    expect(answered).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    const ticket = await openedTicket('SR-2026-000001');
    expect(ticket).toMatchObject({ severity: 3, product: 'Gateway', productVersion: '9.4', missingInfo: [], subject: 'VPN drops' });
    expect(ticket.customer?.key).toBe('SISTER');
    expect(ticket.summary).toContain('The gateway drops VPN tunnels every hour.');
    expect(ticket.summary).not.toContain('Our licence');
    const ack = (await emails()).at(-1)!;
    expect(ack.kind).toBe('acknowledgement');
    expect(ack.mail.text).toContain('Severity: 3');
    expect(ack.mail.text).not.toContain('assumed until you tell us the severity');
    expect(ack.mail.text).not.toContain('the exact product version you run');
    const conversation = await conversationOf(database.prisma, ticket.id);
    expect(conversation.map((message) => [message.messageId, message.kind])).toEqual([
      ['<held1@paying.example>', 'request'],
      ['<held2@paying.example>', 'request'],
    ]);
    expect(conversation[0]!.text).toContain('The gateway drops VPN tunnels every hour.');
    expect(conversation[1]!.text).toContain('Licence: SIS-0001-0001');
    // The Slack card shows the first mail's words.
    expect((await loadTicketCard(database.prisma, { requestId: 'SR-2026-000001' }))!.description).toContain('drops VPN tunnels');
    // The held mail's own record tells which request took it up: it ended as that ticket (nothing left to retry).
    expect(await database.prisma.inboundMessage.findUniqueOrThrow({ where: { messageId: '<held1@paying.example>' } })).toMatchObject({
      outcome: 'ticket',
      reason: 'ambiguous-sender; taken up by SR-2026-000001',
      ticketId: ticket.id,
      previousOutcome: 'rejected',
      previousReason: 'ambiguous-sender',
    });
  });

  test('a held mail is taken up once: a second answer continues the ticket and adds no second copy (point 7)', async () => {
    const noticeId = await heldRequestOfAna();
    clock.current = new Date(start.getTime() + 600_000);
    await deliver(licenceOnly('Ana <ana@paying.example>', '<held2@paying.example>', noticeId));
    clock.current = new Date(start.getTime() + 1_200_000);
    const again = await deliver(licenceOnly('Ana <ana@paying.example>', '<held3@paying.example>', noticeId));
    expect(again).toMatchObject({ outcome: 'reply', requestId: 'SR-2026-000001' });
    expect(await database.prisma.ticket.count()).toBe(1);
    const ticket = await openedTicket('SR-2026-000001');
    const conversation = await conversationOf(database.prisma, ticket.id);
    expect(conversation.map((message) => message.messageId)).toEqual(['<held1@paying.example>', '<held2@paying.example>', '<held3@paying.example>']);
  });

  test('another sender answering with the same References does not get the held details; the held mail stays for its sender (point 7)', async () => {
    const noticeId = await heldRequestOfAna();
    clock.current = new Date(start.getTime() + 600_000);
    const other = await deliver(licenceOnly('Sid <sid@sister.example>', '<sid1@sister.example>', noticeId));
    expect(other).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    const sids = await openedTicket('SR-2026-000001');
    expect(sids.productVersion).toBeNull();
    expect(sids.missingInfo).toEqual(expect.arrayContaining(['severity', 'version']));
    expect(sids.subject).toBe('Re: Licence number needed: VPN drops');
    expect((await conversationOf(database.prisma, sids.id)).map((message) => message.messageId)).toEqual(['<sid1@sister.example>']);
    const sidsAck = (await emails()).at(-1)!;
    expect(sidsAck.mail.text).toContain('the exact product version you run');

    const own = await deliver(licenceOnly('Ana <ana@paying.example>', '<held2@paying.example>', noticeId));
    expect(own).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000002' });
    expect(await openedTicket('SR-2026-000002')).toMatchObject({ severity: 3, productVersion: '9.4', missingInfo: [] });
  });

  test('a held mail is taken up within 30 days, not after: an answer to an older one opens the request from its own words (point 7)', async () => {
    const oldNotice = await heldRequestOfAna('<held-old@paying.example>');
    clock.current = new Date(start.getTime() + 2 * 86_400_000);
    const recentNotice = await heldRequestOfAna('<held-recent@paying.example>');
    clock.current = new Date(start.getTime() + 31 * 86_400_000);
    expect(await deliver(licenceOnly('Ana <ana@paying.example>', '<late1@paying.example>', oldNotice))).toMatchObject({
      outcome: 'ticket',
      requestId: 'SR-2026-000001',
    });
    const late = await openedTicket('SR-2026-000001');
    expect(late.productVersion).toBeNull();
    expect(late.missingInfo).toEqual(expect.arrayContaining(['severity', 'version']));
    expect((await conversationOf(database.prisma, late.id)).map((message) => message.messageId)).toEqual(['<late1@paying.example>']);

    expect(await deliver(licenceOnly('Ana <ana@paying.example>', '<late2@paying.example>', recentNotice))).toMatchObject({
      outcome: 'ticket',
      requestId: 'SR-2026-000002',
    });
    const recent = await openedTicket('SR-2026-000002');
    expect(recent).toMatchObject({ severity: 3, productVersion: '9.4', missingInfo: [] });
    expect((await conversationOf(database.prisma, recent.id)).map((message) => message.messageId)).toEqual([
      '<held-recent@paying.example>',
      '<late2@paying.example>',
    ]);
  });
});
