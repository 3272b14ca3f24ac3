// "Close": a modal asking how the incident ended (and, where the terms require it, why), then closeTicket decides
// the charge. The charge notice itself reaches billing through the outbox ('charge-notice'). A submission is handled
// once (view id and hash), and carries the ticket's count of closes, so a replay after a reopen cannot close it again.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { closeOutcomes, exclusionCustomerText, exclusions, type CloseOutcome, type Exclusion } from '../../../domain/billing.ts';
import { closeReply } from '../blocks/command-replies.ts';
import { inputIds, viewIds } from '../blocks/ids.ts';
import { failureText, logFailure, refusalText, tellUser, type SlackHandlerDeps } from '../slack-deps.ts';

const metadataSchema = z.object({
  requestId: z.string(),
  channel: z.string().optional(),
  /** The ticket's count of closes when the Close button was drawn; absent on buttons drawn before it was carried. */
  closes: z.number().int().min(0).optional(),
  /** The request named an unsupported version (Cryptzone §2.3): the exclusion is preselected. */
  suggestExclusion: z.literal('unsupported-version').optional(),
});
export type CloseModalMetadata = z.infer<typeof metadataSchema>;

const outcomeLabels: Record<CloseOutcome, string> = {
  resolved: 'Resolved',
  bug: 'Product bug (free)',
  rma: 'Hardware replaced, RMA (free)',
  excluded: 'Excluded cause (not covered)',
  exceptional: 'Exceptional: engineer decides',
  duplicate: 'Duplicate of another request (free)',
  documentation: 'Answered by the documentation',
};

const option = (value: string, text: string, description?: string) => ({
  text: { type: 'plain_text', text: text.slice(0, 75) },
  value,
  // Slack shows at most 75 characters of a description: the customer sentence is cut there (the mail has it whole).
  ...(description ? { description: { type: 'plain_text', text: description.length > 75 ? `${description.slice(0, 74)}…` : description } } : {}),
});

/** Every exclusion of the terms with the sentence the customer reads (issue 12 point 13). */
function exclusionOptions() {
  return (Object.keys(exclusions) as Exclusion[]).map((key) => option(key, exclusions[key], exclusionCustomerText(key)));
}

export function closeModal(metadata: CloseModalMetadata): Record<string, unknown> {
  const suggested = metadata.suggestExclusion ? exclusionOptions().find((candidate) => candidate.value === metadata.suggestExclusion) : undefined;
  return {
    type: 'modal',
    callback_id: viewIds.close,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: 'Close request' },
    submit: { type: 'plain_text', text: 'Close' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text:
            `Closing *${metadata.requestId}*. deskbot decides the charge from the outcome and the licence; override it only with a reason.` +
            (suggested ? ' The request names an unsupported version: the exclusion *unsupported-version* is suggested.' : ''),
        },
      },
      {
        type: 'input',
        block_id: inputIds.closeOutcome.block,
        label: { type: 'plain_text', text: 'Outcome' },
        element: {
          type: 'static_select',
          action_id: inputIds.closeOutcome.element,
          options: closeOutcomes.map((outcome) => option(outcome, outcomeLabels[outcome])),
        },
      },
      {
        type: 'input',
        block_id: inputIds.closeExclusion.block,
        optional: true,
        label: { type: 'plain_text', text: 'Excluded cause (only for "Excluded")' },
        element: {
          type: 'static_select',
          action_id: inputIds.closeExclusion.element,
          options: exclusionOptions(),
          ...(suggested ? { initial_option: suggested } : {}),
        },
      },
      {
        type: 'input',
        block_id: inputIds.closeCharge.block,
        optional: true,
        label: { type: 'plain_text', text: 'Charge' },
        element: {
          type: 'static_select',
          action_id: inputIds.closeCharge.element,
          initial_option: option('rules', 'As the rules decide'),
          options: [option('rules', 'As the rules decide'), option('charge', 'Charge the fee'), option('no-charge', 'No charge')],
        },
      },
      {
        type: 'input',
        block_id: inputIds.closeReason.block,
        optional: true,
        label: { type: 'plain_text', text: 'Reason (needed to override the charge or for an exceptional case)' },
        element: { type: 'plain_text_input', action_id: inputIds.closeReason.element, multiline: true, max_length: 500 },
      },
    ],
  };
}

const stateValue = z.object({ value: z.string().nullish(), selected_option: z.object({ value: z.string() }).nullish() }).passthrough();
const submissionSchema = z.object({
  user: z.object({ id: z.string() }),
  view: z.object({
    id: z.string(),
    hash: z.string().optional(),
    private_metadata: z.string(),
    state: z.object({ values: z.record(z.string(), z.record(z.string(), stateValue)) }),
  }),
});

