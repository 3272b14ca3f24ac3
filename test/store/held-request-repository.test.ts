// Held requests on PGlite and PostgreSQL: a claim finds the row by its own or its notice's Message-ID, for its sender
// only, within the age given, and takes it once; a second hold of the same Message-ID keeps the first row; a held
// mail's attachments come back with it, and their blobs outlive the blob sweeper until the held request is forgotten.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NewHeldRequest } from '../../src/app/held-request-records.ts';
import { deleteUnreferencedBlobs } from '../../src/store/conversation-repository.ts';
import { claimHeldRequest, forgetHeldRequests, holdRequest } from '../../src/store/held-request-repository.ts';
import { backends } from '../helpers/backends.ts';

const heldAt = new Date('2026-11-17T15:00:00Z');
const request: NewHeldRequest = {
  messageId: '<held1@paying.example>',
  noticeMessageId: '<notice1@deskbot.local>',
  fromAddress: 'ana@paying.example',
  fromName: 'Ana',
  toAddresses: ['support@deskbot.local'],
  ccAddresses: ['boss@paying.example', 'it@paying.example'],
  subject: 'VPN drops',
  text: 'The gateway drops VPN tunnels every hour.\n\nSeverity: 3',
  displayText: 'The gateway drops VPN tunnels every hour.',
  truncated: false,
  severity: 3,
  severitySource: 'number',
  product: 'Gateway',
  version: '9.4',
  summary: 'VPN drops. The gateway drops VPN tunnels every hour.',
  receivedAt: heldAt,
  attachments: [],
};
const { fromAddress: _fromAddress, ...expected } = request;

describe.each(backends)('held requests on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  beforeAll(async () => {
    if (backend.available) opened = await backend.open();
  });
  afterAll(async () => opened?.dispose());
  beforeEach(async () => {
    if (backend.available)
      await opened.database.prisma.$executeRawUnsafe('TRUNCATE "HeldRequest", "HeldRequestAttachment", "AttachmentBlob" RESTART IDENTITY CASCADE');
  });
  const test = it.skipIf(!backend.available);
  const claim = (overrides: Partial<Parameters<typeof claimHeldRequest>[1]> = {}) =>
    claimHeldRequest(opened.database.prisma, {
      sender: 'ana@paying.example',
      messageIds: ['<notice1@deskbot.local>'],
      since: new Date(heldAt.getTime() - 1000),
      at: new Date(heldAt.getTime() + 600_000),
      by: '<answer@paying.example>',
      ...overrides,
    });

  test('a claim by the notice or the held Message-ID returns what was held, once', async () => {
    await holdRequest(opened.database.prisma, request);
    await holdRequest(opened.database.prisma, { ...request, noticeMessageId: '<notice2@deskbot.local>', subject: 'again' });
    expect(await claim({ messageIds: ['<other@x>', '<held1@paying.example>'] })).toEqual(expected);
    expect(await claim()).toBeNull();
    const row = await opened.database.prisma.heldRequest.findUniqueOrThrow({ where: { messageId: request.messageId } });
    expect(row).toMatchObject({ usedByMessageId: '<answer@paying.example>', usedAt: new Date(heldAt.getTime() + 600_000), subject: 'VPN drops' });
  });

  test('another sender, other Message-IDs and a held request older than `since` get nothing, and leave it unused', async () => {
    await holdRequest(opened.database.prisma, request);
    expect(await claim({ sender: 'sid@sister.example' })).toBeNull();
    expect(await claim({ messageIds: ['<unrelated@paying.example>'] })).toBeNull();
    expect(await claim({ messageIds: [] })).toBeNull();
    expect(await claim({ since: new Date(heldAt.getTime() + 1) })).toBeNull();
    expect(await claim()).toEqual(expected);
  });

  test("a held mail's attachments are kept with it and returned by the claim; its blobs survive the sweeper until it is forgotten", async () => {
    const { prisma } = opened.database;
    const sha256 = 'a'.repeat(64);
    await prisma.$executeRawUnsafe(
      `INSERT INTO "AttachmentBlob" ("sha256", "size", "createdAt") VALUES ($1, 7, $2::timestamptz)`,
      sha256,
      heldAt.toISOString(),
    );
    const attachments = [
      { position: 0, filename: 'server.log', contentType: 'text/plain', size: 7, sha256, notKept: null },
      { position: 1, filename: 'core.dump', contentType: 'application/octet-stream', size: 90_000_000, sha256: null, notKept: 'over-message-limit' as const },
    ];
    await holdRequest(prisma, { ...request, attachments });
    // A second hold of the same Message-ID (a retried message) adds no second set.
    await holdRequest(prisma, { ...request, attachments: [attachments[0]!] });
    expect(await prisma.heldRequestAttachment.count()).toBe(2);
    const later = new Date(heldAt.getTime() + 2 * 86_400_000);
    expect(await deleteUnreferencedBlobs(prisma, later)).toBe(0);
    expect(await claim()).toEqual({ ...expected, attachments });
    expect(await forgetHeldRequests(prisma, later)).toBe(1);
    expect(await prisma.heldRequestAttachment.count()).toBe(0);
    expect(await deleteUnreferencedBlobs(prisma, later)).toBe(1);
  });

  test('forgets the held requests received before the cutoff, used or not, and keeps the newer ones', async () => {
    const older = new Date(heldAt.getTime() - 31 * 86_400_000);
    await holdRequest(opened.database.prisma, { ...request, messageId: '<old@paying.example>', noticeMessageId: null, receivedAt: older });
    await holdRequest(opened.database.prisma, request);
    expect(await forgetHeldRequests(opened.database.prisma, new Date(heldAt.getTime() - 30 * 86_400_000))).toBe(1);
    const left = await opened.database.prisma.heldRequest.findMany({ select: { messageId: true } });
    expect(left).toEqual([{ messageId: request.messageId }]);
  });
});
