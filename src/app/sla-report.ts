// Use case: `deskbot sla-report` — per customer and severity, the tickets opened in a period, their first-response
// and resolution times in support hours of the ticket's calendar, and breaches; plus SLA attainment per week.
// Leaves out drawing (channels/slack/sla-chart-image.ts) and posting (the Slack outbox handler uploads the file).
// Times are measured from the SLA clock start and do not subtract time spent waiting on the customer: the history
// keeps no pause intervals, so resolution times of tickets that waited are upper bounds.
import { calendarFor, effectiveCalendarName, isSlaTarget, slaTargetLabels, slaTargets, type SlaTarget, type SupportLevel } from '../domain/sla/index.ts';
import type { Policy } from '../domain/policy.ts';
import { DeskbotError } from '../errors.ts';
import type { UseCaseDeps } from './deps.ts';
import type { DueTimer, ReportTicket } from './read-models.ts';

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;

/** Average and median of a list of support-hour figures; null when empty. */
export interface HoursSummary {
  count: number;
  averageHours: number | null;
  medianHours: number | null;
}

export interface SlaReportRow {
  customerKey: string;
  customer: string;
  severity: number;
  severityName: string;
  tickets: number;
  /** From the SLA clock start (or opening) to the first engineer response, tickets that had one. */
  firstResponse: HoursSummary;
  /** From the SLA clock start (or opening) to close, closed tickets. */
  resolution: HoursSummary;
  /** Timers of these tickets that breached (each target and cycle counts once). */
  breaches: number;
}

export interface AttainmentCount {
  /** Timers that fell due in the week (not paused). */
  due: number;
  /** Of those, met by their due instant and never breached. */
  met: number;
}

export interface WeeklyAttainment {
  /** Monday 00:00 UTC of the ISO week. */
  weekStart: Date;
  /** ISO week label, e.g. 2026-W48. */
  label: string;
  targets: Record<SlaTarget, AttainmentCount>;
  total: AttainmentCount;
}

export interface SlaReport {
  from: Date;
  to: Date;
  generatedAt: Date;
  rows: SlaReportRow[];
  /** postMortems: breached requests of the period whose post-mortem is still open, or recorded (Cryptzone §7). */
  totals: { tickets: number; breaches: number; postMortems: { open: number; done: number } };
  weeks: WeeklyAttainment[];
}

export function summarizeHours(values: number[]): HoursSummary {
  if (values.length === 0) return { count: 0, averageHours: null, medianHours: null };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { count: values.length, averageHours: values.reduce((sum, value) => sum + value, 0) / values.length, medianHours: median };
}

/** Monday 00:00 UTC of the ISO week containing `at`. */
export function isoWeekStart(at: Date): Date {
  const day = Math.floor(at.getTime() / MS_PER_DAY);
  // 1970-01-01 was a Thursday: Monday-based weekday index 3.
  const weekday = (((day + 3) % 7) + 7) % 7;
  return new Date((day - weekday) * MS_PER_DAY);
}

