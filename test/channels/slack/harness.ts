// A started deskbot HTTP server with the Slack channel on PGlite, a controllable clock, and helpers that sign
// requests the way Slack does (v0 HMAC over "v0:<timestamp>:<body>") and wait for the work done after ack().
import { createHmac } from 'node:crypto';
import nock from 'nock';
import { loadConfig, type Config } from '../../../src/config.ts';
import { HealthRegistry } from '../../../src/health.ts';
import { createHttpServer, type HttpServer } from '../../../src/http-server.ts';
import { createOutboxDispatcher, type OutboxDispatcher } from '../../../src/jobs/outbox-dispatcher.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { defaultPolicy, type Policy } from '../../../src/domain/policy.ts';
import type { Runtime } from '../../../src/runtime.ts';
import { createDirectoryRepository } from '../../../src/store/directory-repository.ts';
import { openDatabase, type Database } from '../../../src/store/database.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { createSlackChannel, type SlackChannel, type SlackChannelOptions } from '../../../src/channels/slack/slack-channel.ts';
import { createTemplateRenderer } from '../../../src/channels/email/templates.ts';
import { storeAccess } from '../../../src/store/transactor.ts';
import { createOutboxRepository } from '../../../src/store/outbox-repository.ts';
import { mailParser } from '../../../src/channels/email/parse-message.ts';

export const slackApiBase = 'http://slack.test';
export const slackApiUrl = `${slackApiBase}/api/`;
export const signingSecret = 'test-signing-secret-0123456789abcdef';
export const triageChannel = 'CTRIAGE01';
export const billingChannel = 'CBILLING1';
export const engineer = 'UENG00001';
export const manager = 'UMGR00001';
export const outsider = 'UOUT00001';

/** A clock that stands still until a test moves it. */
export function createTestClock(start: Date) {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    set: (date: Date) => void (current = date.getTime()),
    advance: (ms: number) => void (current += ms),
  };
}
export type TestClock = ReturnType<typeof createTestClock>;

export interface SlackHarness {
  runtime: Runtime;
  database: Database;
  policy: Policy;
  clock: TestClock;
  http: HttpServer;
  url: string;
  channel: SlackChannel;
  dispatcher: OutboxDispatcher;
  close(): Promise<void>;
}

export interface HarnessOptions {
  env?: Record<string, string>;
  roles?: Policy['roles'];
  start?: Date;
  channel?: SlackChannelOptions;
}

export async function startSlackHarness(options: HarnessOptions = {}): Promise<SlackHarness> {
  const logger = createSilentLogger();
  const config: Config = loadConfig({
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slackApiUrl,
    SLACK_TRIAGE_CHANNEL: triageChannel,
    SLACK_BILLING_CHANNEL: billingChannel,
    SLACK_MANAGERS: `${manager},CMANAGERS`,
    SUPPORT_ADDRESS: 'support@vendor.example',
    SUPPORT_NAME: 'Vendor Support',
    ...options.env,
  });
  const policy = { ...defaultPolicy(), roles: options.roles ?? { engineers: [engineer], managers: [manager] } };
  const database = await openDatabase({ logger });
  await migrate(database, { logger });
  const clock = createTestClock(options.start ?? new Date('2026-03-02T10:00:00Z'));
  const health = new HealthRegistry();
  const renderer = createTemplateRenderer();
  const runtime: Runtime = {
    config,
    logger,
    policy,
    database,
    ...storeAccess(database, policy),
    directory: createDirectoryRepository(database.prisma),
    mailRenderer: renderer,
    renderer,
    parser: mailParser,
    clock,
    health,
    close: () => database.close(),
  };
  const http = createHttpServer(logger);
  const channel = await createSlackChannel(runtime, http, { verifyToken: false, ...options.channel });
  const dispatcher = createOutboxDispatcher({
    outbox: createOutboxRepository(database.prisma),
    logger,
    clock,
    health,
    pollIntervalMs: 3_600_000,
    handlers: { slack: channel.outboxHandler },
    backoffBaseMs: 1_000,
    random: () => 0,
  });
  await channel.service.start();
  const { port } = await http.listen(0, '127.0.0.1');
  return {
    runtime,
    database,
    policy,
    clock,
    http,
    url: `http://127.0.0.1:${port}/slack/events`,
    channel,
    dispatcher,
    async close() {
      await http.close();
      await channel.service.stop();
      // Closes the Slack handler (its rate limiter) after the last delivery, as in serve.
      await dispatcher.stop();
      await database.close();
    },
  };
}

