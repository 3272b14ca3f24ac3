// Builds the Bolt app: the receiver (HTTP on deskbot's server, or Socket Mode when SLACK_APP_TOKEN is set) apart
// from the routing (the /support command, ticket buttons, the two modals, the App Home board). Leaves out the Web
// API calls deskbot makes on its own (outbox-handler.ts) and all wiring to config (slack-channel.ts).
import { App, SocketModeReceiver } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import type { Clock } from '../../app/ports.ts';
import { registerTicketActions } from './actions/ticket-actions.ts';
import { homeFilters, registerAppHome } from './app-home.ts';
import { actionIds, viewIds } from './blocks/ids.ts';
import { createBoltLogger } from './bolt-logger.ts';
import { registerSupportCommand } from './commands/support-command.ts';
import { SlackHttpReceiver } from './http-receiver.ts';
import type { SlackRoutes } from './inbound-payload.ts';
import { guardSocketReceiver } from './socket-receiver-guard.ts';
import type { SlackHandlerDeps } from './slack-deps.ts';
import { registerCloseModal } from './views/close-modal.ts';
import { registerReplyModal } from './views/reply-modal.ts';
import { registerPhoneModal } from './views/phone-modal.ts';
import { webClientOptions } from './web-api.ts';

export type SlackMode = { kind: 'http'; signingSecret: string } | { kind: 'socket'; appToken: string };

export interface SlackAppOptions {
  mode: SlackMode;
  botToken: string;
  /** SLACK_API_URL: Web API base for Bolt's own client (respond() uses response_url). */
  apiUrl?: string | undefined;
  clock: Clock;
  logger: Logger;
  handlers: SlackHandlerDeps;
}

export interface SlackApp {
  app: App;
  /** Set in HTTP mode: its requestListener serves POST /slack/events. */
  httpReceiver?: SlackHttpReceiver;
  mode: SlackMode['kind'];
}

/** Everything the listeners below are registered for; the HTTP receiver answers anything else itself. */
export function slackRoutes(command: string): SlackRoutes {
  const { homeFilter, ...ticketActions } = actionIds;
  return {
    command,
    actionIds: [...Object.values(ticketActions), ...homeFilters.map((filter) => `${homeFilter}.${filter}`)],
    viewCallbackIds: Object.values(viewIds),
    eventTypes: ['app_home_opened'],
  };
}

export function createSlackApp(options: SlackAppOptions): SlackApp {
  const boltLogger = createBoltLogger(options.logger);
  const routes = slackRoutes(options.handlers.command);
  const httpReceiver =
    options.mode.kind === 'http'
      ? new SlackHttpReceiver({ signingSecret: options.mode.signingSecret, clock: options.clock, logger: options.logger, routes })
      : undefined;
  const receiver =
    httpReceiver ??
    guardSocketReceiver(new SocketModeReceiver({ appToken: (options.mode as { appToken: string }).appToken, logger: boltLogger }), routes, options.logger);
  const botToken = options.botToken;
  const app = new App({
    receiver,
    // One workspace, one bot token: no auth.test round trip before the first ack.
    authorize: async () => ({ botToken }),
    clientOptions: webClientOptions(options.apiUrl),
    logger: boltLogger,
    ignoreSelf: false,
    convoStore: false,
  });
  app.error(async (error) => {
    options.logger.child({ component: 'slack' }).error({ event: 'bolt-listener-failed', err: error }, 'a Slack listener failed');
  });
  registerSupportCommand(app, options.handlers);
  registerTicketActions(app, options.handlers);
  registerReplyModal(app, options.handlers);
  registerCloseModal(app, options.handlers);
  registerPhoneModal(app, options.handlers);
  registerAppHome(app, options.handlers);
  return { app, mode: options.mode.kind, ...(httpReceiver ? { httpReceiver } : {}) };
}
