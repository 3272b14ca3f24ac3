// Tickets as an operator sees them from the command line (`deskbot tickets list|show`): filtered lists with the next
// SLA due time, and one ticket whole (party, SLA targets, charge, events). Read-only; the conversation is
// ticket-conversation.ts. The Slack lists ordered by urgency are ticket-queries.ts.
import type { Prisma } from '../generated/prisma/client.ts';
import { storedChargeDecisionSchema, type StoredChargeDecision } from './charge-repository.ts';
import type { PrismaClient } from './database.ts';
import { notClosedStatuses } from '../app/records.ts';

/** open: new or open (not waiting on the customer); waiting: on the customer; closed. */
export const ticketStatusFilters = ['open', 'waiting', 'closed'] as const;
export type TicketStatusFilter = (typeof ticketStatusFilters)[number];

export interface TicketOverviewQuery {
  /** Absent: every ticket not closed. */
  status?: TicketStatusFilter | undefined;
  customerKey?: string | undefined;
  /** Only tickets with a running SLA target past its warning point or due time. */
  breaching?: boolean | undefined;
  now: Date;
  limit: number;
}

export interface TicketOverviewRow {
  requestId: string;
  status: string;
  severity: number;
  /** Customer key, partner ID, or '-' */
  party: string;
  requester: string;
  subject: string;
  openedAt: Date;
  nextTarget: string | null;
  nextDueAt: Date | null;
  /** A running target is past its warning point (or warned). */
  warned: boolean;
  /** A running target is past due (or recorded as breached). */
  breached: boolean;
}

const statusCondition: Record<TicketStatusFilter | 'not-closed', Prisma.TicketWhereInput> = {
  open: { status: { in: ['new', 'open'] } },
  waiting: { status: 'waiting' },
  closed: { status: 'closed' },
  'not-closed': { status: { in: [...notClosedStatuses] } },
};

const runningTimer = { metAt: null, remainingMs: null } satisfies Prisma.SlaTimerWhereInput;

/** Tickets matching `query`, oldest first. */
export async function listTicketOverview(db: PrismaClient, query: TicketOverviewQuery): Promise<TicketOverviewRow[]> {
  const where: Prisma.TicketWhereInput = { ...statusCondition[query.status ?? 'not-closed'] };
  if (query.customerKey) where.customer = { key: query.customerKey };
  if (query.breaching) {
    where.slaTimers = {
      some: {
        ...runningTimer,
        OR: [{ warnAt: { lte: query.now } }, { dueAt: { lte: query.now } }, { warnedAt: { not: null } }, { breachedAt: { not: null } }],
      },
    };
  }
  const tickets = await db.ticket.findMany({
    where,
    orderBy: [{ openedAt: 'asc' }, { id: 'asc' }],
    take: query.limit,
    include: {
      customer: { select: { key: true } },
      partner: { select: { partnerId: true } },
      slaTimers: { where: runningTimer, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] },
    },
  });
  return tickets.map((ticket) => {
    const next = ticket.slaTimers.find((timer) => timer.dueAt !== null) ?? null;
    const now = query.now.getTime();
    return {
      requestId: ticket.requestId,
      status: ticket.status,
      severity: ticket.severity,
      party: ticket.customer?.key ?? ticket.partner?.partnerId ?? '-',
      requester: ticket.requesterEmail,
      subject: ticket.subject,
      openedAt: ticket.openedAt,
      nextTarget: next?.target ?? null,
      nextDueAt: next?.dueAt ?? null,
      warned: ticket.slaTimers.some((timer) => timer.warnedAt !== null || (timer.warnAt !== null && timer.warnAt.getTime() <= now)),
      breached: ticket.breached || ticket.slaTimers.some((timer) => timer.breachedAt !== null || (timer.dueAt !== null && timer.dueAt.getTime() <= now)),
    };
  });
}

const detailInclude = {
  customer: { select: { key: true, name: true, isPartner: true } },
  partner: { select: { partnerId: true, name: true } },
  licence: { select: { number: true, product: true, type: true, registeredOn: true, trialEndsOn: true } },
  slaTimers: { orderBy: [{ cycle: 'asc' }, { startedAt: 'asc' }, { id: 'asc' }] },
  charge: true,
  events: { orderBy: [{ at: 'asc' }, { id: 'asc' }] },
} as const satisfies Prisma.TicketInclude;

export type TicketDetail = Prisma.TicketGetPayload<{ include: typeof detailInclude }> & { lastChargeDecision: StoredChargeDecision | null };

/** One ticket with everything `deskbot tickets show` prints, or null. */
export async function loadTicketDetail(db: PrismaClient, requestId: string): Promise<TicketDetail | null> {
  const ticket = await db.ticket.findUnique({ where: { requestId }, include: detailInclude });
  if (!ticket) return null;
  const decision = storedChargeDecisionSchema.safeParse(ticket.chargeDecision);
  return { ...ticket, lastChargeDecision: decision.success ? decision.data : null };
}
