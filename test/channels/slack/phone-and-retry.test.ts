// `/support open` (a request taken by phone, by text and by form) and `/support retry` (managers) end to end: signed
// requests into Bolt, Slack's Web API and response_url mocked with nock, the store checked after each.
import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createInboundEmailHandler } from '../../../src/app/intake/handle-inbound-email.ts';
import { outgoingMailSchema } from '../../../src/app/outbox-messages.ts';
import { inputIds, viewIds } from '../../../src/channels/slack/blocks/ids.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import {
  captureApi,
  captureResponses,
  engineer,
  eventually,
  manager,
  sendSigned,
  slashCommandBody,
  startSlackHarness,
  triageChannel,
  viewSubmissionBody,
  type SlackHarness,
  supportCommand,
} from './harness.ts';

let harness: SlackHarness;
const prisma = () => harness.database.prisma;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness({ start: new Date('2026-03-03T15:00:00Z') });
  await prisma().customer.create({
    data: {
      key: 'phoneco',
      name: 'Phone Co',
      supportLevel: 'normal',
      calendar: 'US',
      currency: 'EUR',
      eligibleCallers: { create: [{ email: 'caller@phone.example', name: 'Carla Caller' }] },
      licences: {
        create: [
          {
            number: 'PH-1000-2000',
            product: 'Widget Server',
            type: 'commercial',
            registeredOn: new Date('2025-01-01T00:00:00Z'),
            maintenanceUntil: new Date('2027-01-01T00:00:00Z'),
          },
        ],
      },
    },
  });
});

afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});

beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

const support = async (text: string, user = engineer): Promise<string> => (await supportCommand(harness, text, user)).text;

