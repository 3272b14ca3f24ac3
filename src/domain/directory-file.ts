// The directory file format (customers, licences, eligible callers, partners) and its validation.
// Pure: takes parsed YAML data and returns records or issues naming the record and field; reading files is in src/app
// (the callers CSV is callers-csv.ts).
import { z } from 'zod';
import { currencies } from './policy.ts';
import { licenceTypes, supportLevels, type Customer, type Licence, type Partner } from './directory.ts';

const isoDate = z.preprocess(
  (value) => (value instanceof Date ? value.toISOString().slice(0, 10) : value),
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
    .refine(
      (value) => !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value),
      'not a real calendar date',
    ),
);

export const callerEmailSchema = z.string().trim().toLowerCase().pipe(z.string().email('not a valid e-mail address'));

const eligibleCallerSchema = z.object({ email: callerEmailSchema, name: z.string().trim().min(1, 'name is required'), phone: z.string().optional() }).strict();

const licenceNumberSchema = z.preprocess((value) => (typeof value === 'number' ? String(value) : value), z.string().trim().min(1));

const licenceSchema = z
  .object({
    number: licenceNumberSchema,
    product: z.string().trim().min(1),
    type: z.enum(licenceTypes),
    registeredOn: isoDate,
    // Left out: on an update the stored date stays (ImportedLicence.keep); `null` clears it.
    maintenanceUntil: isoDate.nullable().optional(),
    trialEndsOn: isoDate.nullable().optional(),
  })
  .strict()
  .superRefine((licence, ctx) => {
    if (licence.type === 'trial' && !licence.trialEndsOn) ctx.addIssue({ code: 'custom', path: ['trialEndsOn'], message: 'required for trial licences' });
    if (licence.trialEndsOn && licence.trialEndsOn < licence.registeredOn)
      ctx.addIssue({ code: 'custom', path: ['trialEndsOn'], message: 'is before registeredOn' });
    // A maintenance period that ends before the licence was registered is a typo (swapped dates, wrong year).
    if (licence.maintenanceUntil && licence.maintenanceUntil < licence.registeredOn) {
      ctx.addIssue({
        code: 'custom',
        path: ['maintenanceUntil'],
        message: `${licence.maintenanceUntil} is before registeredOn ${licence.registeredOn} (licence ${licence.number})`,
      });
    }
  });

const customerKeySchema = z.preprocess(
  (value) => (typeof value === 'number' ? String(value) : value),
  z
    .string()
    .trim()
    .min(1)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - only'),
);

const calendarNameSchema = z.string().trim().min(1);

const customerSchema = z
  .object({
    key: customerKeySchema,
    name: z.string().trim().min(1),
    // supportLevel, partner, suspended, locale, eligibleCallers left out: on an update the stored values stay
    // (ImportedCustomer.keep); a new customer gets the default.
    supportLevel: z.enum(supportLevels).optional(),
    calendar: calendarNameSchema,
    currency: z.enum(currencies),
    partner: z.boolean().optional(),
    /** Service suspended (Kerio ToS 2.4.3, 9): since a day, with a reason for engineers. */
    suspended: z
      .strictObject({ since: isoDate, reason: z.string().trim().min(1, 'reason is required') })
      .nullable()
      .optional(),
    locale: z.string().optional(),
    licences: z.array(licenceSchema).default([]),
    // `[]` removes every stored caller; left out, they stay.
    eligibleCallers: z.array(eligibleCallerSchema).optional(),
  })
  .strict();

const partnerContact = z
  .string()
  .trim()
  .toLowerCase()
  .refine(
    (value) => (value.startsWith('@') ? /^@[a-z0-9.-]+\.[a-z0-9-]+$/.test(value) : z.string().email().safeParse(value).success),
    'expected an address or "@domain"',
  );

const partnerIdSchema = z
  .string()
  .trim()
  .min(1)
  .regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, 'letters, digits and - only');

const partnerSchema = z
  .object({
    partnerId: partnerIdSchema,
    name: z.string().trim().min(1),
    contacts: z.array(partnerContact).min(1, 'at least one address or "@domain"'),
    // Left out: on an update the stored values stay (ImportedPartner.keep); a new partner gets the default.
    currency: z.enum(currencies).optional(),
    locale: z.string().optional(),
  })
  .strict();

