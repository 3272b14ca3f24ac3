// The App Home tab as the SLA board: open tickets, the nearest due time first, with the time left and a mark on
// those past their warning point (75% of a target by default) or breached; "Mine" / "All" buttons re-publish it.
// Published on app_home_opened and on the filter buttons; not live-updated when tickets change.
import type { App } from '@slack/bolt';
import { z } from 'zod';
import { list } from '../../app/engineer/list.ts';
import type { Policy } from '../../domain/policy.ts';
import type { TicketListPage } from '../../app/read-models.ts';
import { summaryLine } from './blocks/command-replies.ts';
import { slackDate } from './blocks/format.ts';
import { actionIds } from './blocks/ids.ts';
import { logFailure, type SlackHandlerDeps } from './slack-deps.ts';

export const homeFilters = ['mine', 'all'] as const;
export type HomeFilter = (typeof homeFilters)[number];

/** Tickets the board shows (a home view holds at most 100 blocks). */
export const boardSize = 40;

export function homeView(page: TicketListPage, options: { filter: HomeFilter; policy: Policy; now: Date }): Record<string, unknown> {
  const { filter, policy, now } = options;
  const button = (value: HomeFilter, text: string) => ({
    type: 'button',
    action_id: `${actionIds.homeFilter}.${value}`,
    text: { type: 'plain_text', text },
    value,
    ...(filter === value ? { style: 'primary' } : {}),
  });
  const total = `${page.total}${page.totalIsAtLeast ? '+' : ''}`;
  const counted = page.tickets.length < page.total || page.totalIsAtLeast ? `the ${page.tickets.length} most urgent of ${total}` : total;
  const blocks: Array<Record<string, unknown>> = [
    { type: 'header', text: { type: 'plain_text', text: 'SLA board' } },
    { type: 'actions', block_id: 'home_filters', elements: [button('mine', 'Mine'), button('all', 'All open')] },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `${filter === 'mine' ? 'Assigned to you' : 'All open requests'}: ${counted}. :red_circle: breached · :large_orange_circle: past 75% of a target · :large_green_circle: on track · :white_circle: no clock running. Updated ${slackDate(now)}.`,
        },
      ],
    },
    { type: 'divider' },
  ];
  if (page.tickets.length === 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: filter === 'mine' ? 'Nothing assigned to you. :tada:' : 'No open requests. :tada:' } });
  for (const ticket of page.tickets) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: summaryLine(ticket, policy, now) } });
  return { type: 'home', blocks };
}

/** The home of someone without a support role: no customer data. */
export function notForYouView(): Record<string, unknown> {
  return {
    type: 'home',
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'The SLA board is for support engineers and managers. Ask a manager if you need access.' } }],
  };
}

export async function publishHome(deps: SlackHandlerDeps, userId: string, filter: HomeFilter): Promise<void> {
  if (!deps.roles.allows(userId, 'engineer')) {
    await deps.api.call('views.publish', { user_id: userId, view: notForYouView() });
    return;
  }
  const page = await list(deps.actions, { filter: filter === 'mine' ? 'mine' : 'open', actor: { slackId: userId }, limit: boardSize });
  await deps.api.call('views.publish', { user_id: userId, view: homeView(page, { filter, policy: deps.actions.policy, now: deps.actions.clock.now() }) });
}

const homeOpenedSchema = z.object({ event_id: z.string(), event: z.object({ user: z.string(), tab: z.string().optional() }) });
const filterActionSchema = z.object({
  user: z.object({ id: z.string() }),
  actions: z.array(z.object({ action_id: z.string(), action_ts: z.string().optional(), value: z.enum(homeFilters) })).min(1),
});

export function registerAppHome(app: App, deps: SlackHandlerDeps): void {
  const log = deps.logger.child({ component: 'slack-home' });
  const lastFilter = new Map<string, HomeFilter>();

  app.event('app_home_opened', async ({ body }) => {
    // Bolt acks Events API deliveries itself before listeners run.
    const parsed = homeOpenedSchema.safeParse(body);
    if (!parsed.success || (parsed.data.event.tab ?? 'home') !== 'home') return;
    const userId = parsed.data.event.user;
    await deps.afterAck(async () => {
      try {
        if (!(await deps.actions.repositories.slackDeliveries.claim(`event:${parsed.data.event_id}`, deps.actions.clock.now()))) return;
        await publishHome(deps, userId, lastFilter.get(userId) ?? 'mine');
      } catch (error) {
        logFailure(log, error, { userId });
      }
    });
  });

  for (const filter of homeFilters) {
    app.action(`${actionIds.homeFilter}.${filter}`, async ({ ack, body }) => {
      await ack();
      const parsed = filterActionSchema.safeParse(body);
      if (!parsed.success) return;
      const userId = parsed.data.user.id;
      const action = parsed.data.actions[0]!;
      await deps.afterAck(async () => {
        try {
          if (
            !(await deps.actions.repositories.slackDeliveries.claim(
              `action:${action.action_ts ?? 'no-ts'}:${userId}:${action.action_id}`,
              deps.actions.clock.now(),
            ))
          )
            return;
          lastFilter.set(userId, action.value);
          await publishHome(deps, userId, action.value);
        } catch (error) {
          logFailure(log, error, { userId });
        }
      });
    });
  }
}
