// A request held for its licence number, through intake on PGlite and PostgreSQL: the held mail's attachments reach
// the request opened from the answer (conversation, blobs, Slack file items) as any first mail's do, and once taken
// up the held mail's inbound record ends as that ticket, so `deskbot inbound retry` opens no second request.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmail } from '../../../src/app/intake/handle-inbound-email.ts';
import { outgoingMailSchema } from '../../../src/app/outbox-messages.ts';
import type { InboundSource } from '../../../src/app/ports.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { formatInboundTable } from '../../../src/cli/commands/inbound.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { isDeskbotError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { conversationOf, deleteUnreferencedBlobs, readBlob } from '../../../src/store/conversation-repository.ts';
import type { Database } from '../../../src/store/database.ts';
import { inboundRaw, listInbound } from '../../../src/store/inbound-repository.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { backends } from '../../helpers/backends.ts';
import { buildMail } from '../../helpers/mime.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const policy = defaultPolicy();
const source: InboundSource = { kind: 'stdin' };
/** Tue 17 Nov 2026, 10:00 in New York. */
const start = new Date('2026-11-17T15:00:00Z');
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-held-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** The directory with Ana listed for `anasCustomers`: for both, a mail of hers naming no licence is held. */
function directoryYaml(anasCustomers: ReadonlyArray<'PAYING' | 'SISTER'>): string {
  const ana = (key: string) => (anasCustomers.includes(key as 'PAYING') ? '{ email: ana@paying.example, name: Ana }, ' : '');
  return `customers:
  - { key: PAYING, name: Paying Ltd, supportLevel: normal, calendar: US, currency: USD, locale: en, partner: true,
      licences: [{ number: "PAY-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [${ana('PAYING')}{ email: bo@paying.example, name: Bo }] }
  - { key: SISTER, name: Sister Co, supportLevel: normal, calendar: US, currency: USD, locale: en, partner: true,
      licences: [{ number: "SIS-0001-0001", product: Gateway, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }],
      eligibleCallers: [${ana('SISTER')}{ email: sid@sister.example, name: Sid }] }
partners: []
`;
}

const HELD = '<held-att-1@paying.example>';
const ANSWER = '<held-att-2@paying.example>';
const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe.each(backends)('held requests through intake on $name', (backend) => {
  let database: Database;
  let dispose: () => Promise<void>;
  let intake: InboundEmail;
  const clock = { current: new Date(start), now: () => new Date(clock.current) };

  beforeAll(async () => {
    if (!backend.available) return;
    ({ database, dispose } = await backend.open());
    intake = createInboundEmailHandler({
      ...storeAccess(database, policy),
      parser: mailParser,
      policy,
      clock,
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 8 * 1024 * 1024 }),
    });
  });
  afterAll(async () => {
    if (backend.available) await dispose();
  });
  beforeEach(async () => {
    if (!backend.available) return;
    await database.prisma.$executeRawUnsafe(
      'TRUNCATE "TicketEvent", "SlaTimer", "MessageRef", "Ticket", "InboundMessage", "AutoMailLog", "RequestCounter", "Outbox", "HeldRequest", "HeldRequestAttachment", "ConversationMessage", "MessageAttachment", "AttachmentBlob" RESTART IDENTITY CASCADE',
    );
    clock.current = new Date(start);
    await importDirectory(['PAYING', 'SISTER']);
  });
  async function importDirectory(anasCustomers: ReadonlyArray<'PAYING' | 'SISTER'>): Promise<void> {
    const file = path.join(dataDir, `directory-${backend.name}.yaml`);
    fs.writeFileSync(file, directoryYaml(anasCustomers));
    await importDirectoryFile(file, { ...storeAccess(database, policy), policy });
  }

  const test = it.skipIf(!backend.available);
  const log = randomBytes(300 * 1024); // two chunks
  const screenshot = randomBytes(5_000);

  const anasRequest = () =>
    buildMail({
      messageId: HELD,
      from: 'Ana <ana@paying.example>',
      cc: 'Ops <ops@paying.example>',
      subject: 'VPN drops',
      text: 'Hello,\n\nThe gateway drops VPN tunnels every hour, log attached.\n\nSeverity: 3\nProduct: Gateway\nVersion: 9.4\n',
      attachments: [
        { filename: 'gateway.log', contentType: 'text/plain', content: log },
        { filename: 'screen.png', contentType: 'image/png', content: screenshot },
      ],
    });
  /** The licence-needed notice's Message-ID. */
  async function noticeId(): Promise<string> {
    const notice = await database.prisma.outbox.findFirstOrThrow({ where: { kind: 'licence-needed' } });
    return outgoingMailSchema.parse(notice.payload).messageId;
  }
  const answer = (noticeId: string) =>
    buildMail({
      messageId: ANSWER,
      from: 'Ana <ana@paying.example>',
      subject: 'Re: Licence number needed: VPN drops',
      text: 'Our licence, as asked:\n\nLicence: SIS-0001-0001\n',
      inReplyTo: noticeId,
    });

  test("the held mail's attachments are on the request opened from the answer: conversation, content, Slack file items", async () => {
    expect(await intake.handleInboundEmail(anasRequest(), source)).toEqual({ outcome: 'rejected', reason: 'ambiguous-sender' });
    // Two days on, the blob sweeper runs: the held mail's attachments are referenced, so kept.
    clock.current = new Date(start.getTime() + 2 * 86_400_000);
    await deleteUnreferencedBlobs(database.prisma, new Date(Date.now() + 60_000));
    const opened = await intake.handleInboundEmail(answer(await noticeId()), source);
    expect(opened).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });

    const conversation = await conversationOf(database.prisma, opened.ticketId!);
    expect(conversation.map((message) => message.messageId)).toEqual([HELD, ANSWER]);
    const [held, reply] = conversation;
    expect(
      held!.attachments.map((attachment) => [attachment.filename, attachment.contentType, attachment.size, attachment.sha256, attachment.notKept]),
    ).toEqual([
      ['gateway.log', 'text/plain', log.length, sha(log), null],
      ['screen.png', 'image/png', screenshot.length, sha(screenshot), null],
    ]);
    expect(reply!.attachments).toEqual([]);
    // The held mail's To and Cc were kept with it and are on its conversation entry.
    expect([held!.toAddresses, held!.ccAddresses]).toEqual([['support@deskbot.local'], ['ops@paying.example']]);
    expect((await collect(readBlob(database.prisma, sha(log)))).equals(log)).toBe(true);
    expect((await collect(readBlob(database.prisma, sha(screenshot)))).equals(screenshot)).toBe(true);

    // As for any first mail, each attachment gets its Slack item in the ticket's thread, after the ticket's own post.
    const files = await database.prisma.outbox.findMany({ where: { kind: 'ticket-file' }, orderBy: { id: 'asc' } });
    expect(files.map((row) => row.payload)).toEqual(held!.attachments.map((attachment) => ({ ticketId: opened.ticketId, attachmentId: attachment.id })));
    const thread = await database.prisma.outbox.findMany({ where: { channel: 'slack', ticketId: opened.ticketId! }, orderBy: { id: 'asc' } });
    expect(thread[0]!.kind).not.toBe('ticket-file');

    // Taken up, the held row no longer keeps the blobs alive: the message attachments do.
    await database.prisma.$executeRawUnsafe('DELETE FROM "HeldRequest"');
    expect(await deleteUnreferencedBlobs(database.prisma, new Date(Date.now() + 60_000))).toBe(0);
  });

  test('a held mail that a retry opened on its own is not taken up again by the answer to its notice', async () => {
    // Rejected while Ana was listed for no customer (kept whole), retried while she was listed for two (held, notice
    // sent), retried again once she was listed for PAYING only: it opens SR-1 by itself.
    await importDirectory([]);
    expect(await intake.handleInboundEmail(anasRequest(), source)).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    await importDirectory(['PAYING', 'SISTER']);
    expect(await intake.retryRejected(HELD)).toMatchObject({ outcome: 'rejected', reason: 'ambiguous-sender' });
    const notice = await noticeId();
    await importDirectory(['PAYING']);
    clock.current = new Date(start.getTime() + 300_000);
    const first = await intake.retryRejected(HELD);
    expect(first).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    expect(await database.prisma.heldRequest.findFirstOrThrow({ where: { messageId: HELD } })).toMatchObject({ usedByMessageId: HELD });

    // Her answer to the notice opens a request from its own words: the held mail is on SR-1 already.
    clock.current = new Date(start.getTime() + 600_000);
    const answered = await intake.handleInboundEmail(
      buildMail({
        messageId: ANSWER,
        from: 'Ana <ana@paying.example>',
        subject: 'Re: Licence number needed: VPN drops',
        text: 'Our licence, as asked:\n\nLicence: PAY-0001-0001\n',
        inReplyTo: notice,
      }),
      source,
    );
    expect(answered).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000002' });
    expect((await conversationOf(database.prisma, answered.ticketId!)).map((message) => message.messageId)).toEqual([ANSWER]);
    expect((await conversationOf(database.prisma, first.ticketId!)).map((message) => message.messageId)).toEqual([HELD]);
  });

  test('a mail held without its whole text is not retried: the error says it waits for the licence number', async () => {
    expect(await intake.handleInboundEmail(anasRequest(), source)).toEqual({ outcome: 'rejected', reason: 'ambiguous-sender' });
    const retried = await intake.retryRejected(HELD).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isDeskbotError(retried, 'INVALID_STATE')).toBe(true);
    expect((retried as Error).message).toMatch(/held until its sender names the licence number/);
  });

  test('once taken up, the held mail ended as that ticket: a retry opens no second request and sends no second mail', async () => {
    // Rejected while Ana was listed for no customer (kept whole for a retry), then retried once she was listed for two: held.
    await importDirectory([]);
    expect(await intake.handleInboundEmail(anasRequest(), source)).toMatchObject({ outcome: 'rejected', reason: 'unknown-sender' });
    await importDirectory(['PAYING', 'SISTER']);
    clock.current = new Date(start.getTime() + 300_000);
    expect(await intake.retryRejected(HELD)).toMatchObject({ outcome: 'rejected', reason: 'ambiguous-sender' });
    expect(await listInbound(database.prisma, { outcome: 'rejected' })).toMatchObject([{ messageId: HELD, retryable: true }]);

    clock.current = new Date(start.getTime() + 600_000);
    const opened = await intake.handleInboundEmail(answer(await noticeId()), source);
    expect(opened).toMatchObject({ outcome: 'ticket', requestId: 'SR-2026-000001' });
    const mailsBefore = await database.prisma.outbox.count({ where: { channel: 'email' } });

    const record = await database.prisma.inboundMessage.findUniqueOrThrow({ where: { messageId: HELD } });
    expect(record).toMatchObject({
      outcome: 'ticket',
      reason: 'ambiguous-sender; taken up by SR-2026-000001',
      ticketId: opened.ticketId,
      previousOutcome: 'rejected',
      previousReason: 'unknown-sender',
    });
    expect(await inboundRaw(database.prisma, HELD)).toBeNull();
    // `deskbot inbound list`: no longer among the rejected; shown as the ticket it became, offered for no retry.
    expect(await listInbound(database.prisma, { outcome: 'rejected' })).toEqual([]);
    const heldEntry = (await listInbound(database.prisma, {})).find((entry) => entry.messageId === HELD)!;
    expect(heldEntry).toMatchObject({ outcome: 'ticket', previousOutcome: 'rejected', ticketId: opened.ticketId, retryable: false });
    const row = formatInboundTable([heldEntry]).split('\n')[1]!;
    expect(row).toContain('ticket (was rejected)');
    expect(row).toContain('ambiguous-sender; taken up by SR-2026-000001');
    expect(row.trimEnd().endsWith(' -')).toBe(true);

    // Ana is now listed for SISTER only: a retry of the held mail would open it a second time. It is refused.
    await importDirectory(['SISTER']);
    clock.current = new Date(start.getTime() + 1_200_000);
    const retried = await intake.retryRejected(HELD).then(
      () => null,
      (error: unknown) => error,
    );
    expect(isDeskbotError(retried, 'INVALID_STATE')).toBe(true);
    expect((retried as Error).message).toContain('was not rejected (it ended as ticket)');
    expect(await database.prisma.ticket.count()).toBe(1);
    expect(await database.prisma.outbox.count({ where: { channel: 'email' } })).toBe(mailsBefore);
  });
});