export type CloseSubmission =
  | {
      ok: true;
      userId: string;
      /** The key this submission is handled once under: the view id and Slack's view hash. */
      deliveryId: string;
      metadata: CloseModalMetadata;
      outcome: CloseOutcome;
      exclusion?: Exclusion | undefined;
      charge?: 'charge' | 'no-charge' | undefined;
      reason?: string | undefined;
    }
  | { ok: false; errors: Record<string, string> };

/** A modal submission is handled once under its view id and Slack's hash of the view (a replay repeats both). */
export function viewDeliveryId(view: { id: string; hash?: string | undefined }): string {
  return `view:${view.id}:${view.hash ?? ''}`;
}

/** Validates a submission without I/O, so problems are shown next to their field. */
export function parseCloseSubmission(body: unknown): CloseSubmission {
  const unreadable = { ok: false as const, errors: { [inputIds.closeOutcome.block]: 'This form could not be read; open it again from the ticket.' } };
  const parsed = submissionSchema.safeParse(body);
  if (!parsed.success) return unreadable;
  const values = parsed.data.view.state.values;
  let metadata: CloseModalMetadata;
  try {
    metadata = metadataSchema.parse(JSON.parse(parsed.data.view.private_metadata));
  } catch {
    return unreadable;
  }
  const selected = (ids: { block: string; element: string }) => values[ids.block]?.[ids.element]?.selected_option?.value ?? undefined;
  const outcome = selected(inputIds.closeOutcome);
  const exclusion = selected(inputIds.closeExclusion);
  const chargeChoice = selected(inputIds.closeCharge) ?? 'rules';
  const reason = values[inputIds.closeReason.block]?.[inputIds.closeReason.element]?.value?.trim() || undefined;
  const errors: Record<string, string> = {};
  if (!outcome || !(closeOutcomes as readonly string[]).includes(outcome)) errors[inputIds.closeOutcome.block] = 'Choose how the incident ended.';
  if (outcome === 'excluded' && (!exclusion || !Object.hasOwn(exclusions, exclusion)))
    errors[inputIds.closeExclusion.block] = 'An excluded closure names the cause.';
  if (outcome !== 'excluded' && exclusion) errors[inputIds.closeExclusion.block] = 'Only for the "Excluded" outcome.';
  const charge = chargeChoice === 'charge' || chargeChoice === 'no-charge' ? chargeChoice : undefined;
  if (outcome === 'exceptional' && !charge) errors[inputIds.closeCharge.block] = 'An exceptional case needs your charge decision.';
  if ((charge || outcome === 'exceptional') && !reason) errors[inputIds.closeReason.block] = 'Give the reason for the charge decision.';
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    userId: parsed.data.user.id,
    deliveryId: viewDeliveryId(parsed.data.view),
    metadata,
    outcome: outcome as CloseOutcome,
    exclusion: outcome === 'excluded' ? (exclusion as Exclusion) : undefined,
    charge,
    reason,
  };
}

export function registerCloseModal(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-close' });
  app.view(viewIds.close, async ({ ack, body }) => {
    const submission = parseCloseSubmission(body);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    if (!deps.roles.allows(submission.userId, 'engineer')) {
      await ack({ response_action: 'errors', errors: { [inputIds.closeOutcome.block]: refusalText } });
      return;
    }
    await ack();
    await deps.afterAck(async () => {
      const { metadata } = submission;
      let channel = metadata.channel;
      try {
        if (!(await deps.actions.repositories.slackDeliveries.claim(submission.deliveryId, deps.actions.clock.now()))) {
          log.info(
            { event: 'slack-view-repeated', userId: submission.userId, requestId: metadata.requestId },
            'a close submission arrived again; handled once',
          );
          return;
        }
        channel ??= (await deps.actions.repositories.tickets.loadCard({ requestId: metadata.requestId }))?.slackChannel ?? undefined;
        const result = await deps.closing.closeTicket({
          ...(metadata.closes !== undefined ? { expectedCloses: metadata.closes } : {}),
          requestId: metadata.requestId,
          outcome: submission.outcome,
          exclusion: submission.exclusion,
          charge: submission.charge,
          reason: submission.reason,
          actor: submission.userId,
        });
        await tellUser(deps, submission.userId, closeReply(result), channel);
      } catch (error) {
        logFailure(log, error, { userId: submission.userId, requestId: metadata.requestId });
        await tellUser(deps, submission.userId, `${failureText(error)} (${metadata.requestId} not closed)`, channel);
      }
    });
  });
}
