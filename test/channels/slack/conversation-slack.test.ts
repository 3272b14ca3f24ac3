// The conversation in Slack through the real dispatcher: the request's text on the triage card, a later mail's new
// text in the thread (cut at ~3,000 characters with a pointer to /support show), and attachments uploaded with
// files.getUploadURLExternal, a POST of the bytes to upload_url and files.completeUploadExternal (nock, scope.done()),
// a 429 on the upload retried after Retry-After, and files over SLACK_FILE_MAX_BYTES or not kept listed instead.
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEvent } from '../../../src/store/ticket-repository.ts';
import type { NewConversationAttachment } from '../../../src/app/conversation-records.ts';
import { recordConversationMessage, withBlobWriter } from '../../../src/store/conversation-repository.ts';
import { enqueueOutboxRow } from '../../../src/store/outbox-repository.ts';
import { seedCustomer, seedTicket, type SeededCustomer } from './seed.ts';
import { actionIds } from '../../../src/channels/slack/blocks/ids.ts';
import {
  blockActionBody,
  captureApi,
  captureResponses,
  eventually,
  sendSigned,
  slashCommandBody,
  startSlackHarness,
  triageChannel,
  type SlackHarness,
} from './harness.ts';

const uploadBase = 'http://files.slack.test';
const fileMaxBytes = 100_000;

let harness: SlackHarness;
let customer: SeededCustomer;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness({ env: { SLACK_FILE_MAX_BYTES: String(fileMaxBytes) }, channel: { rateLimits: { postPerChannelMs: 20 } } });
  customer = await seedCustomer(harness.database.prisma);
});
afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});
beforeEach(async () => {
  nock.cleanAll();
  await harness.database.prisma.outbox.deleteMany();
});
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

const prisma = () => harness.database.prisma;
let sequence = 0;
const nextTs = () => `1772445600.${String((sequence += 1)).padStart(6, '0')}`;

async function enqueue(kind: string, payload: Record<string, unknown>, ticketId: number) {
  await enqueueOutboxRow(
    prisma(),
    { idempotencyKey: `test:${kind}:${ticketId}:${nextTs()}`, channel: 'slack', kind, payload: payload as never, ticketId },
    harness.clock.now(),
  );
}

interface SeedFile {
  filename: string;
  content: Buffer;
  keep?: boolean;
}

/** Stores one message of a ticket's conversation as intake does (blob chunks first, then the rows). */
async function seedMessage(
  ticketId: number,
  options: { messageId: string; kind: 'request' | 'reply'; text: string; displayText?: string; files?: SeedFile[] },
) {
  const attachments: NewConversationAttachment[] = [];
  await withBlobWriter(prisma(), async (writer) => {
    for (const [position, file] of (options.files ?? []).entries()) {
      const sha256 = createHash('sha256').update(file.content).digest('hex');
      const keep = file.keep !== false;
      if (keep && (await writer.claim(sha256, file.content.length))) await writer.write(sha256, Readable.from([file.content]));
      attachments.push({
        position,
        filename: file.filename,
        contentType: 'application/octet-stream',
        size: file.content.length,
        sha256: keep ? sha256 : null,
        notKept: keep ? null : 'over-message-limit',
      });
    }
  });
  return prisma().$transaction(async (tx) =>
    recordConversationMessage(tx, {
      ticketId,
      messageId: options.messageId,
      kind: options.kind,
      fromAddress: 'jane@acme.example',
      fromName: 'Jane Roe',
      toAddresses: ['support@deskbot.local'],
      ccAddresses: [],
      receivedAt: harness.clock.now(),
      text: options.text,
      displayText: options.displayText ?? options.text,
      truncated: false,
      attachments,
    }),
  );
}

/** A ticket whose triage message is posted; returns it with the parent's ts and the posted body. */
async function postedTicket(requestText: string) {
  const ticket = await seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now() });
  await seedMessage(ticket.id, { messageId: `<req-${ticket.id}@acme.example>`, kind: 'request', text: requestText });
  const parentTs = nextTs();
  const post = captureApi('chat.postMessage', { ok: true, channel: triageChannel, ts: parentTs });
  await enqueue('ticket-opened', { ticketId: ticket.id, requestId: ticket.requestId }, ticket.id);
  await harness.dispatcher.drain();
  post.scope.done();
  return { ...ticket, parentTs, parent: post.bodies[0]! };
}

