// Stores and looks up the directory: customers, licences, eligible callers and partners.
// Imports are one transaction (all or nothing) and idempotent: keys, licence numbers and partner IDs are upserted.
import type { Customer, Directory, EligibleCaller, Licence, Partner } from '../domain/directory.ts';
import type { Currency } from '../domain/policy.ts';
import type { DirectoryImport, DirectoryIssue, KeptCustomerField } from '../domain/directory-file.ts';
import type { CallerOwner, LicenceOwner } from '../domain/directory-warnings.ts';
import { normalizeLicenceNumber } from '../domain/request-details.ts';
import { DeskbotError } from '../errors.ts';
import type { PrismaClient } from './database.ts';
import { Prisma } from '../generated/prisma/client.ts';
import type { ImportSummary, SenderLookup, SenderQuery } from '../app/read-models.ts';
import type { StoredInbound } from '../app/records.ts';
import { rawSqlRows } from './direct-raw.ts';

export type { ImportSummary, SenderLookup, SenderQuery };

type Tx = Prisma.TransactionClient;

const toDate = (isoDate: string | null): Date | null => (isoDate ? new Date(`${isoDate}T00:00:00.000Z`) : null);
const fromDate = (date: Date | null): string | null => (date ? date.toISOString().slice(0, 10) : null);

/** The Customer columns of each field an entry may leave out (directory-file.ts, KeptCustomerField). */
const customerColumns: Record<KeptCustomerField, string[]> = {
  supportLevel: ['supportLevel'],
  isPartner: ['isPartner'],
  suspended: ['suspendedSince', 'suspendedReason'],
  locale: ['locale'],
  eligibleCallers: [],
};

/** `data` without the named columns: what an update of a re-imported record writes. */
function withoutColumns<T extends object>(data: T, columns: readonly string[]): Partial<T> {
  return Object.fromEntries(Object.entries(data).filter(([column]) => !columns.includes(column))) as Partial<T>;
}

async function replaceCallers(tx: Tx, customerId: number, callers: EligibleCaller[], summary: ImportSummary): Promise<void> {
  const existing = await tx.eligibleCaller.findMany({ where: { customerId } });
  const wanted = new Map(callers.map((caller) => [caller.email.toLowerCase(), caller]));
  const stale = existing.filter((row) => !wanted.has(row.email));
  if (stale.length) await tx.eligibleCaller.deleteMany({ where: { id: { in: stale.map((row) => row.id) } } });
  summary.eligibleCallers.removed += stale.length;
  for (const caller of wanted.values()) {
    const found = existing.find((row) => row.email === caller.email.toLowerCase());
    if (found) {
      if (found.name !== caller.name) await tx.eligibleCaller.update({ where: { id: found.id }, data: { name: caller.name } });
      summary.eligibleCallers.kept += 1;
    } else {
      await tx.eligibleCaller.create({ data: { customerId, email: caller.email.toLowerCase(), name: caller.name } });
      summary.eligibleCallers.created += 1;
    }
  }
}

function emptySummary(): ImportSummary {
  return {
    customers: { created: 0, updated: 0 },
    licences: { created: 0, updated: 0 },
    eligibleCallers: { created: 0, removed: 0, kept: 0 },
    partners: { created: 0, updated: 0 },
  };
}

/**
 * The distinct product names of all licences, ordered, as a JSON array: a loose index scan over Licence_product_idx
 * (one index probe per distinct product) where `SELECT DISTINCT` would read every licence.
 */
export const knownProductsQuery = Prisma.sql`
  WITH RECURSIVE p("product") AS (
    (SELECT min("product") FROM "Licence")
    UNION ALL
    SELECT (SELECT min(l."product") FROM "Licence" l WHERE l."product" > p."product") FROM p WHERE p."product" IS NOT NULL)
  SELECT json_agg(p."product" ORDER BY p."product") FROM p WHERE p."product" IS NOT NULL`;

type JsonColumn<T> = T | string | null;
const fromJson = <T>(value: JsonColumn<T>, empty: T): T => (value === null ? empty : typeof value === 'string' ? (JSON.parse(value) as T) : value);

