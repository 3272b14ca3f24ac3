// What the Slack listeners (commands/, actions/, views/, app-home.ts) share: the use cases, the closing port, roles,
// the rate-limited Web API and the clock; and how a failed action is told to the person who tried it.
import type { EngineerActionDeps } from '../../app/engineer/common.ts';
import type { CloseTicketInput, CloseTicketResult } from '../../app/close-ticket.ts';
import type { SlaBreach } from '../../app/sla-breaches.ts';
import type { InboundEmail } from '../../app/intake/handle-inbound-email.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { capText, slackLimits } from './blocks/limits.ts';
import type { RoleDirectory } from './roles.ts';
import type { SlackApi } from './web-api.ts';

/** The closing use cases' own types: Slack passes their input and shows their results. */
export type { CloseTicketInput, CloseTicketResult } from '../../app/close-ticket.ts';
export type { SlaBreach as SlaBreachRow } from '../../app/sla-breaches.ts';

/** Closing and breach reports live with the closing engineer's use cases; Slack calls them through this port. */
export interface TicketClosing {
  closeTicket(input: CloseTicketInput): Promise<CloseTicketResult>;
  listBreaches(range: { from: Date; to: Date }): Promise<SlaBreach[]>;
}

export interface SlackHandlerDeps {
  actions: EngineerActionDeps;
  closing: TicketClosing;
  roles: RoleDirectory;
  api: SlackApi;
  logger: Logger;
  /** The slash command as configured (SLACK_COMMAND), e.g. /support. */
  command: string;
  /** Intake, for `/support retry` (managers); without it the sub-command answers that it is not available. */
  inbound?: Pick<InboundEmail, 'retryRejected'>;
  /** Called after an action committed outbox rows, so the dispatcher delivers them now rather than at its next poll. */
  onEnqueued?: () => void;
  /**
   * Runs the work that follows an ack() (database, answers), a few at a time and each after a turn of the event
   * loop, so a burst of clicks queues here instead of starving the acks of the requests still arriving.
   */
  afterAck: <T>(work: () => Promise<T>) => Promise<T>;
}

export const refusalText = 'Sorry — only support engineers and managers can do that. Ask a manager to add you to the support roles if you need to.';

/** What to tell the person whose action failed: the message of an expected failure, a generic line otherwise. */
export function failureText(error: unknown): string {
  // The message may quote what the user sent (a request ID, a button value): one text block at most.
  if (isDeskbotError(error) && ['NOT_FOUND', 'INVALID_STATE', 'FORBIDDEN'].includes(error.code))
    return capText(`:warning: ${error.message}`, slackLimits.blockText - 100);
  if (isDeskbotError(error, 'TEMPLATE_MISSING')) return ':warning: The reply template is missing; nothing was sent. An administrator has to fix the templates.';
  return ':warning: Something went wrong; nothing was changed. The error has been logged.';
}

/** Logs unexpected failures (expected ones are the user's input, not ours). */
export function logFailure(logger: Logger, error: unknown, context: Record<string, unknown>): void {
  if (isDeskbotError(error) && ['NOT_FOUND', 'INVALID_STATE', 'FORBIDDEN'].includes(error.code)) {
    logger.info({ event: 'slack-action-refused', code: error.code, ...context }, capText(error.message, 500));
    return;
  }
  logger.error({ event: 'slack-action-failed', err: error, ...context }, 'Slack action failed');
}

export function forbidden(userId: string): DeskbotError {
  return new DeskbotError('FORBIDDEN', refusalText, { details: { userId } });
}

/**
 * Tells one person something only they should see, where no response_url exists (modal submissions): an ephemeral
 * message in the ticket's channel when known, else a message in the app's DM with them. Never throws.
 */
export async function tellUser(deps: Pick<SlackHandlerDeps, 'api' | 'logger'>, userId: string, text: string, channel?: string | null): Promise<void> {
  try {
    if (channel) await deps.api.call('chat.postEphemeral', { channel, user: userId, text });
    else await deps.api.call('chat.postMessage', { channel: userId, text, unfurl_links: false, unfurl_media: false });
  } catch (error) {
    deps.logger.warn({ event: 'tell-user-failed', userId, err: error }, 'could not tell the user');
  }
}