describe('customer text in Slack', () => {
  it('shows the first ~600 characters of the request on the triage card, escaped', async () => {
    const request = `Our server <!channel> crashes & restarts.\n${'The log says out of memory. '.repeat(40)}`;
    const { parent } = await postedTicket(request);
    const blocks = JSON.stringify(parent.blocks);
    expect(blocks).toContain('>Our server &lt;!channel&gt; crashes &amp; restarts.');
    expect(blocks).not.toContain('<!channel>');
    const description = (parent.blocks as Array<{ text?: { text: string } }>).find((block) => block.text?.text.startsWith('>Our server'))!.text!.text;
    expect(description.endsWith('…')).toBe(true);
    expect(description.replace(/^>/gm, '').length).toBeLessThanOrEqual(700);
  });

  it('posts a later mail’s new text in the thread, cut at ~3,000 characters with a pointer to /support show', async () => {
    const ticket = await postedTicket('Server down.');
    const long = `${'Step one did not help. '.repeat(200)}END-OF-MAIL`;
    await seedMessage(ticket.id, { messageId: `<reply-${ticket.id}@acme.example>`, kind: 'reply', text: `${long}\n\n> quoted`, displayText: long });
    const eventId = await appendEvent(prisma(), ticket.id, {
      type: 'mail-received',
      at: harness.clock.now(),
      actor: 'jane@acme.example',
      detail: { messageId: `<reply-${ticket.id}@acme.example>`, kind: 'reply' },
    });
    const thread = captureApi('chat.postMessage', { ok: true, ts: nextTs() });
    const update = captureApi('chat.update', { ok: true });
    await enqueue('ticket-event', { ticketId: ticket.id, eventId: Number(eventId) }, ticket.id);
    await harness.dispatcher.drain();
    thread.scope.done();
    update.scope.done();
    const text = String(thread.bodies[0]!.text);
    expect(thread.bodies[0]!.thread_ts).toBe(ticket.parentTs);
    expect(text).toContain('>Step one did not help.');
    expect(text).not.toContain('END-OF-MAIL');
    expect(text).not.toContain('quoted');
    expect(text).toContain('…');
    expect(text).toContain(`\`/support show ${ticket.requestId}\``);
    const quoted = text
      .split('\n')
      .filter((line) => line.startsWith('>'))
      .join('\n');
    expect(quoted.length).toBeGreaterThan(2900);
    expect(quoted.length).toBeLessThan(3100);
  });
});