/** Slack's v0 signature of a body sent at `timestampSec`. */
export function sign(body: string, timestampSec: number, secret = signingSecret): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
}

export interface SendOptions {
  /** Default: the harness clock's now. */
  timestampSec?: number;
  signature?: string | null;
  headers?: Record<string, string>;
}

/** POSTs a signed body to /slack/events the way Slack does; returns status and text once the HTTP response is complete. */
export async function sendSigned(
  harness: SlackHarness,
  body: string,
  contentType: 'application/json' | 'application/x-www-form-urlencoded',
  options: SendOptions = {},
): Promise<{ status: number; text: string; ms: number }> {
  const timestampSec = options.timestampSec ?? Math.floor(harness.clock.now().getTime() / 1000);
  const headers: Record<string, string> = { 'content-type': contentType, 'x-slack-request-timestamp': String(timestampSec), ...options.headers };
  if (options.signature !== null) headers['x-slack-signature'] = options.signature ?? sign(body, timestampSec);
  const started = performance.now();
  const response = await fetch(harness.url, { method: 'POST', headers, body });
  const text = await response.text();
  return { status: response.status, text, ms: performance.now() - started };
}

let sequence = 0;
const next = () => `${Date.now()}${(sequence += 1)}`;

export function slashCommandBody(
  text: string,
  options: { user?: string; userName?: string; command?: string; responseUrl?: string } = {},
): { body: string; responsePath: string } {
  const responsePath = `/respond/commands/${next()}`;
  const body = new URLSearchParams({
    token: 'legacy',
    team_id: 'T0001',
    team_domain: 'vendor',
    channel_id: triageChannel,
    channel_name: 'triage',
    user_id: options.user ?? engineer,
    user_name: options.userName ?? 'eve.engineer',
    command: options.command ?? '/support',
    text,
    api_app_id: 'A0001',
    response_url: options.responseUrl ?? `${slackApiBase}${responsePath}`,
    trigger_id: `trigger.${next()}`,
  }).toString();
  return { body, responsePath };
}

export interface ActionBodyOptions {
  user?: string;
  actionId: string;
  value?: string;
  blockId?: string;
  selected?: string;
  actionTs?: string;
  channel?: string | null;
  container?: 'message' | 'view';
}

export function blockActionBody(options: ActionBodyOptions): { body: string; responsePath: string; triggerId: string; payload: Record<string, unknown> } {
  const responsePath = `/respond/actions/${next()}`;
  const triggerId = `trigger.${next()}`;
  const inView = options.container === 'view';
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    team: { id: 'T0001', domain: 'vendor' },
    user: { id: options.user ?? engineer, username: 'eve.engineer', name: 'eve.engineer', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: triggerId,
    container: inView
      ? { type: 'view', view_id: 'VHOME' }
      : { type: 'message', message_ts: '1700000000.000100', channel_id: triageChannel, is_ephemeral: false },
    ...(inView ? { view: { id: 'VHOME', type: 'home' } } : {}),
    ...(options.channel === null || inView ? {} : { channel: { id: options.channel ?? triageChannel, name: 'triage' } }),
    ...(inView ? {} : { response_url: `${slackApiBase}${responsePath}` }),
    actions: [
      {
        type: options.selected ? 'static_select' : 'button',
        action_id: options.actionId,
        block_id: options.blockId ?? 'ticket:block',
        ...(options.value !== undefined ? { value: options.value } : {}),
        ...(options.selected ? { selected_option: { text: { type: 'plain_text', text: options.selected }, value: options.selected } } : {}),
        action_ts: options.actionTs ?? `${Math.floor(Date.now() / 1000)}.${String(sequence++).padStart(6, '0')}`,
      },
    ],
  };
  return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), responsePath, triggerId, payload };
}

