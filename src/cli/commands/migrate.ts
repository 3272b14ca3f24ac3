// `deskbot migrate`: applies pending migrations and prints what it did (start-up does the same on its own).
import type { Command } from 'commander';
import { openRuntime } from '../../runtime.ts';
import { migrate } from '../../store/migrate.ts';
import type { CommandContext } from '../io.ts';

export function registerMigrateCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('migrate')
    .description('apply pending database migrations (also done automatically at start-up)')
    .action(async () => {
      const runtime = await openRuntime(getConfig(), { migrate: false });
      try {
        const result = await migrate(runtime.database, { logger: runtime.logger });
        io.stdout(`${JSON.stringify({ database: runtime.database.kind, ...result })}\n`);
      } finally {
        await runtime.close();
      }
    });
}
