// Use case: `deskbot charges` — the closed incidents of a period with their charge decision, as CSV (RFC 4180) or
// JSON, for invoicing. Which incidents belong to a period is the charges repository (app/ports.ts ChargeRepository.listExport).
import { currencyMinorDigits } from '../domain/format.ts';
import type { Currency } from '../domain/policy.ts';
import { DeskbotError } from '../errors.ts';
import type { UseCaseDeps } from './deps.ts';
import type { ChargeExportRow } from './read-models.ts';

export const chargeExportFormats = ['csv', 'json'] as const;
export type ChargeExportFormat = (typeof chargeExportFormats)[number];

export interface ChargesExportOptions {
  from: Date;
  to: Date;
  format: ChargeExportFormat;
}

/** CSV columns, in order. */
export const chargeExportColumns = [
  'request_id',
  'customer_key',
  'customer_name',
  'partner_id',
  'licence',
  'opened_at',
  'closed_at',
  'outcome',
  'exclusion',
  'chargeable',
  'amount',
  'currency',
  'reason_code',
  'reason',
  'closed_by',
  'charged_at',
] as const;

/** Minor units as a decimal string in major units: 8000 USD -> "80.00" (no floating point). */
export function majorUnits(amountMinor: number, currency: string): string {
  const digits = currencyMinorDigits[currency as Currency] ?? 2;
  const sign = amountMinor < 0 ? '-' : '';
  const text = String(Math.abs(amountMinor)).padStart(digits + 1, '0');
  return digits === 0 ? `${sign}${text}` : `${sign}${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** One CSV field (RFC 4180): quoted when it holds a comma, a quote, CR or LF, or leading/trailing space; quotes doubled. */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}

function record(row: ChargeExportRow) {
  return {
    requestId: row.requestId,
    customerKey: row.customerKey,
    customerName: row.customerName,
    partnerId: row.partnerId,
    licence: row.licence,
    openedAt: iso(row.openedAt),
    closedAt: iso(row.closedAt),
    outcome: row.outcome,
    exclusion: row.exclusion,
    chargeable: row.chargeable,
    amount: majorUnits(row.amountMinor, row.currency),
    amountMinor: row.amountMinor,
    currency: row.currency,
    reasonCode: row.reasonCode,
    reason: row.reason,
    closedBy: row.closedBy,
    chargedAt: iso(row.chargedAt),
  };
}

/** Renders the export; CSV lines end in CRLF as RFC 4180 asks. */
export function formatChargeExport(rows: ChargeExportRow[], format: ChargeExportFormat): string {
  if (format === 'json') return `${JSON.stringify(rows.map(record), null, 2)}\n`;
  const lines = [chargeExportColumns.join(',')];
  for (const row of rows) {
    const r = record(row);
    lines.push(
      [
        r.requestId,
        r.customerKey,
        r.customerName,
        r.partnerId,
        r.licence,
        r.openedAt,
        r.closedAt,
        r.outcome,
        r.exclusion,
        r.chargeable,
        r.amount,
        r.currency,
        r.reasonCode,
        r.reason,
        r.closedBy,
        r.chargedAt,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** The export of [from, to). Throws INVALID_STATE when `to` is not after `from`. */
export async function exportCharges(deps: UseCaseDeps<'repositories'>, options: ChargesExportOptions): Promise<{ rows: ChargeExportRow[]; text: string }> {
  if (!(options.to.getTime() > options.from.getTime())) {
    throw new DeskbotError('INVALID_STATE', 'the period must end after it starts', { details: { from: options.from, to: options.to } });
  }
  const rows = await deps.repositories.charges.listExport({ from: options.from, to: options.to });
  return { rows, text: formatChargeExport(rows, options.format) };
}
