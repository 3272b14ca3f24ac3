// The ticket list read from the due index (O(page)) must give the page the exact query gives, for every filter and
// page size, on PGlite and PostgreSQL: tickets with warned, breached, paused, met, closed and incomplete clocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as actions from '../../src/app/engineer/index.ts';
import type { TicketListFilter } from '../../src/app/read-models.ts';
import { createTemplateRenderer } from '../../src/channels/email/templates.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import type { Database } from '../../src/store/database.ts';
import { countCapOf, listTicketsByNextDue, listTicketsExactly } from '../../src/store/ticket-list.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { backends } from '../helpers/backends.ts';
import { createTestClock } from '../channels/slack/harness.ts';
import { seedCustomer, seedTicket } from '../channels/slack/seed.ts';

const policy = defaultPolicy();
const HOUR = 3_600_000;
const actor = { slackId: 'UENG00001', name: 'Eve Engineer' };
const filters: TicketListFilter[] = ['open', 'mine', 'breaching', 'waiting'];

describe.each(backends)('ticket list on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  const clock = createTestClock(new Date('2026-03-02T10:00:00Z'));

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    const customer = await seedCustomer(database.prisma);
    const deps = {
      ...storeAccess(database, policy),
      policy,
      clock,
      config: { SUPPORT_ADDRESS: 'support@vendor.example', SUPPORT_NAME: 'Vendor Support' },
      renderer: createTemplateRenderer(),
    };
    // 60 tickets opened over the last two days: many past their warning or due time, some paused, closed, incomplete,
    // answered (initial response met), with equal due times (same open instant and severity) to pin the id order.
    for (let index = 0; index < 60; index++) {
      const openedAt = new Date(clock.now().getTime() - (index % 12) * 4 * HOUR);
      const ticket = await seedTicket(database.prisma, policy, {
        customer,
        openedAt,
        severity: 1 + (index % 5),
        complete: index % 13 !== 5,
        ...(index % 3 === 0 ? { assigneeSlackId: index % 2 ? 'UMINE0001' : 'UOTHER001' } : {}),
      });
      if (index % 13 === 5) continue;
      if (index % 7 === 1) await actions.waitOnCustomer(deps, { requestId: ticket.requestId, actor });
      if (index % 11 === 2) await database.prisma.ticket.update({ where: { id: ticket.id }, data: { status: 'closed', closedAt: clock.now() } });
      if (index % 11 === 2) await database.prisma.slaTimer.updateMany({ where: { ticketId: ticket.id, metAt: null }, data: { metAt: clock.now() } });
      if (index % 9 === 4)
        await database.prisma.slaTimer.updateMany({ where: { ticketId: ticket.id, target: 'initial-response' }, data: { metAt: clock.now() } });
      // Warned long ago (a sweeper's mark), among unflagged tickets due as early: "breaching" must skip the others.
      if (index % 4 === 0) await database.prisma.slaTimer.updateMany({ where: { ticketId: ticket.id, metAt: null }, data: { warnedAt: openedAt } });
      if (index % 17 === 3)
        await database.prisma.slaTimer.updateMany({
          where: { ticketId: ticket.id },
          data: { warnedAt: openedAt, warnAt: new Date('2026-04-01T00:00:00Z'), dueAt: new Date('2026-04-02T00:00:00Z') },
        });
    }
  });
  afterAll(async () => {
    if (backend.available) await opened.dispose();
  });

  it.skipIf(!backend.available)("gives the exact query's page for every filter, page size and instant", async () => {
    let walked = 0;
    for (const now of [
      clock.now(),
      new Date(clock.now().getTime() - 30 * HOUR),
      new Date(clock.now().getTime() - 50 * HOUR),
      new Date(clock.now().getTime() + 40 * HOUR),
    ]) {
      for (const filter of filters) {
        for (const limit of [1, 2, 3, 5, 8, 20, 100]) {
          const options = { filter, userId: 'UMINE0001', now, limit };
          let statements = 0;
          const counting = new Proxy(database.prisma, {
            get: (target, key, receiver) => {
              if (key === '$queryRawUnsafe') statements += 1;
              return Reflect.get(target, key, receiver);
            },
          });
          const page = await listTicketsByNextDue(counting, options);
          const exact = await listTicketsExactly(database.prisma, options);
          expect(page.tickets, `${filter} limit ${limit} at ${now.toISOString()}`).toEqual(exact.tickets);
          if (page.totalIsAtLeast) expect(page.total).toBeLessThanOrEqual(exact.total);
          else expect(page.total).toBe(exact.total);
          if (statements === 1) walked += 1;
        }
      }
    }
    // The walk of the due index answered most pages on its own (one statement), not the exact query.
    expect(walked).toBeGreaterThan(20);
  });

  it.skipIf(!backend.available)('caps the count: past the cap a page says "at least"', async () => {
    const customer = await database.prisma.customer.findFirstOrThrow();
    await database.prisma.ticket.createMany({
      data: Array.from({ length: countCapOf(1) }, (_, index) => ({
        requestId: `SR-2025-${String(index + 1).padStart(6, '0')}`,
        customerId: customer.id,
        requesterKind: 'eligible-caller',
        requesterEmail: 'jane@acme.example',
        subject: `Bulk ${index}`,
        severity: 3,
        status: 'open',
        calendar: '24x7',
        supportLevel: 'normal',
        openedAt: clock.now(),
        priceMinor: 8000,
        priceCurrency: 'USD',
      })),
    });
    const options = { filter: 'open' as const, now: clock.now(), limit: 1 };
    const page = await listTicketsByNextDue(database.prisma, options);
    const exact = await listTicketsExactly(database.prisma, options);
    expect(exact.total).toBeGreaterThan(countCapOf(1));
    expect(page).toMatchObject({ total: countCapOf(1), totalIsAtLeast: true, tickets: exact.tickets });
  });
});
