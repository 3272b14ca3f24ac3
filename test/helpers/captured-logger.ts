// A debug-level logger whose JSON lines the test can read back (events, fields, what must not be logged).
import { createLogger, type Logger } from '../../src/logger.ts';

export function capturedLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = {
    write(chunk: string) {
      for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  return { logger: createLogger({ level: 'debug', destination }), lines };
}
