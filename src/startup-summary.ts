// What a starting deskbot tells its operator: where HTTP listens, which database, where mail comes in and goes out,
// which channels are on. The same facts feed the terminal banner (cli/banner.ts) and the JSON `listening` line.
// Passwords in URLs are masked; nothing here reads the environment.
import path from 'node:path';
import type { Config } from './config.ts';
import { redactUrl } from './logger.ts';

export interface StartupSummary {
  /** Base URL a browser on this machine reaches (0.0.0.0 and :: shown as localhost). */
  httpUrl: string;
  database: string;
  mailIn: string;
  mailOut: string;
  slack: string;
  rateLimits: string;
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

export function describeStartup(config: Config, listening: { port: number; databaseKind: 'pglite' | 'postgres' }): StartupSummary {
  const inbox = `${path.join(config.dataDir, 'inbox')}${path.sep}`;
  const outbox = `${path.join(config.dataDir, 'outbox')}${path.sep}`;
  return {
    httpUrl: `http://${displayHost(config.HOST)}:${listening.port}`,
    database:
      listening.databaseKind === 'pglite' || !config.DATABASE_URL
        ? `embedded PostgreSQL (PGlite) in ${path.join(config.dataDir, 'pglite')}`
        : redactUrl(config.DATABASE_URL),
    mailIn: config.IMAP_HOST
      ? `IMAP ${config.IMAP_USER ?? ''}@${config.IMAP_HOST}:${config.IMAP_PORT} ${config.IMAP_MAILBOX} (IDLE)`
      : `drop .eml files into ${inbox}`,
    mailOut: config.SMTP_URL ? `SMTP ${redactUrl(config.SMTP_URL)}` : `written as .eml files to ${outbox}`,
    slack: !config.SLACK_BOT_TOKEN
      ? 'off (what would be posted is logged)'
      : config.SLACK_APP_TOKEN
        ? 'on, Socket Mode'
        : `on, events at POST ${`http://${displayHost(config.HOST)}:${listening.port}`}/slack/events`,
    rateLimits: config.REDIS_URL ? `shared over Redis ${redactUrl(config.REDIS_URL)}` : 'per process',
  };
}