export const directoryFileSchema = z
  .object({
    customers: z.array(customerSchema).default([]),
    partners: z.array(partnerSchema).default([]),
  })
  .strict();

export type DirectoryFile = z.infer<typeof directoryFileSchema>;

export interface DirectoryIssue {
  /** e.g. `customers[1] (ACME)` */
  record: string;
  /** e.g. `licences[0].registeredOn` */
  field: string;
  message: string;
}

/**
 * Fields a directory entry may leave out. A re-import updates the stored record with what the entry gives: a field it
 * leaves out keeps its stored value (a file of licences alone must not reset a Plus customer to Normal, lift a
 * suspension or take every eligible caller away); a new record gets the default. An explicit value, `null` or `[]`
 * included, replaces the stored one.
 */
export type KeptCustomerField = 'supportLevel' | 'isPartner' | 'suspended' | 'locale' | 'eligibleCallers';
export type KeptLicenceField = 'maintenanceUntil' | 'trialEndsOn';
export type KeptPartnerField = 'currency' | 'locale';

/** A licence as imported, with the defaults filled in; `keep` names the fields its entry left out. */
export type ImportedLicence = Licence & { keep?: readonly KeptLicenceField[] };
/** A customer as imported, with the defaults filled in; `keep` names the fields its entry left out. */
export type ImportedCustomer = Omit<Customer, 'licences'> & { licences: ImportedLicence[]; keep?: readonly KeptCustomerField[] };
/** A partner as imported, with the defaults filled in; `keep` names the fields its entry left out. */
export type ImportedPartner = Partner & { keep?: readonly KeptPartnerField[] };

/** The names of `fields` the entry left out (undefined after parsing). */
function leftOut<K extends string>(fields: Record<K, unknown>): K[] {
  return (Object.keys(fields) as K[]).filter((name) => fields[name] === undefined);
}

export interface DirectoryImport {
  customers: ImportedCustomer[];
  partners: ImportedPartner[];
  /** Problems that do not stop the import (e.g. fewer than 3 eligible callers). */
  warnings: DirectoryIssue[];
}

export interface DirectoryLimits {
  maxEligibleCallers: number;
  minEligibleCallers: number;
  /** Calendar names the policy defines. */
  calendars: string[];
}

/** How an issue names a customer of a directory file: `customers[1] (KEY)`; issueLine (app/import-directory.ts) reads it back. */
export function customerRecord(index: number, key: string): string {
  return `customers[${index}] (${key})`;
}

function recordLabel(input: unknown, path: (string | number)[]): { record: string; field: string } {
  const [collection, index, ...rest] = path;
  if (typeof collection === 'string' && typeof index === 'number') {
    const item = (input as Record<string, unknown[]> | undefined)?.[collection]?.[index] as Record<string, unknown> | undefined;
    const id = item?.key ?? item?.partnerId;
    const record = `${collection}[${index}]${typeof id === 'string' || typeof id === 'number' ? ` (${id})` : ''}`;
    const field = rest.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
    return { record, field: field || '(record)' };
  }
  return { record: '(file)', field: path.join('.') || '(root)' };
}

/** The warning for a customer with fewer eligible callers than the terms expect (YAML and callers CSV). */
export function tooFewCallers(count: number, minimum: number): string {
  return `only ${count} eligible caller${count === 1 ? '' : 's'}; the terms expect at least ${minimum}`;
}

/** How a duplicate-caller warning names one listing of a caller (see duplicateCallerWarnings). */
export interface CallerListing {
  /** The warning's record and field, when this listing is the repeat. */
  record: string;
  field: string;
  /** The caller as the warning names it (`it@x.example`, or `it@x.example of customer BETA`). */
  caller: string;
  /** This listing as a repeat's warning names it, when it came first. */
  name: string;
}

