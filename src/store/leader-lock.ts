// Leadership for work exactly one process may do at a time (the IMAP intake): a PostgreSQL session advisory lock
// held on a dedicated connection. When the holder dies its connection closes, the lock is released, and another
// process takes over within one retry interval. The embedded back end has one process, which always leads.
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { advisoryKey } from './database.ts';

export interface Leadership {
  /** Resolves once this process leads; rejects only when stopped first. */
  acquired(): Promise<void>;
  readonly isLeader: boolean;
  /** Releases the lock and closes the connection. */
  release(): Promise<void>;
}

export interface LeaderLockOptions {
  /** PostgreSQL URL; undefined = embedded back end (always leader). */
  databaseUrl: string | undefined;
  name: string;
  logger: Logger;
  retryMs?: number;
  /** Called when leadership is lost (connection dropped); the holder must stop the work at once. */
  onLost?: (error: Error) => void;
}

export function createLeaderLock(options: LeaderLockOptions): Leadership {
  const log = options.logger.child({ component: 'leader', lock: options.name });
  if (!options.databaseUrl) {
    return { acquired: async () => undefined, isLeader: true, release: async () => undefined };
  }
  const key = advisoryKey(options.name).toString();
  const retryMs = options.retryMs ?? 2_000;
  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveAcquired!: () => void;
  let rejectAcquired!: (error: Error) => void;
  const acquiredPromise = new Promise<void>((resolve, reject) => {
    resolveAcquired = resolve;
    rejectAcquired = reject;
  });
  acquiredPromise.catch(() => undefined);

  const attempt = async (): Promise<void> => {
    if (stopped) return;
    try {
      if (!client) {
        const fresh = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
        fresh.on('error', (error) => {
          if (client !== fresh) return;
          client = undefined;
          if (leader) {
            leader = false;
            log.error({ event: 'leadership-lost', err: error }, 'lost the leader lock');
            options.onLost?.(error);
          }
          if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
        });
        await fresh.connect();
        client = fresh;
      }
      const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [key]);
      if (result.rows[0]?.locked) {
        leader = true;
        log.info({ event: 'leadership-acquired' }, 'this process now leads');
        resolveAcquired();
        return;
      }
    } catch (error) {
      log.warn({ event: 'leader-attempt-failed', err: error }, 'could not try the leader lock');
      await client?.end().catch(() => undefined);
      client = undefined;
    }
    if (!stopped) timer = setTimeout(() => void attempt(), retryMs);
  };
  void attempt();

  return {
    acquired: () => acquiredPromise,
    get isLeader() {
      return leader;
    },
    async release() {
      stopped = true;
      if (timer) clearTimeout(timer);
      rejectAcquired(new Error('leader lock released before it was acquired'));
      const held = client;
      client = undefined;
      leader = false;
      if (held) {
        await held.query('SELECT pg_advisory_unlock_all()').catch(() => undefined);
        await held.end().catch(() => undefined);
      }
    },
  };
}
