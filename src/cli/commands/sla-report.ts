// `deskbot sla-report`: attainment per customer and severity for a period, a weekly PNG chart, optionally queued
// for the managers' Slack channel. The chart renderer is imported lazily (it loads resvg).
import type { Command } from 'commander';
import { openRuntime } from '../../runtime.ts';
import { periodBound, requireOrderedPeriod, resolveCliPath } from '../arguments.ts';
import type { CommandContext } from '../io.ts';

export function registerSlaReportCommand(program: Command, { io, getConfig }: CommandContext): Command {
  return program
    .command('sla-report')
    .description('SLA report per customer and severity (tickets, first response and resolution in support hours, breaches) and a weekly attainment chart')
    .requiredOption('--from <date>', 'start: YYYY-MM-DD (UTC) or ISO date-time', periodBound('from'))
    .requiredOption('--to <date>', 'end: YYYY-MM-DD (inclusive day) or ISO date-time (exclusive)', periodBound('to'))
    .hook('preAction', requireOrderedPeriod)
    .option('--out <file.png>', 'write the weekly attainment chart as PNG')
    .option('--post', "queue the chart for the managers' Slack channel (needs --out or uses DATA_DIR/reports/)")
    .action(async (options: { from: Date; to: Date; out?: string; post?: boolean }) => {
      const { buildSlaReport, formatSlaReport, postSlaReport } = await import('../../app/sla-report.ts');
      const { writeSlaAttainmentPng } = await import('../../channels/slack/sla-chart-image.ts');
      const runtime = await openRuntime(getConfig());
      try {
        const report = await buildSlaReport(runtime, options);
        io.stdout(formatSlaReport(report));
        const period = `${options.from.toISOString().slice(0, 10)}-${options.to.toISOString().slice(0, 10)}`;
        const out = options.out ? resolveCliPath(io, options.out) : options.post ? `${runtime.config.dataDir}/reports/sla-${period}.png` : undefined;
        if (out) {
          const chart = writeSlaAttainmentPng(report, out);
          io.stdout(`chart: ${chart}\n`);
          if (options.post) {
            await postSlaReport(runtime, report, chart);
            io.stdout("queued for the managers' Slack channel\n");
          }
        }
      } finally {
        await runtime.close();
      }
    });
}
