// "Reply to customer": the modal (opened from the button within Slack's 3-second trigger_id window) and its
// submission, which e-mails the text to the customer and records it as the initial response or a progress update.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { respond as respondToCustomer } from '../../../app/engineer/respond.ts';
import { excerpt, formatSize } from '../../../domain/conversation.ts';
import type { ConversationEntry } from '../../../app/conversation-records.ts';
import { quote, slackDate } from '../blocks/format.ts';
import { inputIds, viewIds } from '../blocks/ids.ts';
import { escapeLine } from '../escape.ts';
import { failureText, logFailure, refusalText, tellUser, type SlackHandlerDeps } from '../slack-deps.ts';
import { viewDeliveryId } from './close-modal.ts';

const metadataSchema = z.object({ requestId: z.string(), channel: z.string().optional() });
export type ReplyModalMetadata = z.infer<typeof metadataSchema>;

/** The customer's latest message as the modal shows it above the text box. */
export type LatestMessage = Pick<ConversationEntry, 'fromAddress' | 'receivedAt' | 'displayText' | 'attachments'>;

/** Characters of the customer's latest message shown in the modal (a section holds 3,000). */
const latestExcerptChars = 2000;

function latestBlock(latest: LatestMessage): Record<string, unknown> {
  const files = latest.attachments.map(
    (attachment) => `${escapeLine(attachment.filename ?? `attachment-${attachment.id}`, 80)} (${formatSize(attachment.size)})`,
  );
  const text = [
    `*Latest from the customer* (${escapeLine(latest.fromAddress)}, ${slackDate(latest.receivedAt)}):`,
    quote(excerpt(latest.displayText, latestExcerptChars).text, latestExcerptChars + 1),
    ...(files.length ? [`:paperclip: ${files.join(', ')}`] : []),
  ].join('\n');
  return { type: 'section', block_id: 'reply_latest', text: { type: 'mrkdwn', text: text.length > 2900 ? `${text.slice(0, 2899)}…` : text } };
}

/**
 * The modal view. views.open sends it with the request ID only (opening must not wait for the database);
 * views.update then adds the customer's latest message above the text box.
 */
export function replyModal(metadata: ReplyModalMetadata, latest?: LatestMessage | null): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: viewIds.reply,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Reply to customer' },
    submit: { type: 'plain_text', text: 'Send e-mail' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Your text is e-mailed to the requester of *${metadata.requestId}*, threaded under their last mail, and counts as the initial response or a progress update.`,
        },
      },
      ...(latest ? [latestBlock(latest)] : []),
      {
        type: 'input',
        block_id: inputIds.replyText.block,
        label: { type: 'plain_text', text: 'Message to the customer' },
        element: { type: 'plain_text_input', action_id: inputIds.replyText.element, multiline: true, min_length: 1, max_length: 3000 },
      },
    ],
  };
}

const submissionSchema = z.object({
  user: z.object({ id: z.string(), name: z.string().optional(), username: z.string().optional() }),
  view: z.object({
    id: z.string(),
    hash: z.string().optional(),
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({ value: z.string().nullish() }).passthrough())) }),
  }),
});

export type ReplySubmission =
  | { ok: true; userId: string; userName: string | undefined; viewId: string; deliveryId: string; metadata: ReplyModalMetadata; text: string }
  | { ok: false; errors: Record<string, string> };

/** Validates a submission without I/O, so the answer can go in ack() (errors shown next to the field). */
export function parseReplySubmission(body: unknown): ReplySubmission {
  const parsed = submissionSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: { [inputIds.replyText.block]: 'This form could not be read; open it again from the ticket.' } };
  const { user, view } = parsed.data;
  let metadata: ReplyModalMetadata;
  try {
    metadata = metadataSchema.parse(JSON.parse(view.private_metadata));
  } catch {
    return { ok: false, errors: { [inputIds.replyText.block]: 'This form could not be read; open it again from the ticket.' } };
  }
  const text = view.state.values[inputIds.replyText.block]?.[inputIds.replyText.element]?.value?.trim() ?? '';
  if (text === '') return { ok: false, errors: { [inputIds.replyText.block]: 'Write the message to send.' } };
  return { ok: true, userId: user.id, userName: user.name ?? user.username, viewId: view.id, deliveryId: viewDeliveryId(view), metadata, text };
}

export function registerReplyModal(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-reply' });
  app.view(viewIds.reply, async ({ ack, body }) => {
    const submission = parseReplySubmission(body);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    if (!deps.roles.allows(submission.userId, 'engineer')) {
      await ack({ response_action: 'errors', errors: { [inputIds.replyText.block]: refusalText } });
      return;
    }
    await ack();
    await deps.afterAck(async () => {
      const { metadata } = submission;
      try {
        if (!(await deps.actions.repositories.slackDeliveries.claim(submission.deliveryId, deps.actions.clock.now()))) return;
        // The view id makes a repeated submission a no-op (one mail, one SLA update).
        await respondToCustomer(deps.actions, {
          requestId: metadata.requestId,
          text: submission.text,
          actor: { slackId: submission.userId, name: submission.userName },
          idempotencyKey: `view:${submission.viewId}`,
        });
        deps.onEnqueued?.();
      } catch (error) {
        logFailure(log, error, { userId: submission.userId, requestId: metadata.requestId });
        const card = await deps.actions.repositories.tickets.loadCard({ requestId: metadata.requestId }).catch(() => null);
        await tellUser(deps, submission.userId, `${failureText(error)} (reply to ${metadata.requestId} not sent)`, metadata.channel ?? card?.slackChannel);
      }
    });
  });
}
