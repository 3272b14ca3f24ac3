// `deskbot tickets list|show`: the tickets from the command line, for desks without Slack. Argument parsing and
// output only; the reads are store/ticket-overview.ts and store/ticket-conversation.ts.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DeskbotError } from '../../errors.ts';
import { openRuntime } from '../../runtime.ts';
import { ticketConversation } from '../../store/ticket-conversation.ts';
import { listTicketOverview, loadTicketDetail, ticketStatusFilters, type TicketStatusFilter } from '../../store/ticket-overview.ts';
import { listFormats } from '../arguments.ts';
import type { CommandContext } from '../io.ts';
import { formatTicketDetail, formatTicketTable, toJson } from './tickets-format.ts';

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidArgumentError('must be a whole number from 1 to 10000');
  return limit;
}

function parseRequestId(value: string): string {
  const requestId = value.trim().toUpperCase();
  if (!/^SR-\d{4}-\d{6,}$/.test(requestId)) throw new InvalidArgumentError('must be a service-request ID such as SR-2026-000123');
  return requestId;
}

function parseCustomerKey(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must be a customer key from the directory');
  return value.trim();
}

interface ListOptions {
  status?: TicketStatusFilter;
  customer?: string;
  breaching?: boolean;
  format: 'table' | 'json';
  limit: number;
}

/** Adds `tickets list` and `tickets show <SR-…>` to the program. */
export function registerTicketsCommand(program: Command, { io, getConfig }: Pick<CommandContext, 'io' | 'getConfig'>): Command {
  const tickets = program.command('tickets').description('list tickets or show one: customer, SLA, charge, conversation and history');

  tickets
    .command('list')
    .description('tickets not closed (or of --status), oldest first, with the next SLA due time')
    .addOption(new Option('--status <status>', 'open (new or open), waiting (on the customer) or closed; default: all not closed').choices(ticketStatusFilters))
    .option('--customer <key>', "only this customer's tickets (its key in the directory)", parseCustomerKey)
    .option('--breaching', 'only tickets with an SLA target past its warning point or due')
    .addOption(new Option('--format <format>', 'output format').choices(listFormats).default('table'))
    .option('--limit <n>', 'tickets to show at most', parseLimit, 200)
    .action(async (options: ListOptions) => {
      const runtime = await openRuntime(getConfig());
      try {
        // A key nobody has is a typo, not a customer without tickets.
        if (options.customer && !(await runtime.database.prisma.customer.findUnique({ where: { key: options.customer }, select: { id: true } }))) {
          throw new DeskbotError('NOT_FOUND', `no customer ${options.customer} in the directory`);
        }
        const rows = await listTicketOverview(runtime.database.prisma, {
          status: options.status,
          customerKey: options.customer,
          breaching: options.breaching === true,
          now: runtime.clock.now(),
          limit: options.limit,
        });
        if (options.format === 'json') io.stdout(`${toJson({ tickets: rows })}\n`);
        else io.stdout(rows.length ? `${formatTicketTable(rows)}\n` : 'no tickets match\n');
      } finally {
        await runtime.close();
      }
    });

  tickets
    .command('show')
    .description('one ticket: customer, requester, severity, status, SLA due times, charge, conversation and event history')
    .argument('<request-id>', 'service-request ID, e.g. SR-2026-000123', parseRequestId)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (requestId: string, options: { format: 'text' | 'json' }) => {
      const runtime = await openRuntime(getConfig());
      try {
        const ticket = await loadTicketDetail(runtime.database.prisma, requestId);
        if (!ticket) throw new DeskbotError('NOT_FOUND', `no ticket ${requestId}`);
        const conversation = await ticketConversation(runtime.database.prisma, ticket.id);
        io.stdout(
          options.format === 'json' ? `${toJson({ ticket, conversation })}\n` : formatTicketDetail(ticket, conversation, runtime.clock.now(), runtime.policy),
        );
      } finally {
        await runtime.close();
      }
    });
  return tickets;
}