describe('/support open', () => {
  it('a first paid request by phone waits for the terms agreement; /support agreed starts the clock (issue 12 point 9)', async () => {
    const text = await support('open caller@phone.example 4 Widget Server 9.4.2 crashes at night');
    expect(text).toMatch(/has not agreed to the paid-support terms yet.*\/support agreed SR-/);
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { requesterEmail: 'caller@phone.example' }, orderBy: { id: 'desc' } });
    expect(ticket).toMatchObject({ status: 'new', awaitingAgreement: true, clockStartedAt: null });
    expect(await support(`agreed ${ticket.requestId}`)).toMatch(/SLA clock started: SR-/);
    expect(await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).toMatchObject({ status: 'open', awaitingAgreement: false });
    await prisma().customer.updateMany({ where: { eligibleCallers: { some: { email: 'caller@phone.example' } } }, data: { agreedAt: null, agreedBy: null } });
  });

  it('opens a ticket for an eligible caller: by phone, who opened it, clock from the call, acknowledgement as written confirmation', async () => {
    // The customer agreed to the paid-support terms before (issue 12 point 9); otherwise the clock waits for it.
    await prisma().customer.updateMany({
      where: { eligibleCallers: { some: { email: 'caller@phone.example' } } },
      data: { agreedAt: harness.clock.now(), agreedBy: engineer },
    });
    const text = await support('open caller@phone.example 4 Widget Server 9.4.2 stops after the update');
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { requesterEmail: 'caller@phone.example' }, orderBy: { id: 'desc' } });
    expect(text).toContain(`Opened ${ticket.requestId} for caller@phone.example (taken by phone).`);
    expect(text).toContain('the SLA clock started at the call');
    expect(ticket).toMatchObject({
      source: 'phone',
      openedBy: engineer,
      severity: 4,
      status: 'open',
      requesterName: 'Carla Caller',
      clockStartedAt: harness.clock.now(),
      product: 'Widget Server',
      productVersion: '9.4.2',
      rootMessageId: null,
    });
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id } })).toBe(3);
    const events = await prisma().ticketEvent.findMany({ where: { ticketId: ticket.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => [event.type, event.actor])).toEqual([
      ['phone-call', engineer],
      ['acknowledgement', 'deskbot'],
    ]);
    const outbox = await prisma().outbox.findMany({ where: { ticketId: ticket.id }, orderBy: { id: 'asc' } });
    // The card, then the thread's phone-call line (who took the call from whom).
    expect(outbox.map((row) => `${row.channel}:${row.kind}`)).toEqual(['email:acknowledgement', 'slack:ticket-opened', 'slack:ticket-event']);
    expect(outbox[2]!.payload).toEqual({ ticketId: ticket.id, eventId: Number(events[0]!.id) });
    const ack = outgoingMailSchema.parse(outbox[0]!.payload);
    expect(ack.to).toEqual([{ address: 'caller@phone.example', name: 'Carla Caller' }]);
    expect(ack.text).toContain('We took this request by telephone; this e-mail is its written confirmation.');
    expect(ack.subject).toBe(`Widget Server 9.4.2 stops after the update [${ticket.requestId}]`);
    expect(ack.inReplyTo).toBeUndefined();
    expect(ack.text).toContain(`service request ${ticket.requestId}`);
  });

  it('refuses a caller who is not eligible, with the reason, and opens nothing', async () => {
    const before = await prisma().ticket.count();
    const text = await support('open stranger@nowhere.example 5 Everything is down');
    expect(text).toContain('Not opened: stranger@nowhere.example may not open support requests (unknown-sender).');
    // Told to the engineer, not to the caller: no "Your address".
    expect(text).toContain('The address is not an eligible caller of a customer nor a partner contact');
    expect(text).not.toContain('Your address');
    expect(await prisma().ticket.count()).toBe(before);
  });

  it('a partner contact opens with the Partner Support ID, and without it is refused', async () => {
    await prisma().partner.create({ data: { partnerId: 'KP-20001', name: 'Phone Reseller', contacts: ['@reseller.example'], currency: 'GBP' } });
    expect(await support('open tech@reseller.example 3 Backup fails for a client')).toContain('(partner-id-missing)');
    const text = await support('open tech@reseller.example 3 KP-20001 backup fails for a client');
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { requesterEmail: 'tech@reseller.example' } });
    expect(text).toContain(`Opened ${ticket.requestId}`);
    expect(ticket).toMatchObject({ requesterKind: 'partner', source: 'phone', priceCurrency: 'GBP' });
  });

  it('explains the usage when the severity is missing', async () => {
    expect(await support('open caller@phone.example urgent thing')).toContain('Severity is a whole number from 1 to 5.');
  });

  it('without arguments opens the form; its submission opens the ticket and tells the engineer', async () => {
    const opened = captureApi('views.open');
    const command = slashCommandBody('open');
    const result = await sendSigned(harness, command.body, 'application/x-www-form-urlencoded');
    expect(result.status).toBe(200);
    await eventually(() => opened.bodies.length > 0);
    opened.scope.done();
    expect((opened.bodies[0]!.view as { callback_id: string }).callback_id).toBe(viewIds.phoneOpen);

    const told = captureApi('chat.postMessage');
    const submission = viewSubmissionBody({
      callbackId: viewIds.phoneOpen,
      metadata: {},
      values: {
        [inputIds.phoneCaller.block]: { [inputIds.phoneCaller.element]: { type: 'email_text_input', value: 'Caller@Phone.example' } },
        [inputIds.phoneSeverity.block]: { [inputIds.phoneSeverity.element]: { type: 'static_select', selected_option: { value: '3' } } },
        [inputIds.phoneSubject.block]: { [inputIds.phoneSubject.element]: { type: 'plain_text_input', value: 'Reports are slow' } },
        [inputIds.phoneDescription.block]: { [inputIds.phoneDescription.element]: { type: 'plain_text_input', value: null } },
      },
    });
    expect((await sendSigned(harness, submission, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually(() => told.bodies.length > 0);
    told.scope.done();
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { subject: 'Reports are slow' } });
    expect(ticket).toMatchObject({ source: 'phone', openedBy: engineer, severity: 3, status: 'new', missingInfo: ['version'] });
    expect(told.bodies[0]).toMatchObject({ channel: engineer });
    expect(String(told.bodies[0]!.text)).toContain(`Opened ${ticket.requestId}`);
    expect(String(told.bodies[0]!.text)).toContain('Still missing: version');
  });

  it('puts the phone call in the thread: who took it from whom, and what the caller described, escaped', async () => {
    const told = captureApi('chat.postMessage');
    const description = 'Carla: reports take 10 min & <!channel> says <@U123> broke it\nSince Monday.';
    const submission = viewSubmissionBody({
      callbackId: viewIds.phoneOpen,
      metadata: {},
      values: {
        [inputIds.phoneCaller.block]: { [inputIds.phoneCaller.element]: { type: 'email_text_input', value: 'caller@phone.example' } },
        [inputIds.phoneSeverity.block]: { [inputIds.phoneSeverity.element]: { type: 'static_select', selected_option: { value: '3' } } },
        [inputIds.phoneSubject.block]: { [inputIds.phoneSubject.element]: { type: 'plain_text_input', value: 'Slow reports by phone' } },
        [inputIds.phoneDescription.block]: { [inputIds.phoneDescription.element]: { type: 'plain_text_input', value: description } },
      },
    });
    expect((await sendSigned(harness, submission, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually(() => told.bodies.length > 0);
    told.scope.done();
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { subject: 'Slow reports by phone' } });

    // Only this ticket's Slack rows are delivered: its card, then the phone-call line in its thread.
    await prisma().outbox.deleteMany({ where: { channel: 'slack', OR: [{ ticketId: null }, { ticketId: { not: ticket.id } }] } });
    const posts = captureApi(
      'chat.postMessage',
      (body) => ({ ok: true, channel: triageChannel, ts: body.thread_ts ? '1772445600.000802' : '1772445600.000801' }),
      2,
    );
    const update = captureApi('chat.update');
    await harness.dispatcher.drain();
    posts.scope.done();
    update.scope.done();
    expect(posts.bodies[1]).toMatchObject({ thread_ts: '1772445600.000801' });
    expect(String(posts.bodies[1]!.text)).toBe(
      `:telephone_receiver: <@${engineer}> opened the request from a phone call with caller@phone.example. The caller described:\n` +
        '>Carla: reports take 10 min &amp; &lt;!channel&gt; says &lt;@U123&gt; broke it\n>Since Monday.',
    );
    // The card shows what the caller described too, as it shows a mail's text.
    expect(JSON.stringify(posts.bodies[0]!.blocks)).toContain('Carla: reports take 10 min &amp; &lt;!channel&gt;');
  });

  it('shows form problems next to their fields without opening anything', async () => {
    const submission = viewSubmissionBody({
      callbackId: viewIds.phoneOpen,
      metadata: {},
      values: { [inputIds.phoneCaller.block]: { [inputIds.phoneCaller.element]: { type: 'email_text_input', value: 'not-an-address' } } },
    });
    const result = await sendSigned(harness, submission, 'application/x-www-form-urlencoded');
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toMatchObject({
      response_action: 'errors',
      errors: {
        [inputIds.phoneCaller.block]: expect.any(String),
        [inputIds.phoneSeverity.block]: expect.any(String),
        [inputIds.phoneSubject.block]: expect.any(String),
      },
    });
  });
});