describe('attachments in the thread', () => {
  it('uploads a file with the three-step flow, retrying a 429 on the byte upload after Retry-After', async () => {
    const ticket = await postedTicket('Log attached.');
    const content = randomBytes(70_000);
    const { attachmentIds } = await seedMessage(ticket.id, {
      messageId: `<files-${ticket.id}@acme.example>`,
      kind: 'reply',
      text: 'Log attached.',
      files: [{ filename: 'server.log', content }],
    });
    await enqueue('ticket-file', { ticketId: ticket.id, attachmentId: attachmentIds[0] }, ticket.id);

    const reserve = captureApi('files.getUploadURLExternal', { ok: true, upload_url: `${uploadBase}/upload/v1/first`, file_id: 'F0001' });
    const limited = nock(uploadBase).post('/upload/v1/first').reply(429, '', { 'Retry-After': '2' });
    await harness.dispatcher.drain();
    reserve.scope.done();
    limited.done();
    expect(reserve.bodies[0]).toMatchObject({ filename: 'server.log', length: String(content.length) });
    const row = await prisma().outbox.findFirstOrThrow({ where: { kind: 'ticket-file', ticketId: ticket.id } });
    expect(row.status).toBe('pending');
    expect(row.lastError).toMatch(/^SLACK_RATE_LIMITED/);
    expect(row.nextAttemptAt.getTime() - harness.clock.now().getTime()).toBe(2_000);

    harness.clock.advance(2_000);
    const again = captureApi('files.getUploadURLExternal', { ok: true, upload_url: `${uploadBase}/upload/v1/second`, file_id: 'F0002' });
    let uploaded = Buffer.alloc(0);
    let contentLength: string | undefined;
    const bytes = nock(uploadBase)
      .post('/upload/v1/second')
      .reply(function (_uri, body) {
        contentLength = this.req.headers['content-length'] as string | undefined;
        uploaded = Buffer.from(body as string, 'hex');
        return [200, 'OK - 70000'];
      });
    const complete = captureApi('files.completeUploadExternal', { ok: true, files: [{ id: 'F0002' }] });
    await harness.dispatcher.drain();
    again.scope.done();
    bytes.done();
    complete.scope.done();
    expect(uploaded.equals(content)).toBe(true);
    expect(contentLength).toBe(String(content.length));
    expect(complete.bodies[0]).toMatchObject({ channel_id: triageChannel, thread_ts: ticket.parentTs });
    expect(JSON.parse(String(complete.bodies[0]!.files))).toEqual([{ id: 'F0002', title: 'server.log' }]);
    expect((await prisma().outbox.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('sent');
  });

  it('lists a file over SLACK_FILE_MAX_BYTES and one not kept by name and size instead of uploading', async () => {
    const ticket = await postedTicket('Dump attached.');
    const { attachmentIds } = await seedMessage(ticket.id, {
      messageId: `<big-${ticket.id}@acme.example>`,
      kind: 'reply',
      text: 'Dump attached.',
      files: [
        { filename: 'core <!here>.dmp', content: randomBytes(fileMaxBytes + 1) },
        { filename: 'video.mp4', content: randomBytes(2048), keep: false },
      ],
    });
    for (const attachmentId of attachmentIds) await enqueue('ticket-file', { ticketId: ticket.id, attachmentId }, ticket.id);
    const posts = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 2);
    await harness.dispatcher.drain();
    posts.scope.done();
    const texts = posts.bodies.map((body) => String(body.text));
    expect(texts[0]).toContain('core &lt;!here&gt;.dmp (97.7 KB) is larger than 97.7 KB');
    expect(texts[0]).toContain(`/support show ${ticket.requestId}`);
    expect(texts[1]).toContain('video.mp4 (2.0 KB) was not kept');
    expect(posts.bodies.every((body) => body.thread_ts === ticket.parentTs)).toBe(true);
  });
});

describe('/support show and the reply modal', () => {
  const form = 'application/x-www-form-urlencoded' as const;

  it('/support show SR-… lists the last messages with their attachments’ names and sizes', async () => {
    const ticket = await seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now() });
    for (let index = 1; index <= 6; index += 1) {
      harness.clock.advance(60_000);
      await seedMessage(ticket.id, {
        messageId: `<show-${ticket.id}-${index}@acme.example>`,
        kind: index === 1 ? 'request' : 'reply',
        text: `Message number ${index} <!channel>\n\n> quoted ${index}`,
        displayText: `Message number ${index} <!channel>`,
        files:
          index === 6
            ? [
                { filename: 'trace.pcap', content: randomBytes(3000) },
                { filename: 'huge.iso', content: randomBytes(10), keep: false },
              ]
            : [],
      });
    }
    const command = slashCommandBody(`show ${ticket.requestId}`);
    const answer = captureResponses(command.responsePath);
    expect((await sendSigned(harness, command.body, form)).status).toBe(200);
    await eventually(() => answer.scope.isDone() && answer.bodies.length > 0);
    const text = String(answer.bodies[0]!.text);
    expect(text).toContain('*Conversation* (the last 5)');
    expect(text).not.toContain('Message number 1 ');
    for (const index of [2, 3, 4, 5, 6]) expect(text).toContain(`>Message number ${index} &lt;!channel&gt;`);
    expect(text).not.toContain('quoted');
    expect(text).toContain('Jane Roe &lt;jane@acme.example&gt;');
    expect(text).toContain(':paperclip: trace.pcap (2.9 KB)');
    expect(text).toContain(':paperclip: huge.iso (10 B, not kept: over ATTACHMENT_MAX_BYTES)');
    expect(text.indexOf('Message number 2')).toBeLessThan(text.indexOf('Message number 6'));
  });

  it('the reply modal opens at once, then shows the customer’s latest message above the text box', async () => {
    const ticket = await seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now() });
    await seedMessage(ticket.id, { messageId: `<modal-${ticket.id}-1@acme.example>`, kind: 'request', text: 'First mail.' });
    harness.clock.advance(60_000);
    await seedMessage(ticket.id, {
      messageId: `<modal-${ticket.id}-2@acme.example>`,
      kind: 'reply',
      text: 'Still broken & <b>worse</b>.',
      files: [{ filename: 'after.log', content: randomBytes(1500) }],
    });
    const action = blockActionBody({ actionId: actionIds.reply, value: ticket.requestId });
    const open = captureApi('views.open', { ok: true, view: { id: 'V0001', hash: 'h-1' } });
    const update = captureApi('views.update', { ok: true });
    expect((await sendSigned(harness, action.body, form)).status).toBe(200);
    await eventually(() => open.scope.isDone() && update.scope.isDone() && update.bodies.length > 0);
    expect(JSON.stringify(open.bodies[0]!.view)).not.toContain('Still broken');
    expect(update.bodies[0]).toMatchObject({ view_id: 'V0001', hash: 'h-1' });
    const view = update.bodies[0]!.view as { blocks: Array<{ type: string; block_id?: string; text?: { text: string } }> };
    const latestAt = view.blocks.findIndex((block) => block.block_id === 'reply_latest');
    const inputAt = view.blocks.findIndex((block) => block.type === 'input');
    expect(latestAt).toBeGreaterThan(-1);
    expect(latestAt).toBeLessThan(inputAt);
    const latest = view.blocks[latestAt]!.text!.text;
    expect(latest).toContain('>Still broken &amp; &lt;b&gt;worse&lt;/b&gt;.');
    expect(latest).not.toContain('First mail');
    expect(latest).toContain(':paperclip: after.log (1.5 KB)');
  });
});
