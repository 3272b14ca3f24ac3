// The Slack outbox handler through the real dispatcher: the ticket's one triage message, thread replies and
// chat.update for later events, SLA warnings and breaches, charge notices, Retry-After on 429, escaping of customer
// text, and Slack off. The Web API is nock on SLACK_API_URL; every expected call is asserted with scope.done().
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { assign, respond, type EngineerActionDeps } from '../../../src/app/engineer/index.ts';
import { createSlackOutboxHandler } from '../../../src/channels/slack/outbox-handler.ts';
import { enqueueOutboxRow } from '../../../src/store/outbox-repository.ts';
import { seedCustomer, seedTicket, type SeededCustomer } from './seed.ts';
import { captureApi, engineer, slackApiBase, startSlackHarness, triageChannel, billingChannel, parseApiBody, type SlackHarness } from './harness.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { storeAccess } from '../../../src/store/transactor.ts';

let harness: SlackHarness;
let customer: SeededCustomer;
let actions: EngineerActionDeps;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness({ channel: { rateLimits: { postPerChannelMs: 20 } } });
  customer = await seedCustomer(harness.database.prisma, { name: 'Evil & Sons <!channel>' });
  actions = {
    ...storeAccess(harness.database, harness.policy),
    policy: harness.policy,
    clock: harness.clock,
    config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' },
    renderer: createTemplateRenderer(),
  };
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
let ts = 1000;
const nextTs = () => `1772445600.${String((ts += 1)).padStart(6, '0')}`;

async function newTicket(options: Partial<Parameters<typeof seedTicket>[2]> = {}) {
  return seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now(), ...options });
}

async function enqueue(kind: string, payload: Record<string, unknown>, ticketId: number) {
  await enqueueOutboxRow(
    prisma(),
    { idempotencyKey: `test:${kind}:${ticketId}:${nextTs()}`, channel: 'slack', kind, payload: payload as never, ticketId },
    harness.clock.now(),
  );
}

/** Posts the ticket's triage message (ticket-opened) and returns its ts. */
async function postParent(ticket: { id: number; requestId: string }) {
  const parentTs = nextTs();
  const post = captureApi('chat.postMessage', { ok: true, channel: triageChannel, ts: parentTs });
  await enqueue('ticket-opened', { ticketId: ticket.id, requestId: ticket.requestId }, ticket.id);
  await harness.dispatcher.drain();
  post.scope.done();
  return { parentTs, message: post.bodies[0]! };
}

