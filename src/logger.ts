// The pino root logger and its per-component children. Secrets are redacted; message bodies are never logged.
// JSON lines by default; human lines (pino-pretty) on a terminal or with LOG_FORMAT=pretty, redacted the same way.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

export type { Logger };

/** Paths pino blanks wherever they appear in a log object. */
export const redactedPaths = [
  'password',
  '*.password',
  'pass',
  '*.pass',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'body',
  '*.body',
  'text',
  '*.text',
  'html',
  '*.html',
  'raw',
  '*.raw',
  'config.IMAP_PASSWORD',
  'config.SLACK_BOT_TOKEN',
  'config.SLACK_SIGNING_SECRET',
  'config.SLACK_APP_TOKEN',
  'config.SMTP_URL',
  'config.DATABASE_URL',
  'config.REDIS_URL',
];

export const logFormats = ['auto', 'json', 'pretty'] as const;
/** auto: pretty when stdout is a terminal, JSON otherwise. */
export type LogFormat = (typeof logFormats)[number];

/** The format actually used: LOG_FORMAT, or for `auto` whether stdout is a terminal. */
export function resolveLogFormat(format: LogFormat | undefined, stdoutIsTerminal: boolean): 'json' | 'pretty' {
  if (format === 'json' || format === 'pretty') return format;
  return stdoutIsTerminal ? 'pretty' : 'json';
}

export interface LoggerOptions {
  level?: string;
  /** json (default) or pretty: one human line per entry, fields below it; colours only on a terminal. */
  format?: 'json' | 'pretty';
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: 'deskbot' },
    // Redaction happens before the line is written, so it holds for the pretty format too.
    redact: { paths: redactedPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.format === 'pretty') {
    const destination = options.destination ?? process.stdout;
    // Loaded only for the pretty format: JSON-only processes (services, CLI pipes) skip its start-up cost.
    const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    const pretty = pinoPretty({
      destination,
      sync: true,
      colorize: (destination as NodeJS.WriteStream).isTTY === true,
      translateTime: 'SYS:HH:MM:ss',
      ignore: 'pid,hostname,service,component',
      singleLine: true,
      messageFormat: '{if component}[{component}] {end}{msg}',
      hideObject: false,
    });
    return pino(settings, pretty);
  }
  return pino(settings, options.destination);
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
