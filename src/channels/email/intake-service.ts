// Chooses how mail enters `deskbot serve`: IMAP IDLE when IMAP_HOST is set, otherwise the DATA_DIR/inbox/ folder.
// Both hand every message to the same inbound handlers. With several processes on PostgreSQL exactly one holds
// the intake at a time (a leader lock on a dedicated connection); another takes over within seconds when it dies.
import path from 'node:path';
import { metrics } from '../../metrics.ts';
import type { InboundMailHandler, Service } from '../../app/ports.ts';
import type { Runtime } from '../../runtime.ts';
import { createLeaderLock, type Leadership } from '../../store/leader-lock.ts';
import { createMailboxStateRepository } from '../../store/mailbox-state-repository.ts';
import type { ImapMailHandler, ImapOversizedHandler, OversizedMailHandler } from './imap/batch.ts';
import { createImapSource } from './imap/imap-source.ts';
import { imapSettingsFromConfig } from './imap/settings.ts';
import type { LargeMailTurn } from '../../large-mail-turn.ts';
import { createInboxWatcher } from './inbox-watcher.ts';

export interface IntakeServiceOptions {
  /** How often a standby process tries to take the intake over (ms). */
  leaderRetryMs?: number;
  /**
   * What the IMAP leader does with each fetched message instead of handling it: `deskbot serve` stores it in the
   * stored-mail queue (imap/stored-mail-sink.ts) and the workers of every process handle it. The inbox folder always
   * hands files to `handler`.
   */
  imap?: { handler: ImapMailHandler; oversizedHandler: ImapOversizedHandler; largeMail?: LargeMailTurn };
}

export function createIntakeService(
  runtime: Runtime,
  handler: InboundMailHandler,
  oversizedHandler: OversizedMailHandler,
  options: IntakeServiceOptions = {},
): Service {
  const { config, logger, health } = runtime;
  const part = config.IMAP_HOST ? 'imap' : 'inbox';
  const log = logger.child({ component: 'intake' });
  const createSource = (): Service =>
    config.IMAP_HOST
      ? createImapSource({
          settings: imapSettingsFromConfig(config),
          handler: options.imap?.handler ?? handler,
          oversizedHandler: options.imap?.oversizedHandler ?? oversizedHandler,
          storesInOrder: options.imap !== undefined,
          ...(options.imap?.largeMail ? { largeMail: options.imap.largeMail } : {}),
          state: createMailboxStateRepository(runtime.database.prisma),
          logger,
          health,
        })
      : createInboxWatcher({
          dir: path.join(config.dataDir, 'inbox'),
          handlers: { handler, oversizedHandler },
          maxBytes: config.MAIL_MAX_BYTES,
          logger,
          health,
        });

  let stopped = false;
  let source: Service | undefined;
  let lock: Leadership | undefined;
  let term: Promise<void> = Promise.resolve();

  const lead = (): void => {
    if (stopped) return;
    const current = createLeaderLock({
      databaseUrl: config.DATABASE_URL,
      name: `deskbot:intake:${config.IMAP_HOST ? `imap:${config.IMAP_HOST}:${config.IMAP_USER}:${config.IMAP_MAILBOX}` : 'inbox'}`,
      logger,
      ...(options.leaderRetryMs ? { retryMs: options.leaderRetryMs } : {}),
      onLost: () => {
        // Another process may take over at once: stop taking mail now, then queue for leadership again.
        metrics.imapLeader.set(0);
        health.set(part, 'degraded', 'lost the intake lock; standing by');
        term = term.then(async () => {
          const held = source;
          source = undefined;
          await held?.stop().catch((error: unknown) => log.error({ event: 'intake-stop-failed', err: error }, 'intake failed to stop'));
          await current.release();
          lead();
        });
      },
    });
    lock = current;
    if (!current.isLeader) health.set(part, 'ok', 'standby: another deskbot process holds the intake');
    current
      .acquired()
      .then(() => {
        term = term.then(async () => {
          if (stopped || lock !== current) return;
          metrics.imapLeader.set(1);
          source = createSource();
          await source.start();
          log.info({ event: 'intake-started', part }, 'this process now takes in mail');
        });
        return term;
      })
      .catch((error: unknown) => {
        if (!stopped) log.error({ event: 'intake-start-failed', err: error }, 'intake failed to start');
      });
  };

  return {
    name: 'intake',
    async start() {
      lead();
      // On the embedded back end leadership is immediate: wait for the source so start-up errors surface here.
      if (!config.DATABASE_URL) {
        await lock?.acquired();
        await term;
      }
    },
    async stop() {
      stopped = true;
      await term.catch(() => undefined);
      const held = source;
      source = undefined;
      await held?.stop();
      await lock?.release();
      metrics.imapLeader.set(0);
    },
  };
}
