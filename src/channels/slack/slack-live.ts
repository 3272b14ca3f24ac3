// The Slack channel when SLACK_BOT_TOKEN is set: the Bolt app on POST /slack/events of deskbot's HTTP server (or
// Socket Mode with SLACK_APP_TOKEN), the rate-limited Web API, roles, and the outbox handler. Loaded by
// slack-channel.ts only then, so a deployment without Slack never loads Bolt. Wiring only.
import { webApi } from '@slack/bolt';
import { concurrencyGate } from '../../concurrency-gate.ts';
import { closeTicket } from '../../app/close-ticket.ts';
import { listBreaches } from '../../app/sla-breaches.ts';
import { createInboundEmailHandler } from '../../app/intake/handle-inbound-email.ts';
import type { EngineerActionDeps } from '../../app/engineer/common.ts';
import type { HttpServer } from '../../http-server.ts';
import type { OutboxHandler, Service } from '../../app/ports.ts';
import type { Runtime } from '../../runtime.ts';
import { createSlackApp } from './bolt-app.ts';
import { createBoltLogger } from './bolt-logger.ts';
import { createSlackOutboxHandler } from './outbox-handler.ts';
import { createSlackRateLimiter } from './rate-limiter.ts';
import { createRoleDirectory } from './roles.ts';
import type { SlackHandlerDeps, TicketClosing } from './slack-deps.ts';
import { createSlackWebApi, webClientOptions } from './web-api.ts';
import { slackDestinations, slackEventsPath, type SlackChannel, type SlackChannelOptions } from './slack-channel.ts';

/** Wraps closeTicket so every Slack close also refreshes the ticket's message (a re-close queues no charge notice). */
function defaultClosing(runtime: Runtime, onEnqueued: (() => void) | undefined): TicketClosing {
  return {
    async closeTicket(input) {
      const result = await closeTicket(runtime, input);
      if (!result.alreadyClosed) {
        const card = await runtime.repositories.tickets.loadCard({ requestId: result.requestId });
        if (card) {
          const now = runtime.clock.now();
          await runtime.repositories.outbox.enqueue(
            {
              idempotencyKey: `slack:ticket-refresh:${card.id}:${now.getTime()}`,
              channel: 'slack',
              kind: 'ticket-refresh',
              payload: { ticketId: card.id },
              ticketId: card.id,
            },
            now,
          );
        }
        onEnqueued?.();
      }
      return result;
    },
    listBreaches: (range) => listBreaches(runtime, range),
  };
}

export function createLiveSlackChannel(runtime: Runtime, http: HttpServer, options: SlackChannelOptions): SlackChannel {
  const { config, logger, policy, clock, health } = runtime;
  const log = logger.child({ component: 'slack' });
  const prisma = runtime.database.prisma;
  const destinations = slackDestinations(config);
  if (!config.SLACK_BOT_TOKEN) throw new Error('createLiveSlackChannel needs SLACK_BOT_TOKEN');

  const botToken = config.SLACK_BOT_TOKEN;
  const client = new webApi.WebClient(botToken, { ...webClientOptions(config.SLACK_API_URL), logger: createBoltLogger(logger) });
  const limiter = createSlackRateLimiter({
    logger,
    ...(options.limiterFactory ? { factory: options.limiterFactory } : {}),
    ...(options.rateLimits ? { limits: options.rateLimits } : {}),
  });
  const api = createSlackWebApi({ client, limiter, logger });
  const roles = createRoleDirectory({ roles: policy.roles, api, logger });
  const actions: EngineerActionDeps = runtime;
  // Work after ack() first waits until no Slack request awaits its ack (at most postAckMaxDeferMs, so a flood delays
  // the work but never starves it), then takes its turn here. The wait is outside the slot: a task waiting for the
  // receiver to go quiet must not hold the slot the tasks before it could run in. Eight at once: PostgreSQL gets most
  // of the pool (10 connections), and PGlite's thread works on one task while this thread prepares the next ones.
  const postAck = concurrencyGate(options.postAckConcurrency ?? 8);
  let receiverIdle: (maxWaitMs: number) => Promise<void> = async () => undefined;
  const afterAck = async <T>(work: () => Promise<T>): Promise<T> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await receiverIdle(options.postAckMaxDeferMs ?? 250);
    return postAck.run(work);
  };
  const handlers: SlackHandlerDeps = {
    actions,
    closing: options.closing ?? defaultClosing(runtime, options.onEnqueued),
    roles,
    api,
    logger,
    command: config.SLACK_COMMAND,
    inbound: createInboundEmailHandler({ ...runtime, ...(options.onEnqueued ? { onCommitted: options.onEnqueued } : {}) }),
    afterAck,
    ...(options.onEnqueued ? { onEnqueued: options.onEnqueued } : {}),
  };
  const mode = config.SLACK_APP_TOKEN
    ? ({ kind: 'socket', appToken: config.SLACK_APP_TOKEN } as const)
    : ({ kind: 'http', signingSecret: config.SLACK_SIGNING_SECRET ?? '' } as const);
  const slackApp = createSlackApp({ mode, botToken, apiUrl: config.SLACK_API_URL, clock, logger, handlers });
  if (slackApp.httpReceiver) {
    const receiver = slackApp.httpReceiver;
    receiverIdle = (maxWaitMs) => receiver.whenIdle(maxWaitMs);
    http.route('POST', slackEventsPath, receiver.requestListener);
  }
  if (!destinations.triage) log.warn({ event: 'slack-triage-channel-missing' }, 'SLACK_TRIAGE_CHANNEL is not set; ticket messages cannot be posted');

  let pruneTimer: NodeJS.Timeout | undefined;
  const service: Service = {
    name: 'slack',
    async start() {
      roles.start();
      if (slackApp.mode === 'socket') await slackApp.app.start();
      const detail = slackApp.mode === 'socket' ? 'Socket Mode' : `HTTP at ${slackEventsPath}`;
      health.set('slack', 'ok', detail);
      if (options.verifyToken !== false) {
        try {
          const identity = await api.call('auth.test', {});
          log.info({ event: 'slack-connected', team: identity.team, botUser: identity.user_id, mode: slackApp.mode }, 'Slack token verified');
        } catch (error) {
          health.set('slack', 'degraded', `auth.test failed: ${(error as Error).message}`);
        }
      }
      const prune = () =>
        void runtime.repositories.slackDeliveries
          .prune(new Date(clock.now().getTime() - 86_400_000))
          .catch((error: unknown) => log.warn({ event: 'slack-delivery-prune-failed', err: error }, 'could not prune SlackDelivery'));
      prune();
      pruneTimer = setInterval(prune, 3_600_000);
      pruneTimer.unref();
    },
    async stop() {
      if (pruneTimer) clearInterval(pruneTimer);
      roles.stop();
      if (slackApp.mode === 'socket') await slackApp.app.stop();
      await postAck.close();
      // The rate limiter stays: the outbox dispatcher stops after this service and still delivers what it holds;
      // it stops the limiter through the handler's close() after its last delivery.
    },
  };

  const outboxHandler: OutboxHandler = {
    ...createSlackOutboxHandler({
      prisma,
      policy,
      clock,
      logger,
      api,
      destinations,
      fileMaxBytes: config.SLACK_FILE_MAX_BYTES,
      command: config.SLACK_COMMAND,
    }),
    close: () => limiter.stop(),
  };
  return { enabled: true, service, outboxHandler, api, roles, slackApp };
}
