// Signed but malformed Slack payloads (issue 13, point 6) and slash commands without trigger_id (point 7), as real
// signed HTTP requests into the receiver: a malformed shape gets 400 at once, a well-formed one nothing listens to an
// empty 200 at once, never a 3-second hold or a 500; two commands without trigger_id are both answered, a replay once.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionIds, viewIds } from '../../../src/channels/slack/blocks/ids.ts';
import { classifySlackPayload } from '../../../src/channels/slack/inbound-payload.ts';
import { slackRoutes } from '../../../src/channels/slack/bolt-app.ts';
import { guardSocketReceiver } from '../../../src/channels/slack/socket-receiver-guard.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import {
  blockActionBody,
  captureResponses,
  engineer,
  eventBody,
  eventually,
  sendSigned,
  slashCommandBody,
  startSlackHarness,
  viewSubmissionBody,
  type SlackHarness,
} from './harness.ts';

let harness: SlackHarness;
const form = 'application/x-www-form-urlencoded' as const;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  harness = await startSlackHarness();
});

afterAll(async () => {
  await harness.close();
  nock.enableNetConnect();
});

beforeEach(() => nock.cleanAll());
afterEach(() => {
  expect(nock.pendingMocks()).toEqual([]);
});

const payloadForm = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

/** A block action payload from the harness with `change` applied to its JSON. */
function blockAction(change: (payload: Record<string, unknown>) => void): string {
  const { payload } = blockActionBody({ actionId: actionIds.assignToMe, value: 'SR-2026-000001' });
  change(payload);
  return payloadForm(payload);
}

function viewSubmission(change: (payload: Record<string, unknown>) => void): string {
  const payload = JSON.parse(
    new URLSearchParams(viewSubmissionBody({ callbackId: viewIds.close, metadata: { requestId: 'SR-2026-000001' }, values: {} })).get('payload')!,
  );
  change(payload);
  return payloadForm(payload);
}

const malformed: Array<{ rule: string; body: () => string; type: typeof form | 'application/json' }> = [
  { rule: 'payload=null', body: () => new URLSearchParams({ payload: 'null' }).toString(), type: form },
  { rule: 'payload that is an array', body: () => new URLSearchParams({ payload: '[1,2]' }).toString(), type: form },
  { rule: 'block_actions with actions: null', body: () => blockAction((payload) => Object.assign(payload, { actions: null })), type: form },
  { rule: 'block_actions with no actions at all', body: () => blockAction((payload) => Object.assign(payload, { actions: [] })), type: form },
  { rule: 'a block action with no user', body: () => blockAction((payload) => void delete payload.user), type: form },
  { rule: 'a block action whose user has no id', body: () => blockAction((payload) => Object.assign(payload, { user: { name: 'x' } })), type: form },
  {
    rule: 'an event that is a string',
    body: () => JSON.stringify({ type: 'event_callback', event_id: 'Ev1', team_id: 'T0001', event: 'app_home_opened' }),
    type: 'application/json',
  },
  { rule: 'app_home_opened without a user', body: () => eventBody({ type: 'app_home_opened', tab: 'home' }, 'EvNOUSER'), type: 'application/json' },
  { rule: 'a view_submission with no view', body: () => viewSubmission((payload) => void delete payload.view), type: form },
  {
    rule: 'a view_submission whose view has no state',
    body: () => viewSubmission((payload) => void delete (payload.view as Record<string, unknown>).state),
    type: form,
  },
  { rule: 'a JSON body that is null', body: () => 'null', type: 'application/json' },
  { rule: 'a url_verification without a challenge', body: () => JSON.stringify({ type: 'url_verification' }), type: 'application/json' },
  {
    rule: 'a slash command without user_id',
    body: () => {
      const params = new URLSearchParams(slashCommandBody('help').body);
      params.delete('user_id');
      return params.toString();
    },
    type: form,
  },
  {
    rule: 'a slash command without response_url',
    body: () => {
      const params = new URLSearchParams(slashCommandBody('help').body);
      params.delete('response_url');
      return params.toString();
    },
    type: form,
  },
  { rule: 'a form with neither payload nor command', body: () => 'token=legacy&team_id=T0001', type: form },
];

describe('signed but malformed Slack payloads', () => {
  it.each(malformed)('$rule: 400 at once, nothing handled', async ({ body, type }) => {
    const before = await harness.database.prisma.slackDelivery.count();
    const result = await sendSigned(harness, body(), type);
    expect(result.status).toBe(400);
    expect(result.text).toBe('');
    expect(result.ms).toBeLessThan(2_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await harness.database.prisma.slackDelivery.count()).toBe(before);
  });
});