describe('ticket messages', () => {
  it('posts one Block Kit message per new ticket and stores its channel and ts', async () => {
    const ticket = await newTicket({ subject: 'Server down', severity: 4 });
    const { parentTs, message } = await postParent(ticket);
    expect(message.channel).toBe(triageChannel);
    expect(message.unfurl_links).toBe('false');
    const blocks = JSON.stringify(message.blocks);
    for (const part of [
      ticket.requestId,
      'Server down',
      '4 Major',
      'Jane Roe',
      'jane@acme.example',
      'Initial response due <!date^',
      'Assign to me',
      'Set severity',
      'Waiting on customer',
      'Reply to customer',
      'Close',
    ]) {
      expect(blocks).toContain(part);
    }
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ slackChannel: triageChannel, slackTs: parentTs });
    const sent = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(sent.status).toBe('sent');
  });

  it('puts later events in the thread and updates the parent in place', async () => {
    const ticket = await newTicket();
    const { parentTs } = await postParent(ticket);
    await assign(actions, { requestId: ticket.requestId, assignee: 'UOTHER001', actor: { slackId: engineer } });
    const reply = captureApi('chat.postMessage', { ok: true, ts: nextTs() });
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    reply.scope.done();
    update.scope.done();
    expect(reply.bodies[0]).toMatchObject({ channel: triageChannel, thread_ts: parentTs });
    expect(String(reply.bodies[0]!.text)).toBe(`:bust_in_silhouette: <@${engineer}> assigned the request to <@UOTHER001>.`);
    expect(update.bodies[0]).toMatchObject({ channel: triageChannel, ts: parentTs });
    expect(JSON.stringify(update.bodies[0]!.blocks)).toContain('<@UOTHER001>');
  });

  it('updates the parent once for several queued changes of a ticket: the last row brings it up to date', async () => {
    const ticket = await newTicket();
    const { parentTs } = await postParent(ticket);
    await assign(actions, { requestId: ticket.requestId, assignee: 'UOTHER001', actor: { slackId: engineer } });
    await assign(actions, { requestId: ticket.requestId, assignee: 'UOTHER002', actor: { slackId: engineer } });
    await assign(actions, { requestId: ticket.requestId, assignee: 'UOTHER003', actor: { slackId: engineer } });
    const replies = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 3);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    replies.scope.done();
    update.scope.done();
    // Every change in the thread, in order; one chat.update, showing the last assignee.
    expect(replies.bodies.map((body) => String(body.text).match(/<@(UOTHER\d+)>/)?.[1])).toEqual(['UOTHER001', 'UOTHER002', 'UOTHER003']);
    expect(update.bodies).toHaveLength(1);
    expect(update.bodies[0]).toMatchObject({ channel: triageChannel, ts: parentTs });
    expect(JSON.stringify(update.bodies[0]!.blocks)).toContain('<@UOTHER003>');
    expect(await prisma().outbox.count({ where: { status: { not: 'sent' } } })).toBe(0);
  });

  it('shows customer mail in the thread with its subject', async () => {
    const ticket = await newTicket();
    const { parentTs } = await postParent(ticket);
    await prisma().inboundMessage.create({
      data: {
        messageId: '<m2@acme.example>',
        rawSize: 100,
        fromAddress: 'jane@acme.example',
        subject: 'Re: still broken <@U123>',
        receivedAt: harness.clock.now(),
        outcome: 'reply',
        ticketId: ticket.id,
      },
    });
    const event = await prisma().ticketEvent.create({
      data: {
        ticketId: ticket.id,
        type: 'mail-received',
        at: harness.clock.now(),
        actor: 'jane@acme.example',
        detail: { messageId: '<m2@acme.example>', kind: 'reply' },
      },
    });
    await enqueue('ticket-event', { ticketId: ticket.id, eventId: Number(event.id) }, ticket.id);
    const reply = captureApi('chat.postMessage', { ok: true, ts: nextTs() });
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    reply.scope.done();
    update.scope.done();
    expect(reply.bodies[0]).toMatchObject({ thread_ts: parentTs, text: ':incoming_envelope: Mail from jane@acme.example: *Re: still broken &lt;@U123&gt;*' });
  });

  it('posts the parent first when an event arrives before ticket-opened was delivered', async () => {
    const ticket = await newTicket();
    await assign(actions, { requestId: ticket.requestId, assignee: engineer, actor: { slackId: engineer } });
    const parentTs = nextTs();
    const posts = captureApi('chat.postMessage', (body) => ({ ok: true, channel: triageChannel, ts: body.thread_ts ? nextTs() : parentTs }), 2);
    await harness.dispatcher.drain();
    posts.scope.done();
    expect(posts.bodies[0]!.thread_ts).toBeUndefined();
    expect(posts.bodies[1]!.thread_ts).toBe(parentTs);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).slackTs).toBe(parentTs);
  });
});

describe('escaping customer text', () => {
  const hostile = '<!channel> <@U123> <http://evil.example|click> &amp; <!here|here>';

  it('escapes &, < and > everywhere customer text appears: parent, update and thread', async () => {
    const ticket = await newTicket({ subject: hostile, requesterName: '<@UBOSS0001> Mallory', requesterEmail: 'mallory@acme.example' });
    const { message } = await postParent(ticket);
    const posted = JSON.stringify(message.blocks) + String(message.text);
    for (const raw of ['<!channel>', '<@U123>', '<http://evil.example|click>', '<!here|here>', '<@UBOSS0001>', '<!channel']) expect(posted).not.toContain(raw);
    expect(posted).toContain('&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|click&gt; &amp;amp; &lt;!here|here&gt;');
    expect(posted).toContain('&lt;@UBOSS0001&gt; Mallory');
    expect(posted).toContain('Evil &amp; Sons &lt;!channel&gt;');

    await respond(actions, { requestId: ticket.requestId, text: `Quoting you: ${hostile}`, actor: { slackId: engineer, name: 'Eve' } });
    const reply = captureApi('chat.postMessage', { ok: true, ts: nextTs() });
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    reply.scope.done();
    update.scope.done();
    const thread = String(reply.bodies[0]!.text);
    expect(thread).toContain('>Quoting you: &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil.example|click&gt; &amp;amp; &lt;!here|here&gt;');
    expect(thread).not.toContain('<!channel>');
    expect(JSON.stringify(update.bodies[0]!.blocks)).not.toContain('<!channel>');
  });
});

