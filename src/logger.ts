// The pino root logger and its per-component children. Secrets are redacted; message bodies are never logged.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths pino blanks wherever they appear in a log object. */
export const redactedPaths = [
  'password', '*.password', 'pass', '*.pass', 'token', '*.token', 'secret', '*.secret',
  'authorization', '*.authorization', 'headers.authorization', 'body', '*.body', 'text', '*.text', 'html', '*.html',
  'raw', '*.raw', 'config.IMAP_PASSWORD', 'config.SLACK_BOT_TOKEN', 'config.SLACK_SIGNING_SECRET', 'config.SLACK_APP_TOKEN',
  'config.SMTP_URL', 'config.DATABASE_URL', 'config.REDIS_URL',
];

export interface LoggerOptions {
  level?: string;
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'deskbot' },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** A logger that writes nothing, for tests. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** Strips user:password from a URL so it can be logged. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '[unparseable url]';
  }
}
