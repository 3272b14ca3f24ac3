// Every button on a ticket's message and both modals, as signed interactivity payloads into Bolt: the store after
// each click, the ephemeral answers on the response_url, views.open right after ack, and the e-mail outbox row a
// "Reply to customer" submission queues.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionIds, inputIds, viewIds } from '../../../src/channels/slack/blocks/ids.ts';
import { ticketMessage } from '../../../src/channels/slack/blocks/ticket-message.ts';
import { loadTicketCard } from '../../../src/store/ticket-queries.ts';
import { seedCustomer, seedTicket, type SeededCustomer } from './seed.ts';
import {
  blockActionBody,
  captureApi,
  captureResponses,
  engineer,
  eventually,
  outsider,
  sendSigned,
  slackApiBase,
  startSlackHarness,
  viewSubmissionBody,
  type ActionBodyOptions,
  type SlackHarness,
} from './harness.ts';

let harness: SlackHarness;
let customer: SeededCustomer;
const form = 'application/x-www-form-urlencoded' as const;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness();
  customer = await seedCustomer(harness.database.prisma);
});

afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});

beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

const prisma = () => harness.database.prisma;

async function newTicket(options: Partial<Parameters<typeof seedTicket>[2]> = {}) {
  return seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now(), ...options });
}

/** Clicks a button; returns the ephemeral answer. */
async function click(options: ActionBodyOptions): Promise<string> {
  const action = blockActionBody(options);
  const answer = captureResponses(action.responsePath);
  const result = await sendSigned(harness, action.body, form);
  expect(result.status).toBe(200);
  await eventually(() => answer.scope.isDone() && answer.bodies.length > 0);
  expect(answer.bodies[0]).toMatchObject({ response_type: 'ephemeral', replace_original: false });
  return String(answer.bodies[0]!.text);
}