/**
 * The sender lookup as one statement (see lookupSender): matching customers with their licences and callers, matching
 * partners, all product names and, with `messageId`, its InboundMessage row. The customers are read by id from the
 * indexed matches (`id = ANY(ARRAY(callers UNION licences))`), never by a walk of every customer: with 30,000
 * customers the former `EXISTS … OR EXISTS` filter scanned them all (PGlite 10.9 ms a lookup; PostgreSQL, whose
 * cost estimate then crossed the JIT threshold, ~500 ms); now 2.6 / 1.5 ms, as with 100.
 */
export function senderLookupStatement(query: SenderQuery, messageId: string | null): Prisma.Sql {
  const address = query.email.trim().toLowerCase();
  const domain = address.slice(address.lastIndexOf('@'));
  const partnerIds = query.partnerIds.map((id) => id.toUpperCase());
  // A licence number is matched as the domain matches it: case and spaces do not count, so a licence imported as
  // "de11-…" is found from a mail quoting "DE11-…" (the SQL below normalizes the stored number the same way).
  const licenceNumbers = query.licenceNumbers.map(normalizeLicenceNumber);
  return Prisma.sql`
  SELECT
    (SELECT json_build_object('id', i."id", 'messageId', i."messageId", 'outcome', i."outcome", 'reason', i."reason", 'ticketId', i."ticketId")
      FROM "InboundMessage" i WHERE ${messageId}::text IS NOT NULL AND i."messageId" = ${messageId}::text) AS "inbound",
    (SELECT json_agg(json_build_object(
        'key', c."key", 'name', c."name", 'supportLevel', c."supportLevel", 'calendar', c."calendar",
        'currency', c."currency", 'isPartner', c."isPartner", 'locale', c."locale", 'termsAgreed', c."agreedAt" IS NOT NULL,
        'suspended', CASE WHEN c."suspendedSince" IS NULL THEN NULL
          ELSE json_build_object('since', to_char(c."suspendedSince", 'YYYY-MM-DD'), 'reason', COALESCE(c."suspendedReason", '')) END,
        'licences', COALESCE((SELECT json_agg(json_build_object(
            'number', l."number", 'product', l."product", 'type', l."type", 'registeredOn', to_char(l."registeredOn", 'YYYY-MM-DD'),
            'maintenanceUntil', to_char(l."maintenanceUntil", 'YYYY-MM-DD'), 'trialEndsOn', to_char(l."trialEndsOn", 'YYYY-MM-DD')) ORDER BY l."id")
          FROM "Licence" l WHERE l."customerId" = c."id"), '[]'::json),
        'eligibleCallers', COALESCE((SELECT json_agg(json_build_object('email', e."email", 'name', e."name") ORDER BY e."id")
          FROM "EligibleCaller" e WHERE e."customerId" = c."id"), '[]'::json)
      ) ORDER BY c."id")
      FROM "Customer" c
      WHERE c."id" = ANY(ARRAY(
        SELECT e."customerId" FROM "EligibleCaller" e WHERE e."email" = ${address}
        UNION
        SELECT l."customerId" FROM "Licence" l WHERE upper(regexp_replace(l."number", '\\s', '', 'g')) = ANY(${licenceNumbers}::text[])))
    ) AS "customers",
    (SELECT json_agg(json_build_object('partnerId', p."partnerId", 'name', p."name", 'contacts', p."contacts", 'currency', p."currency", 'locale', p."locale") ORDER BY p."id")
      FROM "Partner" p
      WHERE p."partnerId" = ANY(${partnerIds}::text[]) OR p."contacts" && ARRAY[${address}, ${domain}]::text[]
    ) AS "partners",
    (${knownProductsQuery}) AS "products"`;
}

