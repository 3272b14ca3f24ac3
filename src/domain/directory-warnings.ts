// Warnings of a directory import against what is already stored (another customer's callers, licences, keys): the
// file's own checks are directory-file.ts; these need the stored owners, which src/app reads and passes in. Pure.
import { customerRecord, type DirectoryIssue, type ImportedCustomer } from './directory-file.ts';

/** A stored customer an eligible caller's address belongs to. */
export interface CallerOwner {
  email: string;
  customerKey: string;
}

/**
 * Addresses an imported customer shares with a stored customer the file does not list (issue 13 point 14 again): a
 * file with some customers, or a callers CSV, cannot see those by itself. `owners` are read after the import; the
 * shares within the file are duplicateCallerWarnings'. Each caller names its own record and field.
 */
export function storedDuplicateCallerWarnings(
  /** A caller's own `record` (a CSV line) wins over its customer's. */
  customers: ReadonlyArray<{ key: string; record: string; callers: ReadonlyArray<{ email: string; field: string; record?: string }> }>,
  owners: ReadonlyArray<CallerOwner>,
): DirectoryIssue[] {
  const inFile = new Set(customers.map((customer) => customer.key));
  return customers.flatMap(({ record, callers }) =>
    callers.flatMap(({ email: address, field, record: callerRecord }) =>
      owners
        .filter((owner) => owner.email === address && !inFile.has(owner.customerKey))
        .map((owner) => ({
          record: callerRecord ?? record,
          field,
          message: `${address} is also an eligible caller of customer ${owner.customerKey} (already in the directory); mail from it is ambiguous and will be asked for its licence number`,
        })),
    ),
  );
}

/** The stored customer a licence number belongs to. */
export interface LicenceOwner {
  number: string;
  customerKey: string;
}

/**
 * Licences the import moves from one stored customer to another (licences are upserted by number): a copied or
 * mistyped block takes a licence, and with it paid support, away from its customer without a word otherwise.
 * `owners` are read before the import.
 */
export function movedLicenceWarnings(
  customers: ReadonlyArray<{ key: string; licences: ReadonlyArray<{ number: string }> }>,
  owners: ReadonlyArray<LicenceOwner>,
): DirectoryIssue[] {
  return customers.flatMap((customer, index) =>
    customer.licences.flatMap(({ number }, licenceIndex) =>
      owners
        .filter((owner) => owner.number === number && owner.customerKey !== customer.key)
        .map((owner) => ({
          record: customerRecord(index, customer.key),
          field: `licences[${licenceIndex}].number`,
          message: `licence ${number} belonged to customer ${owner.customerKey}; it now belongs to ${customer.key}`,
        })),
    ),
  );
}

/**
 * Customers whose key differs only in case from a stored one: the file's own duplicate check ignores case, but the
 * store does not, so the import creates a second customer beside the stored one. `storedKeys` are read before it.
 */
export function keyCaseWarnings(customers: ReadonlyArray<{ key: string }>, storedKeys: ReadonlyArray<string>): DirectoryIssue[] {
  return customers.flatMap(({ key }, index) =>
    storedKeys
      .filter((stored) => stored !== key && stored.toLowerCase() === key.toLowerCase())
      .map((stored) => ({
        record: customerRecord(index, key),
        field: 'key',
        message: `differs only in case from the stored customer ${stored}; deskbot keeps them as two separate customers`,
      })),
  );
}

/**
 * A customer new to the directory (not among `storedKeys`) whose entry lists no eligible callers: it is created with
 * none, so every mail from it is refused until callers are imported. A stored customer keeps its callers instead.
 */
export function unlistedCallerWarnings(customers: ReadonlyArray<ImportedCustomer>, storedKeys: ReadonlyArray<string>): DirectoryIssue[] {
  const stored = new Set(storedKeys);
  return customers.flatMap((customer, index) =>
    customer.keep?.includes('eligibleCallers') && !stored.has(customer.key)
      ? [
          {
            record: customerRecord(index, customer.key),
            field: 'eligibleCallers',
            message: 'a new customer with no eligibleCallers: its mail is refused as not eligible until callers are imported',
          },
        ]
      : [],
  );
}
