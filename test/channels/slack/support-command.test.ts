// `/support` end to end: signed slash commands into Bolt, answers captured on the response_url, and the store
// checked after each sub-command. Refusals and usage errors change nothing.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedCustomer, seedTicket, type SeededCustomer } from './seed.ts';
import {
  captureApi,
  captureResponses,
  engineer,
  eventually,
  manager,
  outsider,
  sendSigned,
  slackApiBase,
  slashCommandBody,
  startSlackHarness,
  triageChannel,
  type SlackHarness,
  supportCommand,
} from './harness.ts';

let harness: SlackHarness;
let customer: SeededCustomer;

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

/** Sends `/support <text>` and returns the ephemeral answer (in the acknowledgement or through the response_url). */
const support = async (text: string, user = engineer): Promise<string> => (await supportCommand(harness, text, user)).text;

async function newTicket(options: Partial<Parameters<typeof seedTicket>[2]> = {}) {
  return seedTicket(prisma(), harness.policy, { customer, openedAt: harness.clock.now(), ...options });
}

async function slackEvents(ticketId: number) {
  const rows = await prisma().outbox.findMany({ where: { ticketId, channel: 'slack' }, orderBy: { id: 'asc' } });
  return rows.map((row) => row.kind);
}

describe('/support roles and input', () => {
  it('refuses someone without a support role politely, and nothing changes', async () => {
    const ticket = await newTicket();
    const text = await support(`assign ${ticket.requestId} me`, outsider);
    expect(text).toMatch(/only support engineers and managers/i);
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.assigneeSlackId).toBeNull();
    expect(await prisma().ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(0);
    expect(await slackEvents(ticket.id)).toEqual([]);
  });

  it('lets a manager do what an engineer can', async () => {
    const ticket = await newTicket();
    expect(await support(`assign ${ticket.requestId} me`, manager)).toContain('Assigned');
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeSlackId).toBe(manager);
  });

  it('accepts user-group members (S…) once start-up has loaded the group', async () => {
    const scope = nock('http://slack.test')
      .post('/api/usergroups.users.list', /usergroup=SGROUP01/)
      .reply(200, { ok: true, users: ['UGRP00001'] });
    const groupHarness = await startSlackHarness({ roles: { engineers: ['SGROUP01'], managers: [] } });
    try {
      await eventually(() => groupHarness.channel.roles!.allows('UGRP00001', 'engineer'));
      scope.done();
      expect(groupHarness.channel.roles!.allows('UGRP00001', 'manager')).toBe(false);
      expect(groupHarness.channel.roles!.allows(engineer, 'engineer')).toBe(false);
    } finally {
      await groupHarness.close();
    }
  });

  it.each([
    ['an unknown sub-command', 'frobnicate SR-2026-000001', /Unknown sub-command/],
    ['a missing request ID', 'show', /Name the request/],
    ['a malformed request ID', 'show SR-26-1', /not a request ID/],
    ['a severity out of range', 'severity SR-2026-000001 7', /1 to 5/],
    ['an unknown list', 'list everything', /Unknown list/],
    ['a close without outcome', 'close SR-2026-000001', /outcome/],
    ['an excluded close without cause', 'close SR-2026-000001 excluded', /names why/],
    ['an exceptional close without decision', 'close SR-2026-000001 exceptional', /charge.*reason/],
    ['an override without reason', 'close SR-2026-000001 resolved no-charge', /needs a reason/],
    ['assign without a user', 'assign SR-2026-000001', /Mention one user/],
    ['respond without text', 'respond SR-2026-000001', /Write the text/],
    ['an unknown period', 'breaches fortnight', /Unknown period/],
  ])('answers %s with an ephemeral usage message', async (_label, text, pattern) => {
    const before = await prisma().ticketEvent.count();
    const answer = await support(text);
    expect(answer).toMatch(pattern);
    expect(answer).toContain('Usage: `/support');
    expect(await prisma().ticketEvent.count()).toBe(before);
  });

  it('names an unknown request without changing anything', async () => {
    expect(await support('wait SR-2026-999999')).toMatch(/No request SR-2026-999999/);
  });

  it('lists every sub-command in help, and explains one', async () => {
    const all = await support('help');
    for (const name of ['list', 'show', 'assign', 'severity', 'wait', 'resume', 'respond', 'close', 'reopen', 'split', 'callers', 'breaches', 'help']) {
      expect(all).toContain(`/support ${name}`);
    }
    expect(await support('help split')).toMatch(/own incident/);
    expect(await support('')).toContain('/support list');
  });
});

