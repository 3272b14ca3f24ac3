// Seeds customers and tickets straight through the store (ticket-repository + sla-timers), with fixed instants, for
// the Slack and engineer-action suites. Every ticket runs on the 24x7 calendar unless told otherwise, so due times
// are plain arithmetic.
import type { Policy } from '../../../src/domain/policy.ts';
import type { PrismaClient } from '../../../src/store/database.ts';
import { createSlaTimers } from '../../../src/store/sla-timers.ts';
import { insertTicket, nextRequestId } from '../../../src/store/ticket-repository.ts';

export interface SeededCustomer {
  id: number;
  key: string;
  licenceId: number;
}

export async function seedCustomer(
  prisma: PrismaClient,
  options: { key?: string; name?: string; calendar?: string; currency?: string; callers?: Array<{ email: string; name: string }> } = {},
): Promise<SeededCustomer> {
  const key = options.key ?? 'acme';
  const customer = await prisma.customer.create({
    data: {
      key,
      name: options.name ?? 'Acme Corp',
      supportLevel: 'normal',
      calendar: options.calendar ?? '24x7',
      currency: options.currency ?? 'USD',
      eligibleCallers: {
        create: options.callers ?? [
          { email: 'jane@acme.example', name: 'Jane Roe' },
          { email: 'bob@acme.example', name: 'Bob Doe' },
        ],
      },
      licences: {
        create: [{ number: `L-${key.toUpperCase()}-1`, product: 'Widget Server', type: 'commercial', registeredOn: new Date('2020-01-01T00:00:00Z') }],
      },
    },
    include: { licences: true },
  });
  return { id: customer.id, key, licenceId: customer.licences[0]!.id };
}

export interface SeedTicketOptions {
  customer: SeededCustomer;
  subject?: string;
  requesterEmail?: string;
  requesterName?: string | null;
  severity?: number;
  openedAt: Date;
  /** Start the SLA clock at openedAt (default true); false leaves the ticket 'new' with missingInfo. */
  complete?: boolean;
  missingInfo?: string[];
  assigneeSlackId?: string | null;
  /** Message-ID of the customer's first mail; recorded as an inbound MessageRef. */
  rootMessageId?: string | null;
  calendar?: string;
  priceMinor?: number;
  currency?: string;
}

export async function seedTicket(prisma: PrismaClient, policy: Policy, options: SeedTicketOptions): Promise<{ id: number; requestId: string }> {
  const timers = createSlaTimers(policy);
  const complete = options.complete ?? true;
  const severity = options.severity ?? 3;
  const calendar = options.calendar ?? '24x7';
  return prisma.$transaction(async (tx) => {
    const requestId = await nextRequestId(tx, options.openedAt.getUTCFullYear());
    const ticket = await insertTicket(tx, {
      requestId,
      customerId: options.customer.id,
      partnerId: null,
      licenceId: options.customer.licenceId,
      requesterKind: 'eligible-caller',
      requesterEmail: options.requesterEmail ?? 'jane@acme.example',
      requesterName: options.requesterName === undefined ? 'Jane Roe' : options.requesterName,
      subject: options.subject ?? 'Widget server crashes on start',
      summary: 'The server exits with code 3.',
      severity,
      status: complete ? 'open' : 'new',
      product: 'Widget Server',
      productVersion: '4.2',
      missingInfo: complete ? [] : (options.missingInfo ?? ['severity']),
      calendar,
      supportLevel: 'normal',
      locale: 'en',
      openedAt: options.openedAt,
      priceMinor: options.priceMinor ?? 8000,
      priceCurrency: (options.currency ?? 'USD') as 'USD',
      rootMessageId: options.rootMessageId ?? null,
    });
    if (options.assigneeSlackId) await tx.ticket.update({ where: { id: ticket.id }, data: { assigneeSlackId: options.assigneeSlackId } });
    if (options.rootMessageId)
      await tx.messageRef.create({ data: { messageId: options.rootMessageId, ticketId: ticket.id, direction: 'in', at: options.openedAt } });
    if (complete) await timers.start(tx, { id: ticket.id, severity, calendar, supportLevel: 'normal' }, options.openedAt);
    return ticket;
  });
}
