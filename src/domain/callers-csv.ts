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

/**
 * Callers CSV rows (header: customer,email,name[,phone]) grouped into the directory shape for validation; `warnings`
 * are addresses listed for two customers in the file (duplicateCallerWarnings, records named by customer key).
 * `lines[i]` is the file line row i starts on (blank lines and quoted line breaks move it); by default header + i.
 */
export function callersCsvToDirectory(
  rows: Record<string, string>[],
  lines: number[] = [],
): {
  callersByCustomer: Map<string, { email: string; name: string }[]>;
  issues: DirectoryIssue[];
  warnings: DirectoryIssue[];
} {
  const callersByCustomer = new Map<string, { email: string; name: string }[]>();
  const issues: DirectoryIssue[] = [];
  rows.forEach((row, index) => {
    const record = `line ${lines[index] ?? index + 2}`;
    const customer = row.customer?.trim();
    const address = callerEmailSchema.safeParse(row.email ?? '');
    const name = row.name?.trim();
    if (!customer) issues.push({ record, field: 'customer', message: 'customer key is required' });
    if (!address.success) issues.push({ record, field: 'email', message: address.error.issues[0]?.message ?? 'invalid' });
    if (!name) issues.push({ record, field: 'name', message: 'name is required' });
    if (customer && address.success && name) {
      const list = callersByCustomer.get(customer) ?? [];
      if (list.some((caller) => caller.email === address.data))
        issues.push({ record, field: 'email', message: `duplicate caller ${address.data} of customer ${customer}` });
      else list.push({ email: address.data, name });
      callersByCustomer.set(customer, list);
    }
  });
  const warnings = duplicateCallerWarnings([...callersByCustomer].map(([key, eligibleCallers]) => ({ key, eligibleCallers }))).map((warning) => ({
    ...warning,
    record: warning.record.replace(/^customers\[\d+\] \((.*)\)$/, 'customer $1'),
    field: 'email',
    message: warning.message.replace(/customers\[\d+\] \((.*?)\)/, 'customer $1'),
  }));
  return { callersByCustomer, issues, warnings };
}
