// Seeds open tickets with running SLA timers for the benchmarks that need a full store (bench:slack, bench:scale):
// 100 customers, `count` tickets on 24x7 opened over the last three days, three timers each, in batches of 1,000.
import { formatRequestId } from '../src/domain/request-id.ts';
import type { PrismaClient } from '../src/store/database.ts';

const HOUR = 3_600_000;
const targets = ['initial-response', 'progress-update', 'resolution'] as const;

export interface SeedOptions {
  count: number;
  /** Year of the seeded request IDs (SR-<year>-000001 …). */
  year: number;
  /** Customer keys are `<prefix><n>`; requesters `caller<n>@<domain>`. */
  customerPrefix: string;
  requesterDomain: string;
  /** Slack user the ticket is assigned to, if any. */
  assignee?: (index: number) => string | null;
  /** Support-time budget of target `order` (0 initial response, 1 progress update, 2 resolution). */
  budgetMs: (severity: number, order: number) => number;
  now?: number;
}

export async function seedOpenTickets(prisma: PrismaClient, options: SeedOptions): Promise<Array<{ id: number; openedAt: Date; severity: number }>> {
  const now = options.now ?? Date.now();
  await prisma.customer.createMany({
    data: Array.from({ length: 100 }, (_, index) => ({
      key: `${options.customerPrefix}${index}`,
      name: `Customer ${index}`,
      supportLevel: 'normal',
      calendar: '24x7',
      currency: 'USD',
    })),
  });
  const customers = await prisma.customer.findMany({ where: { key: { startsWith: options.customerPrefix } }, select: { id: true }, orderBy: { id: 'asc' } });
  for (let start = 0; start < options.count; start += 1_000) {
    await prisma.ticket.createMany({
      data: Array.from({ length: Math.min(1_000, options.count - start) }, (_, offset) => {
        const index = start + offset;
        const openedAt = new Date(now - (index % 72) * HOUR);
        return {
          requestId: formatRequestId(options.year, index + 1),
          customerId: customers[index % customers.length]!.id,
          requesterKind: 'eligible-caller',
          requesterEmail: `caller${index}@${options.requesterDomain}`,
          requesterName: `Caller ${index}`,
          subject: `Problem number ${index}`,
          severity: 1 + (index % 5),
          status: 'open',
          calendar: '24x7',
          supportLevel: 'normal',
          openedAt,
          clockStartedAt: openedAt,
          priceMinor: 8000,
          priceCurrency: 'USD',
          assigneeSlackId: options.assignee?.(index) ?? null,
        };
      }),
    });
  }
  const tickets = await prisma.ticket.findMany({
    where: { requesterEmail: { endsWith: `@${options.requesterDomain}` } },
    select: { id: true, openedAt: true, severity: true },
    orderBy: { id: 'asc' },
  });
  for (let start = 0; start < tickets.length; start += 1_000) {
    await prisma.slaTimer.createMany({
      data: tickets.slice(start, start + 1_000).flatMap((ticket) =>
        targets.map((target, order) => {
          const budgetMs = options.budgetMs(ticket.severity, order);
          return {
            ticketId: ticket.id,
            target,
            budgetMs: BigInt(budgetMs),
            startedAt: ticket.openedAt,
            warnAt: new Date(ticket.openedAt.getTime() + 0.75 * budgetMs),
            dueAt: new Date(ticket.openedAt.getTime() + budgetMs),
            nextEventAt: new Date(ticket.openedAt.getTime() + 0.75 * budgetMs),
          };
        }),
      ),
    });
  }
  return tickets;
}
