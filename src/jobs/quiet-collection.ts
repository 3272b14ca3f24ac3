// One full garbage collection once serve goes quiet after a burst of intake, and one when start-up's work is done, so
// that its memory comes back down then.
// V8 collects the old generation when it reaches its limit, or when idle after its memory reducer's delay (a minute
// and more): a burst that made less garbage than the limit kept its grown heap (measured under load after 1,200
// requests: idle RSS ~290 MB until then, ~225 MB when a collection happened to come). The collection is asked of
// V8 through the in-process inspector (HeapProfiler.collectGarbage: no flag, no port); ~50 ms on a ~200 MB heap.
import inspector from 'node:inspector';
import type { Service } from '../app/ports.ts';
import type { Logger } from '../logger.ts';

export interface QuietCollectionOptions {
  logger: Logger;
  /** How long without intake work counts as quiet (default 2 s: the burst's last acknowledgements are out by then). */
  quietMs?: number;
  /** Messages since the last collection below which none is worth it (default 100). */
  minWork?: number;
  /** The collection (default: V8's full collection through the inspector); tests pass their own. */
  collect?: () => Promise<void>;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

export interface QuietCollection extends Service {
  /** A message was handled: a collection follows once the process has been quiet for quietMs. */
  noteWork(): void;
  /**
   * Start-up's own work is done (migrations, the warm-up's template compiling and rolled-back statements): one
   * collection once intake has been quiet for quietMs (at once when no mail came), whatever minWork says, so that an
   * idle process does not keep start-up's garbage until V8 next happens to collect, and no mail waits behind it.
   */
  startUpDone(): void;
}

/** V8's full collection, through an in-process inspector session. */
export async function collectGarbage(): Promise<void> {
  const session = new inspector.Session();
  session.connect();
  try {
    // The session is closed after the answer, outside its callback (disconnecting inside it left the call unsettled).
    await new Promise<void>((resolve, reject) => session.post('HeapProfiler.collectGarbage', (error) => (error ? reject(error) : resolve())));
  } finally {
    session.disconnect();
  }
}

export function createQuietCollection(options: QuietCollectionOptions): QuietCollection {
  const log = options.logger.child({ component: 'quiet-collection' });
  const quietMs = options.quietMs ?? 2_000;
  const minWork = options.minWork ?? 100;
  const collect = options.collect ?? collectGarbage;
  const now = options.now ?? (() => performance.now());
  let work = 0;
  let lastWorkAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  /** Start-up's collection is still to come (startUpDone). */
  let startUpPending = false;

  const collectNow = async (level: 'debug' | 'info', event: string, fields: Record<string, unknown>, message: string) => {
    const startedAt = now();
    await collect().then(
      () => log[level]({ event, ...fields, ms: Math.round(now() - startedAt) }, message),
      (error: unknown) => log.warn({ event: `${event}-failed`, err: error }, `could not collect garbage (${event})`),
    );
  };

  const check = () => {
    timer = undefined;
    if (!running || (work === 0 && !startUpPending)) return;
    const quietFor = now() - lastWorkAt;
    if (quietFor < quietMs) {
      timer = setTimeout(check, quietMs - quietFor).unref();
      return;
    }
    const startUp = startUpPending;
    const messages = work;
    work = 0;
    startUpPending = false;
    if (startUp) void collectNow('info', 'start-up-collection', { messages }, 'collected start-up garbage');
    else if (messages >= minWork) void collectNow('debug', 'quiet-collection', { messages }, 'collected garbage after a burst');
  };

  return {
    name: 'quiet-collection',
    async start() {
      running = true;
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
    startUpDone() {
      if (!running) return;
      startUpPending = true;
      if (!timer) timer = setTimeout(check, Math.max(0, quietMs - (now() - lastWorkAt))).unref();
    },
    noteWork() {
      work += 1;
      lastWorkAt = now();
      if (running && !timer) timer = setTimeout(check, quietMs).unref();
    },
  };
}
