// `deskbot outbox`: what is waiting to go out (mail and Slack), why it failed, and putting a dead row back in line.
// Read-mostly and safe beside a running server: it never sends; a retried row goes out at the server's next poll.
import { InvalidArgumentError, type Command } from 'commander';
import { DeskbotError } from '../../errors.ts';
import { openRuntime } from '../../runtime.ts';
import { createOutboxRepository, type OutboxListItem, type OutboxPendingSummary } from '../../store/outbox-repository.ts';
import { formatElapsed } from '../../domain/format.ts';
import { type ListFormat, listFormatOf, listFormatOptions } from '../arguments.ts';
import type { CommandContext } from '../io.ts';
import { oneLine } from '../table-text.ts';

export interface OutboxCommandOptions {
  all?: boolean;
  retry?: string;
  format: ListFormat;
  json?: boolean;
  limit: number;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return limit;
}

function parseId(value: string): string {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be an outbox row ID (a number)');
  return value;
}

const columns = ['ID', 'CHANNEL', 'KIND', 'TICKET', 'STATUS', 'ATTEMPTS', 'NEXT ATTEMPT', 'LAST ERROR'] as const;
const lastErrorWidth = 80;

/** Fixed-width table, one row per outbox item; the last error shortened to one line. */
export function formatOutboxTable(items: readonly OutboxListItem[]): string {
  const rows = items.map((item) => [
    item.id,
    item.channel,
    item.kind,
    item.requestId ?? (item.ticketId === null ? '-' : String(item.ticketId)),
    item.status,
    String(item.attempts),
    item.status === 'pending' ? item.nextAttemptAt.toISOString() : '-',
    item.lastError ? oneLine(item.lastError, lastErrorWidth) : '-',
  ]);
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [render(columns), ...rows.map(render)].join('\n');
}

/**
 * What `outbox` prints as text: a line per kind of pending row, then the rows. "nothing pending" stands alone, only
 * when no row follows: above delivered or dead rows it read as if those were pending, or as if the list were wrong.
 */
export function formatOutboxText(summary: readonly OutboxPendingSummary[], items: readonly OutboxListItem[], options: { all: boolean }): string {
  const parts = summary.map((group) => `pending ${group.channel}/${group.kind}: ${group.count} (oldest waiting ${formatElapsed(group.oldestAgeMs)})`);
  if (items.length) return `${[parts.join('\n'), formatOutboxTable(items)].filter(Boolean).join('\n\n')}\n`;
  if (parts.length) return `${parts.join('\n')}\n`;
  return options.all ? 'the outbox is empty\n' : 'nothing pending\n';
}

/** `outbox retry <id>` puts a dead row back in line; `outbox retry --pending` makes rows waiting on a back-off due now. */
function registerRetryCommand(outbox: Command, context: CommandContext): void {
  const [retryFormat, retryJson] = listFormatOptions({ defaultFormat: false, description: 'output format: table (a line of text) or json' });
  outbox
    .command('retry')
    .description('queue a dead row again (<id>), or make every pending row waiting on a back-off due now (--pending)')
    .argument('[id]', 'outbox row ID of a dead row', parseId)
    .option('--pending', 'pending rows waiting out a failure back-off are due at once (the running server sends them at its next poll)')
    .addOption(retryFormat)
    .addOption(retryJson)
    .action(async (id: string | undefined, own: { pending?: boolean; format?: ListFormat; json?: boolean }, command: Command) => {
      // `--format` and `--json` after the subcommand land on the parent `outbox`, which has the same options.
      const options = { ...command.parent?.opts<{ format?: ListFormat; json?: boolean }>(), ...own };
      const json = listFormatOf(options) === 'json';
      if ((id === undefined) === (options.pending !== true)) throw new DeskbotError('CLI_USAGE', 'outbox retry: give either a dead row ID or --pending');
      const runtime = await openRuntime(context.getConfig());
      try {
        const outbox = createOutboxRepository(runtime.database.prisma);
        const now = runtime.clock.now();
        if (id !== undefined) {
          const item = await outbox.retryDead(id, now);
          context.io.stdout(json ? `${JSON.stringify({ retried: item })}\n` : `outbox ${item.id} (${item.channel}/${item.kind}) is pending again\n`);
          return;
        }
        const count = await outbox.makeWaitingDue(now);
        context.io.stdout(json ? `${JSON.stringify({ due: count })}\n` : `${count} pending row(s) waiting on a back-off are due now\n`);
      } finally {
        await runtime.close();
      }
    });
}

/** Adds `outbox` (and `outbox retry`) to the program. */
export function registerOutboxCommand(program: Command, context: CommandContext): Command {
  const [listFormat, listJson] = listFormatOptions();
  const outbox = program
    .command('outbox')
    .description('list outgoing mail and Slack messages not yet delivered (pending and dead), or put a dead one back in line')
    .option('--all', 'include delivered rows too (newest first)')
    .option('--retry <id>', 'queue a dead row again with a fresh attempt budget', parseId)
    .addOption(listFormat)
    .addOption(listJson)
    .option('--limit <n>', 'rows to show', parseLimit, 50)
    .action(async (options: OutboxCommandOptions) => {
      const json = listFormatOf(options) === 'json';
      const runtime = await openRuntime(context.getConfig());
      try {
        const outbox = createOutboxRepository(runtime.database.prisma);
        const now = runtime.clock.now();
        if (options.retry !== undefined) {
          const item = await outbox.retryDead(options.retry, now);
          context.io.stdout(json ? `${JSON.stringify({ retried: item })}\n` : `outbox ${item.id} (${item.channel}/${item.kind}) is pending again\n`);
          return;
        }
        const [summary, items] = await Promise.all([outbox.pendingSummary(now), outbox.listPending(options.limit, { all: options.all === true })]);
        if (json) {
          context.io.stdout(`${JSON.stringify({ summary, items })}\n`);
          return;
        }
        context.io.stdout(formatOutboxText(summary, items, { all: options.all === true }));
      } finally {
        await runtime.close();
      }
    });
  registerRetryCommand(outbox, context);
  return outbox;
}
