// Keeping the conversation, on PGlite and PostgreSQL: each inbound message that lands on a ticket keeps its text
// (bounded), its display text and its attachments (SHA-256 blobs in chunk rows, deduplicated, up to
// ATTACHMENT_MAX_BYTES a message), and queues one ticket-file Slack item per attachment, all in the intake commit.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler, type InboundEmailConfig } from '../../../src/app/intake/handle-inbound-email.ts';
import type { InboundSource } from '../../../src/app/ports.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { maxStoredTextBytes } from '../../../src/domain/conversation.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import {
  blobChunkBytes,
  conversationMessageOf,
  conversationOf,
  deleteUnreferencedBlobs,
  latestCustomerMessage,
  readBlob,
} from '../../../src/store/conversation-repository.ts';
import type { Database } from '../../../src/store/database.ts';
import { ticketConversation } from '../../../src/store/ticket-conversation.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { backends } from '../../helpers/backends.ts';
import { buildMail } from '../../helpers/mime.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const policy = defaultPolicy();
const start = new Date('2026-11-17T15:00:00Z');
const source: InboundSource = { kind: 'stdin' };
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-conversation-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const requestText =
  'Hello support,\n\nSince this morning our Kerio Connect 10.0.1 server crashes right after startup.\nLicence number: 27A3-9F10-4C2B\nSeverity: 4\n';

function intakeOf(database: Database, config: Partial<InboundEmailConfig> = {}) {
  let now = start.getTime();
  return {
    advance: (minutes: number) => void (now += minutes * 60_000),
    intake: createInboundEmailHandler({
      ...storeAccess(database, policy),
      parser: mailParser,
      policy,
      clock: { now: () => new Date(now) },
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 40 * 1024 * 1024, ...config }),
    }),
  };
}

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

const sha = (content: Buffer) => createHash('sha256').update(content).digest('hex');

