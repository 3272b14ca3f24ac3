// POST /slack/events on deskbot's own server: only correctly signed, fresh requests reach Bolt; a refused request
// changes nothing and calls nothing. Events Slack retries are handled once.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedCustomer, seedTicket } from './seed.ts';
import {
  captureApi,
  captureResponses,
  engineer,
  eventBody,
  eventually,
  sendSigned,
  sign,
  slashCommandBody,
  startSlackHarness,
  type SlackHarness,
} from './harness.ts';

let harness: SlackHarness;
let requestId: string;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness();
  const customer = await seedCustomer(harness.database.prisma);
  ({ requestId } = await seedTicket(harness.database.prisma, harness.policy, { customer, openedAt: harness.clock.now() }));
});

afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});

beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

async function assertNothingChanged() {
  const ticket = await harness.database.prisma.ticket.findUniqueOrThrow({ where: { requestId } });
  expect(ticket.assigneeSlackId).toBeNull();
  expect(await harness.database.prisma.slackDelivery.count()).toBe(0);
  expect(await harness.database.prisma.outbox.count()).toBe(0);
}

describe('Slack request verification', () => {
  const { body } = slashCommandBody(`assign ${'SR-2026-000001'} me`);
  const form = 'application/x-www-form-urlencoded' as const;

  it('refuses a request without a signature (401) and changes nothing', async () => {
    const result = await sendSigned(harness, body, form, { signature: null });
    expect(result.status).toBe(401);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assertNothingChanged();
  });

  it('refuses a request without a timestamp (401)', async () => {
    const response = await fetch(harness.url, { method: 'POST', headers: { 'content-type': form, 'x-slack-signature': sign(body, 1) }, body });
    expect(response.status).toBe(401);
    await assertNothingChanged();
  });

  it('refuses a wrong signature (401) and changes nothing', async () => {
    const now = Math.floor(harness.clock.now().getTime() / 1000);
    const result = await sendSigned(harness, body, form, { signature: sign(body, now, 'some-other-secret') });
    expect(result.status).toBe(401);
    await assertNothingChanged();
  });

  it('refuses a body altered after signing (401)', async () => {
    const now = Math.floor(harness.clock.now().getTime() / 1000);
    const result = await sendSigned(harness, body.replace('me', 'U999'), form, { signature: sign(body, now) });
    expect(result.status).toBe(401);
    await assertNothingChanged();
  });

  it('refuses a correctly signed request older than 5 minutes by the injected clock (401)', async () => {
    const old = Math.floor(harness.clock.now().getTime() / 1000) - 5 * 60 - 1;
    const result = await sendSigned(harness, body, form, { timestampSec: old, signature: sign(body, old) });
    expect(result.status).toBe(401);
    await assertNothingChanged();
  });

  it('refuses a correctly signed request more than 5 minutes in the future (401)', async () => {
    const ahead = Math.floor(harness.clock.now().getTime() / 1000) + 5 * 60 + 5;
    const result = await sendSigned(harness, body, form, { timestampSec: ahead, signature: sign(body, ahead) });
    expect(result.status).toBe(401);
    await assertNothingChanged();
  });

  it('accepts a signed request 4 minutes old and answers Slack with 200 at once', async () => {
    const recent = Math.floor(harness.clock.now().getTime() / 1000) - 4 * 60;
    const command = slashCommandBody('help');
    const result = await sendSigned(harness, command.body, form, { timestampSec: recent, signature: sign(command.body, recent) });
    expect(result.status).toBe(200);
    // Help needs no store: its answer is the acknowledgement's body.
    const answer = JSON.parse(result.text) as Record<string, unknown>;
    expect(answer).toMatchObject({ response_type: 'ephemeral' });
    expect(String(answer.text)).toContain('/support list');
  });

  it('answers the url_verification challenge', async () => {
    const body = JSON.stringify({ type: 'url_verification', token: 'legacy', challenge: 'c-123' });
    const result = await sendSigned(harness, body, 'application/json');
    expect(result.status).toBe(200);
    expect(JSON.parse(result.text)).toEqual({ challenge: 'c-123' });
  });
});

describe('Slack retries', () => {
  it('handles an event Slack delivers again (X-Slack-Retry-Num) only once', async () => {
    const publish = captureApi('views.publish', { ok: true }, 2);
    const body = eventBody({ type: 'app_home_opened', user: engineer, channel: 'DAPPHOME', tab: 'home', event_ts: '1700000000.1' }, 'Ev0RETRY1');
    const first = await sendSigned(harness, body, 'application/json');
    expect(first.status).toBe(200);
    await eventually(() => publish.bodies.length === 1);
    const retry = await sendSigned(harness, body, 'application/json', { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(publish.bodies).toHaveLength(1);
    expect(await harness.database.prisma.slackDelivery.count({ where: { id: 'event:Ev0RETRY1' } })).toBe(1);
    nock.cleanAll();
  });
});