export function createDirectoryRepository(prisma: PrismaClient) {
  /**
   * One statement: matching customers with their licences and callers, matching partners, and all product names, as
   * JSON. Each inbound message needs all three; five queries cost five round trips (and five query plans) instead.
   * The licence match and the product names read through indexes (migration 20261130170000_directory_lookup_indexes):
   * they had read every licence; the customers by id from those matches (senderLookupStatement).
   */
  async function lookupSender(query: SenderQuery): Promise<SenderLookup> {
    const { inbound: _none, ...lookup } = await lookupSenderWithInbound(query, null);
    return lookup;
  }

  /** lookupSender, and with `messageId` its InboundMessage row (findInbound) as one more column of the same statement. */
  async function lookupSenderWithInbound(query: SenderQuery, messageId: string | null): Promise<SenderLookup & { inbound: StoredInbound | null }> {
    const rows = await rawSqlRows<{
      customers: JsonColumn<Customer[]>;
      partners: JsonColumn<Partner[]>;
      products: JsonColumn<string[]>;
      inbound: JsonColumn<StoredInbound>;
    }>(prisma, senderLookupStatement(query, messageId));
    const row = rows[0];
    return {
      directory: { customers: fromJson(row?.customers ?? null, []), partners: fromJson(row?.partners ?? null, []) },
      knownProducts: fromJson(row?.products ?? null, []),
      inbound: row?.inbound ? fromJson<StoredInbound | null>(row.inbound, null) : null,
    };
  }

  return {
    /**
     * Imports a validated directory. A record's update writes what its entry gives; the fields the entry left out
     * (`keep`) stay as stored, its eligible callers included (otherwise they become exactly the listed ones).
     * Licences are upserted by number and never deleted (tickets refer to them).
     */
    async importDirectory(directory: DirectoryImport): Promise<ImportSummary> {
      const summary = emptySummary();
      await prisma.$transaction(
        async (tx) => {
          for (const partner of directory.partners) {
            const existing = await tx.partner.findUnique({ where: { partnerId: partner.partnerId } });
            const data = { name: partner.name, contacts: partner.contacts, currency: partner.currency, locale: partner.locale };
            if (existing) await tx.partner.update({ where: { id: existing.id }, data: withoutColumns(data, partner.keep ?? []) });
            else await tx.partner.create({ data: { partnerId: partner.partnerId, ...data } });
            summary.partners[existing ? 'updated' : 'created'] += 1;
          }
          for (const customer of directory.customers) {
            const data = {
              name: customer.name,
              supportLevel: customer.supportLevel,
              calendar: customer.calendar,
              currency: customer.currency,
              isPartner: customer.isPartner,
              locale: customer.locale,
              suspendedSince: toDate(customer.suspended?.since ?? null),
              suspendedReason: customer.suspended?.reason ?? null,
            };
            const existing = await tx.customer.findUnique({ where: { key: customer.key } });
            const row = existing
              ? await tx.customer.update({
                  where: { id: existing.id },
                  data: withoutColumns(
                    data,
                    (customer.keep ?? []).flatMap((field) => customerColumns[field]),
                  ),
                })
              : await tx.customer.create({ data: { key: customer.key, ...data } });
            summary.customers[existing ? 'updated' : 'created'] += 1;
            for (const licence of customer.licences) {
              const licenceData = {
                product: licence.product,
                type: licence.type,
                registeredOn: toDate(licence.registeredOn)!,
                maintenanceUntil: toDate(licence.maintenanceUntil),
                trialEndsOn: toDate(licence.trialEndsOn),
                customerId: row.id,
              };
              const found = await tx.licence.findUnique({ where: { number: licence.number } });
              if (found) await tx.licence.update({ where: { id: found.id }, data: withoutColumns(licenceData, licence.keep ?? []) });
              else await tx.licence.create({ data: { number: licence.number, ...licenceData } });
              summary.licences[found ? 'updated' : 'created'] += 1;
            }
            if (customer.keep?.includes('eligibleCallers')) summary.eligibleCallers.kept += await tx.eligibleCaller.count({ where: { customerId: row.id } });
            else await replaceCallers(tx, row.id, customer.eligibleCallers, summary);
          }
        },
        { timeout: 120_000, maxWait: 30_000 },
      );
      return summary;
    },

    /** Replaces the eligible callers of existing customers (the CSV import). Unknown customers fail the whole import. */
    async importCallers(callersByCustomer: Map<string, EligibleCaller[]>, maxEligibleCallers: number): Promise<ImportSummary> {
      const summary = emptySummary();
      await prisma.$transaction(
        async (tx) => {
          const issues: DirectoryIssue[] = [];
          const customers = await tx.customer.findMany({ where: { key: { in: [...callersByCustomer.keys()] } } });
          for (const [key, callers] of callersByCustomer) {
            if (!customers.some((customer) => customer.key === key))
              issues.push({ record: `customer ${key}`, field: 'customer', message: 'no such customer in the directory' });
            if (callers.length > maxEligibleCallers)
              issues.push({ record: `customer ${key}`, field: 'email', message: `${callers.length} eligible callers; at most ${maxEligibleCallers} allowed` });
          }
          if (issues.length) throw new DeskbotError('DIRECTORY_INVALID', 'Invalid callers file', { details: { issues } });
          for (const customer of customers) await replaceCallers(tx, customer.id, callersByCustomer.get(customer.key) ?? [], summary);
        },
        { timeout: 60_000 },
      );
      return summary;
    },

    /**
     * The directory records relevant to one inbound message: customers with this caller address or
     * owning a named licence, and partners named by ID or listing the sender (address or domain).
     */
    async findForSender(query: SenderQuery): Promise<Directory> {
      return (await lookupSender(query)).directory;
    },

    /** findForSender plus the product names of all licences (see knownProducts), in one round trip for intake. */
    lookupSender,
    lookupSenderWithInbound: (query: SenderQuery, messageId: string) => lookupSenderWithInbound(query, messageId),

    async findCustomer(key: string): Promise<Customer | null> {
      const row = await prisma.customer.findUnique({ where: { key }, include: { licences: true, eligibleCallers: true } });
      return row ? toCustomer(row) : null;
    },

    async callerOwners(emails: string[]): Promise<CallerOwner[]> {
      const rows = await prisma.eligibleCaller.findMany({ where: { email: { in: emails } }, select: { email: true, customer: { select: { key: true } } } });
      return rows.map((row) => ({ email: row.email, customerKey: row.customer.key }));
    },

    async licenceOwners(numbers: string[]): Promise<LicenceOwner[]> {
      const rows = await prisma.licence.findMany({ where: { number: { in: numbers } }, select: { number: true, customer: { select: { key: true } } } });
      return rows.map((row) => ({ number: row.number, customerKey: row.customer.key }));
    },

    async customerKeysLike(keys: string[]): Promise<string[]> {
      const lowered = keys.map((key) => key.toLowerCase());
      const rows = await prisma.$queryRaw<Array<{ key: string }>>`SELECT "key" FROM "Customer" WHERE lower("key") = ANY(${lowered}::text[])`;
      return rows.map((row) => row.key);
    },

    async countAll() {
      const [customers, licences, eligibleCallers, partners] = await Promise.all([
        prisma.customer.count(),
        prisma.licence.count(),
        prisma.eligibleCaller.count(),
        prisma.partner.count(),
      ]);
      return { customers, licences, eligibleCallers, partners };
    },
  };
}

