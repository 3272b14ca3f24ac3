// `/support` (SLACK_COMMAND): checks the role and parses the text, acks at once (with the answer itself when it needs
// no store: refusal, usage, help), then runs the sub-command and answers ephemerally through the response_url.
// Parsing is parse-support-command.ts; the work is app/engineer/ (one file per action).
import { createHash } from 'node:crypto';
import type { App } from '@slack/bolt';
import * as actions from '../../../app/engineer/index.ts';
import { breachesReply, callersReply, closeReply, listReply, phoneOpenedReply, retryReply, severityReply, showReply } from '../blocks/command-replies.ts';
import { actorLabel } from '../blocks/format.ts';
import { capMessage } from '../blocks/limits.ts';
import { feeAtOpenSummary } from '../../../domain/fee-at-open.ts';
import { escapeLine } from '../escape.ts';
import { phoneModal } from '../views/phone-modal.ts';
import { requestHashKey } from '../http-receiver.ts';
import { failureText, logFailure, refusalText, type SlackHandlerDeps } from '../slack-deps.ts';
import { helpText, parseSupportCommand, periodRange, type SupportCommand } from './parse-support-command.ts';

export interface CommandUser {
  id: string;
  name?: string | undefined;
}

/** Runs one parsed sub-command for an engineer and returns the ephemeral answer (mrkdwn). */
export async function runSupportCommand(deps: SlackHandlerDeps, command: SupportCommand, user: CommandUser): Promise<string> {
  const use = deps.actions;
  const actor = { slackId: user.id, name: user.name };
  const now = () => use.clock.now();
  switch (command.name) {
    case 'help':
      return helpText(deps.command, command.topic);
    case 'list':
      return listReply(await actions.list(use, { filter: command.filter, actor }), command.filter, use.policy, now());
    case 'show':
      return showReply(await actions.show(use, { requestId: command.requestId }), use.policy, now());
    case 'assign': {
      const assignee = command.assignee === 'me' ? user.id : command.assignee;
      const result = await actions.assign(use, { requestId: command.requestId, assignee, actor });
      return result.changed
        ? `:bust_in_silhouette: Assigned ${result.requestId} to ${actorLabel(assignee)}.`
        : `${result.requestId} is already assigned to ${actorLabel(assignee)}.`;
    }
    case 'severity': {
      const result = await actions.setSeverity(use, { requestId: command.requestId, severity: command.severity, actor });
      return severityReply(result, command.severity, use.policy);
    }
    case 'wait': {
      const result = await actions.waitOnCustomer(use, { requestId: command.requestId, actor });
      return result.changed
        ? `:double_vertical_bar: ${result.requestId} is waiting on the customer; the SLA clock is paused.`
        : `${result.requestId} is already waiting on the customer.`;
    }
    case 'resume': {
      const result = await actions.resume(use, { requestId: command.requestId, actor });
      return result.changed ? `:arrow_forward: ${result.requestId} resumed; the SLA clock runs again.` : `${result.requestId} was not waiting on the customer.`;
    }
    case 'respond': {
      const result = await actions.respond(use, { requestId: command.requestId, text: command.text, actor });
      return `:outbox_tray: Sent to the customer by e-mail; recorded as ${result.initialResponse ? 'the initial response' : 'a progress update'} on ${result.requestId}.`;
    }
    case 'close': {
      const result = await deps.closing.closeTicket({
        requestId: command.requestId,
        outcome: command.outcome,
        exclusion: command.exclusion,
        charge: command.charge,
        reason: command.reason,
        actor: user.id,
      });
      return closeReply(result);
    }
    case 'reopen': {
      const result = await actions.reopen(use, { requestId: command.requestId, actor, reason: command.reason });
      return result.changed
        ? `:arrows_counterclockwise: Reopened ${result.requestId}. Closing it again adds no second fee: an incident is charged at most once.`
        : `${result.requestId} is not closed.`;
    }
    case 'split': {
      const result = await actions.split(use, { requestId: command.requestId, subject: command.subject, actor });
      return `:scissors: Split ${result.newRequestId} off ${result.requestId}: its own incident with its own SLA clock. ${feeAtOpenSummary(result.fee)}.`;
    }
    case 'workaround': {
      const result = await actions.workaround(use, { requestId: command.requestId, text: command.text, actor });
      return `:hammer_and_wrench: Workaround sent to the customer by e-mail; the resolution objective of ${result.requestId} is met. The request stays open until you close it.`;
    }
    case 'agreed': {
      const result = await actions.agreed(use, { requestId: command.requestId, actor });
      if (!result.changed) return `The customer's agreement to the terms is on record (${result.requestId}); no request was waiting for it.`;
      const started = result.clocksStarted.length ? ` SLA clock started: ${result.clocksStarted.join(', ')}.` : '';
      return `:handshake: Recorded the customer's agreement to the terms (by phone) on ${result.requestId}.${started}`;
    }
    case 'presales': {
      const result = await actions.markPreSales(use, { requestId: command.requestId, actor });
      if (!result.changed) return `${result.requestId} is already marked pre-sales.`;
      return `:gift: ${result.requestId} is marked pre-sales: it is free.${result.clockStarted ? ' The SLA clock started.' : ''}`;
    }
    case 'postmortem': {
      const result = await actions.recordPostMortem(use, { requestId: command.requestId, notes: command.notes, actor });
      return `:memo: Post-mortem recorded on ${result.requestId}.`;
    }
    case 'callers':
      return callersReply(command.customer, await actions.callers(use, { customer: command.customer }));
    case 'breaches': {
      const range = periodRange(command.period, now());
      return breachesReply(await deps.closing.listBreaches(range), command.period.label, use.policy);
    }
    case 'open': {
      if (!command.call) return helpText(deps.command, 'open');
      return phoneOpenedReply(await actions.openByPhone(use, { ...command.call, actor }), command.call.callerEmail);
    }
    case 'retry': {
      if (!deps.roles.allows(user.id, 'manager')) return ':no_entry: Only managers can run rejected mail through intake again.';
      if (!deps.inbound) return ':warning: Retrying mail is not available in this process.';
      const result = await deps.inbound.retryRejected(command.messageId);
      return retryReply(command.messageId, result);
    }
  }
}

