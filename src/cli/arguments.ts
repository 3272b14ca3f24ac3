// Argument parsers shared by several commands: severity, an instant, a period bound. Each throws commander's
// InvalidArgumentError, which commander turns into a usage message (exit 2).
import path from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isIsoDate } from '../domain/iso-date.ts';
import type { CliIo } from './io.ts';

/** A path from the command line, absolute against the caller's directory (a forwarded command runs elsewhere). */
export function resolveCliPath(io: Pick<CliIo, 'cwd'>, value: string): string {
  return path.resolve(io.cwd ?? process.cwd(), value);
}

export function parseSeverity(value: string): number {
  const severity = Number(value);
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new InvalidArgumentError('must be a whole number from 1 to 5');
  return severity;
}

export function parseInstant(value: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) throw new InvalidArgumentError('must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00-05:00');
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw new InvalidArgumentError('is not a valid date-time');
  return instant;
}

/**
 * A period bound: an ISO date-time as given, or a date (YYYY-MM-DD, UTC). A date as `--to` means the end of that day,
 * so `--from 2026-11-01 --to 2026-11-30` is all of November.
 */
export function periodBound(edge: 'from' | 'to') {
  return (value: string): Date => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      if (!isIsoDate(value)) throw new InvalidArgumentError('expected a calendar date as YYYY-MM-DD');
      const day = new Date(`${value}T00:00:00.000Z`);
      return edge === 'to' ? new Date(day.getTime() + 86_400_000) : day;
    }
    return parseInstant(value);
  };
}

/**
 * Refuses a `--from`/`--to` period that ends before it starts, as a usage error (exit 2) like any other bad argument:
 * a `preAction` hook of the commands that take both.
 */
export function requireOrderedPeriod(_command: Command, action: Command): void {
  const { from, to } = action.opts<{ from?: Date; to?: Date }>();
  if (from && to && to.getTime() <= from.getTime()) action.error('error: --to must be after --from', { exitCode: 2, code: 'deskbot.periodReversed' });
}

/** The output formats of the list commands (`tickets list`, `inbound list`, `outbox`, `quarantine list`). */
export const listFormats = ['table', 'json'] as const;
export type ListFormat = (typeof listFormats)[number];

/**
 * `--format table|json` as every list command takes it, and `--json`, the older spelling `outbox` and `quarantine list`
 * took, kept as `--format json` for scripts; both at once is a usage error. `defaultFormat: false` leaves `--format`
 * without a default (a subcommand whose options its parent may take: a default would hide the parent's value).
 */
export function listFormatOptions({ defaultFormat = true, description = 'output format' } = {}): [Option, Option] {
  const format = new Option('--format <format>', description).choices(listFormats);
  return [defaultFormat ? format.default('table') : format, new Option('--json', 'same as --format json').conflicts('format')];
}

/** The format `listFormatOptions` asked for. */
export function listFormatOf(options: { format?: ListFormat; json?: boolean }): ListFormat {
  return options.json ? 'json' : (options.format ?? 'table');
}
