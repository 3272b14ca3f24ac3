// The App Home SLA board: published on app_home_opened, the nearest due time first, marks for targets past 75% or
// breached, Mine/All buttons re-publishing it, and no customer data for people without a support role.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionIds } from '../../../src/channels/slack/blocks/ids.ts';
import { seedCustomer, seedTicket } from './seed.ts';
import { blockActionBody, captureApi, engineer, eventBody, eventually, outsider, sendSigned, startSlackHarness, type SlackHarness } from './harness.ts';

let harness: SlackHarness;
const tickets: Record<string, string> = {};

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness();
  const prisma = harness.database.prisma;
  const customer = await seedCustomer(prisma);
  const now = harness.clock.now().getTime();
  const hours = (count: number) => new Date(now - count * 3_600_000);
  // Severity 5 on 24x7: initial response due 4 h after opening, warning at 3 h.
  tickets.breached = (await seedTicket(prisma, harness.policy, { customer, severity: 5, openedAt: hours(5), subject: 'breached one' })).requestId;
  tickets.warned = (
    await seedTicket(prisma, harness.policy, { customer, severity: 5, openedAt: hours(3.5), subject: 'warned one', assigneeSlackId: engineer })
  ).requestId;
  tickets.fresh = (await seedTicket(prisma, harness.policy, { customer, severity: 5, openedAt: hours(0.5), subject: 'fresh one' })).requestId;
  tickets.incomplete = (await seedTicket(prisma, harness.policy, { customer, complete: false, openedAt: hours(1), subject: 'incomplete one' })).requestId;
  const closed = await seedTicket(prisma, harness.policy, { customer, openedAt: hours(1), subject: 'closed one' });
  await prisma.ticket.update({ where: { id: closed.id }, data: { status: 'closed', closedAt: harness.clock.now() } });
  tickets.closed = closed.requestId;
});

afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});

beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

let eventCounter = 0;

async function openHome(user: string) {
  const publish = captureApi('views.publish');
  const body = eventBody({ type: 'app_home_opened', user, channel: 'DHOME', tab: 'home', event_ts: '1.0' }, `EvHOME${(eventCounter += 1)}`);
  expect((await sendSigned(harness, body, 'application/json')).status).toBe(200);
  await eventually(() => publish.scope.isDone() && publish.bodies.length > 0);
  return publish.bodies[0]!;
}

const sectionTexts = (view: unknown) =>
  (view as { blocks: Array<{ type: string; text?: { text: string } }> }).blocks.filter((block) => block.type === 'section').map((block) => block.text!.text);

describe('App Home SLA board', () => {
  it('shows open tickets, nearest due first, with breach and 75% marks, for "mine" first', async () => {
    const mine = await openHome(engineer);
    expect(mine.user_id).toBe(engineer);
    const mineTexts = sectionTexts(mine.view);
    expect(mineTexts).toHaveLength(1);
    expect(mineTexts[0]).toContain(tickets.warned);

    const all = blockActionBody({ actionId: `${actionIds.homeFilter}.all`, value: 'all', container: 'view' });
    const publish = captureApi('views.publish');
    await sendSigned(harness, all.body, 'application/x-www-form-urlencoded');
    await eventually(() => publish.scope.isDone() && publish.bodies.length > 0);
    const view = publish.bodies[0]!.view as { type: string; blocks: Array<Record<string, unknown>> };
    expect(view.type).toBe('home');
    const texts = sectionTexts(view);
    const order = [tickets.breached, tickets.warned, tickets.fresh, tickets.incomplete].map((id) => texts.findIndex((text) => text.includes(id!)));
    expect(order).toEqual([0, 1, 2, 3]);
    expect(texts.join('\n')).not.toContain(tickets.closed);
    expect(texts[0]).toMatch(/^:red_circle: .*1 h overdue/s);
    expect(texts[1]).toMatch(/^:large_orange_circle: .*in 30 min/s);
    expect(texts[2]).toMatch(/^:large_green_circle: .*in 3 h 30 min/s);
    expect(texts[3]).toMatch(/^:white_circle: .*SLA clock not started/s);
    const buttons = JSON.stringify(view.blocks[1]);
    expect(buttons).toContain('"value":"all","style":"primary"');

    // The filter is remembered for the next opening of the tab.
    const again = await openHome(engineer);
    expect(sectionTexts(again.view)).toHaveLength(4);
  });

  it('shows no customer data to someone without a support role', async () => {
    const published = await openHome(outsider);
    const text = JSON.stringify(published.view);
    expect(text).toContain('for support engineers and managers');
    expect(text).not.toContain('SR-');
  });
});
