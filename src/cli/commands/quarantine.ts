// `deskbot quarantine list|retry <id>`: mail intake could not handle, and running one through the handler again.
// Listing is read-only; a retry commits like any inbound message (its mail goes out at the server's next outbox poll).
import { InvalidArgumentError, type Command } from 'commander';
import { formatBytes } from '../../channels/email/templates.ts';
import { openRuntime } from '../../runtime.ts';
import { listQuarantined, type QuarantineEntry } from '../../store/inbound-repository.ts';
import { type ListFormat, listFormatOf, listFormatOptions } from '../arguments.ts';
import type { CommandContext } from '../io.ts';

function parseId(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError('must be a quarantine ID (a number, as `deskbot quarantine list` shows)');
  return Number(value);
}

const columns = ['ID', 'RECEIVED', 'REASON', 'SIZE', 'MESSAGE-ID', 'STATUS'] as const;

/** Fixed-width table: id, date, reason, size, Message-ID and status; "(headers only)" where no retry is possible. */
export function formatQuarantineTable(entries: readonly QuarantineEntry[]): string {
  const rows = entries.map((entry) => [
    String(entry.id),
    entry.receivedAt.toISOString(),
    entry.reason,
    formatBytes(entry.rawSize),
    entry.messageId ?? '-',
    entry.retryable ? entry.status : `${entry.status} (headers only)`,
  ]);
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [render(columns), ...rows.map(render)].join('\n');
}

/** Adds `quarantine list` and `quarantine retry <id>` to the program. */
export function registerQuarantineCommand(program: Command, context: Pick<CommandContext, 'io' | 'getConfig'>): Command {
  const quarantine = program.command('quarantine').description('inbound mail that could not be handled: list it, or run one message through intake again');

  const [listFormat, listJson] = listFormatOptions();
  quarantine
    .command('list')
    .description('print id, date, reason, size and Message-ID of quarantined messages still held')
    .option('--all', 'include messages already retried')
    .addOption(listFormat)
    .addOption(listJson)
    .action(async (options: { all?: boolean; format: ListFormat; json?: boolean }) => {
      const runtime = await openRuntime(context.getConfig());
      try {
        const entries = await listQuarantined(runtime.database.prisma, { all: options.all === true });
        if (listFormatOf(options) === 'json') context.io.stdout(`${JSON.stringify({ quarantined: entries })}\n`);
        else context.io.stdout(entries.length ? `${formatQuarantineTable(entries)}\n` : 'nothing in quarantine\n');
      } finally {
        await runtime.close();
      }
    });

  quarantine
    .command('retry')
    .description('run a quarantined message through the inbound handler again; prints how it ended')
    .argument('<id>', 'quarantine ID', parseId)
    .action(async (id: number) => {
      const runtime = await openRuntime(context.getConfig());
      try {
        const { createInboundEmailHandler } = await import('../../app/intake/handle-inbound-email.ts');
        const result = await createInboundEmailHandler(runtime).retryQuarantined(id);
        context.io.stdout(`${JSON.stringify({ quarantineId: id, ...result })}\n`);
      } finally {
        await runtime.close();
      }
    });
  return quarantine;
}
