// The blob sweeper removes attachment blobs no attachment references once they are a day old, and keeps the rest.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBlobSweeper } from '../../src/jobs/blob-sweeper.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { withBlobWriter } from '../../src/store/conversation-repository.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { backends } from '../helpers/backends.ts';

const pglite = backends[0]!;

describe('blob sweeper', () => {
  let handle: Awaited<ReturnType<typeof pglite.open>>;
  beforeAll(async () => {
    handle = await pglite.open();
  });
  afterAll(async () => handle?.dispose());

  it('removes unreferenced blobs older than a day, with their chunks, and keeps referenced and young ones', async () => {
    const prisma = handle.database.prisma;
    const store = async (text: string) => {
      const content = Buffer.from(text);
      const sha256 = createHash('sha256').update(content).digest('hex');
      await withBlobWriter(prisma, async (writer) => {
        if (await writer.claim(sha256, content.length)) await writer.write(sha256, Readable.from([content]));
      });
      return sha256;
    };
    const orphan = await store('orphan');
    const kept = await store('kept');
    const ticket = await prisma.ticket.create({
      data: {
        requestId: 'SR-2026-900001',
        requesterKind: 'eligible-caller',
        requesterEmail: 'a@b.example',
        subject: 's',
        severity: 3,
        calendar: 'US',
        supportLevel: 'normal',
        openedAt: new Date(),
        priceMinor: 0,
        priceCurrency: 'USD',
      },
    });
    await prisma.conversationMessage.create({
      data: {
        ticketId: ticket.id,
        messageId: '<m@b.example>',
        kind: 'request',
        fromAddress: 'a@b.example',
        receivedAt: new Date(),
        text: 't',
        displayText: 't',
        attachments: { create: [{ position: 0, filename: 'k', contentType: 'text/plain', size: 4, sha256: kept }] },
      },
    });
    let now = Date.now();
    const sweeper = createBlobSweeper({ ...storeAccess(handle.database, defaultPolicy()), clock: { now: () => new Date(now) }, logger: createSilentLogger() });
    expect(await sweeper.sweep()).toBe(0);
    now += 2 * 86_400_000;
    expect(await sweeper.sweep()).toBe(1);
    expect((await prisma.attachmentBlob.findMany({ select: { sha256: true } })).map((blob) => blob.sha256)).toEqual([kept]);
    expect(await prisma.attachmentChunk.count({ where: { sha256: orphan } })).toBe(0);
    expect(await prisma.attachmentChunk.count({ where: { sha256: kept } })).toBe(1);
  });
});
