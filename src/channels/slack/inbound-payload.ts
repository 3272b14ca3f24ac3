// Every signed Slack request is checked here with zod before Bolt sees it, so a malformed payload (`payload=null`,
// `actions: null`, an action without `user`, an `event` that is a string, a submission without `view`) is refused at
// once with 400 instead of failing inside Bolt, and a well-formed one deskbot has no listener for is answered with
// Slack's empty 200 at once instead of waiting out Bolt's 3-second unhandled-request timer. Pure: no I/O.
import { z } from 'zod';

/** What deskbot routes: the slash command, button and select action ids, modal callback ids and event types. */
export interface SlackRoutes {
  command: string;
  actionIds: readonly string[];
  viewCallbackIds: readonly string[];
  eventTypes: readonly string[];
}

/** dispatch: hand to Bolt; ignore: well-formed but nothing listens (empty 200); reject: malformed (400). */
export type InboundVerdict = { kind: 'dispatch'; body: Record<string, unknown> } | { kind: 'ignore'; reason: string } | { kind: 'reject'; reason: string };

const id = z.string().min(1);
const userSchema = z.object({ id }).passthrough();

/** A slash command (form fields). Slack always sends response_url; trigger_id may be missing. */
const slashCommandSchema = z
  .object({
    command: z.string().startsWith('/'),
    text: z.string(),
    user_id: id,
    user_name: z.string().optional(),
    channel_id: z.string().optional(),
    team_id: z.string().optional(),
    response_url: z.string().url(),
    trigger_id: z.string().optional(),
  })
  .passthrough();

const blockActionsSchema = z
  .object({
    type: z.literal('block_actions'),
    user: userSchema,
    trigger_id: z.string().optional(),
    response_url: z.string().url().optional(),
    channel: z.object({ id }).passthrough().nullish(),
    actions: z
      .array(z.object({ action_id: id, block_id: z.string().optional(), value: z.string().optional(), action_ts: z.string().optional() }).passthrough())
      .min(1),
  })
  .passthrough();

const viewSubmissionSchema = z
  .object({
    type: z.literal('view_submission'),
    user: userSchema,
    view: z
      .object({
        id,
        callback_id: z.string(),
        hash: z.string().optional(),
        private_metadata: z.string(),
        state: z.object({ values: z.record(z.string(), z.record(z.string(), z.object({}).passthrough())) }).passthrough(),
      })
      .passthrough(),
  })
  .passthrough();

/** Any other interactivity payload (view_closed, shortcut, block_suggestion, ...): a type and who did it. */
const otherInteractionSchema = z.object({ type: z.string().min(1), user: userSchema }).passthrough();

const eventCallbackSchema = z
  .object({ type: z.literal('event_callback'), event_id: id, team_id: z.string().optional(), event: z.object({ type: z.string().min(1) }).passthrough() })
  .passthrough();

/** The events deskbot handles, each with the fields its listener reads. */
const handledEventSchemas: Record<string, z.ZodType> = {
  app_home_opened: z.object({ type: z.literal('app_home_opened'), user: id, tab: z.string().optional() }).passthrough(),
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first problem zod found, as "path: message" (for the log; never the payload itself). */
function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || 'payload'}: ${issue.message}` : 'invalid';
}

/** Decides what happens to a signed, parsed request body (url_verification and ssl_check are answered before this). */
export function classifySlackPayload(body: unknown, routes: SlackRoutes): InboundVerdict {
  if (!isRecord(body)) return { kind: 'reject', reason: 'payload is not an object' };
  if ('command' in body) {
    const parsed = slashCommandSchema.safeParse(body);
    if (!parsed.success) return { kind: 'reject', reason: `slash command: ${firstIssue(parsed.error)}` };
    return parsed.data.command === routes.command ? { kind: 'dispatch', body } : { kind: 'ignore', reason: 'unknown slash command' };
  }
  if ('event' in body || body.type === 'event_callback') {
    const parsed = eventCallbackSchema.safeParse(body);
    if (!parsed.success) return { kind: 'reject', reason: `event: ${firstIssue(parsed.error)}` };
    const eventType = parsed.data.event.type;
    if (!routes.eventTypes.includes(eventType)) return { kind: 'ignore', reason: `event ${eventType.slice(0, 40)} not handled` };
    const event = (handledEventSchemas[eventType] ?? z.object({}).passthrough()).safeParse(parsed.data.event);
    return event.success ? { kind: 'dispatch', body } : { kind: 'reject', reason: `event ${eventType}: ${firstIssue(event.error)}` };
  }
  switch (body.type) {
    case 'block_actions': {
      const parsed = blockActionsSchema.safeParse(body);
      if (!parsed.success) return { kind: 'reject', reason: `block_actions: ${firstIssue(parsed.error)}` };
      const routed = parsed.data.actions.every((action) => routes.actionIds.includes(action.action_id));
      return routed ? { kind: 'dispatch', body } : { kind: 'ignore', reason: 'action not handled' };
    }
    case 'view_submission': {
      const parsed = viewSubmissionSchema.safeParse(body);
      if (!parsed.success) return { kind: 'reject', reason: `view_submission: ${firstIssue(parsed.error)}` };
      return routes.viewCallbackIds.includes(parsed.data.view.callback_id) ? { kind: 'dispatch', body } : { kind: 'ignore', reason: 'view not handled' };
    }
    case 'app_rate_limited':
      // Events API notice that Slack is dropping events for a while (https://docs.slack.dev/apis/events-api/#rate-limiting).
      return { kind: 'ignore', reason: 'app_rate_limited' };
    default: {
      const parsed = otherInteractionSchema.safeParse(body);
      if (!parsed.success) return { kind: 'reject', reason: `payload: ${firstIssue(parsed.error)}` };
      return { kind: 'ignore', reason: `interaction ${parsed.data.type.slice(0, 40)} not handled` };
    }
  }
}
