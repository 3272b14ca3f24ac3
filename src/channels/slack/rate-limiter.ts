// Paces every Slack Web API call by its method's rate-limit tier (chat.postMessage: per channel) and holds a
// method back after a 429 until its Retry-After has passed. Pacing only: the call itself and error translation
// are web-api.ts; retrying a rate-limited outbox item is the outbox dispatcher's job (it reschedules on retryAfterMs).
import { DeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { createRateLimiterFactory, type RateLimiter, type RateLimiterFactory, type RateLimitOptions } from '../../rate-limiter.ts';

/**
 * Slack's published tiers (https://docs.slack.dev/apis/web-api/rate-limits): requests per minute per method and
 * workspace. `special` methods have their own rule (chat.postMessage: about one message per second per channel).
 */
export const slackTiers = { tier1: 1, tier2: 20, tier3: 50, tier4: 100 } as const;
/**
 * `trigger`: a call that spends a trigger_id (views.open), which Slack accepts for 3 seconds only. Such a call is not
 * queued behind a per-minute budget (its tier 4 allows "generous burst behavior", and a modal opened a minute late
 * never opens: the trigger has expired); only a 429's Retry-After holds it back, and only when that fits in the
 * trigger's life. Otherwise it fails at once, so the engineer is told instead of waiting for nothing.
 */
export type SlackTier = keyof typeof slackTiers | 'post-per-channel' | 'trigger';

/** How long Slack accepts a trigger_id (https://docs.slack.dev/reference/methods/views.open: expired_trigger_id). */
export const triggerLifetimeMs = 3_000;

/** The methods deskbot calls and their tier. */
export const slackMethodTiers = {
  'auth.test': 'tier4',
  'chat.postMessage': 'post-per-channel',
  'chat.update': 'tier3',
  'chat.postEphemeral': 'tier4',
  'conversations.open': 'tier3',
  'files.completeUploadExternal': 'tier4',
  'files.getUploadURLExternal': 'tier4',
  'usergroups.users.list': 'tier2',
  'views.open': 'trigger',
  'views.publish': 'tier4',
  'views.update': 'tier4',
} as const satisfies Record<string, SlackTier>;
export type SlackMethod = keyof typeof slackMethodTiers;

export interface SlackRateLimits {
  /** Minimum ms between two chat.postMessage calls into one channel. Default 1000. */
  postPerChannelMs: number;
  /** Calls per minute per tier; a tier's calls may burst up to this many in one window. */
  perMinute: Record<keyof typeof slackTiers, number>;
}

export const defaultSlackRateLimits: SlackRateLimits = { postPerChannelMs: 1_000, perMinute: { ...slackTiers } };

export interface SlackRateLimiterOptions {
  logger: Logger;
  /** Shared limiter factory (clustered over Redis when REDIS_URL is set); a process-local one by default. */
  factory?: RateLimiterFactory;
  limits?: Partial<SlackRateLimits>;
  /** Monotonic milliseconds; injectable for tests. */
  nowMs?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SlackRateLimiter {
  /** Runs `call` when `method` (and, for chat.postMessage, `channel`) may be called again. */
  schedule<T>(method: SlackMethod, channel: string | undefined, call: () => Promise<T>): Promise<T>;
  /** Slack answered 429: nothing in this bucket starts before `retryAfterMs` from now. */
  block(method: SlackMethod, channel: string | undefined, retryAfterMs: number): void;
  /** ms until the bucket opens again; 0 when open. */
  blockedForMs(method: SlackMethod, channel: string | undefined): number;
  stop(): Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function createSlackRateLimiter(options: SlackRateLimiterOptions): SlackRateLimiter {
  const limits: SlackRateLimits = { ...defaultSlackRateLimits, ...options.limits, perMinute: { ...slackTiers, ...options.limits?.perMinute } };
  const log = options.logger.child({ component: 'slack-rate-limit' });
  const ownFactory = options.factory ? undefined : createRateLimiterFactory({ logger: options.logger });
  const factory = options.factory ?? ownFactory!;
  const nowMs = options.nowMs ?? (() => performance.now());
  const sleep = options.sleep ?? defaultSleep;
  const limiters = new Map<string, RateLimiter>();
  const blockedUntil = new Map<string, number>();

  const keyOf = (method: SlackMethod, channel: string | undefined) =>
    slackMethodTiers[method] === 'post-per-channel' ? `${method}:${channel ?? '-'}` : method;

  const limiterFor = (method: SlackMethod, key: string): RateLimiter => {
    let limiter = limiters.get(key);
    if (limiter) return limiter;
    const tier = slackMethodTiers[method] as Exclude<SlackTier, 'trigger'>;
    const settings: RateLimitOptions =
      tier === 'post-per-channel'
        ? { name: `slack-${key}`, maxConcurrent: 1, minTime: limits.postPerChannelMs }
        : {
            name: `slack-${key}`,
            reservoir: limits.perMinute[tier],
            reservoirRefreshAmount: limits.perMinute[tier],
            reservoirRefreshInterval: 60_000,
          };
    limiter = factory.create(settings);
    limiters.set(key, limiter);
    return limiter;
  };

  const waitMs = (key: string) => Math.max(0, (blockedUntil.get(key) ?? 0) - nowMs());

  return {
    async schedule(method, channel, call) {
      const key = keyOf(method, channel);
      if (slackMethodTiers[method] === 'trigger') {
        const wait = waitMs(key);
        if (wait > triggerLifetimeMs / 2) {
          throw new DeskbotError('SLACK_RATE_LIMITED', `Slack rate-limited ${method}; the trigger expires before ${wait} ms have passed`, {
            retryable: false,
            retryAfterMs: wait,
            details: { method },
          });
        }
        if (wait > 0) await sleep(wait);
        return call();
      }
      return limiterFor(method, key).schedule(async () => {
        // A 429 seen while this call waited in the queue holds it back too.
        for (let wait = waitMs(key); wait > 0; wait = waitMs(key)) {
          log.debug({ event: 'rate-limit-wait', method, waitMs: wait }, 'waiting for Retry-After');
          await sleep(wait);
        }
        return call();
      });
    },
    block(method, channel, retryAfterMs) {
      const key = keyOf(method, channel);
      blockedUntil.set(key, Math.max(blockedUntil.get(key) ?? 0, nowMs() + retryAfterMs));
      log.warn({ event: 'rate-limited', method, retryAfterMs }, 'Slack rate limit hit; holding the method back');
    },
    blockedForMs(method, channel) {
      return waitMs(keyOf(method, channel));
    },
    async stop() {
      await Promise.all([...limiters.values()].map((limiter) => limiter.stop().catch(() => undefined)));
      limiters.clear();
      await ownFactory?.close();
    },
  };
}
