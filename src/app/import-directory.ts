// Use case: load the directory (customers, licences, eligible callers, partners) from a YAML file, or
// eligible callers from a CSV file. Validates everything first; imports all in one transaction or nothing.
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { Document, LineCounter } from 'yaml';
import { callersCsvCustomerIssues, callersCsvHeaderIssues, callersCsvRowLengthIssues, callersCsvToDirectory, inLineOrder } from '../domain/callers-csv.ts';
import { customerRecord, tooFewCallers, validateDirectory, type DirectoryIssue } from '../domain/directory-file.ts';
import { keyCaseWarnings, movedLicenceWarnings, storedDuplicateCallerWarnings, unlistedCallerWarnings } from '../domain/directory-warnings.ts';
import { DeskbotError } from '../errors.ts';
import { parseYamlDocument } from '../yaml-syntax-errors.ts';
import type { UseCaseDeps } from './deps.ts';
import type { ImportSummary } from './read-models.ts';

export interface ImportResult {
  file: string;
  format: 'yaml' | 'csv';
  summary: ImportSummary;
  warnings: DirectoryIssue[];
}

/** A csv-parse record with `info` and `raw`: `info.lines` is the line the record ends on. */
interface CsvRecord {
  record: string[];
  info: { lines: number };
  raw: string;
}

/** The line a CSV record starts on: its end line less the line breaks inside it (blank lines before it excluded). */
const firstLineOf = ({ info, raw }: CsvRecord): number => info.lines - (raw.replace(/^[\r\n]+|[\r\n]+$/g, '').match(/\n/g)?.length ?? 0);

/** An issue with its place in the file where known; a YAML syntax error also quotes its line (yaml-syntax-errors.ts). */
type LocatedIssue = DirectoryIssue & { line?: number; column?: number; excerpt?: string };

function invalid(file: string, issues: LocatedIssue[]): DeskbotError {
  const lines = issues.map((issue) => {
    const place = issue.line ? ` (line ${issue.line}${issue.column ? `, column ${issue.column}` : ''})` : '';
    const excerpt = issue.excerpt
      ? issue.excerpt
          .split('\n')
          .map((line) => `\n      ${line}`)
          .join('')
      : '';
    return `  ${file}: ${issue.record}: ${issue.field}: ${issue.message}${place}${excerpt}`;
  });
  return new DeskbotError('DIRECTORY_INVALID', `Directory file ${file} is invalid; nothing was imported:\n${lines.join('\n')}`, {
    details: { file, issues },
  });
}

/**
 * The YAML line of an issue: its record (`customers[1] (KEY)`) and field (`licences[0].registeredOn`) read back as a
 * path, then the deepest node of that path the file has (a missing field points at its record).
 */
