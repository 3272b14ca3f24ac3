// `deskbot inbound list|retry`: what became of inbound mail, and running a rejected message through intake again once
// the directory changed (a new ticket and acknowledgement if its sender is now eligible; the first notice stays recorded).
// Listing is read-only; a retry commits like any inbound message (its mail goes out at the server's next outbox poll).
import { InvalidArgumentError, type Command } from 'commander';
import { inboundOutcomes } from '../../app/ports.ts';
import { openRuntime } from '../../runtime.ts';
import type { InboundEntry } from '../../app/read-models.ts';
import { type ListFormat, listFormats, periodBound } from '../arguments.ts';
import type { CommandContext } from '../io.ts';
import { oneLine } from '../table-text.ts';

function parseOutcome(value: string): string {
  if (!(inboundOutcomes as readonly string[]).includes(value) || value === 'duplicate') {
    throw new InvalidArgumentError(`must be one of ${inboundOutcomes.filter((outcome) => outcome !== 'duplicate').join(', ')}`);
  }
  return value;
}

function parseFormat(value: string): ListFormat {
  if (!(listFormats as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be ${listFormats.join(' or ')}`);
  return value as ListFormat;
}

const columns = ['RECEIVED', 'OUTCOME', 'REASON', 'FROM', 'MESSAGE-ID', 'TICKET', 'RETRY'] as const;

/** Fixed-width table, newest first; RETRY says whether `inbound retry` can run the message (rejected, kept whole). */
export function formatInboundTable(entries: readonly InboundEntry[]): string {
  const rows = entries.map((entry) => [
    entry.receivedAt.toISOString(),
    entry.previousOutcome ? `${entry.outcome} (was ${entry.previousOutcome})` : entry.outcome,
    oneLine(entry.reason ?? '-', 60),
    entry.fromAddress ?? '-',
    entry.messageId,
    entry.requestId ?? (entry.ticketId === null ? '-' : String(entry.ticketId)),
    entry.outcome === 'rejected' && entry.retryable ? 'yes' : '-',
  ]);
  const widths = columns.map((column, index) => Math.max(column.length, ...rows.map((row) => row[index]!.length)));
  const render = (cells: readonly string[]) => cells.map((cell, index) => (index === cells.length - 1 ? cell : cell.padEnd(widths[index]!))).join('  ');
  return [render(columns), ...rows.map(render)].join('\n');
}

/** Adds `inbound list` and `inbound retry <message-id>` to the program. */
export function registerInboundCommand(program: Command, context: Pick<CommandContext, 'io' | 'getConfig'>): Command {
  const inbound = program.command('inbound').description('inbound mail and how it ended: list it, or run a rejected message through intake again');

  inbound
    .command('list')
    .description('print inbound messages, newest first: date, outcome, reason, sender, Message-ID, ticket')
    .option('--outcome <outcome>', 'only messages that ended so (e.g. rejected)', parseOutcome)
    .option('--since <date>', 'only messages received since this date (YYYY-MM-DD, UTC) or date-time', periodBound('from'))
    .option('--limit <count>', 'at most this many (default 500)', (value: string) => {
      if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('must be a whole number from 1');
      return Number(value);
    })
    .option('--format <format>', 'table or json', parseFormat, 'table' as ListFormat)
    .action(async (options: { outcome?: string; since?: Date; limit?: number; format: ListFormat }) => {
      const runtime = await openRuntime(context.getConfig());
      try {
        const entries = await runtime.repositories.inbound.list({
          outcome: options.outcome,
          since: options.since,
          ...(options.limit ? { limit: options.limit } : {}),
        });
        if (options.format === 'json') context.io.stdout(`${JSON.stringify({ inbound: entries })}\n`);
        else context.io.stdout(entries.length ? `${formatInboundTable(entries)}\n` : 'no inbound messages\n');
      } finally {
        await runtime.close();
      }
    });

  inbound
    .command('retry')
    .description('run a rejected message through intake again, as if it had just arrived; prints how it ended')
    .argument('<message-id>', 'its Message-ID, with or without the angle brackets')
    .action(async (messageId: string) => {
      const runtime = await openRuntime(context.getConfig());
      try {
        const { createInboundEmailHandler } = await import('../../app/intake/handle-inbound-email.ts');
        const result = await createInboundEmailHandler(runtime).retryRejected(messageId);
        context.io.stdout(`${JSON.stringify({ messageId, ...result })}\n`);
      } finally {
        await runtime.close();
      }
    });
  return inbound;
}
