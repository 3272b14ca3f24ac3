// The one-round-trip writes of the engineer actions, on PGlite and PostgreSQL: the locked ticket row read by raw SQL
// equals Prisma's row field for field, and a ticket's changes, its event and the Slack thread post are written together.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultPolicy } from '../../src/domain/policy.ts';
import type { Database } from '../../src/store/database.ts';
import { appendEventWithThreadPost } from '../../src/store/ticket-writes.ts';
import { lockTicketByRequestId } from '../../src/store/ticket-queries.ts';
import { backends } from '../helpers/backends.ts';
import { seedCustomer, seedTicket } from '../channels/slack/seed.ts';

const policy = defaultPolicy();

describe.each(backends)('ticket event writes on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  let ticket: { id: number; requestId: string };

  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    const customer = await seedCustomer(database.prisma);
    ticket = await seedTicket(database.prisma, policy, {
      customer,
      openedAt: new Date('2026-03-02T10:00:00Z'),
      complete: false,
      missingInfo: ['severity', 'version'],
    });
    await database.prisma.ticket.update({
      where: { id: ticket.id },
      data: { chargeDecision: { kind: 'free', reasons: ['trial'] }, assigneeSlackId: 'UENG00001', pausedAt: new Date('2026-03-02T11:00:00.123Z') },
    });
  });
  afterAll(async () => {
    if (backend.available) await opened.dispose();
  });

  it.skipIf(!backend.available)('locks the ticket by request ID and returns the row Prisma reads', async () => {
    const expected = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    const locked = await database.prisma.$transaction((tx) => lockTicketByRequestId(tx, ticket.requestId));
    expect(locked).toEqual(expected);
    expect(await database.prisma.$transaction((tx) => lockTicketByRequestId(tx, 'SR-1999-000001'))).toBeNull();
  });

  it.skipIf(!backend.available)('appends the event and queues its thread post, keyed by the new event id', async () => {
    const now = new Date('2026-03-02T12:00:00Z');
    const eventId = await database.prisma.$transaction((tx) =>
      appendEventWithThreadPost(tx, ticket.id, { type: 'assignment', at: now, actor: 'UENG00001', detail: { from: null, to: 'UENG00001' } }, now),
    );
    const event = await database.prisma.ticketEvent.findUniqueOrThrow({ where: { id: eventId } });
    expect(event).toMatchObject({ ticketId: ticket.id, type: 'assignment', at: now, actor: 'UENG00001', detail: { from: null, to: 'UENG00001' } });
    const post = await database.prisma.outbox.findUniqueOrThrow({ where: { idempotencyKey: `slack:ticket-event:${eventId}` } });
    expect(post).toMatchObject({ channel: 'slack', kind: 'ticket-event', ticketId: ticket.id, status: 'pending', nextAttemptAt: now });
    expect(post.payload).toEqual({ ticketId: ticket.id, eventId: Number(eventId) });
  });

  it.skipIf(!backend.available)('applies the ticket changes in the same statement as the event, and only those', async () => {
    const before = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    const now = new Date('2026-03-02T13:00:00Z');
    const eventId = await database.prisma.$transaction((tx) =>
      appendEventWithThreadPost(tx, ticket.id, { type: 'severity-change', at: now, actor: 'UENG00002', detail: { from: before.severity, to: 4 } }, now, {
        severity: 4,
        missingInfo: ['version'],
        assigneeSlackId: null,
        pausedAt: undefined,
      }),
    );
    const after = await database.prisma.ticket.findUniqueOrThrow({ where: { id: ticket.id } });
    expect(after).toEqual({ ...before, severity: 4, missingInfo: ['version'], assigneeSlackId: null, updatedAt: after.updatedAt });
    expect(after.updatedAt.getTime()).toBeGreaterThan(before.updatedAt.getTime());
    expect(await database.prisma.ticketEvent.findUniqueOrThrow({ where: { id: eventId } })).toMatchObject({ type: 'severity-change', detail: { to: 4 } });
    // A change the port does not allow fails the whole statement: no event is left without its change.
    const events = await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id } });
    await expect(
      database.prisma.$transaction((tx) =>
        appendEventWithThreadPost(tx, ticket.id, { type: 'assignment', at: now, actor: 'UENG00002' }, now, { requestId: 'SR-1999-000001' } as never),
      ),
    ).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(await database.prisma.ticketEvent.count({ where: { ticketId: ticket.id } })).toBe(events);
  });
});