/**
 * The key a slash command is handled once under: Slack's trigger_id; without one, the hash of the signed timestamp and
 * body the receiver put in the context (a replay of the same bytes repeats it, another command does not), or in
 * Socket Mode (no signed bytes) a hash of the command's fields.
 */
export function commandDeliveryId(command: { trigger_id?: string | undefined }, context: Record<string, unknown>): string {
  if (command.trigger_id) return `command:${command.trigger_id}`;
  const signed = context[requestHashKey];
  if (typeof signed === 'string' && signed !== '') return `command:signed:${signed}`;
  return `command:fields:${createHash('sha256').update(JSON.stringify(command)).digest('hex')}`;
}

/**
 * What a command gets in its HTTP acknowledgement, shown to the engineer at once: a refusal, a usage line or help.
 * None of them reads or writes the store, so none waits behind the commands that do (nor claims the delivery: a
 * repeated help is harmless). Otherwise the parsed command, answered after the ack.
 */
function triage(
  deps: SlackHandlerDeps,
  command: { user_id: string; text: string },
  log: SlackHandlerDeps['logger'],
  context: Record<string, unknown>,
): { answer: string } | { command: SupportCommand } {
  if (!deps.roles.allows(command.user_id, 'engineer')) {
    log.info({ event: 'slack-refused', ...context }, 'slash command from a user without a support role');
    return { answer: refusalText };
  }
  const parsed = parseSupportCommand(command.text);
  if (!parsed.ok)
    return { answer: `${escapeLine(parsed.error, 200)}\nUsage: \`${deps.command} ${parsed.usage}\`\n\`${deps.command} help\` lists every sub-command.` };
  if (parsed.command.name === 'help') return { answer: helpText(deps.command, parsed.command.topic) };
  return { command: parsed.command };
}

/** Registers the slash command on the Bolt app. */
export function registerSupportCommand(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-command' });
  app.command(deps.command, async ({ ack, command, respond, context: boltContext }) => {
    const context = { userId: command.user_id, subCommand: command.text.trim().split(/\s+/)[0]?.slice(0, 20) ?? '' };
    // Slack allows 3 seconds: answer the HTTP request before anything else.
    const triaged = triage(deps, command, log, context);
    if ('answer' in triaged) {
      await ack(capMessage({ response_type: 'ephemeral' as const, text: triaged.answer }));
      return;
    }
    await ack();
    const reply = (text: string) =>
      respond(capMessage({ response_type: 'ephemeral' as const, text })).catch((error: unknown) =>
        log.warn({ event: 'respond-failed', err: error }, 'could not answer the slash command'),
      );
    // `open` alone: the phone form, opened at once (trigger_id lasts 3 seconds), before any database work.
    if (/^open$/i.test(command.text.trim()) && command.trigger_id) {
      try {
        await deps.api.call('views.open', { trigger_id: command.trigger_id, view: phoneModal() });
        return;
      } catch (error) {
        logFailure(log, error, context);
        await reply(failureText(error));
        return;
      }
    }
    // The answer goes out after the post-ack slot is released: a slow response_url must not hold up the next command.
    const answer = await deps.afterAck(async (): Promise<string | undefined> => {
      try {
        if (!(await deps.actions.repositories.slackDeliveries.claim(commandDeliveryId(command, boltContext), deps.actions.clock.now()))) return undefined;
        const text = await runSupportCommand(deps, triaged.command, { id: command.user_id, name: command.user_name });
        deps.onEnqueued?.();
        return text;
      } catch (error) {
        logFailure(log, error, context);
        return failureText(error);
      }
    });
    if (answer !== undefined) await reply(answer);
  });
}
