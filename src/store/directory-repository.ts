// Stores and looks up the directory: customers, licences, eligible callers and partners.
// Imports are one transaction (all or nothing) and idempotent: keys, licence numbers and partner IDs are upserted.
import type { Customer, Directory, EligibleCaller, Licence, Partner } from '../domain/directory.ts';
import type { Currency } from '../domain/policy.ts';
import type { DirectoryImport, DirectoryIssue } from '../domain/directory-file.ts';
import { DeskbotError } from '../errors.ts';
import type { PrismaClient } from './database.ts';
import type { Prisma } from '../generated/prisma/client.ts';

type Tx = Prisma.TransactionClient;

export interface ImportSummary {
  customers: { created: number; updated: number };
  licences: { created: number; updated: number };
  eligibleCallers: { created: number; removed: number; kept: number };
  partners: { created: number; updated: number };
}

const toDate = (isoDate: string | null): Date | null => (isoDate ? new Date(`${isoDate}T00:00:00.000Z`) : null);
const fromDate = (date: Date | null): string | null => (date ? date.toISOString().slice(0, 10) : null);

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

export function createDirectoryRepository(prisma: PrismaClient) {
  return {
    /**
     * Imports a validated directory. Each customer's eligible callers become exactly the listed ones;
     * licences are upserted by number and never deleted (tickets refer to them).
     */
    async importDirectory(directory: DirectoryImport): Promise<ImportSummary> {
      const summary = emptySummary();
      await prisma.$transaction(
        async (tx) => {
          for (const partner of directory.partners) {
            const existing = await tx.partner.findUnique({ where: { partnerId: partner.partnerId } });
            const data = { name: partner.name, contacts: partner.contacts, currency: partner.currency, locale: partner.locale };
            if (existing) await tx.partner.update({ where: { id: existing.id }, data });
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
            };
            const existing = await tx.customer.findUnique({ where: { key: customer.key } });
            const row = existing
              ? await tx.customer.update({ where: { id: existing.id }, data })
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
              if (found) await tx.licence.update({ where: { id: found.id }, data: licenceData });
              else await tx.licence.create({ data: { number: licence.number, ...licenceData } });
              summary.licences[found ? 'updated' : 'created'] += 1;
            }
            await replaceCallers(tx, row.id, customer.eligibleCallers, summary);
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
            if (!customers.some((customer) => customer.key === key)) issues.push({ record: `customer ${key}`, field: 'customer', message: 'no such customer in the directory' });
            if (callers.length > maxEligibleCallers) issues.push({ record: `customer ${key}`, field: 'email', message: `${callers.length} eligible callers; at most ${maxEligibleCallers} allowed` });
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
    async findForSender(query: { email: string; partnerIds: string[]; licenceNumbers: string[] }): Promise<Directory> {
      const address = query.email.trim().toLowerCase();
      const domain = address.slice(address.lastIndexOf('@'));
      const customers = await prisma.customer.findMany({
        where: {
          OR: [
            { eligibleCallers: { some: { email: address } } },
            ...(query.licenceNumbers.length ? [{ licences: { some: { number: { in: query.licenceNumbers } } } }] : []),
          ],
        },
        include: { licences: true, eligibleCallers: true },
      });
      const partners = await prisma.partner.findMany({
        where: {
          OR: [
            ...(query.partnerIds.length ? [{ partnerId: { in: query.partnerIds.map((id) => id.toUpperCase()) } }] : []),
            { contacts: { hasSome: [address, domain] } },
          ],
        },
      });
      return { customers: customers.map(toCustomer), partners: partners.map(toPartner) };
    },

    async findCustomer(key: string): Promise<Customer | null> {
      const row = await prisma.customer.findUnique({ where: { key }, include: { licences: true, eligibleCallers: true } });
      return row ? toCustomer(row) : null;
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

export function toCustomer(row: CustomerRow): Customer {
  return {
    key: row.key,
    name: row.name,
    supportLevel: row.supportLevel as Customer['supportLevel'],
    calendar: row.calendar,
    currency: row.currency as Currency,
    isPartner: row.isPartner,
    locale: row.locale,
    licences: row.licences.map(
      (licence): Licence => ({
        number: licence.number,
        product: licence.product,
        type: licence.type as Licence['type'],
        registeredOn: fromDate(licence.registeredOn)!,
        maintenanceUntil: fromDate(licence.maintenanceUntil),
        trialEndsOn: fromDate(licence.trialEndsOn),
      }),
    ),
    eligibleCallers: row.eligibleCallers.map((caller) => ({ email: caller.email, name: caller.name })),
  };
}

export function toPartner(row: Prisma.PartnerGetPayload<object>): Partner {
  return { partnerId: row.partnerId, name: row.name, contacts: row.contacts, currency: row.currency as Currency, locale: row.locale };
}
