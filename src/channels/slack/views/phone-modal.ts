// `/support open` without arguments: the form an engineer fills in while taking a phone call (opened within Slack's
// 3-second trigger_id window, before any database work), and its submission, which runs app/engineer/open-by-phone.ts
// and tells the engineer the request ID, or why the caller was refused (nothing opened then).
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { openByPhone } from '../../../app/engineer/open-by-phone.ts';
import { phoneOpenedReply } from '../blocks/command-replies.ts';
import { inputIds, viewIds } from '../blocks/ids.ts';
import { failureText, logFailure, refusalText, tellUser, type SlackHandlerDeps } from '../slack-deps.ts';
import { viewDeliveryId } from './close-modal.ts';

const severityOptions = [5, 4, 3, 2, 1].map((severity) => ({ text: { type: 'plain_text', text: String(severity) }, value: String(severity) }));

/** The modal view (views.open). */
export function phoneModal(): Record<string, unknown> {
  const input = (ids: { block: string; element: string }, label: string, element: Record<string, unknown>, optional = false) => ({
    type: 'input',
    block_id: ids.block,
    optional,
    label: { type: 'plain_text', text: label },
    element: { ...element, action_id: ids.element },
  });
  return {
    type: 'modal',
    callback_id: viewIds.phoneOpen,
    title: { type: 'plain_text', text: 'Request by phone' },
    submit: { type: 'plain_text', text: 'Open request' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: 'The caller is checked like a mail sender (eligible caller or partner) and gets the acknowledgement by e-mail as the written confirmation.',
        },
      },
      input(inputIds.phoneCaller, 'Caller’s e-mail address', { type: 'email_text_input' }),
      input(inputIds.phoneSeverity, 'Severity (5 Critical … 1 feature request)', { type: 'static_select', options: severityOptions }),
      input(inputIds.phoneSubject, 'Subject', { type: 'plain_text_input', max_length: 250 }),
      input(
        inputIds.phoneDescription,
        'What the caller described (licence number, product, version)',
        { type: 'plain_text_input', multiline: true, max_length: 3000 },
        true,
      ),
    ],
  };
}

const valueSchema = z.object({ value: z.string().nullish(), selected_option: z.object({ value: z.string() }).nullish() }).passthrough();
const submissionSchema = z.object({
  user: z.object({ id: z.string(), name: z.string().optional(), username: z.string().optional() }),
  view: z.object({ id: z.string(), hash: z.string().optional(), state: z.object({ values: z.record(z.string(), z.record(z.string(), valueSchema)) }) }),
});

export type PhoneSubmission =
  | {
      ok: true;
      userId: string;
      userName: string | undefined;
      deliveryId: string;
      callerEmail: string;
      severity: number;
      subject: string;
      description: string | undefined;
    }
  | { ok: false; errors: Record<string, string> };

/** Validates a submission without I/O, so problems are shown next to their field. */
export function parsePhoneSubmission(body: unknown): PhoneSubmission {
  const parsed = submissionSchema.safeParse(body);
  if (!parsed.success) return { ok: false, errors: { [inputIds.phoneCaller.block]: 'This form could not be read; run the command again.' } };
  const { user, view } = parsed.data;
  const field = (ids: { block: string; element: string }) => view.state.values[ids.block]?.[ids.element];
  const callerEmail = field(inputIds.phoneCaller)?.value?.trim().toLowerCase() ?? '';
  const severity = Number(field(inputIds.phoneSeverity)?.selected_option?.value);
  const subject = field(inputIds.phoneSubject)?.value?.trim() ?? '';
  const description = field(inputIds.phoneDescription)?.value?.trim() || undefined;
  const errors: Record<string, string> = {};
  if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(callerEmail)) errors[inputIds.phoneCaller.block] = 'Give the caller’s e-mail address.';
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) errors[inputIds.phoneSeverity.block] = 'Choose a severity.';
  if (subject === '') errors[inputIds.phoneSubject.block] = 'Give the subject of the request.';
  if (Object.keys(errors).length) return { ok: false, errors };
  return { ok: true, userId: user.id, userName: user.name ?? user.username, deliveryId: viewDeliveryId(view), callerEmail, severity, subject, description };
}

export function registerPhoneModal(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-phone' });
  app.view(viewIds.phoneOpen, async ({ ack, body }) => {
    const submission = parsePhoneSubmission(body);
    if (!submission.ok) {
      await ack({ response_action: 'errors', errors: submission.errors });
      return;
    }
    if (!deps.roles.allows(submission.userId, 'engineer')) {
      await ack({ response_action: 'errors', errors: { [inputIds.phoneCaller.block]: refusalText } });
      return;
    }
    await ack();
    await deps.afterAck(async () => {
      try {
        if (!(await deps.actions.repositories.slackDeliveries.claim(submission.deliveryId, deps.actions.clock.now()))) return;
        const { callerEmail, severity, subject, description } = submission;
        const result = await openByPhone(deps.actions, {
          callerEmail,
          severity,
          subject,
          description,
          actor: { slackId: submission.userId, name: submission.userName },
        });
        deps.onEnqueued?.();
        await tellUser(deps, submission.userId, phoneOpenedReply(result, callerEmail));
      } catch (error) {
        logFailure(log, error, { userId: submission.userId });
        await tellUser(deps, submission.userId, failureText(error));
      }
    });
  });
}