export function viewSubmissionBody(options: {
  user?: string;
  callbackId: string;
  viewId?: string;
  metadata: unknown;
  values: Record<string, Record<string, unknown>>;
}): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0001', domain: 'vendor' },
    user: { id: options.user ?? engineer, username: 'eve.engineer', name: 'eve.engineer', team_id: 'T0001' },
    api_app_id: 'A0001',
    token: 'legacy',
    trigger_id: `trigger.${next()}`,
    view: {
      id: options.viewId ?? `V${next()}`,
      team_id: 'T0001',
      type: 'modal',
      callback_id: options.callbackId,
      private_metadata: JSON.stringify(options.metadata),
      hash: 'hash',
      state: { values: options.values },
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

export function eventBody(event: Record<string, unknown>, eventId: string): string {
  return JSON.stringify({
    token: 'legacy',
    team_id: 'T0001',
    api_app_id: 'A0001',
    event,
    type: 'event_callback',
    event_id: eventId,
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ team_id: 'T0001', user_id: 'UBOT', is_bot: true }],
  });
}

/** Waits until `check` passes (returns truthy without throwing). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError instanceof Error ? lastError : new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A nock scope on the response_url host that records each ephemeral answer. */
export function captureResponses(path: string | RegExp, times = 1) {
  const bodies: Array<Record<string, unknown>> = [];
  const scope = nock(slackApiBase)
    .post(path)
    .times(times)
    .reply(200, (_uri, body) => {
      bodies.push(body as Record<string, unknown>);
      return 'ok';
    });
  return { scope, bodies };
}

/** Intercepts one Web API method; records each request body (form or JSON) and answers `reply`. */
export function captureApi(
  method: string,
  reply: Record<string, unknown> | ((body: Record<string, unknown>) => Record<string, unknown>) = { ok: true },
  times = 1,
) {
  const bodies: Array<Record<string, unknown>> = [];
  const scope = nock(slackApiBase)
    .post(`/api/${method}`)
    .times(times)
    .reply(200, (_uri, body) => {
      const parsed = parseApiBody(body);
      bodies.push(parsed);
      return typeof reply === 'function' ? reply(parsed) : reply;
    });
  return { scope, bodies };
}

/** WebClient sends application/x-www-form-urlencoded with JSON-encoded objects (blocks, view) as strings. */
export function parseApiBody(body: unknown): Record<string, unknown> {
  const record: Record<string, unknown> = typeof body === 'string' ? Object.fromEntries(new URLSearchParams(body)) : { ...(body as Record<string, unknown>) };
  for (const key of ['blocks', 'view']) {
    if (typeof record[key] === 'string') record[key] = JSON.parse(record[key] as string);
  }
  return record;
}

/**
 * Sends `/support <text>` and returns its ephemeral answer and where it came: in the HTTP acknowledgement (help, usage,
 * refusal: nothing to read or write) or through the response_url after the ack (an unused capture is removed).
 */
export async function supportCommand(harness: SlackHarness, text: string, user?: string): Promise<{ text: string; via: 'ack' | 'response_url' }> {
  const command = slashCommandBody(text, user ? { user } : {});
  const answer = captureResponses(command.responsePath);
  const result = await sendSigned(harness, command.body, 'application/x-www-form-urlencoded');
  if (result.status !== 200) throw new Error(`/support ${text}: HTTP ${result.status}`);
  if (result.text !== '') {
    nock.removeInterceptor({ proto: 'http', hostname: new URL(slackApiBase).hostname, method: 'POST', path: command.responsePath });
    const acked = JSON.parse(result.text) as Record<string, unknown>;
    if (acked.response_type !== 'ephemeral') throw new Error(`/support ${text}: the acknowledgement's answer is not ephemeral`);
    return { text: String(acked.text), via: 'ack' };
  }
  await eventually(() => answer.scope.isDone() && answer.bodies.length > 0);
  if (answer.bodies[0]!.response_type !== 'ephemeral') throw new Error(`/support ${text}: the response_url answer is not ephemeral`);
  return { text: String(answer.bodies[0]!.text), via: 'response_url' };
}
