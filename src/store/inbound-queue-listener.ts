// Wakes this process's intake worker when any process stored mail: LISTEN on a dedicated PostgreSQL connection
// (the leader's store sends NOTIFY in the same statement). Reconnects after a drop; the worker's slow poll covers the gap.
import pg from 'pg';
import type { Logger } from '../logger.ts';
import { inboundQueueChannel } from './inbound-queue-repository.ts';

export interface InboundQueueListener {
  close(): Promise<void>;
}

export interface InboundQueueListenerOptions {
  databaseUrl: string;
  logger: Logger;
  /** Called on every notification and after each (re)connect, so nothing stored meanwhile waits for the poll. */
  onStored: () => void;
  retryMs?: number;
}

export function listenForStoredMail(options: InboundQueueListenerOptions): InboundQueueListener {
  const log = options.logger.child({ component: 'inbound-listener' });
  const retryMs = options.retryMs ?? 2_000;
  let client: pg.Client | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const retry = () => {
    if (!stopped) timer = setTimeout(() => void connect(), retryMs);
  };

  const connect = async (): Promise<void> => {
    if (stopped) return;
    const fresh = new pg.Client({ connectionString: options.databaseUrl, connectionTimeoutMillis: 5_000, keepAlive: true });
    fresh.on('notification', () => options.onStored());
    fresh.on('error', (error) => {
      if (client !== fresh) return;
      client = undefined;
      log.warn({ event: 'listen-lost', err: error }, 'lost the LISTEN connection; reconnecting');
      fresh.end().catch(() => undefined);
      retry();
    });
    try {
      await fresh.connect();
      await fresh.query(`LISTEN ${inboundQueueChannel}`);
      if (stopped) {
        await fresh.end().catch(() => undefined);
        return;
      }
      client = fresh;
      options.onStored();
    } catch (error) {
      log.warn({ event: 'listen-failed', err: error }, 'cannot LISTEN for stored mail; retrying');
      await fresh.end().catch(() => undefined);
      retry();
    }
  };
  void connect();

  return {
    async close() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const held = client;
      client = undefined;
      await held?.end().catch(() => undefined);
    },
  };
}