describe('SLA notices', () => {
  it('warns the assignee in the thread, mentioning them', async () => {
    const ticket = await newTicket({ assigneeSlackId: engineer });
    const { parentTs } = await postParent(ticket);
    const dueAt = new Date(harness.clock.now().getTime() + 3_600_000);
    await enqueue(
      'sla-warning',
      { ticketId: ticket.id, requestId: ticket.requestId, target: 'initial-response', dueAt: dueAt.toISOString(), assigneeSlackId: engineer },
      ticket.id,
    );
    const open = captureApi('conversations.open', { ok: true, channel: { id: 'DMGR00001' } });
    const reply = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 3);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    open.scope.done();
    reply.scope.done();
    update.scope.done();
    expect(reply.bodies[0]).toMatchObject({ thread_ts: parentTs });
    expect(reply.bodies[0]!.reply_broadcast).toBeUndefined();
    expect(String(reply.bodies[0]!.text)).toMatch(
      new RegExp(`^:large_orange_circle: <@${engineer}> Initial response of ${ticket.requestId} is due <!date\\^\\d+\\^.*\\(in 1 h\\)\\.$`),
    );
    // The managers hear of it before the breach: each manager by DM, a managers' channel directly.
    expect(reply.bodies.slice(1).map((body) => body.channel)).toEqual(['DMGR00001', 'CMANAGERS']);
    for (const body of reply.bodies.slice(1)) {
      expect(body.thread_ts).toBeUndefined();
      expect(String(body.text)).toMatch(
        new RegExp(`^:large_orange_circle: \\*SLA at risk on ${ticket.requestId}\\*: Initial response is due .*\\(in 1 h\\)\\.`),
      );
      expect(String(body.text)).toContain(`Customer: Evil &amp; Sons &lt;!channel&gt; · Severity 3 Minor · Assignee: <@${engineer}>`);
    }
  });

  it('broadcasts the warning of an unassigned ticket to the triage channel', async () => {
    const ticket = await newTicket();
    await postParent(ticket);
    await enqueue(
      'sla-warning',
      { ticketId: ticket.id, requestId: ticket.requestId, target: 'progress-update', dueAt: harness.clock.now().toISOString(), assigneeSlackId: null },
      ticket.id,
    );
    const open = captureApi('conversations.open', { ok: true, channel: { id: 'DMGR00001' } });
    const reply = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 3);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    open.scope.done();
    reply.scope.done();
    update.scope.done();
    expect(reply.bodies[0]).toMatchObject({ channel: triageChannel, reply_broadcast: 'true' });
    expect(String(reply.bodies[0]!.text)).toContain('<!here> unassigned');
    expect(String(reply.bodies[1]!.text)).toContain('Assignee: _unassigned_');
  });

  it('tells every manager of a breach (users by DM, channels directly) and the thread; a retry skips who was told', async () => {
    const ticket = await newTicket();
    const { parentTs } = await postParent(ticket);
    const payload = {
      ticketId: ticket.id,
      requestId: ticket.requestId,
      customer: 'Acme <Corp>',
      severity: 5,
      target: 'initial-response',
      dueAt: harness.clock.now().toISOString(),
      lateByMs: 120_000,
      assigneeSlackId: null,
    };
    await enqueue('sla-breach', payload, ticket.id);
    const open = captureApi('conversations.open', { ok: true, channel: { id: 'DMGR00001' } });
    const dm = nock(slackApiBase)
      .post('/api/chat.postMessage', (body) => parseApiBody(body).channel === 'DMGR00001')
      .reply(200, { ok: true, ts: nextTs() });
    const failing = nock(slackApiBase)
      .post('/api/chat.postMessage', (body) => parseApiBody(body).channel === 'CMANAGERS')
      .reply(500, 'oops');
    await harness.dispatcher.drain();
    open.scope.done();
    dm.done();
    failing.done();
    const row = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id, kind: 'sla-breach' } });
    expect(row).toMatchObject({ status: 'pending', attempts: 1 });
    expect(row.lastError).toMatch(/SLACK_API/);

    harness.clock.advance(60_000);
    const channelPost = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 2);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    channelPost.scope.done();
    update.scope.done();
    expect(channelPost.bodies.map((body) => body.channel)).toEqual(['CMANAGERS', triageChannel]);
    expect(channelPost.bodies[1]!.thread_ts).toBe(parentTs);
    const text = String(channelPost.bodies[0]!.text);
    expect(text).toContain(`*SLA breach on ${ticket.requestId}*`);
    expect(text).toContain('2 min late');
    expect(text).toContain('Acme &lt;Corp&gt;');
    expect((await prisma().outbox.findUniqueOrThrow({ where: { id: row.id } })).status).toBe('sent');
  });
});