export type DirectoryRepository = ReturnType<typeof createDirectoryRepository>;

type CustomerRow = Prisma.CustomerGetPayload<{ include: { licences: true; eligibleCallers: true } }>;

/** A stored licence as the domain reads it (dates as ISO days). */
export function toLicence(row: Prisma.LicenceGetPayload<object>): Licence {
  return {
    number: row.number,
    product: row.product,
    type: row.type as Licence['type'],
    registeredOn: fromDate(row.registeredOn)!,
    maintenanceUntil: fromDate(row.maintenanceUntil),
    trialEndsOn: fromDate(row.trialEndsOn),
  };
}

export function toCustomer(row: CustomerRow): Customer {
  return {
    key: row.key,
    name: row.name,
    supportLevel: row.supportLevel as Customer['supportLevel'],
    calendar: row.calendar,
    currency: row.currency as Currency,
    isPartner: row.isPartner,
    suspended: row.suspendedSince ? { since: fromDate(row.suspendedSince)!, reason: row.suspendedReason ?? '' } : null,
    termsAgreed: row.agreedAt !== null,
    locale: row.locale,
    licences: row.licences.map(toLicence),
    eligibleCallers: row.eligibleCallers.map((caller) => ({ email: caller.email, name: caller.name })),
  };
}

export function toPartner(row: Prisma.PartnerGetPayload<object>): Partner {
  return { partnerId: row.partnerId, name: row.name, contacts: row.contacts, currency: row.currency as Currency, locale: row.locale };
}
