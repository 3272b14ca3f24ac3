// The buttons on a ticket's message: Assign to me, Set severity, Waiting on customer / Resume, Reply to customer,
// Close, Reopen. Each acks first; the modal buttons open their modal right after (trigger_id lives 3 seconds),
// the others claim the action once (Slack may deliver twice), check the role, and run the use case.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import * as actions from '../../../app/engineer/index.ts';
import { parseRequestId } from '../../../domain/request-id.ts';
import { severityReply } from '../blocks/command-replies.ts';
import { actionIds } from '../blocks/ids.ts';
import { capMessage } from '../blocks/limits.ts';
import { parseButtonValue } from '../blocks/ticket-message.ts';
import { failureText, logFailure, refusalText, tellUser, type SlackHandlerDeps } from '../slack-deps.ts';
import { closeModal } from '../views/close-modal.ts';
import { replyModal } from '../views/reply-modal.ts';

const blockActionSchema = z.object({
  trigger_id: z.string().optional(),
  user: z.object({ id: z.string(), name: z.string().optional(), username: z.string().optional() }),
  channel: z.object({ id: z.string() }).nullish(),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        action_ts: z.string().optional(),
        block_id: z.string().optional(),
        value: z.string().optional(),
        selected_option: z.object({ value: z.string() }).nullish(),
      }),
    )
    .min(1),
});
export type BlockAction = z.infer<typeof blockActionSchema>;

/** The request a ticket button acts on: its value, or for the severity select (no value) its block id "ticket:SR-…". */
function targetOf(body: BlockAction): { requestId: string; closes?: number; suggest?: 'unsupported-version' } {
  const action = body.actions[0]!;
  return parseButtonValue(action.value ?? action.block_id?.replace(/^ticket:/, '') ?? '');
}

function requestIdOf(body: BlockAction): string {
  return targetOf(body).requestId;
}

/** The key a button click is handled once under: Slack's action_ts, the user and the action id. */
export function actionDeliveryId(body: BlockAction): string {
  const action = body.actions[0]!;
  return `action:${action.action_ts ?? body.trigger_id ?? 'no-ts'}:${body.user.id}:${action.action_id}`;
}

type Reply = (text: string) => Promise<void>;

interface ActionContext {
  body: BlockAction;
  requestId: string;
  actor: actions.Actor;
  reply: Reply;
}

