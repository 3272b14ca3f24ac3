// A 20 MB attachment on PostgreSQL: kept whole through intake and uploaded to Slack, with the process's RSS growth
// sampled during each step staying well under the attachment's size x 3. Proves content is streamed in slices and
// chunk rows, not held whole (the raw message itself is in memory before the baseline, as intake receives it).
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../../src/app/import-directory.ts';
import { createInboundEmailHandler } from '../../../src/app/intake/handle-inbound-email.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { postFileBytes } from '../../../src/channels/slack/web-api.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { conversationOf, readBlob } from '../../../src/store/conversation-repository.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { backends } from '../../helpers/backends.ts';
import { buildMail } from '../../helpers/mime.ts';
import http from 'node:http';
import { intakeConfig } from '../../helpers/intake-config.ts';

const postgres = backends.find((backend) => backend.name === 'postgres')!;
const attachmentBytes = 20 * 1024 * 1024;
const maxGrowthBytes = 60 * 1024 * 1024;

/** Runs `work` while sampling RSS every 10 ms; returns the highest RSS above the level before it started. */
async function rssGrowthDuring(work: () => Promise<void>): Promise<number> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return peak - before;
}

describe.runIf(postgres.available || process.env.CI === 'true')('a 20 MB attachment on PostgreSQL', () => {
  let handle: Awaited<ReturnType<typeof postgres.open>>;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-attachment-memory-'));
  beforeAll(async () => {
    handle = await postgres.open();
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(handle.database.prisma, defaultPolicy()), policy: defaultPolicy() });
  });
  afterAll(async () => {
    await handle?.dispose();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is kept through intake and streamed to an upload URL with RSS growth under 60 MB each', async () => {
    const prisma = handle.database.prisma;
    let content: Buffer | null = randomBytes(attachmentBytes);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const raw = buildMail({
      messageId: '<big-attachment-1@acme.example>',
      subject: 'Kerio Connect 10.0.1 crashes on startup, severity 4',
      text: 'Core dump attached. Licence number: 27A3-9F10-4C2B\n',
      attachments: [{ filename: 'core.dmp', content }],
    });
    content = null;
    const intake = createInboundEmailHandler({
      ...storeAccess(prisma, defaultPolicy()),
      parser: mailParser,
      policy: defaultPolicy(),
      clock: { now: () => new Date('2026-11-17T15:00:00Z') },
      logger: createSilentLogger(),
      renderer: createTemplateRenderer(),
      config: intakeConfig(dataDir, { MAIL_MAX_BYTES: 40 * 1024 * 1024 }),
    });
    let ticketId = 0;
    const intakeGrowth = await rssGrowthDuring(async () => {
      const result = await intake.handleInboundEmail(raw, { kind: 'stdin' });
      expect(result.outcome).toBe('ticket');
      ticketId = result.ticketId!;
    });
    const [message] = await conversationOf(prisma, ticketId);
    expect(message!.attachments).toEqual([expect.objectContaining({ filename: 'core.dmp', size: attachmentBytes, sha256, notKept: null })]);
    expect(intakeGrowth).toBeLessThan(maxGrowthBytes);

    // The upload reads the chunks back one at a time; a loopback server hashes what arrives.
    const received = createHash('sha256');
    let receivedBytes = 0;
    const server = http.createServer((request, response) => {
      request.on('data', (chunk: Buffer) => {
        received.update(chunk);
        receivedBytes += chunk.length;
      });
      request.on('end', () => response.end('OK'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const uploadGrowth = await rssGrowthDuring(() => postFileBytes(`http://127.0.0.1:${port}/upload`, readBlob(prisma, sha256), attachmentBytes));
      expect(receivedBytes).toBe(attachmentBytes);
      expect(received.digest('hex')).toBe(sha256);
      expect(uploadGrowth).toBeLessThan(maxGrowthBytes);
      console.info(`20 MB attachment: RSS growth ${(intakeGrowth / 1048576).toFixed(1)} MB in intake, ${(uploadGrowth / 1048576).toFixed(1)} MB in the upload`);
    } finally {
      server.close();
    }
  });
});
