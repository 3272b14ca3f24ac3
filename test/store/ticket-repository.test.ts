// The ticket store on PGlite and PostgreSQL: request IDs under concurrency, ticket rows with their parties,
// event history and the open-tickets list ordered by next due time.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { changeTicket } from '../../src/store/ticket-writes.ts';
import {
  appendEvent,
  directoryIds,
  findTicketById,
  findTicketByRequestId,
  insertTicket,
  knownProducts,
  nextRequestId,
  reserveRequest,
  type NewTicket,
} from '../../src/store/ticket-repository.ts';
import { autoMailLockKey } from '../../src/store/inbound-repository.ts';
import { backends } from '../helpers/backends.ts';
import { storeAccess } from '../../src/store/transactor.ts';

const policy = defaultPolicy();
const openedAt = new Date('2026-11-17T15:00:00Z');

function newTicket(requestId: string, overrides: Partial<NewTicket> = {}): NewTicket {
  return {
    requestId,
    customerId: null,
    partnerId: null,
    licenceId: null,
    requesterKind: 'eligible-caller',
    requesterEmail: 'ops@acme.example',
    requesterName: 'Ana Ops',
    subject: 'Kerio Connect crashes',
    summary: 'Kerio Connect crashes',
    severity: 4,
    status: 'open',
    product: 'Kerio Connect',
    productVersion: '10.0.1',
    missingInfo: [],
    calendar: 'US',
    supportLevel: 'normal',
    locale: 'en',
    openedAt,
    priceMinor: 8000,
    priceCurrency: 'USD',
    rootMessageId: null,
    ...overrides,
  };
}

