// Opens what every command shares: config, logger, policy, database (migrated), repositories, health. A Runtime is
// an AppDeps (app/deps.ts): the store's transactor and repositories, the mail renderer and parser wired here. A command
// handed over the control socket to a running `deskbot serve` (cli/control/) gets that process's runtime instead.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Config } from './config.ts';
import { HealthRegistry } from './health.ts';
import { createLogger, resolveLogFormat, type Logger } from './logger.ts';
import { loadPolicy } from './policy-file.ts';
import type { Policy } from './domain/policy.ts';
import type { AppDeps } from './app/deps.ts';
import { systemClock, type Clock } from './app/ports.ts';
import { mailParser } from './channels/email/parse-message.ts';
import { createTemplateRenderer, type TemplateRenderer } from './channels/email/templates.ts';
import { openDatabase, type Database } from './store/database.ts';
import { migrate } from './store/migrate.ts';
import { createDirectoryRepository, type DirectoryRepository } from './store/directory-repository.ts';
import { storeAccess } from './store/transactor.ts';

export interface Runtime extends Omit<AppDeps, 'onCommitted'> {
  config: Config;
  logger: Logger;
  policy: Policy;
  database: Database;
  directory: DirectoryRepository;
  clock: Clock;
  /** Mail templates (TEMPLATES_DIR over the built-in ones); the same as `renderer`, with warm() for start-up. */
  mailRenderer: TemplateRenderer;
  health: HealthRegistry;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

/** The serving process's runtime while it runs a command handed over by another process (cli/control/). */
const hostedRuntime = new AsyncLocalStorage<Runtime>();

/**
 * Runs `work` so that every `openRuntime` inside it returns `runtime` (already open and migrated) and its `close` is a
 * no-op: the embedded database admits one process, so a command run for another process shares the serving one.
 */
export function runWithHostedRuntime<T>(runtime: Runtime, work: () => Promise<T>): Promise<T> {
  return hostedRuntime.run(runtime, work);
}

export async function openRuntime(config: Config, options: OpenRuntimeOptions = {}): Promise<Runtime> {
  const hosted = hostedRuntime.getStore();
  if (hosted) return { ...hosted, close: async () => undefined };
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL, format: resolveLogFormat(config.LOG_FORMAT, process.stdout.isTTY === true) });
  const policy = loadPolicy(config.POLICY_FILE);
  const database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir: config.dataDir, logger });
  try {
    if (options.migrate !== false) await migrate(database, { logger });
  } catch (error) {
    await database.close();
    throw error;
  }
  const health = new HealthRegistry();
  health.set('database', 'ok', database.kind);
  const renderer = createTemplateRenderer({ templatesDir: config.TEMPLATES_DIR });
  return {
    ...storeAccess(database, policy),
    config,
    logger,
    policy,
    database,
    directory: createDirectoryRepository(database.prisma),
    clock: options.clock ?? systemClock,
    mailRenderer: renderer,
    renderer,
    parser: mailParser,
    health,
    close: () => database.close(),
  };
}