export function registerTicketActions(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-action' });

  const replyFor = (raw: { respond?: ((message: Record<string, unknown>) => Promise<unknown>) | undefined }, body: BlockAction): Reply => {
    return async (text) => {
      if (raw.respond) {
        await raw
          .respond(capMessage({ response_type: 'ephemeral', replace_original: false, text }))
          .catch((error: unknown) => log.warn({ event: 'respond-failed', err: error }, 'could not answer the action'));
      } else {
        await tellUser(deps, body.user.id, text, body.channel?.id);
      }
    };
  };

  /** A button whose work happens after ack: claimed once, role-checked, then run. */
  const onAction = (actionId: string, work: (context: ActionContext) => Promise<string | null>) => {
    app.action(actionId, async (args) => {
      await args.ack();
      const parsed = blockActionSchema.safeParse(args.body);
      if (!parsed.success) {
        log.warn({ event: 'slack-action-unreadable', actionId }, 'block action payload did not parse');
        return;
      }
      const body = parsed.data;
      const reply = replyFor(args as never, body);
      const requestId = requestIdOf(body);
      const context = { actionId, userId: body.user.id, requestId: requestId.slice(0, 40) };
      // The answer goes out after the post-ack slot is released: a slow response_url must not hold up the next click.
      const answer = await deps.afterAck(async (): Promise<string | null> => {
        try {
          if (!(await deps.actions.repositories.slackDeliveries.claim(actionDeliveryId(body), deps.actions.clock.now()))) return null;
          if (!deps.roles.allows(body.user.id, 'engineer')) {
            log.info({ event: 'slack-refused', ...context }, 'button from a user without a support role');
            return refusalText;
          }
          const text = await work({ body, requestId, actor: { slackId: body.user.id, name: body.user.name ?? body.user.username }, reply });
          deps.onEnqueued?.();
          return text;
        } catch (error) {
          logFailure(log, error, context);
          return failureText(error);
        }
      });
      if (answer) await reply(answer);
    });
  };

  /** A button that opens a modal: views.open comes first after ack, before any database work. */
  type ModalMetadata = { requestId: string; channel?: string; closes?: number; suggestExclusion?: 'unsupported-version' };
  /** `refine`: after views.open, a second look (views.update) with what needs the database. */
  const onModalAction = (
    actionId: string,
    view: (metadata: ModalMetadata) => Record<string, unknown>,
    refine?: (metadata: ModalMetadata) => Promise<Record<string, unknown> | null>,
  ) => {
    app.action(actionId, async (args) => {
      await args.ack();
      const parsed = blockActionSchema.safeParse(args.body);
      if (!parsed.success || !parsed.data.trigger_id) {
        log.warn({ event: 'slack-action-unreadable', actionId }, 'block action payload did not parse');
        return;
      }
      const body = parsed.data;
      const reply = replyFor(args as never, body);
      const { requestId, closes, suggest } = targetOf(body);
      if (!deps.roles.allows(body.user.id, 'engineer')) {
        log.info({ event: 'slack-refused', actionId, userId: body.user.id, requestId }, 'button from a user without a support role');
        await reply(refusalText);
        return;
      }
      if (!parseRequestId(requestId)) {
        log.warn({ event: 'slack-action-unreadable', actionId, userId: body.user.id }, 'a modal button names no service request');
        await reply(':warning: This button does not name a service request; nothing was opened.');
        return;
      }
      try {
        const channel = body.channel?.id;
        const metadata = {
          requestId,
          ...(channel ? { channel } : {}),
          ...(closes !== undefined ? { closes } : {}),
          ...(suggest ? { suggestExclusion: suggest } : {}),
        };
        const opened = await deps.api.call('views.open', { trigger_id: body.trigger_id, view: view(metadata) });
        const openedView = opened.view as { id?: string; hash?: string } | undefined;
        if (refine && openedView?.id) {
          // The modal is open either way; a failed refinement is logged, not reported as a failure to open.
          try {
            const refined = await refine(metadata);
            if (refined) await deps.api.call('views.update', { view_id: openedView.id, ...(openedView.hash ? { hash: openedView.hash } : {}), view: refined });
          } catch (error) {
            logFailure(log, error, { actionId, userId: body.user.id, requestId });
          }
        }
      } catch (error) {
        logFailure(log, error, { actionId, userId: body.user.id, requestId });
        await reply(failureText(error));
      }
    });
  };

  onAction(actionIds.assignToMe, async ({ requestId, actor }) => {
    const result = await actions.assign(deps.actions, { requestId, assignee: actor.slackId, actor });
    return result.changed ? `:bust_in_silhouette: ${result.requestId} is now assigned to you.` : `${result.requestId} is already assigned to you.`;
  });

  onAction(actionIds.setSeverity, async ({ body, requestId, actor }) => {
    const severity = Number(body.actions[0]!.selected_option?.value);
    const result = await actions.setSeverity(deps.actions, { requestId, severity, actor });
    return severityReply(result, severity, deps.actions.policy);
  });

  onAction(actionIds.waitOnCustomer, async ({ requestId, actor }) => {
    const result = await actions.waitOnCustomer(deps.actions, { requestId, actor });
    return result.changed
      ? `:double_vertical_bar: ${result.requestId} is waiting on the customer; the SLA clock is paused.`
      : `${result.requestId} is already waiting on the customer.`;
  });

  onAction(actionIds.resume, async ({ requestId, actor }) => {
    const result = await actions.resume(deps.actions, { requestId, actor });
    return result.changed ? `:arrow_forward: ${result.requestId} resumed; the SLA clock runs again.` : `${result.requestId} was not waiting on the customer.`;
  });

  onAction(actionIds.reopen, async ({ requestId, actor }) => {
    const result = await actions.reopen(deps.actions, { requestId, actor });
    return result.changed ? `:arrows_counterclockwise: Reopened ${result.requestId}.` : `${result.requestId} is not closed.`;
  });

  /** A closed ticket's modal becomes a notice: nothing typed into it could be sent (a stale message's button). */
  const closedNotice = async (metadata: ModalMetadata): Promise<Record<string, unknown> | null> => {
    const ticket = await deps.actions.repositories.tickets.findByRequestId(metadata.requestId);
    if (ticket?.status !== 'closed') return null;
    return {
      type: 'modal',
      title: { type: 'plain_text', text: 'Request closed' },
      close: { type: 'plain_text', text: 'OK' },
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: `:lock: ${metadata.requestId} is closed: nothing can be sent or changed on it. \`/support reopen ${metadata.requestId} <reason>\` if it is the same incident.`,
          },
        },
      ],
    };
  };
  onModalAction(
    actionIds.reply,
    (metadata) => replyModal(metadata),
    async (metadata) => {
      const closed = await closedNotice(metadata);
      if (closed) return closed;
      const latest = await deps.actions.repositories.conversations.latestOf(metadata.requestId);
      return latest ? replyModal(metadata, latest) : null;
    },
  );
  onModalAction(actionIds.close, closeModal, closedNotice);
}
