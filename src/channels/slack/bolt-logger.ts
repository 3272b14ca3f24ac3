// Bolt and its Web API client log through @slack/logger's interface; this routes them into deskbot's pino child
// logger. Bolt's own debug lines can contain request bodies, so its debug level stays off unless LOG_LEVEL is trace.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../logger.ts';

export function createBoltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  const text = (parts: unknown[]) =>
    parts.map((part) => (part instanceof Error ? part.message : typeof part === 'string' ? part : JSON.stringify(part))).join(' ');
  return {
    debug: (...parts: unknown[]) => log.trace({ event: 'bolt-debug' }, text(parts)),
    info: (...parts: unknown[]) => log.debug({ event: 'bolt-info' }, text(parts)),
    warn: (...parts: unknown[]) => log.warn({ event: 'bolt-warn' }, text(parts)),
    error: (...parts: unknown[]) =>
      log.error(
        { event: 'bolt-error', ...(parts.find((part) => part instanceof Error) ? { err: parts.find((part) => part instanceof Error) } : {}) },
        text(parts),
      ),
    setLevel: () => undefined,
    getLevel: () => LogLevel.INFO,
    setName: () => undefined,
  };
}
