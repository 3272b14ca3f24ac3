// Rate limits shared by every deskbot process: bottleneck limiters clustered over Redis when REDIS_URL is set
// (checked working with Redis 7 and ioredis 6), process-local otherwise. If Redis becomes unreachable the
// limiter falls back to a local one — deskbot keeps sending, within each process's own limit — and reports
// health part 'redis' degraded until Redis answers again.
import Bottleneck from 'bottleneck';
import type { HealthRegistry } from './health.ts';
import type { Logger } from './logger.ts';

export interface RateLimitOptions {
  /** Shared name: processes using the same name share the limit. */
  name: string;
  maxConcurrent?: number | null;
  /** Minimum ms between two starts. */
  minTime?: number;
  reservoir?: number | null;
  reservoirRefreshAmount?: number | null;
  reservoirRefreshInterval?: number | null;
}

export interface RateLimiter {
  schedule<T>(task: () => Promise<T>): Promise<T>;
  readonly clustered: boolean;
  stop(): Promise<void>;
}

export interface RateLimiterFactoryOptions {
  redisUrl?: string | undefined;
  logger: Logger;
  health?: HealthRegistry;
  /** How long a clustered call may wait for Redis before falling back (ms). */
  redisTimeoutMs?: number;
}

function settings(options: RateLimitOptions): Bottleneck.ConstructorOptions {
  return {
    maxConcurrent: options.maxConcurrent ?? null,
    minTime: options.minTime ?? 0,
    reservoir: options.reservoir ?? null,
    reservoirRefreshAmount: options.reservoirRefreshAmount ?? null,
    reservoirRefreshInterval: options.reservoirRefreshInterval ?? null,
  };
}

export function createRateLimiterFactory(factoryOptions: RateLimiterFactoryOptions) {
  const log = factoryOptions.logger.child({ component: 'rate-limit' });
  const redisTimeoutMs = factoryOptions.redisTimeoutMs ?? 2_000;
  let connection: Bottleneck.IORedisConnection | undefined;
  let jobSequence = 0;
  /** The clustered limiters made here: close() stops them before it closes the connection they share. */
  const clustered = new Set<RateLimiter>();
  /** Both ioredis clients of the shared connection (commands and subscriptions) are connected. */
  const connectionReady = (): boolean => {
    const clients = connection as unknown as { client?: { status?: string }; subscriber?: { status?: string } } | undefined;
    return clients?.client?.status === 'ready' && clients.subscriber?.status === 'ready';
  };
  /** ioredis' status of the shared connection ('ready' while usable). */
  const redisClientStatus = (): string => (connection as unknown as { client?: { status?: string } } | undefined)?.client?.status ?? 'ready';
  if (factoryOptions.redisUrl) {
    connection = new Bottleneck.IORedisConnection({ clientOptions: redisOptions(factoryOptions.redisUrl) });
    connection.on('error', (error: Error) => {
      factoryOptions.health?.set('redis', 'degraded', error.message);
      log.warn({ event: 'redis-error', err: error }, 'Redis error; rate limits fall back to this process');
    });
    factoryOptions.health?.set('redis', 'ok');
  } else {
    factoryOptions.health?.set('redis', 'off', 'REDIS_URL not set: limits are per process');
  }

  return {
    create(options: RateLimitOptions): RateLimiter {
      const local = new Bottleneck({ ...settings(options), id: `deskbot-${options.name}-local` });
      if (!connection) {
        return { schedule: (task) => local.schedule(task), clustered: false, stop: () => local.stop({ dropWaitingJobs: false }) };
      }
      const open = connection;
      const shared = new Bottleneck({
        ...settings(options),
        id: `deskbot-${options.name}`,
        datastore: 'ioredis',
        connection,
        clearDatastore: false,
        timeout: 60_000,
      });
      shared.on('error', (error: Error) => log.warn({ event: 'limiter-error', limiter: options.name, err: error }, 'clustered limiter error'));
      let stopped: Promise<void> | undefined;
      const limiter: RateLimiter = {
        clustered: true,
        async schedule<T>(task: () => Promise<T>): Promise<T> {
          // The task runs at most once, through Redis or locally: whichever path starts it first, the other gets
          // the same promise. A job Redis has queued waits its turn however long that takes (the shared limit
          // holds); only a submission Redis does not answer within redisTimeoutMs, or a Redis connection lost
          // while the job waits, falls back to the process-local limiter.
          let run: Promise<T> | undefined;
          const once = () => (run ??= task());
          const id = `${options.name}:${process.pid}:${(jobSequence += 1)}`;
          const viaRedis = shared.schedule({ id }, once);
          const settled = viaRedis.then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          for (;;) {
            let timer: NodeJS.Timeout | undefined;
            const timedOut = new Promise<'timeout'>((resolve) => {
              timer = setTimeout(() => resolve('timeout'), redisTimeoutMs);
            });
            const first = await Promise.race([settled, timedOut]).finally(() => clearTimeout(timer));
            if (first !== 'timeout') {
              if ('value' in first) {
                factoryOptions.health?.set('redis', 'ok');
                return first.value;
              }
              if (run) return run;
              factoryOptions.health?.set('redis', 'degraded', (first.error as Error)?.message ?? String(first.error));
              return local.schedule(once);
            }
            if (run) return run;
            const status = shared.jobStatus(id);
            if (status === 'RECEIVED' || redisClientStatus() !== 'ready') {
              factoryOptions.health?.set('redis', 'degraded', 'Redis did not answer in time');
              return local.schedule(once);
            }
          }
        },
        stop() {
          stopped ??= (async () => {
            // Bottleneck unsubscribes the limiter's channels and leaves the promise unhandled: on a connection that
            // is not ready that failure was an unhandled rejection (MaxRetriesPerRequestError). Such a connection is
            // closed first; Bottleneck then skips the unsubscribe.
            if (!connectionReady()) await Promise.resolve(open.disconnect(false)).catch(() => undefined);
            await Promise.resolve(shared.disconnect(false)).catch(() => undefined);
            await local.stop({ dropWaitingJobs: false }).catch(() => undefined);
          })();
          return stopped;
        },
      };
      clustered.add(limiter);
      return limiter;
    },
    async close() {
      if (!connection) return;
      // Limiters first: a connection closed under a limiter's pending Redis command rejected that command inside
      // Bottleneck, where nothing handles it (an unhandled rejection: "Connection is closed"). Then QUIT, which lets
      // pending replies arrive; a Redis that does not answer within redisTimeoutMs is dropped.
      await Promise.all([...clustered].map((limiter) => limiter.stop()));
      const open = connection;
      const quit = Promise.resolve(open.disconnect(true)).then(
        () => 'quit' as const,
        () => 'failed' as const,
      );
      const outcome = await Promise.race([quit, new Promise<'timeout'>((resolve) => setTimeout(resolve, redisTimeoutMs, 'timeout').unref())]);
      if (outcome !== 'quit') await Promise.resolve(open.disconnect(false)).catch(() => undefined);
    },
  };
}

function redisOptions(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.pathname.length > 1 ? { db: Number(parsed.pathname.slice(1)) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
  };
}

export type RateLimiterFactory = ReturnType<typeof createRateLimiterFactory>;
