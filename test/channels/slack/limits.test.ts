// Slack's size limits in one place (issue 13, point 8): capText and capMessage table-driven, every Web API call cut
// on its way out (nock sees the cut message), and a 900,000-character button value never echoed whole.
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { actionIds } from '../../../src/channels/slack/blocks/ids.ts';
import { capMessage, capText, slackLimits } from '../../../src/channels/slack/blocks/limits.ts';
import { blockActionBody, captureApi, captureResponses, eventually, sendSigned, startSlackHarness, triageChannel, type SlackHarness } from './harness.ts';

describe('capText', () => {
  const cases: Array<{ rule: string; text: string; max: number; expected: string }> = [
    { rule: 'text within the limit is unchanged', text: 'abc', max: 3, expected: 'abc' },
    { rule: 'longer text is cut with an ellipsis, max included', text: 'abcdef', max: 4, expected: 'abc…' },
    { rule: 'an escape is never cut in half', text: 'ab &amp; cd', max: 7, expected: 'ab …' },
    { rule: 'a <…> token is never cut in half', text: 'hi <@U12345678> there', max: 10, expected: 'hi …' },
    { rule: 'a surrogate pair is never cut in half', text: 'ab😀cd', max: 4, expected: 'ab…' },
    { rule: 'a zero limit gives nothing', text: 'abc', max: 0, expected: '' },
  ];
  it.each(cases)('$rule', ({ text, max, expected }) => {
    const capped = capText(text, max);
    expect(capped).toBe(expected);
    expect(capped.length).toBeLessThanOrEqual(max);
  });
});

describe('capMessage', () => {
  it('cuts the message text, section texts, fields, headers and context elements to Slack’s limits', () => {
    const long = 'x'.repeat(900_000);
    const capped = capMessage({
      channel: 'C1',
      text: long,
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: long } },
        { type: 'section', text: { type: 'mrkdwn', text: long }, fields: [{ type: 'mrkdwn', text: long }] },
        { type: 'context', elements: [{ type: 'mrkdwn', text: long }] },
        { type: 'actions', elements: [{ type: 'button', value: 'SR-2026-000001' }] },
      ],
    });
    expect(capped.channel).toBe('C1');
    expect(capped.text).toHaveLength(slackLimits.messageText);
    type TextObject = { text: string };
    const [header, section, context, actions] = capped.blocks as [
      { text: TextObject },
      { text: TextObject; fields: TextObject[] },
      { elements: TextObject[] },
      unknown,
    ];
    expect(header.text.text).toHaveLength(slackLimits.headerText);
    expect(section.text.text).toHaveLength(slackLimits.blockText);
    expect(section.fields[0]?.text).toHaveLength(slackLimits.fieldText);
    expect(context.elements[0]?.text).toHaveLength(slackLimits.blockText);
    expect(actions).toEqual({ type: 'actions', elements: [{ type: 'button', value: 'SR-2026-000001' }] });
  });

  it('keeps all block text of one message within 40,000 characters', () => {
    const blocks = Array.from({ length: 50 }, () => ({ type: 'section', text: { type: 'mrkdwn', text: 'y'.repeat(3_000) } }));
    const capped = capMessage({ blocks }).blocks as Array<{ text: { text: string } }>;
    expect(capped.reduce((sum, block) => sum + block.text.text.length, 0)).toBeLessThanOrEqual(slackLimits.messageText);
    expect(capped).toHaveLength(14);
  });

  it('cuts the blocks of a view', () => {
    const capped = capMessage({ view: { type: 'modal', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'z'.repeat(5_000) } }] } });
    expect((capped.view as { blocks: Array<{ text: { text: string } }> }).blocks[0]!.text.text).toHaveLength(slackLimits.blockText);
  });
});

describe('what reaches Slack', () => {
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

  it('every Web API call is cut on its way out', async () => {
    const post = captureApi('chat.postMessage', { ok: true, ts: '1.1', channel: triageChannel });
    await harness.channel.api!.call('chat.postMessage', {
      channel: triageChannel,
      text: 'w'.repeat(60_000),
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'v'.repeat(10_000) } }],
    });
    post.scope.done();
    expect(String(post.bodies[0]!.text)).toHaveLength(slackLimits.messageText);
    expect((post.bodies[0]!.blocks as Array<{ text: { text: string } }>)[0]!.text.text).toHaveLength(slackLimits.blockText);
  });

  it('a 900,000-character button value is not echoed whole to response_url', async () => {
    const value = 'x'.repeat(900_000);
    const action = blockActionBody({ actionId: actionIds.assignToMe, value });
    const answer = captureResponses(action.responsePath);
    expect((await sendSigned(harness, action.body, form)).status).toBe(200);
    await eventually(() => answer.bodies.length === 1);
    answer.scope.done();
    const text = String(answer.bodies[0]!.text);
    expect(text).toMatch(/^:warning: "xxx/);
    expect(text.length).toBeLessThanOrEqual(slackLimits.blockText);
  });

  it('a Close button whose value is no request ID opens no modal', async () => {
    const action = blockActionBody({ actionId: actionIds.close, value: 'x'.repeat(900_000) });
    const answer = captureResponses(action.responsePath);
    await sendSigned(harness, action.body, form);
    await eventually(() => answer.bodies.length === 1);
    answer.scope.done();
    expect(String(answer.bodies[0]!.text)).toMatch(/does not name a service request/);
  });
});