/** A YAML file's listings: `customers[i] (KEY)`, field `eligibleCallers[j].email`. */
const yamlListing = (customer: number, key: string, caller: number, address: string): CallerListing => ({
  record: customerRecord(customer, key),
  field: `eligibleCallers[${caller}].email`,
  caller: address,
  name: customerRecord(customer, key),
});

/**
 * Addresses listed as eligible caller of more than one customer (issue 13 point 14): mail from such an address is
 * ambiguous (deskbot has to ask which licence it is about), so each repeat is a warning naming both listings. The
 * import still proceeds. `customers` in file order; `listing` names a listing (customer index and key, caller index in
 * its list, address): by default as the YAML does, `customers[i] (KEY)` like every issue; the callers CSV by line.
 */
export function duplicateCallerWarnings(
  customers: ReadonlyArray<{ key: string; eligibleCallers: ReadonlyArray<{ email: string }> }>,
  listing: (customer: number, key: string, caller: number, address: string) => CallerListing = yamlListing,
): DirectoryIssue[] {
  const firstSeen = new Map<string, CallerListing>();
  const warnings: DirectoryIssue[] = [];
  customers.forEach((customer, index) => {
    const ownAddresses = new Set<string>();
    customer.eligibleCallers.forEach((caller, callerIndex) => {
      const address = caller.email.trim().toLowerCase();
      if (ownAddresses.has(address)) return;
      ownAddresses.add(address);
      const here = listing(index, customer.key, callerIndex, address);
      const first = firstSeen.get(address);
      if (first === undefined) {
        firstSeen.set(address, here);
        return;
      }
      warnings.push({
        record: here.record,
        field: here.field,
        message: `${here.caller} is also an eligible caller of ${first.name}; mail from it is ambiguous and will be asked for its licence number`,
      });
    });
  });
  return warnings;
}

/** `value` as `schema` reads it, or undefined when it does not pass (the schema's own issue reports it). */
function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

const entries = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const fieldOf = (entry: unknown, name: string): unknown => (entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)[name] : undefined);

/**
 * The checks across records and against the policy: duplicate customer keys, licence numbers, callers and partner IDs,
 * unknown calendars, too many callers. They read the document as written, each value through its own field's schema,
 * so a record with a bad field still has its other fields checked and one run reports every problem of the file.
 */
function crossRecordIssues(input: unknown, limits: DirectoryLimits): DirectoryIssue[] {
  const issues: DirectoryIssue[] = [];
  const customerKeys = new Map<string, number>();
  const licenceOwners = new Map<string, string>();
  entries(fieldOf(input, 'customers')).forEach((customer, index) => {
    const { record } = recordLabel(input, ['customers', index]);
    const key = valid(customerKeySchema, fieldOf(customer, 'key'));
    const seen = key === undefined ? undefined : customerKeys.get(key.toUpperCase());
    if (seen !== undefined) issues.push({ record, field: 'key', message: `duplicate of customers[${seen}]` });
    else if (key !== undefined) customerKeys.set(key.toUpperCase(), index);
    const calendar = valid(calendarNameSchema, fieldOf(customer, 'calendar'));
    if (calendar !== undefined && !limits.calendars.includes(calendar)) {
      issues.push({ record, field: 'calendar', message: `unknown calendar "${calendar}"; the policy defines ${limits.calendars.join(', ')}` });
    }
    const callers = entries(fieldOf(customer, 'eligibleCallers'));
    if (callers.length > limits.maxEligibleCallers) {
      issues.push({ record, field: 'eligibleCallers', message: `${callers.length} eligible callers; at most ${limits.maxEligibleCallers} allowed` });
    }
    const emails = new Set<string>();
    callers.forEach((caller, callerIndex) => {
      const address = valid(callerEmailSchema, fieldOf(caller, 'email'));
      if (address === undefined) return;
      if (emails.has(address)) issues.push({ record, field: `eligibleCallers[${callerIndex}].email`, message: `duplicate caller ${address}` });
      emails.add(address);
    });
    entries(fieldOf(customer, 'licences')).forEach((licence, licenceIndex) => {
      const number = valid(licenceNumberSchema, fieldOf(licence, 'number'));
      if (number === undefined) return;
      const owner = licenceOwners.get(number);
      if (owner !== undefined) issues.push({ record, field: `licences[${licenceIndex}].number`, message: `licence ${number} is also listed under ${owner}` });
      else licenceOwners.set(number, record);
    });
  });
  const partnerIds = new Map<string, number>();
  entries(fieldOf(input, 'partners')).forEach((partner, index) => {
    const partnerId = valid(partnerIdSchema, fieldOf(partner, 'partnerId'));
    if (partnerId === undefined) return;
    const seen = partnerIds.get(partnerId.toUpperCase());
    if (seen !== undefined)
      issues.push({ record: recordLabel(input, ['partners', index]).record, field: 'partnerId', message: `duplicate of partners[${seen}]` });
    else partnerIds.set(partnerId.toUpperCase(), index);
  });
  return issues;
}

