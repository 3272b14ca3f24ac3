// `deskbot vacuum`: one housekeeping pass over the embedded database now (VACUUM every table, ANALYZE where the row
// count moved), e.g. after a large clean-up; `serve` runs the same pass on its own (jobs/database-housekeeping.ts).
// PostgreSQL needs none: its autovacuum does this.
import type { Command } from 'commander';
import { createDatabaseHousekeepingJob } from '../../jobs/database-housekeeping.ts';
import { openRuntime } from '../../runtime.ts';
import type { CommandContext } from '../io.ts';

export function registerVacuumCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('vacuum')
    .description('vacuum and analyze the embedded database now (serve does it on its own; PostgreSQL needs none)')
    .action(async () => {
      const runtime = await openRuntime(getConfig());
      try {
        const { housekeeping } = runtime.database;
        if (!housekeeping) {
          io.stdout(`${JSON.stringify({ database: runtime.database.kind, vacuumed: false, reason: 'PostgreSQL vacuums itself (autovacuum)' })}\n`);
          return;
        }
        const pass = await createDatabaseHousekeepingJob({ ...runtime, housekeeping }).pass();
        const { analyzed, reclaimedBytes, bytesAfter, ms } = pass;
        const summary = { database: runtime.database.kind, vacuumed: true, tables: pass.tables.length, analyzed, reclaimedBytes, bytesAfter, ms };
        io.stdout(`${JSON.stringify(summary)}\n`);
      } finally {
        await runtime.close();
      }
    });
}
