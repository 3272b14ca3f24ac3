// `deskbot charges`: closed incidents of a period with their charge decision, as CSV or JSON, for invoicing.
import { Option, type Command } from 'commander';
import { openRuntime } from '../../runtime.ts';
import { periodBound, requireOrderedPeriod } from '../arguments.ts';
import type { CommandContext } from '../io.ts';

export function registerChargesCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('charges')
    .description('export closed incidents with their charge decision for invoicing')
    .requiredOption('--from <date>', 'start: YYYY-MM-DD (UTC) or ISO date-time', periodBound('from'))
    .requiredOption('--to <date>', 'end: YYYY-MM-DD (inclusive day) or ISO date-time (exclusive)', periodBound('to'))
    .hook('preAction', requireOrderedPeriod)
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .action(async (options: { from: Date; to: Date; format: 'csv' | 'json' }) => {
      const { exportCharges } = await import('../../app/charges-export.ts');
      const runtime = await openRuntime(getConfig());
      try {
        io.stdout((await exportCharges(runtime, options)).text);
      } finally {
        await runtime.close();
      }
    });
}
