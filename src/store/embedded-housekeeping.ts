// PGlite runs PostgreSQL in single-user mode: no autovacuum, and its row counters are never reported, so nothing
// reclaims the space of deleted and updated rows (each stored mail's raw bytes, every outbox row's status changes) and
// every plan is made without statistics. This is the SQL of that upkeep; src/jobs/database-housekeeping.ts decides when.
import type { PgliteClient } from './pglite-thread.ts';
import type { DatabaseHousekeeping } from '../app/ports.ts';

/** Statistics are refreshed when a table's row estimate moved by more than this share (and ANALYZE_MIN_ROWS) since the last time. */
const ANALYZE_SHARE = 0.1;
const ANALYZE_MIN_ROWS = 50;

const quoteIdentifier = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function createEmbeddedHousekeeping(pglite: PgliteClient): DatabaseHousekeeping {
  // Row estimates at this process's last ANALYZE of each table; a table not in it is analyzed at its first keep().
  const analyzedAt = new Map<string, number>();
  const tableState = async (table: string) => {
    const { rows } = await pglite.query<{ bytes: string; estimate: number }>(
      `SELECT pg_total_relation_size(c.oid)::text AS bytes, c.reltuples::float8 AS estimate
         FROM pg_class c WHERE c.oid = to_regclass($1)`,
      [quoteIdentifier(table)],
    );
    return { bytes: Number(rows[0]?.bytes ?? 0), estimate: Math.max(0, rows[0]?.estimate ?? 0) };
  };
  return {
    async writePosition() {
      const { rows } = await pglite.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next');
      return Number(rows[0]?.next ?? 0);
    },
    async tables() {
      const { rows } = await pglite.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY pg_total_relation_size(c.oid) DESC, c.relname`,
      );
      return rows.map((row) => row.name);
    },
    async keep(table) {
      const started = performance.now();
      const before = await tableState(table);
      // VACUUM also keeps the table's TOAST (the raw bytes), truncates empty pages at its end and re-estimates its rows.
      await pglite.exec(`VACUUM ${quoteIdentifier(table)}`);
      const vacuumed = await tableState(table);
      const last = analyzedAt.get(table);
      const analyzed = last === undefined || Math.abs(vacuumed.estimate - last) > Math.max(ANALYZE_MIN_ROWS, last * ANALYZE_SHARE);
      if (analyzed) {
        await pglite.exec(`ANALYZE ${quoteIdentifier(table)}`);
        analyzedAt.set(table, vacuumed.estimate);
      }
      return { table, bytesBefore: before.bytes, bytesAfter: vacuumed.bytes, analyzed, ms: Math.round(performance.now() - started) };
    },
  };
}
