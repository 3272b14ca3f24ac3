// Socket Mode has no HTTP status to refuse with, so the receiver is wrapped: the same zod check as the HTTP receiver
// (inbound-payload.ts) runs before Bolt, and a payload it rejects or ignores is acked at once (Slack then does not
// redeliver it) and logged, never handed to Bolt. SocketModeReceiver calls nothing on the app but processEvent.
import type { App, Receiver, ReceiverEvent } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import { classifySlackPayload, type SlackRoutes } from './inbound-payload.ts';

export function guardSocketReceiver(inner: Receiver, routes: SlackRoutes, logger: Logger): Receiver {
  const log = logger.child({ component: 'slack-socket' });
  return {
    init(app: App) {
      const processEvent = async (event: ReceiverEvent): Promise<void> => {
        const verdict = classifySlackPayload(event.body, routes);
        if (verdict.kind === 'dispatch') return app.processEvent(event);
        if (verdict.kind === 'reject')
          log.warn({ event: 'slack-payload-invalid', reason: verdict.reason }, 'acked and dropped a Slack payload of a shape deskbot does not handle');
        else log.info({ event: 'slack-payload-ignored', reason: verdict.reason }, 'acked a Slack payload nothing listens to');
        await event.ack();
      };
      inner.init({ processEvent } as unknown as App);
    },
    start: (...args: unknown[]) => inner.start(...args),
    stop: (...args: unknown[]) => inner.stop(...args),
  };
}