describe('/support retry', () => {
  const stranger = '<stranger-help-1@unknown.example>';

  it('is for managers only', async () => {
    expect(await support(`retry ${stranger}`)).toContain('Only managers can run rejected mail through intake again.');
  });

  it('runs a rejected mail again for a manager once the sender is eligible; bad ids are named', async () => {
    const intake = createInboundEmailHandler({
      ...storeAccess(harness.database, harness.policy),
      parser: mailParser,
      policy: harness.policy,
      clock: harness.clock,
      logger: harness.runtime.logger,
      renderer: harness.runtime.mailRenderer,
      config: { ...harness.runtime.config, AUTH_REQUIRED: false },
    });
    const raw = fs.readFileSync(path.resolve('test/fixtures/mail/not-eligible.eml'));
    expect(await intake.handleInboundEmail(raw, { kind: 'stdin' })).toMatchObject({ outcome: 'rejected' });

    expect(await support(`retry ${stranger}`, manager)).toContain('was rejected again (unknown-sender)');
    const customer = await prisma().customer.findUniqueOrThrow({ where: { key: 'phoneco' } });
    await prisma().eligibleCaller.create({ data: { customerId: customer.id, email: 'someone@unknown.example', name: 'Sam Someone' } });
    const text = await support('retry stranger-help-1@unknown.example', manager);
    const ticket = await prisma().ticket.findFirstOrThrow({ where: { requesterEmail: 'someone@unknown.example' } });
    expect(text).toContain(`opened ${ticket.requestId}`);
    expect(await support(`retry ${stranger}`, manager)).toContain('was not rejected (it ended as ticket)');
    expect(await support('retry <nobody@nowhere.example>', manager)).toContain('No inbound message <nobody@nowhere.example>');
  });
});
