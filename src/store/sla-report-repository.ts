// Reads behind the SLA reports: recorded breaches, the tickets of a period with their response and resolution
// instants, and the timers that fell due in a period. Reads only; the arithmetic is src/app/sla-report.ts.
import type { Prisma } from '../generated/prisma/client.ts';
import type { PrismaClient } from './database.ts';
import type { BreachRecord, DueTimer, Period, ReportTicket } from '../app/read-models.ts';

export type { BreachRecord, DueTimer, Period, ReportTicket };

type Db = Prisma.TransactionClient | PrismaClient;

const parties = { customer: { select: { key: true, name: true } }, partner: { select: { partnerId: true, name: true } } } as const;

function customerLabel(ticket: { customer: { name: string } | null; partner: { name: string } | null; requesterEmail: string }): string {
  return ticket.customer?.name ?? ticket.partner?.name ?? ticket.requesterEmail;
}

/** Breaches recorded in [from, to), oldest first; from the append-only history, so later retargets do not hide them. */
export async function listBreachEvents(db: Db, period: Period): Promise<BreachRecord[]> {
  const events = await db.ticketEvent.findMany({
    where: { type: 'sla-breach', at: { gte: period.from, lt: period.to } },
    orderBy: [{ at: 'asc' }, { id: 'asc' }],
    include: {
      ticket: { select: { id: true, requestId: true, severity: true, assigneeSlackId: true, requesterEmail: true, needsPostMortem: true, ...parties } },
    },
  });
  return events.map((event) => {
    const detail = (event.detail ?? {}) as { target?: unknown; dueAt?: unknown };
    return {
      ticketId: event.ticket.id,
      requestId: event.ticket.requestId,
      customer: customerLabel(event.ticket),
      severity: event.ticket.severity,
      target: typeof detail.target === 'string' ? detail.target : 'unknown',
      dueAt: typeof detail.dueAt === 'string' ? new Date(detail.dueAt) : event.at,
      breachedAt: event.at,
      assigneeSlackId: event.ticket.assigneeSlackId,
      postMortemNeeded: event.ticket.needsPostMortem,
    };
  });
}

/** Tickets opened in [from, to). */
export async function listReportTickets(db: Db, period: Period): Promise<ReportTicket[]> {
  const tickets = await db.ticket.findMany({
    where: { openedAt: { gte: period.from, lt: period.to } },
    orderBy: { openedAt: 'asc' },
    select: {
      id: true,
      requestId: true,
      severity: true,
      calendar: true,
      supportLevel: true,
      status: true,
      openedAt: true,
      clockStartedAt: true,
      firstResponseAt: true,
      closedAt: true,
      requesterEmail: true,
      needsPostMortem: true,
      postMortemAt: true,
      ...parties,
    },
  });
  const breaches = tickets.length
    ? await db.slaTimer.groupBy({
        by: ['ticketId'],
        where: { ticketId: { in: tickets.map((ticket) => ticket.id) }, breachedAt: { not: null } },
        _count: { _all: true },
      })
    : [];
  const breachCount = new Map(breaches.map((row) => [row.ticketId, row._count._all]));
  return tickets.map((ticket) => ({
    id: ticket.id,
    requestId: ticket.requestId,
    customerKey: ticket.customer?.key ?? (ticket.partner ? `partner:${ticket.partner.partnerId}` : ticket.requesterEmail),
    customerName: customerLabel(ticket),
    severity: ticket.severity,
    calendar: ticket.calendar,
    supportLevel: ticket.supportLevel,
    openedAt: ticket.openedAt,
    clockStartedAt: ticket.clockStartedAt,
    firstResponseAt: ticket.firstResponseAt,
    closedAt: ticket.status === 'closed' ? ticket.closedAt : null,
    breaches: breachCount.get(ticket.id) ?? 0,
    postMortem: ticket.postMortemAt !== null ? ('done' as const) : ticket.needsPostMortem ? ('open' as const) : null,
  }));
}

/** Running or finished timers (not paused) whose due instant is in [from, min(to, now)). */
export async function listDueTimers(db: Db, period: Period, now: Date): Promise<DueTimer[]> {
  const until = new Date(Math.min(period.to.getTime(), now.getTime()));
  return db.slaTimer.findMany({
    where: { dueAt: { gte: period.from, lt: until }, remainingMs: null },
    select: { target: true, dueAt: true, metAt: true, breachedAt: true },
    orderBy: { dueAt: 'asc' },
  }) as Promise<DueTimer[]>;
}