describe.each(backends)('ticket repository on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  let database: Database;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    database = opened.database;
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(database, policy), policy });
  });
  afterAll(async () => opened?.dispose());

  /** Opens one ticket the way intake does: ID and row in one transaction. */
  const open = (db: Database, year: number, overrides: Partial<NewTicket> = {}) =>
    db.prisma.$transaction(async (tx) => insertTicket(tx, newTicket(await nextRequestId(tx, year), overrides)), { maxWait: 60_000, timeout: 60_000 });

  it.skipIf(!backend.available)('numbers requests per year from 000001, inserting the year row on first use', async () => {
    expect((await open(database, 2031)).requestId).toBe('SR-2031-000001');
    expect((await open(database, 2031)).requestId).toBe('SR-2031-000002');
    expect((await open(database, 2032)).requestId).toBe('SR-2032-000001');
    expect(await database.prisma.requestCounter.findMany({ where: { year: { in: [2031, 2032] } }, orderBy: { year: 'asc' } })).toEqual([
      { year: 2031, last: 2 },
      { year: 2032, last: 1 },
    ]);
  });

  it.skipIf(!backend.available)('hands out no number of a rolled-back opening twice: the counter rolls back with it', async () => {
    await open(database, 2033);
    await expect(
      database.prisma.$transaction(async (tx) => {
        await insertTicket(tx, newTicket(await nextRequestId(tx, 2033)));
        throw new Error('crash after the insert');
      }),
    ).rejects.toThrow('crash after the insert');
    expect((await open(database, 2033)).requestId).toBe('SR-2033-000002');
    expect(await database.prisma.ticket.count({ where: { requestId: { startsWith: 'SR-2033-' } } })).toBe(2);
  });

  it.skipIf(!backend.available)('gives 50 concurrent openings across 3 database connections 50 distinct, gapless IDs', async () => {
    const connections: Database[] = [database];
    if (backend.name === 'postgres') {
      for (let index = 0; index < 2; index += 1) connections.push(await openDatabase({ databaseUrl: opened.url, logger: createSilentLogger(), poolSize: 5 }));
    }
    try {
      const results = await Promise.all(Array.from({ length: 50 }, (_, index) => open(connections[index % connections.length]!, 2026)));
      const ids = results.map((result) => result.requestId).sort();
      expect(new Set(ids).size).toBe(50);
      expect(ids).toEqual(Array.from({ length: 50 }, (_, index) => `SR-2026-${String(index + 1).padStart(6, '0')}`));
      expect(await database.prisma.requestCounter.findUnique({ where: { year: 2026 } })).toEqual({ year: 2026, last: 50 });
    } finally {
      for (const connection of connections.slice(1)) await connection.close();
    }
  });

  it.skipIf(!backend.available)('finds a ticket by ID and request ID with its customer, licence and partner', async () => {
    const ids = await directoryIds(database.prisma, { customerKey: 'ACME', partnerId: null, licenceNumber: '27A3-9F10-4C2B' });
    const created = await open(database, 2040, { ...ids, rootMessageId: '<root@acme.example>' });
    const ticket = await findTicketById(database.prisma, created.id);
    expect(ticket).toMatchObject({
      requestId: 'SR-2040-000001',
      status: 'open',
      severity: 4,
      priceMinor: 8000,
      priceCurrency: 'USD',
      rootMessageId: '<root@acme.example>',
    });
    expect(ticket?.customer?.key).toBe('ACME');
    expect(ticket?.customer?.eligibleCallers.map((caller) => caller.email)).toContain('noc@acme.example');
    expect(ticket?.licence).toEqual({
      number: '27A3-9F10-4C2B',
      product: 'Kerio Connect',
      type: 'commercial',
      registeredOn: '2026-01-15',
      maintenanceUntil: '2036-01-15',
      trialEndsOn: null,
    });
    expect(ticket?.partner).toBeNull();
    expect((await findTicketByRequestId(database.prisma, 'SR-2040-000001'))?.id).toBe(created.id);
    expect(await findTicketByRequestId(database.prisma, 'SR-2040-999999')).toBeNull();

    const partnerIds = await directoryIds(database.prisma, { customerKey: null, partnerId: 'KP-10001', licenceNumber: null });
    const partnerTicket = await open(database, 2040, { ...partnerIds, requesterKind: 'partner', requesterEmail: 'tech@reseller.example' });
    expect((await findTicketById(database.prisma, partnerTicket.id))?.partner).toMatchObject({ partnerId: 'KP-10001', currency: 'USD' });
  });

  it.skipIf(!backend.available)('changes a ticket in one UPDATE: each kind of column set, undefined fields kept, an unknown field refused', async () => {
    const created = await open(database, 2044);
    const before = await database.prisma.ticket.findUniqueOrThrow({ where: { id: created.id } });
    const pausedAt = new Date('2026-11-18T09:30:00.123Z');
    await changeTicket(database.prisma, created.id, {
      status: 'waiting',
      severity: 2,
      missingInfo: ['version', 'licence'],
      pausedAt,
      breached: true,
      assigneeSlackId: "U0'QUOTE",
      productVersion: undefined,
    });
    const after = await database.prisma.ticket.findUniqueOrThrow({ where: { id: created.id } });
    expect(after).toMatchObject({ status: 'waiting', severity: 2, missingInfo: ['version', 'licence'], pausedAt, breached: true, assigneeSlackId: "U0'QUOTE" });
    expect(after.productVersion).toBe(before.productVersion);
    expect(after.updatedAt.getTime()).toBeGreaterThanOrEqual(before.updatedAt.getTime());
    await changeTicket(database.prisma, created.id, { pausedAt: null, missingInfo: [], assigneeSlackId: null });
    expect(await database.prisma.ticket.findUniqueOrThrow({ where: { id: created.id } })).toMatchObject({
      pausedAt: null,
      missingInfo: [],
      assigneeSlackId: null,
    });
    await expect(changeTicket(database.prisma, created.id, { requestId: 'SR-1999-000001' } as never)).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it.skipIf(!backend.available)('appends events in order', async () => {
    const ticket = await open(database, 2041);
    const first = await database.prisma.$transaction((tx) =>
      appendEvent(tx, ticket.id, { type: 'mail-received', at: openedAt, actor: 'ops@acme.example', detail: { messageId: '<a@b>' } }),
    );
    const second = await database.prisma.$transaction((tx) => appendEvent(tx, ticket.id, { type: 'acknowledgement', at: openedAt }));
    expect(second > first).toBe(true);
    const events = await database.prisma.ticketEvent.findMany({ where: { ticketId: ticket.id }, orderBy: { id: 'asc' } });
    expect(events.map((event) => [event.type, event.actor, event.detail])).toEqual([
      ['mail-received', 'ops@acme.example', { messageId: '<a@b>' }],
      ['acknowledgement', null, {}],
    ]);
  });

  it.skipIf(!backend.available)("lists the products of the directory's licences once each", async () => {
    expect(await knownProducts(database.prisma)).toEqual(['Kerio Connect', 'Kerio Control']);
  });

  it.skipIf(!backend.available)(
    "reserveRequest reads the recipient's throttle window after taking its lock: an answer the holder commits meanwhile is seen",
    async () => {
      const address = 'throttle-lock@acme.example';
      const noKeys = { customerKey: null, partnerId: null, licenceNumber: null };
      const reserve = (db: Database) =>
        db.prisma.$transaction(
          (tx) =>
            reserveRequest(tx, { year: 2050, keys: noKeys, autoMail: { lockKey: autoMailLockKey(address), address, since: new Date('2026-11-17T14:00:00Z') } }),
          { maxWait: 60_000, timeout: 60_000 },
        );
      expect((await reserve(database)).autoMailSent).toEqual([]);
      // Before the window, and another address: neither is read.
      await database.prisma.autoMailLog.createMany({
        data: [
          { address, kind: 'acknowledgement', sentAt: new Date('2026-11-17T13:00:00Z') },
          { address: 'someone-else@acme.example', kind: 'acknowledgement', sentAt: new Date('2026-11-17T14:30:00Z') },
        ],
      });
      const answeredAt = new Date('2026-11-17T15:00:00Z');
      if (backend.name !== 'postgres') {
        await database.prisma.autoMailLog.create({ data: { address, kind: 'acknowledgement', sentAt: answeredAt } });
        expect((await reserve(database)).autoMailSent).toEqual([answeredAt]);
        return;
      }
      // PostgreSQL: another connection holds the lock; reserveRequest's statement starts (and takes its snapshot)
      // while it waits, then the holder writes an answer and commits. A read with the statement's snapshot misses it.
      const second = await openDatabase({ databaseUrl: opened.url, logger: createSilentLogger(), poolSize: 2 });
      try {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        const holder = database.prisma.$transaction(
          async (tx) => {
            await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::bigint)', autoMailLockKey(address).toString());
            locked();
            await released;
            await tx.autoMailLog.create({ data: { address, kind: 'acknowledgement', sentAt: answeredAt } });
          },
          { maxWait: 60_000, timeout: 60_000 },
        );
        await isLocked;
        const waiting = reserve(second);
        await new Promise((resolve) => setTimeout(resolve, 500));
        release();
        await holder;
        expect((await waiting).autoMailSent).toEqual([answeredAt]);
      } finally {
        await second.close();
      }
    },
  );
});
