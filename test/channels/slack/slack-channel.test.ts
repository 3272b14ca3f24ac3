// Wiring from config: without Slack settings the channel is off (health 'slack' off, no /slack/events route) and the
// outbox handler only logs; the Web API limiter spaces chat.postMessage per channel and honours Retry-After.
import nock from 'nock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSlackChannel } from '../../../src/channels/slack/slack-channel.ts';
import { createSlackRateLimiter, slackTiers } from '../../../src/channels/slack/rate-limiter.ts';
import { createSlackWebApi, webClientOptions } from '../../../src/channels/slack/web-api.ts';
import { loadConfig } from '../../../src/config.ts';
import { defaultPolicy } from '../../../src/domain/policy.ts';
import { isDeskbotError } from '../../../src/errors.ts';
import { HealthRegistry } from '../../../src/health.ts';
import { createHttpServer } from '../../../src/http-server.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { systemClock } from '../../../src/app/ports.ts';
import type { Runtime } from '../../../src/runtime.ts';
import { webApi } from '@slack/bolt';
import { slackApiBase, slackApiUrl } from './harness.ts';

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});
afterAll(() => nock.enableNetConnect());

describe('Slack off', () => {
  it('reports health part slack = off and serves no /slack/events', async () => {
    const logger = createSilentLogger();
    const health = new HealthRegistry();
    const runtime = {
      config: loadConfig({ LOG_LEVEL: 'silent' }),
      logger,
      policy: defaultPolicy(),
      database: { prisma: {} },
      clock: systemClock,
      health,
    } as unknown as Runtime;
    const http = createHttpServer(logger);
    const channel = await createSlackChannel(runtime, http);
    await channel.service.start();
    expect(channel.enabled).toBe(false);
    expect(health.get('slack')?.state).toBe('off');
    const { port } = await http.listen(0, '127.0.0.1');
    try {
      expect((await fetch(`http://127.0.0.1:${port}/slack/events`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await http.close();
      await channel.service.stop();
    }
  });
});

describe('Web API pacing', () => {
  const logger = createSilentLogger();
  const client = () => new webApi.WebClient('xoxb-test', webClientOptions(slackApiUrl));

  it('spaces chat.postMessage about one per second per channel, other channels unaffected', async () => {
    const limiter = createSlackRateLimiter({ logger });
    const api = createSlackWebApi({ client: client(), limiter, logger });
    const times: Record<string, number[]> = {};
    const scope = nock(slackApiBase)
      .post('/api/chat.postMessage')
      .times(3)
      .reply((_uri, body) => {
        const channel = new URLSearchParams(String(body)).get('channel')!;
        (times[channel] ??= []).push(performance.now());
        return [200, { ok: true, ts: '1.1' }];
      });
    const started = performance.now();
    await Promise.all([
      api.call('chat.postMessage', { channel: 'CA', text: 'a' }),
      api.call('chat.postMessage', { channel: 'CA', text: 'b' }),
      api.call('chat.postMessage', { channel: 'CB', text: 'c' }),
    ]);
    scope.done();
    // Starts are 1 s apart; arrival at the fake API jitters by the first call's warm-up.
    expect(times.CA![1]! - times.CA![0]!).toBeGreaterThanOrEqual(800);
    expect(times.CB![0]! - started).toBeLessThan(500);
    await limiter.stop();
  });

  it('turns a 429 into a retryable SLACK_RATE_LIMITED with retryAfterMs, and holds the method back that long', async () => {
    const limiter = createSlackRateLimiter({ logger });
    const api = createSlackWebApi({ client: client(), limiter, logger });
    nock(slackApiBase).post('/api/chat.update').reply(429, '', { 'Retry-After': '2' });
    const error = await api.call('chat.update', { channel: 'CA', ts: '1.1', text: 'x' }).catch((caught: unknown) => caught);
    expect(isDeskbotError(error, 'SLACK_RATE_LIMITED')).toBe(true);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 2_000 });
    expect(limiter.blockedForMs('chat.update', 'CA')).toBeGreaterThan(1_900);
    expect(limiter.blockedForMs('chat.postMessage', 'CA')).toBe(0);
    await limiter.stop();
  });

  it('opens modals at once, past the tier budget: a trigger_id lives 3 s, so views.open is not queued for a minute', async () => {
    const limiter = createSlackRateLimiter({ logger, limits: { perMinute: { ...slackTiers, tier4: 2 } } });
    const api = createSlackWebApi({ client: client(), limiter, logger });
    const scope = nock(slackApiBase)
      .post('/api/views.open')
      .times(5)
      .reply(200, { ok: true, view: { id: 'V1' } });
    const started = performance.now();
    await Promise.all(Array.from({ length: 5 }, (_, index) => api.call('views.open', { trigger_id: `t.${index}`, view: { type: 'modal' } })));
    scope.done();
    expect(performance.now() - started).toBeLessThan(2_500);
    await limiter.stop();
  });

  it('fails views.open at once when a 429 holds it back longer than the trigger lives', async () => {
    const limiter = createSlackRateLimiter({ logger });
    const api = createSlackWebApi({ client: client(), limiter, logger });
    nock(slackApiBase).post('/api/views.open').reply(429, '', { 'Retry-After': '30' });
    const first = await api.call('views.open', { trigger_id: 't.1', view: { type: 'modal' } }).catch((caught: unknown) => caught);
    expect(isDeskbotError(first, 'SLACK_RATE_LIMITED')).toBe(true);
    const started = performance.now();
    const second = await api.call('views.open', { trigger_id: 't.2', view: { type: 'modal' } }).catch((caught: unknown) => caught);
    expect(isDeskbotError(second, 'SLACK_RATE_LIMITED')).toBe(true);
    expect(second).toMatchObject({ retryable: false });
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(nock.pendingMocks()).toEqual([]);
    await limiter.stop();
  });

  it('translates Slack errors: permanent ones are not retried, server errors are', async () => {
    const limiter = createSlackRateLimiter({ logger });
    const api = createSlackWebApi({ client: client(), limiter, logger });
    nock(slackApiBase).post('/api/chat.postMessage').reply(200, { ok: false, error: 'channel_not_found' });
    nock(slackApiBase).post('/api/chat.postMessage').reply(503, 'busy');
    const permanent = await api.call('chat.postMessage', { channel: 'CX', text: 'x' }).catch((caught: unknown) => caught);
    expect(permanent).toMatchObject({ code: 'SLACK_API', retryable: false, details: { slackError: 'channel_not_found' } });
    const transient = await api.call('chat.postMessage', { channel: 'CY', text: 'x' }).catch((caught: unknown) => caught);
    expect(transient).toMatchObject({ code: 'SLACK_API', retryable: true });
    await limiter.stop();
  });
});
