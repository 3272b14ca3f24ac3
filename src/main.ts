// Wiring only: `deskbot serve` opens the runtime, starts the HTTP server and every service, and stops them on SIGTERM.
import type { Config } from './config.ts';
import { createHttpServer, sendJson } from './http-server.ts';
import type { Service } from './app/ports.ts';
import { openRuntime, type Runtime } from './runtime.ts';
import type { Logger } from './logger.ts';
import { registry, setOutboxDepthSource } from './metrics.ts';
import { importDirectoryFile } from './app/import-directory.ts';
import { createSlaSweeper } from './jobs/sla-sweeper.ts';
import { createBlobSweeper } from './jobs/blob-sweeper.ts';
import { createDatabaseHousekeepingJob } from './jobs/database-housekeeping.ts';
import { createQuietCollection } from './jobs/quiet-collection.ts';
import { createIntakeRehearsal } from './jobs/intake-rehearsal.ts';
import { createOutboxDispatcher, defaultChannelLimits, type ChannelLimit, type OutboxDispatcher } from './jobs/outbox-dispatcher.ts';
import { createOutboxRepository } from './store/outbox-repository.ts';
import { createRateLimiterFactory } from './rate-limiter.ts';
import { composeMessage, createEmailOutboxHandler, createMailSenderFromConfig } from './channels/email/smtp-sender.ts';
import { createSlackChannel } from './channels/slack/slack-channel.ts';
import { createInboundEmailHandler } from './app/intake/handle-inbound-email.ts';
import { createIntakeService } from './channels/email/intake-service.ts';
import { createStoredMailSink } from './channels/email/imap/stored-mail-sink.ts';
import { createInboundWorker, type InboundWorker } from './jobs/inbound-worker.ts';
import { createInboundQueueRepository, type InboundQueueRepository } from './store/inbound-queue-repository.ts';
import { listenForStoredMail, type InboundQueueListener } from './store/inbound-queue-listener.ts';
import type { IntakeHandlers } from './channels/email/mail-pipe.ts';
import { describeStartup } from './startup-summary.ts';
import { applyHeapGrowth } from './heap-growth.ts';
import { warmIntake, warmUp } from './warm-up.ts';
import { createLargeMailTurn } from './large-mail-turn.ts';

export interface RunningDeskbot {
  runtime: Runtime;
  port: number;
  /** Outbox delivery; use cases call `dispatcher.kick()` after a commit that enqueued mail so it goes out at once. */
  dispatcher: OutboxDispatcher;
  stop(): Promise<void>;
}

/** The inbound-mail handlers over an open runtime (serve's intake, `deskbot ingest`); `onCommitted` wakes the dispatcher. */
export function inboundHandlers(runtime: Runtime, onCommitted?: () => void): IntakeHandlers {
  const inbound = createInboundEmailHandler({ ...runtime, ...(onCommitted ? { onCommitted } : {}) });
  return { handler: inbound.handleInboundEmail, oversizedHandler: inbound.handleOversizedEmail };
}

/**
 * The stored-mail worker with its wake-ups: LISTEN on PostgreSQL (any process's store), and on the embedded back end
 * (one process) the claims of a previous run handed back at start.
 */
function storedMailService(runtime: Runtime, queue: InboundQueueRepository, worker: InboundWorker, onStored: () => void): Service {
  let listener: InboundQueueListener | undefined;
  return {
    name: 'inbound-worker',
    async start() {
      if (runtime.database.kind === 'pglite') await queue.releaseAllClaims();
      await worker.start();
      if (runtime.config.DATABASE_URL)
        listener = listenForStoredMail({
          databaseUrl: runtime.config.DATABASE_URL,
          logger: runtime.logger,
          onStored: () => {
            onStored();
            worker.kick();
          },
        });
    },
    async stop() {
      await listener?.close();
      await worker.stop();
    },
  };
}

/**
 * The e-mail lane: SMTP_MAX_CONNECTIONS sends at once, SMTP_MAX_PER_SECOND, and a claim may take up to 4 rows per
 * connection beyond the free ones (fewer claims in a burst) — under a rate cap no more than 5 s of sending.
 */
export function emailLimit(config: Pick<Config, 'SMTP_MAX_CONNECTIONS' | 'SMTP_MAX_PER_SECOND'>): ChannelLimit {
  const perSecond = config.SMTP_MAX_PER_SECOND;
  const queued = Math.min(config.SMTP_MAX_CONNECTIONS * 4, perSecond ? Math.floor(perSecond * 5) : Number.POSITIVE_INFINITY);
  return { maxConcurrent: config.SMTP_MAX_CONNECTIONS, queued, ...(perSecond ? { perSecond } : {}) };
}