describe('/support sub-commands', () => {
  it('assign SR-… @user assigns and queues the thread update', async () => {
    const ticket = await newTicket();
    expect(await support(`assign ${ticket.requestId} <@UOTHER001|olga>`)).toContain('<@UOTHER001>');
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).assigneeSlackId).toBe('UOTHER001');
    expect(await slackEvents(ticket.id)).toEqual(['ticket-event']);
    const event = await prisma().ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id } });
    expect(event).toMatchObject({ type: 'assignment', actor: engineer, detail: { from: null, to: 'UOTHER001' } });
  });

  it('severity SR-… 5 retargets the running clock', async () => {
    const ticket = await newTicket({ severity: 3 });
    const before = await prisma().slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'initial-response' } });
    expect(await support(`severity ${ticket.requestId} 5`)).toMatch(/severity 5 Critical \(was 3 Minor\)/);
    const after = await prisma().slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'initial-response' } });
    expect(after.dueAt!.getTime()).toBeLessThan(before.dueAt!.getTime());
    expect(after.dueAt!.getTime() - harness.clock.now().getTime()).toBe(4 * 3_600_000);
  });

  it('wait pauses the clock and resume runs it again', async () => {
    const ticket = await newTicket();
    expect(await support(`wait ${ticket.requestId}`)).toMatch(/clock is paused/);
    let row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.status).toBe('waiting');
    expect(row.pausedAt).not.toBeNull();
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id, remainingMs: null, metAt: null } })).toBe(0);
    expect(await support(`wait ${ticket.requestId}`)).toMatch(/already waiting/);
    expect(await support(`resume ${ticket.requestId}`)).toMatch(/runs again/);
    row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row.status).toBe('open');
    expect(row.pausedAt).toBeNull();
  });

  it('respond SR-… <text> e-mails the customer and records the initial response', async () => {
    const ticket = await newTicket({ rootMessageId: '<first@acme.example>' });
    expect(await support(`respond ${ticket.requestId} Please restart   the service.\nThanks`)).toMatch(/initial response/);
    const mail = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id, channel: 'email' } });
    expect(mail.kind).toBe('engineer-reply');
    expect(mail.payload).toMatchObject({ inReplyTo: '<first@acme.example>', autoSubmitted: 'no', to: [{ address: 'jane@acme.example' }] });
    expect(String((mail.payload as { text: string }).text)).toContain('Please restart   the service.');
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).firstResponseAt).not.toBeNull();
  });

  it('close SR-… resolved closes through closeTicket and queues the charge notice', async () => {
    const ticket = await newTicket();
    const answer = await support(`close ${ticket.requestId} resolved`);
    expect(answer).toMatch(/Closed SR-\d{4}-\d{6} \(chargeable: USD\s80\.00\)/);
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ status: 'closed', outcome: 'resolved', closedBy: engineer });
    expect(await slackEvents(ticket.id)).toEqual(expect.arrayContaining(['charge-notice', 'ticket-refresh']));
    expect(await support(`close ${ticket.requestId} resolved`)).toMatch(/already closed/);
  });

  it('close SR-… excluded <cause> no-charge <reason> passes the override', async () => {
    const ticket = await newTicket();
    const answer = await support(`close ${ticket.requestId} excluded third-party no-charge goodwill for a long-time customer`);
    expect(answer).toMatch(/no charge/);
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ outcome: 'excluded', exclusion: 'third-party' });
  });

  it('reopen SR-… reopens a closed ticket and never charges again', async () => {
    const ticket = await newTicket();
    await support(`close ${ticket.requestId} bug`);
    expect(await support(`reopen ${ticket.requestId} customer says it is back`)).toMatch(/Reopened/);
    const row = await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(row).toMatchObject({ status: 'open', closedAt: null });
    expect(await prisma().slaTimer.count({ where: { ticketId: ticket.id, metAt: null } })).toBeGreaterThan(0);
    expect(await support(`reopen ${ticket.requestId}`)).toMatch(/is not closed/);
  });

  it('split SR-… makes a new incident with its own ID, fee and clock', async () => {
    const ticket = await newTicket({ subject: 'Two problems at once' });
    const answer = await support(`split ${ticket.requestId} Licence server also refuses logins`);
    const newId = /Split (SR-\d{4}-\d{6})/.exec(answer)?.[1];
    expect(newId).toBeDefined();
    expect(answer).toContain('Fee at open: USD\u00a080.00 per incident');
    const split = await prisma().ticket.findUniqueOrThrow({ where: { requestId: newId! } });
    expect(split).toMatchObject({
      splitFromId: ticket.id,
      customerId: customer.id,
      licenceId: customer.licenceId,
      subject: 'Licence server also refuses logins',
      priceMinor: 8000,
      priceCurrency: 'USD',
    });
    expect(await prisma().slaTimer.count({ where: { ticketId: split.id } })).toBe(await prisma().slaTimer.count({ where: { ticketId: ticket.id } }));
    expect((await prisma().slaTimer.findFirstOrThrow({ where: { ticketId: split.id, target: 'initial-response' } })).startedAt).toEqual(harness.clock.now());
    expect(await slackEvents(split.id)).toEqual(['ticket-opened']);
    expect((await prisma().ticketEvent.findFirstOrThrow({ where: { ticketId: ticket.id } })).type).toBe('split');
  });

  it("split SR-… of a partner's ticket says the new incident is free and why, not a fee", async () => {
    const ticket = await newTicket({ subject: 'Two problems for a partner' });
    await prisma().ticket.update({ where: { id: ticket.id }, data: { requesterKind: 'partner' } });
    const answer = await support(`split ${ticket.requestId} Second problem`);
    expect(answer).toMatch(
      /^:scissors: Split SR-\d{4}-\d{6} off SR-\d{4}-\d{6}: its own incident with its own SLA clock\. Free: partner \(support is free for partners\)\.$/,
    );
    expect(answer).not.toMatch(/USD|fee/i);
  });

  it('show SR-… shows the ticket with its SLA targets', async () => {
    const ticket = await newTicket({ subject: 'Disk <full> & slow' });
    const answer = await support(`show ${ticket.requestId}`);
    expect(answer).toContain(ticket.requestId);
    expect(answer).toContain('Disk &lt;full&gt; &amp; slow');
    expect(answer).toMatch(/Initial response due <!date\^\d+\^/);
    expect(answer).toContain('Acme Corp');
  });

  it('list [mine|open|breaching|waiting] filters and orders by the nearest due time', async () => {
    const mine = await newTicket({ assigneeSlackId: engineer, severity: 5 });
    const late = await newTicket({ severity: 5, openedAt: new Date(harness.clock.now().getTime() - 3.5 * 3_600_000) });
    const waiting = await newTicket();
    await support(`wait ${waiting.requestId}`);
    expect(await support('list mine')).toContain(mine.requestId);
    expect(await support('list mine')).not.toContain(late.requestId);
    const breaching = await support('list breaching');
    expect(breaching).toContain(late.requestId);
    expect(breaching).not.toContain(mine.requestId);
    expect(breaching).toContain(':large_orange_circle:');
    const open = await support('list');
    expect(open.indexOf(late.requestId)).toBeLessThan(open.indexOf(mine.requestId));
    const waitingList = await support('list waiting');
    expect(waitingList).toContain(waiting.requestId);
    expect(waitingList).toContain('SLA clock paused');
  });

  it('callers <customer> lists who may open requests', async () => {
    const answer = await support('callers acme');
    expect(answer).toContain('Acme Corp');
    expect(answer).toContain('jane@acme.example');
    expect(answer).toContain('Bob Doe');
    expect(await support('callers nobody-like-this')).toMatch(/No customer matches/);
  });

  it('callers takes LIKE wildcards literally: % and _ never list every customer, a literal % or _ still matches', async () => {
    await seedCustomer(prisma(), { key: 'uptime_eu', name: '100% Uptime Ltd', callers: [{ email: 'ops@uptime.example', name: 'Ops Desk' }] });
    for (const query of ['_', '__', '_%', 'a%', 'A_me', '\\%']) {
      const answer = await support(`callers ${query}`);
      expect(answer, query).toMatch(/No customer matches/);
      expect(answer, query).not.toContain('jane@acme.example');
    }
    // Only the customer whose name holds a real "%".
    for (const query of ['%', '100%']) {
      const answer = await support(`callers ${query}`);
      expect(answer, query).toContain('ops@uptime.example');
      expect(answer, query).not.toContain('jane@acme.example');
    }
    expect(await support('callers uptime_eu')).toContain('ops@uptime.example');
    expect(await support('callers UPTIME_EU')).toContain('100% Uptime Ltd');
    expect(await support('callers uptime-eu')).toMatch(/No customer matches/);
  });

  it('breaches [period] lists recorded breaches through listBreaches', async () => {
    const ticket = await newTicket({ severity: 5 });
    // 29 hours ago: this month (the clock is 2 March 10:00 UTC), within 7 days, not within the last day.
    const dueAt = new Date(harness.clock.now().getTime() - 29 * 3_600_000);
    await prisma().ticketEvent.create({
      data: {
        ticketId: ticket.id,
        type: 'sla-breach',
        at: dueAt,
        actor: 'deskbot',
        detail: { target: 'initial-response', dueAt: dueAt.toISOString(), lateByMs: 0 },
      },
    });
    const week = await support('breaches 7d');
    expect(week).toContain(ticket.requestId);
    expect(week).toContain('Initial response');
    expect(await support('breaches')).toContain(ticket.requestId);
    expect(await support('breaches this-month')).toContain(ticket.requestId);
    expect(await support('breaches 1d')).toMatch(/No SLA breaches/);
  });

  it('workaround SR-… <text> mails the customer, meets the resolution objective and keeps the request open (issue 12)', async () => {
    const ticket = await newTicket({ severity: 4 });
    expect(await support(`workaround ${ticket.requestId} Disable IPv6 on the tunnel.`)).toMatch(
      /Workaround sent.*resolution objective of SR-\d{4}-\d{6} is met/,
    );
    const mail = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id, channel: 'email' } });
    expect(String((mail.payload as { text: string }).text)).toContain('Disable IPv6 on the tunnel.');
    expect((await prisma().slaTimer.findFirstOrThrow({ where: { ticketId: ticket.id, target: 'resolution' } })).metAt).not.toBeNull();
    expect((await prisma().ticket.findUniqueOrThrow({ where: { id: ticket.id } })).status).toBe('open');
  });

  it('presales, agreed and postmortem answer for what they recorded (issue 12)', async () => {
    const ticket = await newTicket();
    expect(await support(`presales ${ticket.requestId}`)).toMatch(/marked pre-sales: it is free/);
    expect(await support(`agreed ${ticket.requestId}`)).toMatch(/agreement to the terms is on record .*no request was waiting/);
    expect((await prisma().customer.findUniqueOrThrow({ where: { id: customer.id } })).agreedBy).toBe(engineer);
    expect(await support(`postmortem ${ticket.requestId} Rota gap`)).toMatch(/missed no SLA objective/);
    await prisma().ticket.update({ where: { id: ticket.id }, data: { breached: true, needsPostMortem: true } });
    const dueAt = new Date(harness.clock.now().getTime() - 3_600_000);
    await prisma().ticketEvent.create({
      data: {
        ticketId: ticket.id,
        type: 'sla-breach',
        at: dueAt,
        actor: 'deskbot',
        detail: { target: 'initial-response', dueAt: dueAt.toISOString(), lateByMs: 0 },
      },
    });
    expect(await support('breaches 1d')).toContain(`Post-mortem still needed (1): ${ticket.requestId}`);
    expect(await support(`postmortem ${ticket.requestId} Rota gap at night; schedule fixed.`)).toMatch(/Post-mortem recorded/);
    expect(await support('breaches 1d')).toContain('All breached requests above have their post-mortem.');
  });
});

