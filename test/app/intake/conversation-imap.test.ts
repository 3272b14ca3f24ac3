// The conversation kept from a real mailbox: a request with an attachment and a quoted reply APPENDed to a real
// Dovecot, fetched by the IMAP intake and handled by the real intake on PostgreSQL (PGlite when it is absent).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler } from '../../../src/app/intake/handle-inbound-email.ts';
import type { OversizedMailHandler } from '../../../src/channels/email/imap/batch.ts';
import { createImapSource, type ImapSource } from '../../../src/channels/email/imap/imap-source.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { conversationOf, readBlob } from '../../../src/store/conversation-repository.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { createMailboxStateRepository } from '../../../src/store/mailbox-state-repository.ts';
import { backends } from '../../helpers/backends.ts';
import { dovecotAvailable, startDovecot, type Dovecot } from '../../helpers/dovecot.ts';
import { buildMail } from '../../helpers/mime.ts';
import { intakeConfig } from '../../helpers/intake-config.ts';

const backend = backends.find((candidate) => candidate.name === 'postgres' && candidate.available) ?? backends[0]!;

describe.runIf(dovecotAvailable() || process.env.CI === 'true')(`conversation from a real IMAP mailbox (${backend.name})`, () => {
  let dovecot: Dovecot;
  let handle: Awaited<ReturnType<typeof backend.open>>;
  let source: ImapSource | undefined;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-conversation-imap-'));

  beforeAll(async () => {
    dovecot = await startDovecot();
    handle = await backend.open();
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(handle.database.prisma, defaultPolicy()), policy: defaultPolicy() });
  });
  afterAll(async () => {
    await source?.stop();
    await handle?.dispose();
    await dovecot?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps the request with its attachment and the reply’s new text', async () => {
    const prisma = handle.database.prisma;
    const log = randomBytes(400_000);
    await dovecot.append(
      buildMail({
        messageId: '<imap-conv-1@acme.example>',
        subject: 'Kerio Connect 10.0.1 crashes on startup, severity 4',
        text: 'The server crashes after startup.\nLicence number: 27A3-9F10-4C2B\n',
        attachments: [{ filename: 'crash.log', contentType: 'text/plain', content: log }],
      }),
    );
    await dovecot.append(
      buildMail({
        messageId: '<imap-conv-2@acme.example>',
        inReplyTo: '<imap-conv-1@acme.example>',
        subject: 'Re: Kerio Connect 10.0.1 crashes on startup',
        text: 'It also happens in safe mode.\n\nAm 17.11.2026 um 16:00 schrieb Support:\n> Please try safe mode.\n',
      }),
    );
    const intake = createInboundEmailHandler({
      ...storeAccess(prisma, defaultPolicy()),
      parser: mailParser,
      policy: defaultPolicy(),
      clock: { now: () => new Date('2026-11-17T15:00:00Z') },
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 25 * 1024 * 1024 }),
    });
    const noOversized: OversizedMailHandler = async () => {
      throw new Error('unexpected oversized message');
    };
    source = createImapSource({
      settings: {
        host: dovecot.host,
        port: dovecot.port,
        secure: false,
        rejectUnauthorized: true,
        user: dovecot.user,
        password: dovecot.password,
        mailbox: 'INBOX',
        processedAction: 'flag',
        processedFlag: '$DeskbotProcessed',
        processedFolder: 'Processed',
        maxBytes: 25 * 1024 * 1024,
      },
      handler: intake.handleInboundEmail,
      oversizedHandler: noOversized,
      state: createMailboxStateRepository(prisma),
      logger: createSilentLogger(),
      timings: { reconnect: { initialMs: 100, maxMs: 1_000 }, retry: { initialMs: 50, maxMs: 200 } },
      random: () => 0.5,
    });
    await source.start();
    const deadline = Date.now() + 30_000;
    while ((await prisma.conversationMessage.count()) < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));

    const ticket = await prisma.ticket.findFirstOrThrow({ where: { rootMessageId: '<imap-conv-1@acme.example>' } });
    const [request, reply] = await conversationOf(prisma, ticket.id);
    expect(request).toMatchObject({
      kind: 'request',
      fromAddress: 'ops@acme.example',
      displayText: 'The server crashes after startup.\nLicence number: 27A3-9F10-4C2B',
    });
    expect(request!.attachments).toEqual([expect.objectContaining({ filename: 'crash.log', size: log.length, notKept: null })]);
    const stored: Buffer[] = [];
    for await (const chunk of readBlob(prisma, request!.attachments[0]!.sha256!)) stored.push(chunk);
    expect(createHash('sha256').update(Buffer.concat(stored)).digest('hex')).toBe(createHash('sha256').update(log).digest('hex'));
    expect(reply).toMatchObject({ kind: 'reply', displayText: 'It also happens in safe mode.' });
    expect(reply!.text).toContain('> Please try safe mode.');
    expect(await prisma.outbox.count({ where: { kind: 'ticket-file', ticketId: ticket.id } })).toBe(1);
  });
});
