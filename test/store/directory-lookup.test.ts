// The sender lookup intake starts with, on PGlite and PostgreSQL: lookupSenderWithInbound answers what lookupSender
// does and, in the same statement, the InboundMessage row of the Message-ID (the duplicate check); with a large
// directory it reads the matching customers by id, not every customer.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importDirectoryFile } from '../../src/app/import-directory.ts';
import { defaultPolicy } from '../../src/domain/policy.ts';
import { createDirectoryRepository, senderLookupStatement } from '../../src/store/directory-repository.ts';
import { recordInbound } from '../../src/store/inbound-repository.ts';
import { storeAccess } from '../../src/store/transactor.ts';
import { backends } from '../helpers/backends.ts';
import { planNodes } from '../helpers/query-plans.ts';

const policy = defaultPolicy();

describe.each(backends)('directory lookup with the inbound record on $name', (backend) => {
  let opened: Awaited<ReturnType<typeof backend.open>>;
  beforeAll(async () => {
    if (!backend.available) return;
    opened = await backend.open();
    await importDirectoryFile(path.resolve('examples/directory.yaml'), { ...storeAccess(opened.database, policy), policy });
  });
  afterAll(async () => opened?.dispose());

  it.skipIf(!backend.available)('returns the recorded message of a Message-ID with the same directory answer as lookupSender; null when unknown', async () => {
    const { prisma } = opened.database;
    const directory = createDirectoryRepository(prisma);
    const query = { email: 'noc@acme.example', partnerIds: ['KP-10001'], licenceNumbers: ['27A3-9F10-4C2B'] };
    await recordInbound(prisma, {
      messageId: '<seen.1@acme.example>',
      rawSize: 1234,
      source: 'imap',
      fromAddress: 'noc@acme.example',
      subject: 'VPN drops',
      receivedAt: new Date('2026-11-17T15:00:00Z'),
      outcome: 'rejected',
      reason: 'not-registered',
      ticketId: null,
    });
    const alone = await directory.lookupSender(query);
    const seen = await directory.lookupSenderWithInbound(query, '<seen.1@acme.example>');
    expect(seen.inbound).toEqual({ id: expect.any(Number), messageId: '<seen.1@acme.example>', outcome: 'rejected', reason: 'not-registered', ticketId: null });
    expect({ directory: seen.directory, knownProducts: seen.knownProducts }).toEqual(alone);
    expect(alone.directory.customers.map((customer) => customer.key)).toContain('ACME');
    expect(alone.directory.partners.map((partner) => partner.partnerId)).toEqual(['KP-10001']);
    const unseen = await directory.lookupSenderWithInbound(query, '<never.seen@acme.example>');
    expect(unseen.inbound).toBeNull();
    expect(unseen.directory).toEqual(alone.directory);
  });

  it.skipIf(!backend.available)('finds the customer of a licence named in another case or with spaces than it was imported with', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deskbot-licence-case-'));
    const file = path.join(dir, 'directory.yaml');
    fs.writeFileSync(
      file,
      [
        'customers:',
        '  - key: LOWERCO',
        '    name: Lower Case Ltd',
        '    supportLevel: normal',
        '    calendar: US',
        '    currency: USD',
        '    eligibleCallers:',
        '      - { email: a@lower.example, name: A }',
        '      - { email: b@lower.example, name: B }',
        '      - { email: c@lower.example, name: C }',
        '    licences:',
        '      - { number: lc77-ab12-cd34, product: Kerio Connect, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }',
        // An "s" in a number imported in lower case, and a space inside it: the SQL once stripped the letter s
        // instead of white space (a lone \s in a JavaScript template literal is the letter s).
        "      - { number: 'ls88 s9f1-cd34', product: Aardvark Mail, type: commercial, registeredOn: 2025-01-10, maintenanceUntil: 2027-01-10 }",
        '',
      ].join('\n'),
    );
    try {
      await importDirectoryFile(file, { ...storeAccess(opened.database, policy), policy });
      const directory = createDirectoryRepository(opened.database.prisma);
      for (const named of ['LC77-AB12-CD34', 'lc77-ab12-cd34', 'LC77-AB12- CD34']) {
        const found = await directory.lookupSenderWithInbound(
          { email: 'partner@elsewhere.example', partnerIds: [], licenceNumbers: [named] },
          '<licence-case@elsewhere.example>',
        );
        expect(found.directory.customers.map((customer) => customer.key)).toEqual(['LOWERCO']);
      }
      for (const named of ['LS88S9F1-CD34', 'ls88s9f1-cd34', 'LS88 S9F1-CD34']) {
        const found = await directory.lookupSender({ email: 'partner@elsewhere.example', partnerIds: [], licenceNumbers: [named] });
        expect(found.directory.customers.map((customer) => customer.key)).toEqual(['LOWERCO']);
      }
      // The product names (a loose index scan): each once, in order, the same from the lookup and the ticket store.
      const products = (await directory.lookupSender({ email: 'nobody@nowhere.example', partnerIds: [], licenceNumbers: [] })).knownProducts;
      expect(products).toEqual(['Aardvark Mail', 'Kerio Connect', 'Kerio Control']);
      expect(await storeAccess(opened.database, policy).repositories.tickets.knownProducts()).toEqual(products);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!backend.available)('reads only the matching customers of a large directory: no walk of every customer, the same answer', async () => {
    const { prisma } = opened.database;
    // 5,000 more customers (5 callers and a licence each), written in SQL: an import of this size is not the subject.
    await prisma.$executeRawUnsafe(`INSERT INTO "Customer" ("key", "name", "supportLevel", "calendar", "currency", "updatedAt")
      SELECT 'BULK' || g, 'Bulk ' || g, 'normal', 'US', 'USD', now() FROM generate_series(1, 5000) g`);
    await prisma.$executeRawUnsafe(`INSERT INTO "EligibleCaller" ("customerId", "email", "name", "updatedAt")
      SELECT c."id", 'caller' || k || '@' || lower(c."key") || '.example', 'Caller ' || k, now()
        FROM "Customer" c, generate_series(1, 5) k WHERE c."key" LIKE 'BULK%'`);
    await prisma.$executeRawUnsafe(`INSERT INTO "Licence" ("customerId", "number", "product", "type", "registeredOn", "updatedAt")
      SELECT c."id", 'BK-' || substr(c."key", 5), 'Kerio Connect', 'commercial', DATE '2025-01-10', now() FROM "Customer" c WHERE c."key" LIKE 'BULK%'`);
    // A caller of one customer naming the licence of another (in another case, with a space): both, in id order.
    const query = { email: 'Caller3@bulk4321.example', partnerIds: [], licenceNumbers: ['bk- 17'] };
    const found = await createDirectoryRepository(prisma).lookupSenderWithInbound(query, '<bulk@bulk4321.example>');
    expect(found.directory.customers.map((customer) => customer.key)).toEqual(['BULK17', 'BULK4321']);
    expect(found.directory.customers[1]!.eligibleCallers).toHaveLength(5);
    expect(found.directory.customers[0]!.licences.map((licence) => licence.number)).toEqual(['BK-17']);
    // The plan: the customers come from an index probe per match. The former EXISTS … OR EXISTS filter was a
    // sequential scan of "Customer" (all 5,000 rows on every inbound message; past JIT's threshold on PostgreSQL).
    const nodes = await planNodes(prisma, senderLookupStatement(query, '<bulk@bulk4321.example>'));
    const customerReads = nodes.filter((node) => node['Relation Name'] === 'Customer');
    expect(customerReads.length).toBeGreaterThan(0);
    expect(customerReads.map((node) => node['Node Type'])).not.toContain('Seq Scan');
    await prisma.$executeRawUnsafe(`DELETE FROM "Customer" WHERE "key" LIKE 'BULK%'`);
  });
});