describe('/support answers', () => {
  it('answers help, a usage mistake and a refusal in the acknowledgement itself, reading and writing nothing', async () => {
    const claimed = await prisma().slackDelivery.count();
    expect(await supportCommand(harness, 'help')).toMatchObject({ via: 'ack', text: expect.stringContaining('/support list') });
    expect(await supportCommand(harness, 'severity SR-2026-000001 7')).toMatchObject({ via: 'ack', text: expect.stringContaining('Usage:') });
    expect(await supportCommand(harness, 'list', outsider)).toMatchObject({ via: 'ack', text: expect.stringMatching(/only support engineers/i) });
    expect(await prisma().slackDelivery.count()).toBe(claimed);
    // What needs the store is answered after the ack, claimed once.
    expect(await supportCommand(harness, 'list')).toMatchObject({ via: 'response_url' });
    expect(await prisma().slackDelivery.count()).toBe(claimed + 1);
  });

  it('sends a slow response_url answer outside the post-ack queue, so the next command is not held up by it', async () => {
    // PGlite runs one post-ack task at a time: were the answer sent inside it, the second command would wait 2 s.
    const slow = slashCommandBody('list');
    const fast = slashCommandBody('list mine');
    const slowAnswer = nock(slackApiBase).post(slow.responsePath).delay(2_000).reply(200, 'ok');
    const fastAnswer = captureResponses(fast.responsePath);
    const started = performance.now();
    expect((await sendSigned(harness, slow.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    expect((await sendSigned(harness, fast.body, 'application/x-www-form-urlencoded')).status).toBe(200);
    await eventually(() => fastAnswer.bodies.length > 0);
    expect(performance.now() - started).toBeLessThan(1_500);
    await eventually(() => slowAnswer.isDone());
  });
});

describe('/support free text as Slack sends it', () => {
  it('respond with &amp;, &lt;…&gt; and a link mails the customer plain text and posts the thread escaped exactly once', async () => {
    const ticket = await newTicket({ rootMessageId: '<escaped@acme.example>' });
    // What Slack sends for "Use a <tag> & see [kb article](https://kb.example.com/a)" with should_escape.
    await support(`respond ${ticket.requestId} Use a &lt;tag&gt; &amp; see <https://kb.example.com/a|kb article>`);
    const mail = await prisma().outbox.findFirstOrThrow({ where: { ticketId: ticket.id, channel: 'email' } });
    const { text, html } = mail.payload as { text: string; html: string };
    expect(text).toContain('Use a <tag> & see kb article (https://kb.example.com/a)');
    expect(html).toContain('Use a &lt;tag&gt; &amp; see kb article (https://kb.example.com/a)');
    for (const twice of ['&amp;amp;', '&amp;lt;', '&amp;gt;']) expect(text + html).not.toContain(twice);

    // Only this ticket's Slack rows are delivered: its triage message, then the reply in the thread.
    await prisma().outbox.deleteMany({ where: { channel: 'slack', OR: [{ ticketId: null }, { ticketId: { not: ticket.id } }] } });
    const posts = captureApi(
      'chat.postMessage',
      (body) => ({ ok: true, channel: triageChannel, ts: body.thread_ts ? '1772445600.000902' : '1772445600.000901' }),
      2,
    );
    await harness.dispatcher.drain();
    posts.scope.done();
    const thread = String(posts.bodies[1]!.text);
    expect(thread).toContain('>Use a &lt;tag&gt; &amp; see kb article (https://kb.example.com/a)');
    expect(thread).not.toMatch(/&amp;(amp|lt|gt);/);
  });
});