function issueLine(document: Document, lineCounter: LineCounter, issue: DirectoryIssue): number | undefined {
  const record = /^(customers|partners)\[(\d+)\]/.exec(issue.record);
  if (!record) return undefined;
  const field = issue.field.startsWith('(') ? [] : issue.field.split(/\.|\[(\d+)\]/).filter(Boolean);
  const path: (string | number)[] = [record[1]!, Number(record[2]), ...field.map((part) => (/^\d+$/.test(part) ? Number(part) : part))];
  for (let length = path.length; length > 0; length -= 1) {
    const node = document.getIn(path.slice(0, length), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}

/** Warnings for imported callers that are also callers of a stored customer the file does not name. */
async function sharedWithStoredCustomers(
  imported: Parameters<typeof storedDuplicateCallerWarnings>[0],
  deps: UseCaseDeps<'repositories'>,
): Promise<DirectoryIssue[]> {
  const emails = [...new Set(imported.flatMap((customer) => customer.callers.map((caller) => caller.email)))];
  if (!emails.length) return [];
  return storedDuplicateCallerWarnings(imported, await deps.repositories.directory.callerOwners(emails));
}

/**
 * The callers CSV: every problem of the file in one run (bad rows, rows with too many fields, customers the directory
 * does not have, too many callers), each at its line, before anything is written; then the callers, all or nothing.
 */
async function importCallersCsv(file: string, text: string, deps: UseCaseDeps<'repositories' | 'policy'>): Promise<ImportResult> {
  let records: CsvRecord[];
  try {
    records = parseCsv(text, { skip_empty_lines: true, trim: true, bom: true, info: true, raw: true, relax_column_count: true }) as unknown as CsvRecord[];
  } catch (error) {
    const line = (error as { lines?: unknown }).lines;
    throw invalid(file, [{ record: typeof line === 'number' ? `line ${line}` : '(file)', field: '(csv)', message: (error as Error).message }]);
  }
  const [header, ...body] = records;
  const headerIssues = callersCsvHeaderIssues(header?.record);
  if (headerIssues.length) throw invalid(file, headerIssues);
  const columns = (header?.record ?? []).map((name) => name.trim().toLowerCase());
  const rows = body.map(({ record }) => Object.fromEntries(columns.map((column, index) => [column, record[index] ?? ''])));
  const lines = body.map(firstLineOf);
  const csv = callersCsvToDirectory(rows, lines);
  const { callersByCustomer } = csv;
  const { maxEligibleCallers, minEligibleCallers } = deps.policy.eligibility;
  const keys = [...csv.rowLines.keys()];
  const storedKeys = keys.length ? await deps.repositories.directory.customerKeysLike(keys) : [];
  const issues = [
    ...csv.issues,
    ...callersCsvRowLengthIssues(
      columns,
      body.map(({ record }, index) => ({ fields: record, line: lines[index]! })),
    ),
    ...callersCsvCustomerIssues(csv, storedKeys, maxEligibleCallers),
  ];
  if (issues.length) throw invalid(file, inLineOrder(issues));
  try {
    const summary = await deps.repositories.directory.importCallers(callersByCustomer, maxEligibleCallers);
    // Warnings name the line of the caller they are about (a customer's first row for too few callers).
    const lineOf = (key: string, index: number) => `line ${csv.callerLines.get(key)?.[index] ?? csv.rowLines.get(key)?.[0] ?? '?'}`;
    const imported = [...callersByCustomer].map(([key, callers]) => ({
      key,
      record: `customer ${key}`,
      callers: callers.map(({ email }, index) => ({ email, field: 'email', record: lineOf(key, index) })),
    }));
    const warnings = inLineOrder([
      ...csv.warnings,
      ...(await sharedWithStoredCustomers(imported, deps)),
      ...[...callersByCustomer]
        .filter(([, callers]) => callers.length < minEligibleCallers)
        .map(([key, callers]) => ({
          record: lineOf(key, 0),
          field: 'customer',
          message: `customer ${key} has ${tooFewCallers(callers.length, minEligibleCallers)}`,
        })),
    ]);
    return { file, format: 'csv', summary, warnings };
  } catch (error) {
    // The store checks again inside its transaction (a customer removed meanwhile); its `customer KEY` becomes a line.
    if (error instanceof DeskbotError && error.code === 'DIRECTORY_INVALID') {
      const stored = (error.details?.issues as DirectoryIssue[] | undefined) ?? [];
      const atLine = (issue: DirectoryIssue) => {
        const line = csv.rowLines.get(issue.record.replace(/^customer /, ''))?.[0];
        return line === undefined ? issue : { ...issue, record: `line ${line}` };
      };
      throw invalid(file, inLineOrder(stored.map(atLine)));
    }
    throw error;
  }
}

export async function importDirectoryFile(file: string, deps: UseCaseDeps<'repositories' | 'policy'>): Promise<ImportResult> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new DeskbotError('DIRECTORY_INVALID', `Cannot read directory file ${file}: ${(error as Error).message}`, { cause: error, details: { file } });
  }
  const extension = path.extname(file).toLowerCase();
  if (extension === '.csv') return importCallersCsv(file, text, deps);
  if (extension !== '.yaml' && extension !== '.yml') {
    throw invalid(file, [{ record: '(file)', field: '(format)', message: `unsupported file type "${extension || '(none)'}"; use .yaml, .yml or .csv` }]);
  }
  const yaml = parseYamlDocument(text);
  if (!yaml.ok)
    throw invalid(
      file,
      yaml.errors.map((error) => ({ record: '(file)', field: '(yaml)', ...error })),
    );
  const { document, lineCounter } = yaml;
  let parsed: unknown;
  try {
    parsed = document.toJS();
  } catch (error) {
    throw invalid(file, [{ record: '(file)', field: '(yaml)', message: (error as Error).message }]);
  }
  const validated = validateDirectory(parsed, {
    maxEligibleCallers: deps.policy.eligibility.maxEligibleCallers,
    minEligibleCallers: deps.policy.eligibility.minEligibleCallers,
    calendars: Object.keys(deps.policy.calendars),
  });
  if (!validated.ok) {
    // In file order: the file's own issues (no line) first, then by line; one line's issues as validateDirectory gave them.
    const located = validated.issues.map((issue) => ({ ...issue, line: issueLine(document, lineCounter, issue) }));
    throw invalid(
      file,
      located
        .map((issue, position) => ({ issue, position }))
        .sort((a, b) => (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.position - b.position)
        .map(({ issue }) => issue),
    );
  }
  const numbers = validated.value.customers.flatMap((customer) => customer.licences.map((licence) => licence.number));
  const moved = movedLicenceWarnings(validated.value.customers, numbers.length ? await deps.repositories.directory.licenceOwners(numbers) : []);
  const keys = validated.value.customers.map((customer) => customer.key);
  const storedKeys = keys.length ? await deps.repositories.directory.customerKeysLike(keys) : [];
  const keyCase = keyCaseWarnings(validated.value.customers, storedKeys);
  const unlisted = unlistedCallerWarnings(validated.value.customers, storedKeys);
  const summary = await deps.repositories.directory.importDirectory(validated.value);
  const imported = validated.value.customers.map((customer, index) => ({
    key: customer.key,
    record: customerRecord(index, customer.key),
    callers: customer.eligibleCallers.map(({ email }, callerIndex) => ({ email, field: `eligibleCallers[${callerIndex}].email` })),
  }));
  return {
    file,
    format: 'yaml',
    summary,
    warnings: [...validated.value.warnings, ...keyCase, ...unlisted, ...moved, ...(await sharedWithStoredCustomers(imported, deps))],
  };
}
