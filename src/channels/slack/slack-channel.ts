// Wires the Slack channel from config: off (posts logged) without SLACK_BOT_TOKEN; otherwise slack-live.ts, loaded
// only then: the Bolt app on POST /slack/events of deskbot's HTTP server (or Socket Mode with SLACK_APP_TOKEN), the
// rate-limited Web API, roles, and the outbox handler the dispatcher delivers Slack rows with. Wiring only.
import type { OutboxHandler } from '../../app/ports.ts';
import type { HttpServer } from '../../http-server.ts';
import type { Service } from '../../app/ports.ts';
import type { RateLimiterFactory } from '../../rate-limiter.ts';
import type { Runtime } from '../../runtime.ts';
import type { SlackApp } from './bolt-app.ts';
import { createSlackOutboxHandler } from './outbox-handler.ts';
import type { SlackRateLimits } from './rate-limiter.ts';
import type { RoleDirectory } from './roles.ts';
import type { TicketClosing } from './slack-deps.ts';
import type { SlackApi } from './web-api.ts';

/** The route Slack delivers events, slash commands and interactivity to (the manifest's request URLs). */
export const slackEventsPath = '/slack/events';

export interface SlackChannelOptions {
  /** Closing and breach reports; defaults to src/app/close-ticket.ts and src/app/sla-breaches.ts. */
  closing?: TicketClosing;
  /** Called after a Slack action committed outbox rows (e.g. the dispatcher's kick). */
  onEnqueued?: () => void;
  /** Shared limiter factory (Redis-clustered when configured). */
  limiterFactory?: RateLimiterFactory;
  rateLimits?: Partial<SlackRateLimits>;
  /** Call auth.test at start to report health (default true). */
  verifyToken?: boolean;
  /** How many post-ack tasks run at once (default 8: PostgreSQL pool connections, or PGlite busy on its own thread). */
  postAckConcurrency?: number;
  /** Longest a post-ack task waits for the acks of arriving requests to go out first (default 250 ms). */
  postAckMaxDeferMs?: number;
}

export interface SlackChannel {
  enabled: boolean;
  service: Service;
  /** Register with the outbox dispatcher as `handlers.slack`. */
  outboxHandler: OutboxHandler;
  api?: SlackApi;
  roles?: RoleDirectory;
  slackApp?: SlackApp;
}

/** Where Slack posts go, from config. */
export function slackDestinations(config: Runtime['config']) {
  return { triage: config.SLACK_TRIAGE_CHANNEL, billing: config.SLACK_BILLING_CHANNEL, managers: config.SLACK_MANAGERS };
}

export async function createSlackChannel(runtime: Runtime, http: HttpServer, options: SlackChannelOptions = {}): Promise<SlackChannel> {
  const { config, logger, policy, clock, health } = runtime;
  const prisma = runtime.database.prisma;
  const destinations = slackDestinations(config);

  if (!config.SLACK_BOT_TOKEN) {
    return {
      enabled: false,
      outboxHandler: createSlackOutboxHandler({ prisma, policy, clock, logger, api: null, destinations }),
      service: {
        name: 'slack',
        async start() {
          health.set('slack', 'off', 'SLACK_BOT_TOKEN not set: what would be posted is logged');
        },
        async stop() {},
      },
    };
  }

  // Bolt and the Web API client load only when Slack is configured (about 20 MB of resident memory otherwise).
  const { createLiveSlackChannel } = await import('./slack-live.ts');
  return createLiveSlackChannel(runtime, http, options);
}
