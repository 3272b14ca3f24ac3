// The callers CSV (customer,email,name[,phone]): its header and rows checked and grouped by customer for the import.
// Pure: takes the parsed rows and their file lines; reading the file and asking which customers exist is in src/app.
import { callerEmailSchema, duplicateCallerWarnings, type DirectoryIssue } from './directory-file.ts';

/** The columns a callers CSV header must name (any order, any case; `phone` may follow). */
export const callersCsvColumns = ['customer', 'email', 'name'] as const;

/**
 * The callers CSV header's problems: an empty file, or a required column missing (a typo like `mail`), which would
 * otherwise be reported as a bad value on every row.
 */
export function callersCsvHeaderIssues(header: string[] | undefined): DirectoryIssue[] {
  const expected = callersCsvColumns.join(',');
  if (!header) return [{ record: 'line 1', field: '(header)', message: `the file is empty; expected the header ${expected}` }];
  const names = header.map((name) => name.trim().toLowerCase());
  return callersCsvColumns
    .filter((column) => !names.includes(column))
    .map((column) => ({ record: 'line 1', field: column, message: `the header has no "${column}" column; expected ${expected}` }));
}

/** Callers CSV rows grouped by customer (callersCsvToDirectory), with the file lines each customer's rows start on. */
export interface CallersCsv {
  callersByCustomer: Map<string, { email: string; name: string }[]>;
  /** The line of every row naming the customer, good or bad, in file order. */
  rowLines: Map<string, number[]>;
  /** The line of each of callersByCustomer's callers, in the same order. */
  callerLines: Map<string, number[]>;
  issues: DirectoryIssue[];
  warnings: DirectoryIssue[];
}

/**
 * Callers CSV rows (header: customer,email,name[,phone]) grouped into the directory shape for validation; `warnings`
 * are addresses listed for two customers in the file (duplicateCallerWarnings, each listing named by its line).
 * `lines[i]` is the file line row i starts on (blank lines and quoted line breaks move it); by default header + i.
 */
export function callersCsvToDirectory(rows: Record<string, string>[], lines: number[] = []): CallersCsv {
  const callersByCustomer = new Map<string, { email: string; name: string }[]>();
  const rowLines = new Map<string, number[]>();
  const callerLines = new Map<string, number[]>();
  const issues: DirectoryIssue[] = [];
  rows.forEach((row, index) => {
    const line = lines[index] ?? index + 2;
    const record = `line ${line}`;
    const customer = row.customer?.trim();
    const address = callerEmailSchema.safeParse(row.email ?? '');
    const name = row.name?.trim();
    if (!customer) issues.push({ record, field: 'customer', message: 'customer key is required' });
    else rowLines.set(customer, [...(rowLines.get(customer) ?? []), line]);
    if (!address.success) issues.push({ record, field: 'email', message: address.error.issues[0]?.message ?? 'invalid' });
    if (!name) issues.push({ record, field: 'name', message: 'name is required' });
    if (customer && address.success && name) {
      const list = callersByCustomer.get(customer) ?? [];
      if (list.some((caller) => caller.email === address.data))
        issues.push({ record, field: 'email', message: `duplicate caller ${address.data} of customer ${customer}` });
      else {
        list.push({ email: address.data, name });
        callerLines.set(customer, [...(callerLines.get(customer) ?? []), line]);
      }
      callersByCustomer.set(customer, list);
    }
  });
  // Each listing by its file line; the repeat names its customer, as a line alone does not.
  const warnings = duplicateCallerWarnings(
    [...callersByCustomer].map(([key, eligibleCallers]) => ({ key, eligibleCallers })),
    (_customer, key, caller, address) => {
      const line = callerLines.get(key)?.[caller];
      return { record: `line ${line}`, field: 'email', caller: `${address} of customer ${key}`, name: `customer ${key} (line ${line})` };
    },
  );
  return { callersByCustomer, rowLines, callerLines, issues, warnings };
}

/**
 * Rows with more fields than the header names (a stray comma, an unquoted name with a comma): each is an issue at its
 * line, so one run names them all. A row with fewer fields reads the missing ones as empty (callersCsvToDirectory).
 */
export function callersCsvRowLengthIssues(header: readonly string[], rows: ReadonlyArray<{ fields: readonly string[]; line: number }>): DirectoryIssue[] {
  return rows
    .filter(({ fields }) => fields.length > header.length)
    .map(({ fields, line }) => ({
      record: `line ${line}`,
      field: '(row)',
      message: `${fields.length} fields; the header names ${header.length} (${header.join(',')})`,
    }));
}

/**
 * What the stored directory decides about a callers CSV: a customer key no stored customer has (named at the first
 * line giving it, with the others; a key stored in another case is suggested), and more callers for one customer than
 * the terms allow (named at the line of the first caller too many). `storedKeys`: the stored keys equal to the file's
 * keys ignoring case.
 */
export function callersCsvCustomerIssues(
  csv: Pick<CallersCsv, 'rowLines' | 'callerLines'>,
  storedKeys: readonly string[],
  maxEligibleCallers: number,
): DirectoryIssue[] {
  const issues: DirectoryIssue[] = [];
  for (const [key, lines] of csv.rowLines) {
    if (storedKeys.includes(key)) continue;
    const otherCase = storedKeys.find((stored) => stored.toLowerCase() === key.toLowerCase());
    const more = lines.slice(1);
    issues.push({
      record: `line ${lines[0]}`,
      field: 'customer',
      message:
        `no such customer ${key} in the directory` +
        (otherCase ? `; did you mean ${otherCase}?` : '') +
        (more.length ? ` (also on line${more.length === 1 ? '' : 's'} ${more.join(', ')})` : ''),
    });
  }
  for (const [key, lines] of csv.callerLines) {
    if (lines.length <= maxEligibleCallers) continue;
    issues.push({
      record: `line ${lines[maxEligibleCallers]}`,
      field: 'email',
      message: `${lines.length} eligible callers for customer ${key}; at most ${maxEligibleCallers} allowed`,
    });
  }
  return issues;
}

/** CSV issues in file order: by the line their record names (`line N`), stable within a line. */
export function inLineOrder(issues: readonly DirectoryIssue[]): DirectoryIssue[] {
  const lineOf = (issue: DirectoryIssue) => Number(/^line (\d+)/.exec(issue.record)?.[1] ?? 0);
  return issues
    .map((issue, position) => ({ issue, position }))
    .sort((a, b) => lineOf(a.issue) - lineOf(b.issue) || a.position - b.position)
    .map(({ issue }) => issue);
}
