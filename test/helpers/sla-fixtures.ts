// Seeds customers and tickets with running SLA clocks straight through Prisma and slaTimers.start, and a clock that
// tests move by hand. For the SLA sweeper, close and report suites; intake is not involved.
import type { Policy } from '../../src/domain/policy.ts';
import type { Clock } from '../../src/app/ports.ts';
import type { PrismaClient } from '../../src/store/database.ts';
import { createSlaTimers } from '../../src/store/sla-timers.ts';
import { insertTicket } from '../../src/store/ticket-repository.ts';

/** A clock that stands still until told: `set` jumps, `advance` moves by milliseconds. */
export interface ManualClock extends Clock {
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function manualClock(start: Date | string): ManualClock {
  let current = new Date(start);
  return {
    now: () => new Date(current),
    set(at) {
      current = new Date(at);
    },
    advance(ms) {
      current = new Date(current.getTime() + ms);
    },
  };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;

export interface SeedCustomer {
  key: string;
  name?: string;
  calendar?: string;
  supportLevel?: 'normal' | 'plus';
  currency?: string;
  locale?: string;
  /** The directory's `partner: true`. */
  isPartner?: boolean;
}

export async function seedCustomer(prisma: PrismaClient, customer: SeedCustomer): Promise<number> {
  const row = await prisma.customer.upsert({
    where: { key: customer.key },
    update: {},
    create: {
      key: customer.key,
      name: customer.name ?? customer.key,
      supportLevel: customer.supportLevel ?? 'normal',
      calendar: customer.calendar ?? 'US',
      currency: customer.currency ?? 'USD',
      locale: customer.locale ?? 'en',
      isPartner: customer.isPartner ?? false,
    },
  });
  return row.id;
}

export interface SeedTicket {
  requestId: string;
  customer?: SeedCustomer;
  /** Opens as a partner request instead (no customer). */
  partner?: { partnerId: string; name: string };
  licence?: { number: string; type: 'commercial' | 'trial'; registeredOn: string };
  severity?: number;
  calendar?: string;
  supportLevel?: 'normal' | 'plus';
  openedAt: Date | string;
  /** Starts the SLA clock at this instant (default: openedAt); null leaves the request incomplete. */
  clockStartedAt?: Date | string | null;
  priceMinor?: number;
  priceCurrency?: string;
  assigneeSlackId?: string | null;
  subject?: string;
  requesterEmail?: string;
  requesterName?: string | null;
  rootMessageId?: string | null;
  locale?: string;
  /** Marked pre-sales by an engineer. */
  preSales?: boolean;
}

/** Creates the ticket (and its customer, partner, licence) and starts its clock; returns the ticket id. */
export async function seedTicket(prisma: PrismaClient, policy: Policy, seed: SeedTicket): Promise<number> {
  const customer =
    seed.customer ??
    (seed.partner ? undefined : { key: 'acme', name: 'Acme Corp', calendar: seed.calendar ?? 'US', supportLevel: seed.supportLevel ?? 'normal' });
  const customerId = customer ? await seedCustomer(prisma, customer) : null;
  const partnerId = seed.partner
    ? (
        await prisma.partner.upsert({
          where: { partnerId: seed.partner.partnerId },
          update: {},
          create: { partnerId: seed.partner.partnerId, name: seed.partner.name, contacts: [] },
        })
      ).id
    : null;
  const licenceId =
    seed.licence && customerId !== null
      ? (
          await prisma.licence.upsert({
            where: { number: seed.licence.number },
            update: {},
            create: {
              number: seed.licence.number,
              product: 'Gateway',
              type: seed.licence.type,
              registeredOn: new Date(`${seed.licence.registeredOn}T00:00:00Z`),
              customerId,
            },
          })
        ).id
      : null;
  const openedAt = new Date(seed.openedAt);
  const calendar = seed.calendar ?? customer?.calendar ?? 'US';
  const supportLevel = seed.supportLevel ?? customer?.supportLevel ?? 'normal';
  const severity = seed.severity ?? 3;
  const slaTimers = createSlaTimers(policy);
  return prisma.$transaction(async (tx) => {
    const ticket = await insertTicket(tx, {
      requestId: seed.requestId,
      customerId,
      partnerId,
      licenceId,
      requesterKind: seed.partner ? 'partner' : 'eligible-caller',
      requesterEmail: seed.requesterEmail ?? 'jane@acme.example',
      requesterName: seed.requesterName === undefined ? 'Jane Doe' : seed.requesterName,
      subject: seed.subject ?? 'Gateway drops VPN tunnels',
      summary: 'VPN tunnels drop every hour',
      severity,
      status: seed.clockStartedAt === null ? 'new' : 'open',
      product: 'Gateway',
      productVersion: '9.4',
      missingInfo: [],
      calendar,
      supportLevel,
      locale: seed.locale ?? 'en',
      openedAt,
      priceMinor: seed.priceMinor ?? 8000,
      priceCurrency: (seed.priceCurrency ?? 'USD') as 'USD',
      rootMessageId: seed.rootMessageId === undefined ? `<root-${seed.requestId}@acme.example>` : seed.rootMessageId,
    });
    if (seed.assigneeSlackId) await tx.ticket.update({ where: { id: ticket.id }, data: { assigneeSlackId: seed.assigneeSlackId } });
    if (seed.preSales) await tx.ticket.update({ where: { id: ticket.id }, data: { preSales: true } });
    if (seed.clockStartedAt !== null) {
      await slaTimers.start(tx, { id: ticket.id, severity, calendar, supportLevel }, new Date(seed.clockStartedAt ?? openedAt));
    }
    return ticket.id;
  });
}

/** The ticket fields slaTimers needs. */
export async function ticketClock(prisma: PrismaClient, ticketId: number) {
  const ticket = await prisma.ticket.findUniqueOrThrow({ where: { id: ticketId }, select: { id: true, severity: true, calendar: true, supportLevel: true } });
  return ticket;
}
