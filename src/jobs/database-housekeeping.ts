// Keeps the embedded database from growing without bound and its plans informed: PGlite has no autovacuum, so every
// stored mail's raw bytes and every outbox row's old versions would stay on disk (and in memory) for good. Checks
// once a minute how much was written and, after enough (or an hour with any writes), vacuums the tables one by one,
// giving other work the event loop between tables (PGlite runs on this thread).
import type { UseCaseDeps } from '../app/deps.ts';
import type { DatabaseHousekeeping, Service, TableHousekept } from '../app/ports.ts';
import { metrics } from '../metrics.ts';

export type DatabaseHousekeepingJobOptions = UseCaseDeps<'clock' | 'logger'> & {
  housekeeping: DatabaseHousekeeping;
  /** How often the write position is read; default one minute. */
  checkIntervalMs?: number;
  /** Writing transactions after which a pass is due; default 1,000 (a few hundred requests). */
  afterTransactions?: number;
  /** A pass is also due this long after the last one when anything at all was written; default one hour. */
  maxIntervalMs?: number;
};

export interface HousekeepingPass {
  tables: TableHousekept[];
  /** Tables whose statistics were refreshed. */
  analyzed: number;
  reclaimedBytes: number;
  /** The tables' size after the pass. */
  bytesAfter: number;
  ms: number;
}

export function createDatabaseHousekeepingJob(
  options: DatabaseHousekeepingJobOptions,
): Service & { check(): Promise<HousekeepingPass | undefined>; pass(): Promise<HousekeepingPass> } {
  const log = options.logger.child({ component: 'database-housekeeping' });
  const checkIntervalMs = options.checkIntervalMs ?? 60_000;
  const afterTransactions = options.afterTransactions ?? 1_000;
  const maxIntervalMs = options.maxIntervalMs ?? 3_600_000;
  const { housekeeping, clock } = options;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;
  let running: Promise<HousekeepingPass | undefined> | undefined;
  // Unknown at start: a database that has years of writes behind it gets its first pass at the first check.
  let lastPosition = 0;
  let lastPassAt = clock.now().getTime();

  const pass = async (): Promise<HousekeepingPass> => {
    const started = performance.now();
    const kept: TableHousekept[] = [];
    for (const table of await housekeeping.tables()) {
      if (stopping) break;
      kept.push(await housekeeping.keep(table));
      // PGlite holds this thread while it vacuums: let waiting requests (Slack's 3 s acks) run between tables.
      await new Promise((resolve) => setImmediate(resolve));
    }
    lastPosition = await housekeeping.writePosition();
    lastPassAt = clock.now().getTime();
    const result: HousekeepingPass = {
      tables: kept,
      analyzed: kept.filter((table) => table.analyzed).length,
      reclaimedBytes: kept.reduce((sum, table) => sum + Math.max(0, table.bytesBefore - table.bytesAfter), 0),
      bytesAfter: kept.reduce((sum, table) => sum + table.bytesAfter, 0),
      ms: Math.round(performance.now() - started),
    };
    const slowest = kept.reduce<TableHousekept | undefined>((top, table) => (top && top.ms >= table.ms ? top : table), undefined);
    metrics.housekeepingPasses.inc();
    metrics.housekeepingReclaimedBytes.inc(result.reclaimedBytes);
    log.info(
      {
        event: 'database-housekept',
        tables: kept.length,
        analyzed: result.analyzed,
        bytesAfter: result.bytesAfter,
        reclaimedBytes: result.reclaimedBytes,
        ms: result.ms,
        ...(slowest ? { slowestTable: slowest.table, slowestMs: slowest.ms } : {}),
      },
      'embedded database vacuumed',
    );
    return result;
  };

  const check = async (): Promise<HousekeepingPass | undefined> => {
    const written = (await housekeeping.writePosition()) - lastPosition;
    const due = written >= afterTransactions || (written > 0 && clock.now().getTime() - lastPassAt >= maxIntervalMs);
    return due ? pass() : undefined;
  };

  const tick = () => {
    if (running || stopping) return;
    running = check()
      .catch((error: unknown) => {
        metrics.housekeepingFailures.inc();
        log.warn({ event: 'database-housekeeping-failed', err: error }, 'could not vacuum the embedded database; next check in a minute');
        return undefined;
      })
      .finally(() => {
        running = undefined;
      });
  };

  return {
    name: 'database-housekeeping',
    check,
    pass,
    async start() {
      stopping = false;
      timer = setInterval(tick, checkIntervalMs);
      timer.unref();
    },
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      // A pass under way ends after its current table (VACUUM cannot be cut short), before the database closes.
      await running;
    },
  };
}