describe('charge notices', () => {
  const notice = (ticket: { id: number; requestId: string }, chargeable: boolean) => ({
    ticketId: ticket.id,
    requestId: ticket.requestId,
    customer: 'Acme Corp',
    licence: 'L-ACME-1',
    amountMinor: chargeable ? 8000 : 0,
    currency: 'USD',
    chargeable,
    reason: chargeable ? 'resolved' : 'bug',
    explanation: chargeable
      ? 'Charged $80.00 plus applicable taxes: the incident was resolved.'
      : 'Free: the incident ended in a bug report or a known product bug.',
    outcome: chargeable ? 'resolved' : 'bug',
    closedBy: engineer,
  });

  it('posts a chargeable closure to billing as a charge notice, and closes the thread', async () => {
    const ticket = await newTicket();
    const { parentTs } = await postParent(ticket);
    await enqueue('charge-notice', notice(ticket, true), ticket.id);
    const posts = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 2);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    posts.scope.done();
    update.scope.done();
    expect(posts.bodies[0]).toMatchObject({ channel: billingChannel });
    expect(String(posts.bodies[0]!.text)).toMatch(
      new RegExp(`^:moneybag: \\*Charge USD\\s80\\.00\\* for ${ticket.requestId}: Acme Corp \\(licence L-ACME-1\\)`),
    );
    expect(posts.bodies[1]).toMatchObject({ channel: triageChannel, thread_ts: parentTs });
    expect(String(posts.bodies[1]!.text)).toContain('charged USD');
  });

  it('lists a free closure in billing with its reason', async () => {
    const ticket = await newTicket();
    await postParent(ticket);
    await enqueue('charge-notice', notice(ticket, false), ticket.id);
    const posts = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 2);
    const update = captureApi('chat.update', { ok: true });
    await harness.dispatcher.drain();
    posts.scope.done();
    update.scope.done();
    expect(String(posts.bodies[0]!.text)).toMatch(
      new RegExp(`^:white_check_mark: No charge for ${ticket.requestId}: Acme Corp \\(licence L-ACME-1\\) \\(reason: bug\\)`),
    );
  });
});

describe('rate limits', () => {
  it('reschedules on 429 and posts once after Retry-After has passed', async () => {
    const ticket = await newTicket();
    await enqueue('ticket-opened', { ticketId: ticket.id, requestId: ticket.requestId }, ticket.id);
    const calls: Array<{ at: number; status: number }> = [];
    const limited = nock(slackApiBase)
      .post('/api/chat.postMessage')
      .reply(() => {
        calls.push({ at: performance.now(), status: 429 });
        return [429, '', { 'Retry-After': '1' }];
      });
    await harness.dispatcher.drain();
    limited.done();
    const row = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(row.status).toBe('pending');
    expect(row.lastError).toMatch(/^SLACK_RATE_LIMITED/);
    expect(row.nextAttemptAt.getTime() - harness.clock.now().getTime()).toBe(1_000);

    // Nothing is due before the Retry-After: a drain now sends nothing.
    await harness.dispatcher.drain();
    harness.clock.advance(1_000);
    const ok = nock(slackApiBase)
      .post('/api/chat.postMessage')
      .reply(() => {
        calls.push({ at: performance.now(), status: 200 });
        return [200, { ok: true, channel: triageChannel, ts: '1772445600.999999' }];
      });
    await harness.dispatcher.drain();
    ok.done();
    expect(calls.map((call) => call.status)).toEqual([429, 200]);
    // The limiter holds chat.postMessage in that channel back for the whole Retry-After, whatever the clock says.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(990);
    expect(await prisma().outbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ status: 'sent' });
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).slackTs).toBe('1772445600.999999');
  });
});