describe('well-formed Slack payloads deskbot does not listen to', () => {
  const unrouted: Array<{ rule: string; body: () => string; type: typeof form | 'application/json' }> = [
    {
      rule: 'an event of another type',
      body: () => eventBody({ type: 'member_joined_channel', user: engineer, channel: 'C1' }, 'EvOTHER1'),
      type: 'application/json',
    },
    { rule: 'a button with another action id', body: () => blockActionBody({ actionId: 'someone.else', value: 'x' }).body, type: form },
    { rule: 'a submission of another modal', body: () => viewSubmissionBody({ callbackId: 'other.modal', metadata: {}, values: {} }), type: form },
    { rule: 'a view_closed', body: () => payloadForm({ type: 'view_closed', user: { id: engineer }, view: { id: 'V1' } }), type: form },
    { rule: 'another slash command', body: () => slashCommandBody('help', { command: '/other' }).body, type: form },
    {
      rule: 'Slack’s app_rate_limited notice',
      body: () => JSON.stringify({ token: 'legacy', type: 'app_rate_limited', team_id: 'T0001', minute_rate_limited: 1518467820, api_app_id: 'A0001' }),
      type: 'application/json',
    },
  ];

  it.each(unrouted)('$rule: Slack’s empty 200 at once', async ({ body, type }) => {
    const result = await sendSigned(harness, body(), type);
    expect(result.status).toBe(200);
    expect(result.text).toBe('');
    expect(result.ms).toBeLessThan(2_000);
  });

  it('classifies by the routes the Bolt app registers', () => {
    const routes = slackRoutes('/support');
    expect(routes.actionIds).toContain(actionIds.close);
    expect(routes.actionIds).toContain(`${actionIds.homeFilter}.mine`);
    expect(classifySlackPayload(JSON.parse(eventBody({ type: 'app_home_opened', user: engineer, tab: 'home' }, 'Ev2')), routes).kind).toBe('dispatch');
    expect(classifySlackPayload({ type: 'block_actions', user: { id: engineer }, actions: [{ action_id: actionIds.close }] }, routes).kind).toBe('dispatch');
    expect(classifySlackPayload({ type: 'block_actions', user: { id: engineer }, actions: [{ action_id: 1 }] }, routes).kind).toBe('reject');
  });
});

describe('slash commands without trigger_id (dedupe key)', () => {
  const withoutTrigger = (text: string) => {
    const command = slashCommandBody(text);
    const params = new URLSearchParams(command.body);
    params.delete('trigger_id');
    return { body: params.toString(), responsePath: command.responsePath };
  };

  it('answers two different commands that carry no trigger_id', async () => {
    const first = withoutTrigger('list');
    const second = withoutTrigger('list mine');
    const firstAnswer = captureResponses(first.responsePath);
    const secondAnswer = captureResponses(second.responsePath);
    expect((await sendSigned(harness, first.body, form)).status).toBe(200);
    await eventually(() => firstAnswer.bodies.length === 1);
    expect((await sendSigned(harness, second.body, form)).status).toBe(200);
    await eventually(() => secondAnswer.bodies.length === 1);
    expect(await harness.database.prisma.slackDelivery.count({ where: { id: { startsWith: 'command:signed:' } } })).toBeGreaterThanOrEqual(2);
    expect(await harness.database.prisma.slackDelivery.count({ where: { id: 'command:undefined' } })).toBe(0);
  });

  it('handles a replay of the same signed bytes once', async () => {
    const command = withoutTrigger('list');
    const answer = captureResponses(command.responsePath, 2);
    const timestampSec = Math.floor(harness.clock.now().getTime() / 1000);
    expect((await sendSigned(harness, command.body, form, { timestampSec })).status).toBe(200);
    await eventually(() => answer.bodies.length === 1);
    expect((await sendSigned(harness, command.body, form, { timestampSec })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answer.bodies).toHaveLength(1);
    nock.cleanAll();
  });
});

describe('Socket Mode (no HTTP status): the same check before Bolt', () => {
  it('acks and drops a malformed or unrouted payload, and hands a routed one to Bolt', async () => {
    let guarded: App | undefined;
    const inner: Receiver = { init: (app) => void (guarded = app), start: async () => undefined, stop: async () => undefined };
    const dispatched: unknown[] = [];
    const bolt = { processEvent: async (event: ReceiverEvent) => void dispatched.push(event.body) } as unknown as App;
    guardSocketReceiver(inner, slackRoutes('/support'), createSilentLogger()).init(bolt);
    const deliver = async (body: unknown) => {
      let acked = 0;
      await guarded!.processEvent({ body: body as Record<string, unknown>, ack: async () => void (acked += 1) });
      return acked;
    };
    expect(await deliver(null)).toBe(1);
    expect(await deliver({ type: 'block_actions', actions: null, user: { id: engineer } })).toBe(1);
    expect(await deliver({ type: 'view_submission', user: { id: engineer } })).toBe(1);
    expect(await deliver({ type: 'block_actions', user: { id: engineer }, actions: [{ action_id: 'someone.else' }] })).toBe(1);
    expect(dispatched).toEqual([]);
    const routed = { type: 'block_actions', user: { id: engineer }, actions: [{ action_id: actionIds.assignToMe, value: 'SR-2026-000001' }] };
    expect(await deliver(routed)).toBe(0);
    expect(dispatched).toEqual([routed]);
  });
});