for (const backend of backends) {
  describe.runIf(backend.available || process.env.CI === 'true')(`conversation on ${backend.name}`, () => {
    let handle: Awaited<ReturnType<(typeof backends)[number]['open']>>;
    let database: Database;
    beforeAll(async () => {
      handle = await backend.open();
      database = handle.database;
      await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database.prisma, policy), policy });
    });
    afterAll(async () => handle?.dispose());

    it('keeps request, follow-up and a reply after close with sender, time, full and display text, and attachments deduplicated', async () => {
      const { intake, advance } = intakeOf(database);
      const log = randomBytes(600 * 1024); // three chunks
      const screenshot = randomBytes(10_000);
      const opened = await intake.handleInboundEmail(
        buildMail({
          messageId: '<conv-request-1@acme.example>',
          subject: 'Kerio Connect 10.0.1 crashes on startup',
          text: `${requestText}\n-- \nAna Ops, Acme Corp IT\n`,
          attachments: [
            { filename: 'server.log', contentType: 'text/plain', content: log },
            { filename: 'screen.png', contentType: 'image/png', content: screenshot },
          ],
        }),
        source,
      );
      expect(opened.outcome).toBe('ticket');
      advance(30);
      const followUp = await intake.handleInboundEmail(
        buildMail({
          messageId: '<conv-reply-1@acme.example>',
          inReplyTo: '<conv-request-1@acme.example>',
          to: 'Support <support@deskbot.local>, "Sam Engineer" <Sam@Vendor.example>',
          cc: 'Boss <boss@acme.example>, it-team: Kim <kim@acme.example>, Lee <lee@acme.example>;',
          subject: `Re: Kerio Connect 10.0.1 crashes on startup [${opened.requestId}]`,
          text: `The restart did not help.\n\nOn Tue, 17 Nov 2026 at 10:05, Support <support@deskbot.local> wrote:\n> Please restart the service.\n`,
          // The same log again: stored once.
          attachments: [{ filename: 'server-again.log', contentType: 'text/plain', content: log }],
        }),
        source,
      );
      expect(followUp).toMatchObject({ outcome: 'reply', ticketId: opened.ticketId });
      advance(30);
      await database.prisma.ticket.update({ where: { id: opened.ticketId! }, data: { status: 'closed', closedAt: new Date(start.getTime() + 60 * 60_000) } });
      const afterClose = await intake.handleInboundEmail(
        buildMail({
          messageId: '<conv-reply-2@acme.example>',
          inReplyTo: '<conv-request-1@acme.example>',
          subject: `Re: [${opened.requestId}]`,
          html: '<p>It is back: <b>crash</b> again &amp; again.</p><blockquote>old text</blockquote>',
        }),
        source,
      );
      expect(afterClose).toMatchObject({ outcome: 'reply', reason: 'ticket-closed' });

      const conversation = await conversationOf(database.prisma, opened.ticketId!);
      expect(conversation.map((message) => [message.kind, message.messageId, message.fromAddress, message.fromName, message.receivedAt.toISOString()])).toEqual(
        [
          ['request', '<conv-request-1@acme.example>', 'ops@acme.example', 'Ana Ops', start.toISOString()],
          ['reply', '<conv-reply-1@acme.example>', 'ops@acme.example', 'Ana Ops', new Date(start.getTime() + 30 * 60_000).toISOString()],
          ['reply', '<conv-reply-2@acme.example>', 'ops@acme.example', 'Ana Ops', new Date(start.getTime() + 60 * 60_000).toISOString()],
        ],
      );
      const [request, reply, late] = conversation;
      // Whom each mail was addressed to and copied to, as written (bare addresses, groups flattened).
      expect(conversation.map((message) => [message.toAddresses, message.ccAddresses])).toEqual([
        [['support@deskbot.local'], []],
        [
          ['support@deskbot.local', 'sam@vendor.example'],
          ['boss@acme.example', 'kim@acme.example', 'lee@acme.example'],
        ],
        [['support@deskbot.local'], []],
      ]);
      expect(request!.text).toContain('-- \nAna Ops, Acme Corp IT');
      expect(request!.displayText).toBe(requestText.trim());
      expect(reply!.text).toContain('> Please restart the service.');
      expect(reply!.displayText).toBe('The restart did not help.');
      expect(late!.text).toContain('It is back: crash again & again.');
      expect(late!.displayText).toBe('It is back: crash again & again.');
      expect(
        request!.attachments.map((attachment) => [attachment.filename, attachment.contentType, attachment.size, attachment.sha256, attachment.notKept]),
      ).toEqual([
        ['server.log', 'text/plain', log.length, sha(log), null],
        ['screen.png', 'image/png', screenshot.length, sha(screenshot), null],
      ]);
      expect(reply!.attachments[0]!.sha256).toBe(sha(log));
      // The same rows through the other reads: the latest n (oldest first), the latest one, one by Message-ID.
      expect(await conversationOf(database.prisma, opened.ticketId!, { last: 2 })).toEqual([reply, late]);
      expect(await latestCustomerMessage(database.prisma, opened.requestId!)).toEqual(late);
      expect(await conversationMessageOf(database.prisma, '<conv-request-1@acme.example>')).toEqual(request);
      expect(await conversationMessageOf(database.prisma, '<nowhere@acme.example>')).toBeNull();
      // `deskbot tickets show` lists the customer's mail with its To and Cc, no longer `to: []`.
      const shown = (await ticketConversation(database.prisma, opened.ticketId!)).filter((entry) => entry.direction === 'in');
      expect(shown.map((entry) => [entry.from, entry.to, entry.cc])).toEqual([
        ['ops@acme.example', ['support@deskbot.local'], []],
        ['ops@acme.example', ['support@deskbot.local', 'sam@vendor.example'], ['boss@acme.example', 'kim@acme.example', 'lee@acme.example']],
        ['ops@acme.example', ['support@deskbot.local'], []],
      ]);

      expect(await database.prisma.attachmentBlob.count()).toBe(2);
      expect(await database.prisma.attachmentChunk.count({ where: { sha256: sha(log) } })).toBe(Math.ceil(log.length / blobChunkBytes));
      expect((await collect(readBlob(database.prisma, sha(log)))).equals(log)).toBe(true);
      expect((await collect(readBlob(database.prisma, sha(screenshot)))).equals(screenshot)).toBe(true);

      const files = await database.prisma.outbox.findMany({ where: { kind: 'ticket-file' }, orderBy: { id: 'asc' } });
      const attachmentIds = [...request!.attachments, ...reply!.attachments].map((attachment) => attachment.id);
      expect(files.map((row) => row.payload)).toEqual(attachmentIds.map((attachmentId) => ({ ticketId: opened.ticketId, attachmentId })));
      // In the thread each mail's files follow its own post (the outbox delivers a ticket's Slack rows in order):
      // the row before the reply's file posts the reply's mail-received event.
      const thread = await database.prisma.outbox.findMany({ where: { channel: 'slack', ticketId: opened.ticketId! }, orderBy: { id: 'asc' } });
      const replyFile = thread.findIndex((row) => (row.payload as { attachmentId?: number }).attachmentId === reply!.attachments[0]!.id);
      const before = thread[replyFile - 1]!;
      expect(before.kind).toBe('ticket-event');
      const event = await database.prisma.ticketEvent.findUniqueOrThrow({ where: { id: BigInt((before.payload as { eventId: string | number }).eventId) } });
      expect(event).toMatchObject({ type: 'mail-received', detail: expect.objectContaining({ messageId: '<conv-reply-1@acme.example>' }) });
    });

    it('records names and sizes only beyond ATTACHMENT_MAX_BYTES, and cuts a long text at 256 KB with a marker', async () => {
      const { intake } = intakeOf(database, { ATTACHMENT_MAX_BYTES: 100_000 });
      const small = randomBytes(60_000);
      const large = randomBytes(50_000);
      const longText = `${requestText}\n${'x'.repeat(300 * 1024)}`;
      const opened = await intake.handleInboundEmail(
        buildMail({
          messageId: '<conv-limit-1@acme.example>',
          subject: 'Kerio Connect 10.0.1 crashes on startup, severity 4',
          text: longText,
          attachments: [
            { filename: 'small.bin', content: small },
            { filename: 'large.bin', content: large },
          ],
        }),
        source,
      );
      const [message] = await conversationOf(database.prisma, opened.ticketId!);
      expect(message!.attachments.map((attachment) => [attachment.filename, attachment.size, attachment.sha256 !== null, attachment.notKept])).toEqual([
        ['small.bin', small.length, true, null],
        ['large.bin', large.length, false, 'over-message-limit'],
      ]);
      expect(await database.prisma.attachmentBlob.count({ where: { sha256: sha(large) } })).toBe(0);
      expect(message!.truncated).toBe(true);
      expect(Buffer.byteLength(message!.text, 'utf8')).toBeLessThanOrEqual(maxStoredTextBytes);
      expect(message!.text).toMatch(/\[… \d+ more bytes not kept\]$/);
      // Both attachments still go to Slack: the kept one uploaded, the other listed by name and size.
      expect(await database.prisma.outbox.count({ where: { kind: 'ticket-file', ticketId: opened.ticketId! } })).toBe(2);
    });

    it('references no blob when the intake transaction rolls back; the unreferenced blob is cleaned or reused', async () => {
      const { intake } = intakeOf(database);
      const content = randomBytes(300_000);
      const raw = buildMail({
        messageId: '<conv-rollback-1@acme.example>',
        subject: 'Kerio Connect 10.0.1 crash, severity 4',
        text: requestText,
        attachments: [{ filename: 'a.bin', content }],
      });
      // The message row is written in the intake transaction, after the blob committed: a trigger fails it.
      await database.prisma.$executeRawUnsafe(
        `CREATE FUNCTION fail_conversation() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`,
      );
      await database.prisma.$executeRawUnsafe(
        `CREATE TRIGGER fail_conversation BEFORE INSERT ON "ConversationMessage" FOR EACH ROW EXECUTE FUNCTION fail_conversation()`,
      );
      try {
        await expect(intake.handleInboundEmail(raw, source)).rejects.toThrow();
      } finally {
        await database.prisma.$executeRawUnsafe(`DROP TRIGGER fail_conversation ON "ConversationMessage"`);
        await database.prisma.$executeRawUnsafe('DROP FUNCTION fail_conversation()');
      }
      expect(await database.prisma.inboundMessage.count({ where: { messageId: '<conv-rollback-1@acme.example>' } })).toBe(0);
      expect(await database.prisma.messageAttachment.count({ where: { sha256: sha(content) } })).toBe(0);
      // Whole or absent, never half: the blob committed complete before the intake.
      expect((await collect(readBlob(database.prisma, sha(content)))).equals(content)).toBe(true);
      expect(await deleteUnreferencedBlobs(database.prisma, new Date(Date.now() + 60_000))).toBeGreaterThanOrEqual(1);
      expect(await database.prisma.attachmentChunk.count({ where: { sha256: sha(content) } })).toBe(0);

      // Delivered again, it is kept whole and referenced.
      expect((await intake.handleInboundEmail(raw, source)).outcome).toBe('ticket');
      expect(await database.prisma.messageAttachment.count({ where: { sha256: sha(content) } })).toBe(1);
      expect((await collect(readBlob(database.prisma, sha(content)))).equals(content)).toBe(true);
      expect(await deleteUnreferencedBlobs(database.prisma, new Date(Date.now() + 60_000))).toBe(0);
    });
  });
}