describe('ticket buttons', () => {
  it('Assign to me assigns the clicking engineer', async () => {
    const ticket = await newTicket();
    expect(await click({ actionId: actionIds.assignToMe, value: ticket.requestId })).toMatch(/assigned to you/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeSlackId).toBe(engineer);
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id, kind: 'ticket-event' } })).toBe(1);
  });

  it('handles the same click delivered twice once', async () => {
    const ticket = await newTicket();
    const first = blockActionBody({ actionId: actionIds.assignToMe, value: ticket.requestId, actionTs: '1772445600.000001' });
    const answer = captureResponses(first.responsePath);
    await sendSigned(harness, first.body, form);
    await eventually(() => answer.scope.isDone() && answer.bodies.length > 0);
    await prisma().ticket.update({ where: { id: ticket.id }, data: { assigneeSlackId: null } });
    const again = await sendSigned(harness, first.body, form, { headers: { 'x-slack-retry-num': '1' } });
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeSlackId).toBeNull();
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(1);
  });

  it('refuses a click from someone without a role, and nothing changes', async () => {
    const ticket = await newTicket();
    for (const actionId of [actionIds.assignToMe, actionIds.waitOnCustomer, actionIds.reply, actionIds.close]) {
      expect(await click({ actionId, value: ticket.requestId, user: outsider })).toMatch(/only support engineers and managers/);
    }
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ assigneeSlackId: null, status: 'open' });
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(0);
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('Set severity (select) changes the severity and retargets', async () => {
    const ticket = await newTicket({ severity: 3 });
    expect(await click({ actionId: actionIds.setSeverity, blockId: `ticket:${ticket.requestId}`, selected: '4' })).toMatch(
      /is now severity 4 Major \(was 3 [^)]+\); its SLA targets follow/,
    );
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).severity).toBe(4);
    const timer = await prisma().slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'initial-response' } });
    expect(timer.dueAt!.getTime() - harness.clock.now().getTime()).toBe(8 * 3_600_000);
  });

  it('Set severity to the severity the ticket already has says so, changing nothing', async () => {
    const ticket = await newTicket({ severity: 3 });
    const eventsBefore = await prisma().ticketEvent.count({ where: { ticketId: ticket.id } });
    expect(await click({ actionId: actionIds.setSeverity, blockId: `ticket:${ticket.requestId}`, selected: '3' })).toMatch(
      new RegExp(`${ticket.requestId} already has severity 3 `),
    );
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).severity).toBe(3);
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(eventsBefore);
  });

  it('Set severity on an incomplete request that lacked only the severity starts its clock', async () => {
    const ticket = await newTicket({ complete: false, missingInfo: ['severity'] });
    await click({ actionId: actionIds.setSeverity, blockId: `ticket:${ticket.requestId}`, selected: '5' });
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ severity: 5, status: 'open', missingInfo: [] });
    expect(row.clockStartedAt).toEqual(harness.clock.now());
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id } })).toBe(2);
  });

  it('Waiting on customer pauses and Resume resumes', async () => {
    const ticket = await newTicket();
    expect(await click({ actionId: actionIds.waitOnCustomer, value: ticket.requestId })).toMatch(/paused/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('waiting');
    expect(await click({ actionId: actionIds.resume, value: ticket.requestId })).toMatch(/runs again/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
  });

  it('Waiting on customer on an incomplete request explains why not', async () => {
    const ticket = await newTicket({ complete: false });
    expect(await click({ actionId: actionIds.waitOnCustomer, value: ticket.requestId })).toMatch(/still incomplete/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('new');
  });

  it('Reopen reopens a closed ticket', async () => {
    const ticket = await newTicket();
    await prisma().ticket.update({ where: { id: ticket.id }, data: { status: 'closed', closedAt: harness.clock.now(), outcome: 'resolved' } });
    expect(await click({ actionId: actionIds.reopen, value: ticket.requestId })).toMatch(/Reopened/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
  });

  it('Reply to customer opens the modal with the trigger_id straight after ack', async () => {
    const ticket = await newTicket();
    const action = blockActionBody({ actionId: actionIds.reply, value: ticket.requestId });
    const open = captureApi('views.open');
    const result = await sendSigned(harness, action.body, form);
    expect(result.status).toBe(200);
    await eventually(() => open.scope.isDone() && open.bodies.length > 0);
    expect(open.bodies[0]!.trigger_id).toBe(action.triggerId);
    const view = open.bodies[0]!.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe(viewIds.reply);
    expect(JSON.parse(view.private_metadata)).toEqual({ requestId: ticket.requestId, channel: 'CTRIAGE01' });
  });

  it.each([
    ['Reply', actionIds.reply],
    ['Close', actionIds.close],
  ])('%s on a closed ticket turns the modal into a notice that it is closed, so nothing is typed in vain', async (_name, actionId) => {
    const ticket = await newTicket();
    await prisma().ticket.update({ where: { id: ticket.id }, data: { status: 'closed', closedAt: harness.clock.now(), outcome: 'resolved' } });
    const open = captureApi('views.open', () => ({ ok: true, view: { id: 'VCLOSED01', hash: 'h1' } }));
    const update = captureApi('views.update');
    await sendSigned(harness, blockActionBody({ actionId, value: ticket.requestId }).body, form);
    await eventually(() => update.bodies.length > 0);
    const view = update.bodies[0]!.view as { title: { text: string }; submit?: unknown; blocks: Array<{ text: { text: string } }> };
    expect(update.bodies[0]!.view_id).toBe('VCLOSED01');
    expect(view.title.text).toBe('Request closed');
    expect(view.submit).toBeUndefined();
    expect(view.blocks[0]!.text.text).toContain(`${ticket.requestId} is closed: nothing can be sent or changed on it.`);
    expect(open.bodies).toHaveLength(1);
  });

  it('Close opens the close modal', async () => {
    const ticket = await newTicket();
    const action = blockActionBody({ actionId: actionIds.close, value: ticket.requestId });
    const open = captureApi('views.open');
    await sendSigned(harness, action.body, form);
    await eventually(() => open.scope.isDone() && open.bodies.length > 0);
    expect((open.bodies[0]!.view as { callback_id: string }).callback_id).toBe(viewIds.close);
  });
});

describe('Reply to customer modal', () => {
  const replyValues = (text: string) => ({ [inputIds.replyText.block]: { [inputIds.replyText.element]: { type: 'plain_text_input', value: text } } });

  it('queues the engineer-reply mail threaded under the customer’s last mail, and records the SLA update, once', async () => {
    const ticket = await newTicket({ rootMessageId: '<root@acme.example>', subject: 'Crash on start' });
    // The customer wrote again later: the reply threads under that mail.
    harness.clock.advance(60_000);
    await prisma().messageRef.create({ data: { messageId: '<second@acme.example>', ticketId: ticket.id, direction: 'in', at: harness.clock.now() } });
    harness.clock.advance(60_000);
    const body = viewSubmissionBody({
      callbackId: viewIds.reply,
      viewId: 'VREPLY0001',
      metadata: { requestId: ticket.requestId, channel: 'CTRIAGE01' },
      values: replyValues('Hello Jane,\n\nplease send the log file <server.log>.'),
    });
    const result = await sendSigned(harness, body, form);
    expect(result.status).toBe(200);
    expect(result.text).toBe('');
    const mail = await eventually(() => prisma().outbox.findFirst({ where: { ticketId: ticket.id, channel: 'email' } }));
    expect(mail.kind).toBe('engineer-reply');
    const payload = mail.payload as Record<string, unknown>;
    expect(payload).toMatchObject({
      template: 'engineer-reply',
      to: [{ address: 'jane@acme.example', name: 'Jane Roe' }],
      autoSubmitted: 'no',
      inReplyTo: '<second@acme.example>',
      references: ['<root@acme.example>', '<second@acme.example>'],
      requestId: ticket.requestId,
    });
    expect(payload.subject).toBe(`Re: Crash on start [${ticket.requestId}]`);
    expect(String(payload.text)).toContain('please send the log file <server.log>.');
    expect(String(payload.text)).toContain('eve.engineer');
    expect(String(payload.messageId)).toMatch(/^<deskbot\.[0-9a-f-]{36}@vendor\.example>$/);
    const ref = await prisma().messageRef.findUniqueOrThrow({ where: { messageId: String(payload.messageId) } });
    expect(ref).toMatchObject({ ticketId: ticket.id, direction: 'out' });
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.firstResponseAt).toEqual(harness.clock.now());
    expect(row.lastEngineerUpdateAt).toEqual(harness.clock.now());
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id, target: 'initial-response', metAt: { not: null } } })).toBe(1);
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id, target: 'progress-update', cycle: 2, metAt: null } })).toBe(1);
    const event = await prisma().ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id, type: 'engineer-response' } });
    expect(event.detail).toMatchObject({ initialResponse: true, messageId: payload.messageId });
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id, channel: 'slack', kind: 'ticket-event' } })).toBe(1);

    // The same submission again (a double click): nothing more is sent or recorded.
    await sendSigned(harness, body, form);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id, channel: 'email' } })).toBe(1);
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id, type: 'engineer-response' } })).toBe(1);
  });

  it('a second reply counts as a progress update', async () => {
    const ticket = await newTicket();
    for (const viewId of ['VREPLYA', 'VREPLYB']) {
      await sendSigned(
        harness,
        viewSubmissionBody({ callbackId: viewIds.reply, viewId, metadata: { requestId: ticket.requestId }, values: replyValues(`update ${viewId}`) }),
        form,
      );
      await eventually(
        async () => (await prisma().ticketEvent.count({ where: { ticketId: ticket.id, type: 'engineer-response' } })) === (viewId === 'VREPLYA' ? 1 : 2),
      );
    }
    const events = await prisma().ticketEvent.findMany({ where: { ticketId: ticket.id, type: 'engineer-response' }, orderBy: { id: 'asc' } });
    expect(events.map((event) => (event.detail as { initialResponse: boolean }).initialResponse)).toEqual([true, false]);
  });

  it('shows an empty reply as a field error in the ack, and sends nothing', async () => {
    const ticket = await newTicket();
    const result = await sendSigned(
      harness,
      viewSubmissionBody({ callbackId: viewIds.reply, metadata: { requestId: ticket.requestId }, values: replyValues('   ') }),
      form,
    );
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toEqual({ response_action: 'errors', errors: { [inputIds.replyText.block]: 'Write the message to send.' } });
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('refuses a submission from someone without a role in the ack, and sends nothing', async () => {
    const ticket = await newTicket();
    const result = await sendSigned(
      harness,
      viewSubmissionBody({ user: outsider, callbackId: viewIds.reply, metadata: { requestId: ticket.requestId }, values: replyValues('hi') }),
      form,
    );
    expect(JSON.parse(result.text).errors[inputIds.replyText.block]).toMatch(/only support engineers/);
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id } })).toBe(0);
  });

  it('tells the engineer ephemerally when the ticket is closed, and sends nothing', async () => {
    const ticket = await newTicket();
    await prisma().ticket.update({ where: { id: ticket.id }, data: { status: 'closed', closedAt: harness.clock.now() } });
    const ephemeral = captureApi('chat.postEphemeral');
    await sendSigned(
      harness,
      viewSubmissionBody({ callbackId: viewIds.reply, metadata: { requestId: ticket.requestId, channel: 'CTRIAGE01' }, values: replyValues('hi') }),
      form,
    );
    await eventually(() => ephemeral.scope.isDone() && ephemeral.bodies.length > 0);
    expect(ephemeral.bodies[0]).toMatchObject({ channel: 'CTRIAGE01', user: engineer });
    expect(String(ephemeral.bodies[0]!.text)).toMatch(/is closed; reopen it/);
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id } })).toBe(0);
  });
});