/** "2026-W48": ISO 8601 week-numbering year and week. */
export function isoWeekLabel(weekStart: Date): string {
  const thursday = new Date(weekStart.getTime() + 3 * MS_PER_DAY);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * MS_PER_DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

function emptyCount(): AttainmentCount {
  return { due: 0, met: 0 };
}

/** Attainment per ISO week of [from, to), every week present even when nothing fell due. */
export function weeklyAttainment(timers: DueTimer[], period: { from: Date; to: Date }): WeeklyAttainment[] {
  const weeks = new Map<number, WeeklyAttainment>();
  for (let start = isoWeekStart(period.from).getTime(); start < period.to.getTime(); start += 7 * MS_PER_DAY) {
    const weekStart = new Date(start);
    weeks.set(start, {
      weekStart,
      label: isoWeekLabel(weekStart),
      targets: { 'initial-response': emptyCount(), 'progress-update': emptyCount(), resolution: emptyCount() },
      total: emptyCount(),
    });
  }
  for (const timer of timers) {
    const week = weeks.get(isoWeekStart(timer.dueAt).getTime());
    if (!week || !isSlaTarget(timer.target)) continue;
    const met = timer.breachedAt === null && timer.metAt !== null && timer.metAt.getTime() <= timer.dueAt.getTime();
    for (const count of [week.targets[timer.target as SlaTarget], week.total]) {
      count.due += 1;
      if (met) count.met += 1;
    }
  }
  return [...weeks.values()];
}

function supportHours(policy: Policy, ticket: ReportTicket, from: Date, to: Date): number {
  const name = effectiveCalendarName(policy, { calendar: ticket.calendar, supportLevel: ticket.supportLevel as SupportLevel, severity: ticket.severity });
  return calendarFor(policy, name).supportTimeBetween(from, to) / MS_PER_HOUR;
}

/** The rows of the report, by customer name then severity (highest first). */
export function reportRows(policy: Policy, tickets: ReportTicket[]): SlaReportRow[] {
  const groups = new Map<string, ReportTicket[]>();
  for (const ticket of tickets) {
    const key = `${ticket.customerKey}\u0000${ticket.severity}`;
    groups.set(key, [...(groups.get(key) ?? []), ticket]);
  }
  const rows = [...groups.values()].map((group): SlaReportRow => {
    const first = group[0]!;
    const start = (ticket: ReportTicket) => ticket.clockStartedAt ?? ticket.openedAt;
    return {
      customerKey: first.customerKey,
      customer: first.customerName,
      severity: first.severity,
      severityName: policy.sla.severities[String(first.severity) as keyof Policy['sla']['severities']]?.name ?? String(first.severity),
      tickets: group.length,
      firstResponse: summarizeHours(
        group.flatMap((ticket) => (ticket.firstResponseAt ? [supportHours(policy, ticket, start(ticket), ticket.firstResponseAt)] : [])),
      ),
      resolution: summarizeHours(group.flatMap((ticket) => (ticket.closedAt ? [supportHours(policy, ticket, start(ticket), ticket.closedAt)] : []))),
      breaches: group.reduce((sum, ticket) => sum + ticket.breaches, 0),
    };
  });
  return rows.sort((a, b) => a.customer.localeCompare(b.customer) || a.customerKey.localeCompare(b.customerKey) || b.severity - a.severity);
}

/** Builds the report of [from, to). Throws INVALID_STATE when `to` is not after `from`. */
export async function buildSlaReport(deps: UseCaseDeps<'repositories' | 'policy' | 'clock'>, period: { from: Date; to: Date }): Promise<SlaReport> {
  if (!(period.to.getTime() > period.from.getTime())) {
    throw new DeskbotError('INVALID_STATE', 'the period must end after it starts', { details: { from: period.from, to: period.to } });
  }
  const now = deps.clock.now();
  const { reports } = deps.repositories;
  const [tickets, timers] = await Promise.all([reports.tickets(period), reports.dueTimers(period, now)]);
  const rows = reportRows(deps.policy, tickets);
  return {
    from: period.from,
    to: period.to,
    generatedAt: now,
    rows,
    totals: {
      tickets: tickets.length,
      breaches: rows.reduce((sum, row) => sum + row.breaches, 0),
      postMortems: {
        open: tickets.filter((ticket) => ticket.postMortem === 'open').length,
        done: tickets.filter((ticket) => ticket.postMortem === 'done').length,
      },
    },
    weeks: weeklyAttainment(timers, period),
  };
}

function hours(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

function percent(count: AttainmentCount): string {
  return count.due === 0 ? '-' : `${Math.round((100 * count.met) / count.due)}% (${count.met}/${count.due})`;
}

function table(header: string[], body: string[][], rightAligned: Set<number>): string[] {
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((row) => row[column]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(line)];
}

/** The report as plain text for the terminal. */
export function formatSlaReport(report: SlaReport): string {
  const lines = [`SLA report ${report.from.toISOString()} to ${report.to.toISOString()} (support hours of each ticket's calendar)`, ''];
  if (report.rows.length === 0) {
    lines.push('No tickets were opened in this period.');
  } else {
    lines.push(
      ...table(
        ['Customer', 'Severity', 'Tickets', 'First resp. avg h', 'median h', 'Resolution avg h', 'median h', 'Breaches'],
        report.rows.map((row) => [
          row.customer,
          `${row.severity} ${row.severityName}`,
          String(row.tickets),
          hours(row.firstResponse.averageHours),
          hours(row.firstResponse.medianHours),
          hours(row.resolution.averageHours),
          hours(row.resolution.medianHours),
          String(row.breaches),
        ]),
        new Set([2, 3, 4, 5, 6, 7]),
      ),
    );
    lines.push('', `Total: ${report.totals.tickets} tickets, ${report.totals.breaches} breaches.`);
    const { open, done } = report.totals.postMortems;
    lines.push(`Post-mortems (Cryptzone §7): ${open} open, ${done} done.`);
  }
  lines.push('', 'SLA attainment per week (targets due that week, met on time):');
  lines.push(
    ...table(
      ['Week', ...slaTargets.map((target) => slaTargetLabels[target]), 'All'],
      report.weeks.map((week) => [
        `${week.label} (${week.weekStart.toISOString().slice(0, 10)})`,
        percent(week.targets['initial-response']),
        percent(week.targets['progress-update']),
        percent(week.targets.resolution),
        percent(week.total),
      ]),
      new Set([1, 2, 3, 4]),
    ),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `--post`: queues the report for the managers in Slack (outbox kind 'sla-report', payload { path, from, to, text }):
 * the Slack outbox handler posts the text and uploads the chart when `chartPath` names one. Returns false when the
 * same report was already queued.
 */
export async function postSlaReport(deps: UseCaseDeps<'transactor' | 'clock'>, report: SlaReport, chartPath: string | null): Promise<boolean> {
  const now = deps.clock.now();
  const from = report.from.toISOString();
  const to = report.to.toISOString();
  return deps.transactor.run((tx) =>
    tx.outbox.enqueue(
      {
        idempotencyKey: `sla-report:${from}:${to}:${chartPath}:${now.toISOString()}`,
        channel: 'slack',
        kind: 'sla-report',
        payload: { path: chartPath, from, to, text: formatSlaReport(report) },
      },
      now,
    ),
  );
}
