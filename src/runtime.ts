// Opens what every command shares: config, logger, policy, database (migrated), repositories, health.
import type { Config } from './config.ts';
import { HealthRegistry } from './health.ts';
import { createLogger, type Logger } from './logger.ts';
import { loadPolicy } from './policy-file.ts';
import type { Policy } from './domain/policy.ts';
import { systemClock, type Clock, type MailRenderer } from './app/ports.ts';
import { createTemplateRenderer } from './channels/email/templates.ts';
import { openDatabase, type Database } from './store/database.ts';
import { migrate } from './store/migrate.ts';
import { createDirectoryRepository, type DirectoryRepository } from './store/directory-repository.ts';

export interface Runtime {
  config: Config;
  logger: Logger;
  policy: Policy;
  database: Database;
  directory: DirectoryRepository;
  clock: Clock;
  /** Mail templates (TEMPLATES_DIR over the built-in ones). */
  mailRenderer: MailRenderer;
  health: HealthRegistry;
  close(): Promise<void>;
}

export interface OpenRuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
}

export async function openRuntime(config: Config, options: OpenRuntimeOptions = {}): Promise<Runtime> {
  const logger = options.logger ?? createLogger({ level: config.LOG_LEVEL });
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
  return {
    config,
    logger,
    policy,
    database,
    directory: createDirectoryRepository(database.prisma),
    clock: options.clock ?? systemClock,
    mailRenderer: createTemplateRenderer({ templatesDir: config.TEMPLATES_DIR }),
    health,
    close: () => database.close(),
  };
}