describe('Close modal', () => {
  const select = (block: { block: string; element: string }, value: string) => ({
    [block.block]: { [block.element]: { type: 'static_select', selected_option: { value } } },
  });

  it('closes through closeTicket and tells the engineer the charge', async () => {
    const ticket = await newTicket();
    const ephemeral = captureApi('chat.postEphemeral');
    const body = viewSubmissionBody({
      callbackId: viewIds.close,
      metadata: { requestId: ticket.requestId, channel: 'CTRIAGE01' },
      values: { ...select(inputIds.closeOutcome, 'rma'), ...select(inputIds.closeCharge, 'rules') },
    });
    const result = await sendSigned(harness, body, form);
    expect(result.text).toBe('');
    await eventually(() => ephemeral.scope.isDone() && ephemeral.bodies.length > 0);
    expect(String(ephemeral.bodies[0]!.text)).toMatch(/Closed SR-.*no charge/);
    expect(await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({ status: 'closed', outcome: 'rma' });
    expect(await prisma().outbox.count({ where: { ticketId: ticket.id, kind: 'charge-notice' } })).toBe(1);
  });

  const closeValues = () => ({ ...select(inputIds.closeOutcome, 'bug'), ...select(inputIds.closeCharge, 'rules') });

  /** The Close button of the ticket's message as deskbot draws it now. */
  async function closeButtonOf(ticketId: number): Promise<string> {
    const card = await loadTicketCard(prisma(), { id: ticketId });
    const actions = ticketMessage(card!, { policy: harness.policy, now: harness.clock.now() }).blocks.find((block) => block.type === 'actions') as {
      elements: Array<{ action_id: string; value?: string }>;
    };
    return actions.elements.find((element) => element.action_id === actionIds.close)!.value!;
  }

  /** Clicks Close and returns the private_metadata of the modal it opens. */
  async function openCloseModal(ticketId: number): Promise<Record<string, unknown>> {
    const open = captureApi('views.open');
    await sendSigned(harness, blockActionBody({ actionId: actionIds.close, value: await closeButtonOf(ticketId) }).body, form);
    await eventually(() => open.bodies.length > 0);
    return JSON.parse((open.bodies[0]!.view as { private_metadata: string }).private_metadata);
  }

  const closures = (ticketId: number) => prisma().outbox.count({ where: { ticketId, kind: 'closure' } });

  it('a replayed submission (same signed bytes) after a reopen neither re-closes the ticket nor mails the customer again', async () => {
    const ticket = await newTicket();
    const metadata = await openCloseModal(ticket.id);
    expect(metadata).toEqual({ requestId: ticket.requestId, channel: 'CTRIAGE01', closes: 0 });
    const body = viewSubmissionBody({ callbackId: viewIds.close, viewId: 'VCLOSEREPLAY', metadata, values: closeValues() });
    const timestampSec = Math.floor(harness.clock.now().getTime() / 1000);
    const told = captureApi('chat.postEphemeral');
    await sendSigned(harness, body, form, { timestampSec });
    await eventually(() => told.bodies.length > 0);
    expect(await closures(ticket.id)).toBe(1);
    harness.clock.advance(60_000);
    expect(await click({ actionId: actionIds.reopen, value: ticket.requestId })).toMatch(/Reopened/);
    harness.clock.advance(60_000);
    const replay = await sendSigned(harness, body, form, { timestampSec });
    expect(replay.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
    expect(await closures(ticket.id)).toBe(1);
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id, type: 'closed' } })).toBe(1);
    // The redrawn message targets the next close cycle.
    expect(await closeButtonOf(ticket.id)).toBe(`${ticket.requestId}#closes=1`);
  });

  it('handles a submission once by view id and hash, even from a modal that carries no close count', async () => {
    const ticket = await newTicket();
    const body = viewSubmissionBody({ callbackId: viewIds.close, viewId: 'VCLOSEOLD', metadata: { requestId: ticket.requestId }, values: closeValues() });
    // No channel in the metadata and none recorded for the ticket: the engineer is told in a DM.
    const told = captureApi('chat.postMessage');
    await sendSigned(harness, body, form);
    await eventually(() => told.bodies.length > 0);
    await click({ actionId: actionIds.reopen, value: ticket.requestId });
    await sendSigned(harness, body, form);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
    expect(await closures(ticket.id)).toBe(1);
    expect(await prisma().slackDelivery.count({ where: { id: 'view:VCLOSEOLD:hash' } })).toBe(1);
  });

  it('refuses a close form opened before the ticket was closed and reopened, and tells the engineer', async () => {
    const ticket = await newTicket();
    const stale = await openCloseModal(ticket.id);
    const first = captureApi('chat.postEphemeral');
    await sendSigned(harness, viewSubmissionBody({ callbackId: viewIds.close, metadata: stale, values: closeValues() }), form);
    await eventually(() => first.bodies.length > 0);
    await click({ actionId: actionIds.reopen, value: ticket.requestId });
    const refused = captureApi('chat.postEphemeral');
    await sendSigned(harness, viewSubmissionBody({ callbackId: viewIds.close, metadata: stale, values: closeValues() }), form);
    await eventually(() => refused.bodies.length > 0);
    expect(String(refused.bodies[0]!.text)).toMatch(/closed and reopened since.*not closed/);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
    expect(await closures(ticket.id)).toBe(1);
    // A modal opened from the message as it is now closes it.
    const current = captureApi('chat.postEphemeral');
    await sendSigned(harness, viewSubmissionBody({ callbackId: viewIds.close, metadata: await openCloseModal(ticket.id), values: closeValues() }), form);
    await eventually(() => current.bodies.length > 0);
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('closed');
    expect(await closures(ticket.id)).toBe(2);
  });

  it('asks for the cause of an excluded closure and the reason of an override, field by field', async () => {
    const ticket = await newTicket();
    const result = await sendSigned(
      harness,
      viewSubmissionBody({
        callbackId: viewIds.close,
        metadata: { requestId: ticket.requestId },
        values: { ...select(inputIds.closeOutcome, 'excluded'), ...select(inputIds.closeCharge, 'no-charge') },
      }),
      form,
    );
    const answer = JSON.parse(result.text);
    expect(answer.response_action).toBe('errors');
    expect(Object.keys(answer.errors).sort()).toEqual([inputIds.closeExclusion.block, inputIds.closeReason.block].sort());
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
  });
});

describe('ticket button answers', () => {
  it('sends a slow response_url answer outside the post-ack queue, so the next click is not held up by it', async () => {
    // PGlite runs one post-ack task at a time: were the answer sent inside it, the second click would wait 2 s.
    const [first, second] = [await newTicket(), await newTicket()];
    const slow = blockActionBody({ actionId: actionIds.assignToMe, value: first.requestId });
    const fast = blockActionBody({ actionId: actionIds.assignToMe, value: second.requestId });
    const slowAnswer = nock(slackApiBase).post(slow.responsePath).delay(2_000).reply(200, 'ok');
    const fastAnswer = captureResponses(fast.responsePath);
    const started = performance.now();
    expect((await sendSigned(harness, slow.body, form)).status).toBe(200);
    expect((await sendSigned(harness, fast.body, form)).status).toBe(200);
    await eventually(() => fastAnswer.bodies.length > 0);
    expect(performance.now() - started).toBeLessThan(1_500);
    await eventually(() => slowAnswer.isDone());
  });
});