/** Where an issue's record stands in the file: the file itself first, then customers and partners by index. */
function recordOrder(issue: DirectoryIssue): [number, number] {
  const match = /^(customers|partners)\[(\d+)\]/.exec(issue.record);
  return match ? [match[1] === 'customers' ? 1 : 2, Number(match[2])] : [0, 0];
}

/**
 * Validates a parsed directory document. Every issue names the record and the field, and one run finds them all: the
 * schema's issues and the checks across records together, grouped by record in file order.
 */
export function validateDirectory(input: unknown, limits: DirectoryLimits): { ok: true; value: DirectoryImport } | { ok: false; issues: DirectoryIssue[] } {
  const parsed = directoryFileSchema.safeParse(input ?? {});
  const issues: DirectoryIssue[] = [
    ...(parsed.success ? [] : parsed.error.issues.map((issue) => ({ ...recordLabel(input, issue.path as (string | number)[]), message: issue.message }))),
    ...crossRecordIssues(input, limits),
  ];
  if (!parsed.success || issues.length) {
    const ordered = issues.map((issue, position) => ({ issue, position, order: recordOrder(issue) }));
    ordered.sort((a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.position - b.position);
    return { ok: false, issues: ordered.map(({ issue }) => issue) };
  }
  const warnings: DirectoryIssue[] = [];
  parsed.data.customers.forEach((customer, index) => {
    const count = customer.eligibleCallers?.length;
    if (count !== undefined && count < limits.minEligibleCallers) {
      warnings.push({
        record: customerRecord(index, customer.key),
        field: 'eligibleCallers',
        message: tooFewCallers(count, limits.minEligibleCallers),
      });
    }
  });
  // Each customer with the defaults filled in and the fields its entry left out named (ImportedCustomer.keep).
  const customers: ImportedCustomer[] = parsed.data.customers.map((customer) => ({
    key: customer.key,
    name: customer.name,
    supportLevel: customer.supportLevel ?? 'normal',
    calendar: customer.calendar,
    currency: customer.currency,
    isPartner: customer.partner ?? false,
    suspended: customer.suspended ?? null,
    locale: customer.locale ?? 'en',
    licences: customer.licences.map((licence) => ({
      ...licence,
      maintenanceUntil: licence.maintenanceUntil ?? null,
      trialEndsOn: licence.trialEndsOn ?? null,
      keep: leftOut({ maintenanceUntil: licence.maintenanceUntil, trialEndsOn: licence.trialEndsOn }),
    })),
    eligibleCallers: (customer.eligibleCallers ?? []).map(({ email: address, name }) => ({ email: address, name })),
    keep: leftOut({
      supportLevel: customer.supportLevel,
      isPartner: customer.partner,
      suspended: customer.suspended,
      locale: customer.locale,
      eligibleCallers: customer.eligibleCallers,
    }),
  }));
  warnings.push(...duplicateCallerWarnings(customers));
  return {
    ok: true,
    value: {
      customers,
      partners: parsed.data.partners.map((partner) => ({
        ...partner,
        partnerId: partner.partnerId.toUpperCase(),
        currency: partner.currency ?? 'USD',
        locale: partner.locale ?? 'en',
        keep: leftOut({ currency: partner.currency, locale: partner.locale }),
      })),
      warnings,
    },
  };
}