describe('SLA reports', () => {
  const report = 'Customer  Tickets\nAcme <Corp>  3\n';
  const enqueueReport = (chartPath: string | null) =>
    enqueueOutboxRow(
      prisma(),
      {
        idempotencyKey: `sla-report:test:${nextTs()}`,
        channel: 'slack',
        kind: 'sla-report',
        payload: { path: chartPath, from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', text: report },
      },
      harness.clock.now(),
    );

  it('uploads the chart to each manager with the report as its comment (getUploadURLExternal, POST, completeUploadExternal)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-sla-report-'));
    const chart = path.join(dir, 'sla-2026-11.png');
    const bytes = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    fs.writeFileSync(chart, bytes);
    await enqueueReport(chart);
    const open = captureApi('conversations.open', { ok: true, channel: { id: 'DMGR00001' } });
    let uploads = 0;
    const target = captureApi(
      'files.getUploadURLExternal',
      () => ({ ok: true, upload_url: `http://files.slack.test/upload/${(uploads += 1)}`, file_id: `F0${uploads}` }),
      2,
    );
    const received: Buffer[] = [];
    const upload = nock('http://files.slack.test')
      .post(/\/upload\/[12]$/)
      .times(2)
      .reply(200, (_uri, body) => {
        received.push(Buffer.from(body as string, 'hex'));
        return 'OK - 8';
      });
    const complete = captureApi('files.completeUploadExternal', { ok: true }, 2);
    await harness.dispatcher.drain();
    open.scope.done();
    target.scope.done();
    upload.done();
    complete.scope.done();
    expect(target.bodies.map((body) => [body.filename, body.length])).toEqual([
      ['sla-2026-11.png', String(bytes.length)],
      ['sla-2026-11.png', String(bytes.length)],
    ]);
    expect(received.map((body) => body.equals(bytes))).toEqual([true, true]);
    expect(complete.bodies.map((body) => body.channel_id)).toEqual(['DMGR00001', 'CMANAGERS']);
    expect(complete.bodies.map((body) => JSON.parse(String(body.files))[0].id)).toEqual(['F01', 'F02']);
    const comment = String(complete.bodies[0]!.initial_comment);
    expect(comment).toContain('*SLA report* 2026-11-01 to 2026-12-01');
    expect(comment).toContain('Acme &lt;Corp&gt;  3');
    expect(await prisma().outbox.findFirstOrThrow({ where: { kind: 'sla-report' } })).toMatchObject({ status: 'sent' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('posts the text alone when no chart was rendered', async () => {
    await enqueueReport(null);
    const open = captureApi('conversations.open', { ok: true, channel: { id: 'DMGR00001' } });
    const posts = captureApi('chat.postMessage', { ok: true, ts: nextTs() }, 2);
    await harness.dispatcher.drain();
    open.scope.done();
    posts.scope.done();
    expect(posts.bodies.map((body) => body.channel)).toEqual(['DMGR00001', 'CMANAGERS']);
    expect(String(posts.bodies[1]!.text)).toContain('Acme &lt;Corp&gt;  3');
    expect(await prisma().outbox.findFirstOrThrow({ where: { kind: 'sla-report' } })).toMatchObject({ status: 'sent' });
  });
});

describe('Slack off', () => {
  it('logs what it would post and reports nothing to Slack', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const handler = createSlackOutboxHandler({
      prisma: prisma(),
      policy: harness.policy,
      clock: harness.clock,
      logger,
      api: null,
      destinations: { managers: [] },
    });
    const ticket = await newTicket({ subject: 'Quiet ticket' });
    await handler.deliver({
      id: '1',
      channel: 'slack',
      kind: 'ticket-opened',
      payload: { ticketId: ticket.id, requestId: ticket.requestId },
      ticketId: ticket.id,
      attempts: 1,
    });
    expect(handler.healthPart).toBeUndefined();
    const logged = lines.map((line) => JSON.parse(line)).find((entry) => entry.event === 'slack-off-post');
    expect(logged).toMatchObject({ kind: 'ticket-opened', requestId: ticket.requestId });
    expect(logged.summary).toContain('Quiet ticket');
  });
});