/** Starts deskbot; resolves once it listens. */
export async function serve(config: Config, options: { logger?: Logger } = {}): Promise<RunningDeskbot> {
  const runtime = await openRuntime(config, options.logger ? { logger: options.logger } : {});
  const log = runtime.logger.child({ component: 'main' });
  log.info({ event: 'heap-growth', ...applyHeapGrowth(config.HEAP_GROWTH_PERCENT) }, 'V8 heap growth between full collections');
  if (config.DIRECTORY_FILE) {
    // Idempotent, so importing at every start keeps the directory in step with the file.
    try {
      const imported = await importDirectoryFile(config.DIRECTORY_FILE, runtime);
      for (const warning of imported.warnings) log.warn({ event: 'directory-warning', ...warning }, 'directory warning');
      log.info({ event: 'directory-imported', file: imported.file, ...imported.summary }, 'directory imported');
    } catch (error) {
      await runtime.close();
      throw error;
    }
  }
  const http = createHttpServer(runtime.logger);
  const services: Service[] = [];
  // With REDIS_URL the e-mail limits (SMTP_MAX_CONNECTIONS, SMTP_MAX_PER_SECOND) hold for all processes together; closed last.
  const limiterFactory = config.REDIS_URL
    ? createRateLimiterFactory({ redisUrl: config.REDIS_URL, logger: runtime.logger, health: runtime.health })
    : undefined;
  if (limiterFactory) services.push({ name: 'rate-limits', start: async () => undefined, stop: () => limiterFactory.close() });
  services.push(createBlobSweeper(runtime));
  // Embedded only: PGlite has no autovacuum (PostgreSQL's own does this there).
  const { housekeeping } = runtime.database;
  if (housekeeping) {
    const thresholds = { afterTransactions: config.EMBEDDED_VACUUM_AFTER_TRANSACTIONS, maxIntervalMs: config.EMBEDDED_VACUUM_MAX_INTERVAL };
    services.push(createDatabaseHousekeepingJob({ ...runtime, housekeeping, ...thresholds }));
  }
  services.push(createSlaSweeper({ ...runtime, onCommitted: () => dispatcher.kick() }));
  // Slack: POST /slack/events on this server (or Socket Mode); off without SLACK_BOT_TOKEN, its outbox rows then only logged.
  const slack = await createSlackChannel(runtime, http, { onEnqueued: () => dispatcher.kick() });
  // Pushed early so it starts before and stops after the services that enqueue; with no Slack handler, slack rows are logged and marked sent.
  const dispatcher = createOutboxDispatcher({
    outbox: createOutboxRepository(runtime.database.prisma),
    logger: runtime.logger,
    clock: runtime.clock,
    health: runtime.health,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    expireLeasesAtStart: runtime.database.kind === 'pglite',
    handlers: { email: createEmailOutboxHandler(createMailSenderFromConfig(config, runtime.logger)), slack: slack.outboxHandler },
    // Slack off: its rows are only logged, at once, so a claim may take many (one claim per freed slot otherwise).
    limits: { email: emailLimit(config), ...(slack.enabled ? {} : { slack: { ...defaultChannelLimits.slack, queued: 60 } }) },
    ...(limiterFactory ? { limiterFactory } : {}),
  });
  services.push(dispatcher);
  services.push(slack.service);
  // Mail intake (IMAP IDLE, or DATA_DIR/inbox/ without IMAP_HOST): starts after and stops before the dispatcher.
  // After a burst of intake, one full collection once serve is quiet: its memory comes back down then.
  const quiet = createQuietCollection({ logger: runtime.logger });
  services.push(quiet);
  const handlers = inboundHandlers(runtime, () => dispatcher.kick());
  // Real intake work, for the rehearsal to keep out of its way: messages in hand, the last store or ending, the count.
  const activity = { inHand: 0, lastAt: Number.NEGATIVE_INFINITY, handled: 0 };
  const noteActivity = () => {
    activity.lastAt = performance.now();
  };
  const intake: IntakeHandlers = {
    ...handlers,
    handler: (raw, source) => {
      activity.inHand += 1;
      noteActivity();
      return handlers.handler(raw, source).finally(() => {
        activity.inHand -= 1;
        activity.handled += 1;
        noteActivity();
        quiet.noteWork();
      });
    },
  };
  // IMAP: the leader only stores each fetched message; the worker of every process handles the stored ones.
  const queue = createInboundQueueRepository(runtime.database.prisma, { kind: runtime.database.kind });
  // Group commit on PostgreSQL only: on PGlite (one connection) a read outside the group's transaction would wait for it.
  const group = runtime.database.kind === 'postgres' ? runtime.transactor.group?.bind(runtime.transactor) : undefined;
  // One message over 8 MB in memory at a time: the leader's fetch-and-store and the worker's handling take turns.
  const largeMail = createLargeMailTurn();
  const worker = createInboundWorker({
    queue,
    largeMail,
    ...intake,
    logger: runtime.logger,
    clock: runtime.clock,
    concurrency: config.IMAP_CONCURRENCY,
    ...(group ? { group, groupSize: config.INTAKE_GROUP_SIZE ?? Math.ceil(config.IMAP_CONCURRENCY / 2), onGroupCommitted: () => dispatcher.kick() } : {}),
  });
  // Any process's store (NOTIFY on PostgreSQL) counts as intake work here too: no rehearsal round meanwhile.
  services.push(storedMailService(runtime, queue, worker, noteActivity));
  const sink = createStoredMailSink(queue, () => {
    noteActivity();
    worker.kick();
  });
  services.push(createIntakeService(runtime, intake.handler, intake.oversizedHandler, { imap: { ...sink, largeMail } }));
  // Started once listening: a round only while no message is in hand and none was stored or ended within 50 ms (a
  // stored message is claimed within that), so that it fills the gaps between real mail and never delays a burst.
  const rehearsal = createIntakeRehearsal({
    intake: runtime,
    compose: (mail) => composeMessage(mail, { name: config.SUPPORT_NAME, address: config.SUPPORT_ADDRESS }),
    logger: runtime.logger,
    rounds: config.INTAKE_REHEARSAL_ROUNDS,
    busy: () => activity.inHand > 0 || performance.now() - activity.lastAt < 50,
    handledSoFar: () => activity.handled,
  });

  http.route('GET', '/healthz', async (_request, response) => {
    try {
      await runtime.database.ping();
      runtime.health.set('database', 'ok', runtime.database.kind);
    } catch (error) {
      runtime.health.set('database', 'down', (error as Error).message);
    }
    const report = runtime.health.report();
    sendJson(response, report.status === 'down' ? 503 : 200, report);
  });

  http.route('GET', '/metrics', async (_request, response) => {
    const body = await registry.metrics();
    response.writeHead(200, { 'content-type': registry.contentType });
    response.end(body);
  });
  const outbox = createOutboxRepository(runtime.database.prisma);
  setOutboxDepthSource(async () => {
    const byChannel = new Map<string, { channel: string; pending: number; oldestAgeSeconds: number }>();
    for (const group of await outbox.pendingSummary(runtime.clock.now())) {
      const row = byChannel.get(group.channel) ?? { channel: group.channel, pending: 0, oldestAgeSeconds: 0 };
      row.pending += group.count;
      row.oldestAgeSeconds = Math.max(row.oldestAgeSeconds, group.oldestAgeMs / 1000);
      byChannel.set(group.channel, row);
    }
    return [...byChannel.values()];
  });

  if (!runtime.health.get('slack')) runtime.health.set('slack', 'off', 'not configured');

  const started: Service[] = [];
  const stop = async () => {
    log.info({ event: 'stopping' }, 'stopping deskbot');
    await rehearsal.stop();
    await http.close();
    for (const service of started.reverse()) {
      await service.stop().catch((error: unknown) => log.error({ event: 'service-stop-failed', service: service.name, err: error }, 'service failed to stop'));
    }
    await runtime.close();
    log.info({ event: 'stopped' }, 'deskbot stopped');
  };
  try {
    // What the first new request uses, before intake starts, so that it is answered as fast as the next one.
    const intakeWarm = await warmIntake(runtime).catch((error: unknown) => {
      // A template that does not compile fails the mails that use it, naming its file; the rest still go out.
      log.error({ event: 'warm-up-failed', err: error }, 'a mail template does not compile');
      return null;
    });
    if (intakeWarm?.statementsError !== undefined) {
      log.warn(
        { event: 'warm-up-statements-failed', error: intakeWarm.statementsError },
        'the intake statements were not warmed up; the first mail compiles them',
      );
    }
    if (intakeWarm) log.info({ event: 'warmed-up-intake', ...intakeWarm }, 'compiled what a new request uses ahead of the first mail');
    for (const service of services) {
      await service.start();
      started.push(service);
    }
    const { port } = await http.listen(config.PORT, config.HOST);
    warmUp(runtime)
      .then(
        (summary) => log.info({ event: 'warmed-up', ...summary }, 'compiled the other mail templates'),
        // A template that does not compile fails the mails that use it, naming its file; the rest still go out.
        (error: unknown) => log.error({ event: 'warm-up-failed', err: error }, 'a mail template does not compile'),
      )
      .then(async () => {
        await rehearsal.start();
        const rehearsed = await rehearsal.finished;
        if (rehearsed.ended === 'failed')
          log.warn({ event: 'intake-rehearsal-failed', ...rehearsed }, 'the intake rehearsal stopped; the first mails compile what it did not');
        else log.info({ event: 'intake-rehearsed', ...rehearsed }, 'rehearsed intake with synthetic requests (rolled back, nothing sent)');
      })
      .then(() => quiet.startUpDone());
    const summary = describeStartup(config, { port, databaseKind: runtime.database.kind });
    log.info({ event: 'listening', port, ...summary, database: runtime.database.kind, databaseAt: summary.database }, `deskbot listening on port ${port}`);
    return { runtime, port, stop, dispatcher };
  } catch (error) {
    await stop();
    throw error;
  }
}
