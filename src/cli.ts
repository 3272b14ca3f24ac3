// The `deskbot` command line: serve, migrate, import, sla, and the operator commands channels add.
// Bad arguments print a usage message and exit 2; configuration errors exit 78 (EX_CONFIG).
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { loadConfig, type Config } from './config.ts';
import { DeskbotError, isDeskbotError } from './errors.ts';
import { createLogger } from './logger.ts';
import { loadPolicy } from './policy-file.ts';
import { computeDueTimes } from './domain/sla/index.ts';
import { openRuntime } from './runtime.ts';
import { importDirectoryFile } from './app/import-directory.ts';
import { migrate } from './store/migrate.ts';
import { registerOutboxCommand } from './channels/email/outbox-command.ts';
import { registerIngestCommand } from './channels/email/mail-pipe.ts';
import { registerQuarantineCommand } from './channels/email/quarantine-command.ts';

export const exitCodes = { ok: 0, failure: 1, usage: 2, tempFail: 75, config: 78 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdin: process.stdin,
};

function parseSeverity(value: string): number {
  const severity = Number(value);
  if (!Number.isInteger(severity) || severity < 1 || severity > 5) throw new InvalidArgumentError('must be a whole number from 1 to 5');
  return severity;
}

function parseInstant(value: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) throw new InvalidArgumentError('must be an ISO 8601 date-time, e.g. 2026-11-23T10:00:00-05:00');
  const instant = new Date(value);
  if (Number.isNaN(instant.getTime())) throw new InvalidArgumentError('is not a valid date-time');
  return instant;
}

/**
 * A period bound: an ISO date-time as given, or a date (YYYY-MM-DD, UTC). A date as `--to` means the end of that day,
 * so `--from 2026-11-01 --to 2026-11-30` is all of November.
 */
function periodBound(edge: 'from' | 'to') {
  return (value: string): Date => {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const day = new Date(`${value}T00:00:00.000Z`);
      if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== value) throw new InvalidArgumentError('is not a calendar date');
      return edge === 'to' ? new Date(day.getTime() + 86_400_000) : day;
    }
    return parseInstant(value);
  };
}

/** Builds the program; `exit` receives the exit code of a finished command. */
export function createProgram(io: CliIo = defaultIo, exit: (code: number) => void = () => undefined): Command {
  let config: Config | undefined;
  const getConfig = () => (config ??= loadConfig(io.env));

  const program = new Command('deskbot')
    .description('Support-desk bot: e-mail intake with eligible-caller checks, SLA tracking, Slack triage, per-incident charge notices.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  program
    .command('serve', { isDefault: true })
    .description('run the bot: HTTP server (/healthz), mail intake, Slack, outbox dispatcher and SLA sweeper')
    .action(async () => {
      const { serve } = await import('./main.ts');
      const running = await serve(getConfig());
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          running.runtime.logger.info({ event: 'signal', signal }, `received ${signal}`);
          const timer = setTimeout(() => {
            running.runtime.logger.error({ event: 'shutdown-timeout' }, 'shutdown took too long; exiting');
            exit(exitCodes.failure);
          }, getConfig().SHUTDOWN_TIMEOUT_MS);
          timer.unref();
          running.stop().finally(() => {
            clearTimeout(timer);
            resolve();
          });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });

  program
    .command('migrate')
    .description('apply pending database migrations (also done automatically at start-up)')
    .action(async () => {
      const runtime = await openRuntime(getConfig(), { migrate: false });
      try {
        const result = await migrate(runtime.database, { logger: runtime.logger });
        io.stdout(`${JSON.stringify({ database: runtime.database.kind, ...result })}\n`);
      } finally {
        await runtime.close();
      }
    });

  program
    .command('import')
    .description('import customers, licences, eligible callers and partners from YAML, or eligible callers from CSV (customer,email,name)')
    .argument('<file>', 'directory file (.yaml/.yml) or callers file (.csv)')
    .action(async (file: string) => {
      const runtime = await openRuntime(getConfig());
      try {
        const result = await importDirectoryFile(file, { directory: runtime.directory, policy: runtime.policy });
        for (const warning of result.warnings) io.stderr(`warning: ${file}: ${warning.record}: ${warning.field}: ${warning.message}\n`);
        io.stdout(`${JSON.stringify({ file: result.file, format: result.format, ...result.summary })}\n`);
      } finally {
        await runtime.close();
      }
    });

  program
    .command('sla')
    .description('print the SLA due times of a complete request received at an instant')
    .requiredOption('--calendar <name>', 'calendar: US, EMEA, 24x7 or one defined in the policy file')
    .requiredOption('--severity <1-5>', 'severity: 5 Critical, 4 Major, 3 Minor, 2 Other, 1 feature request', parseSeverity)
    .addOption(new Option('--level <level>', 'support level').choices(['normal', 'plus']).default('normal'))
    .option('--at <iso-time>', 'when the complete request was received (default: now)', parseInstant)
    .action((options: { calendar: string; severity: number; level: 'normal' | 'plus'; at?: Date }) => {
      const policy = loadPolicy(getConfig().POLICY_FILE);
      if (!policy.calendars[options.calendar]) {
        throw new DeskbotError('CLI_USAGE', `unknown calendar "${options.calendar}"; known: ${Object.keys(policy.calendars).join(', ')}`);
      }
      const due = computeDueTimes(policy, {
        calendar: options.calendar,
        supportLevel: options.level,
        severity: options.severity,
        clockStartedAt: options.at ?? new Date(),
      });
      io.stdout(
        `${JSON.stringify({
          initialResponseDue: due.initialResponseDue.toISOString(),
          progressUpdateDue: due.progressUpdateDue.toISOString(),
          resolutionDue: due.resolutionDue ? due.resolutionDue.toISOString() : null,
        })}\n`,
      );
    });

  program
    .command('sla-report')
    .description('SLA report per customer and severity (tickets, first response and resolution in support hours, breaches) and a weekly attainment chart')
    .requiredOption('--from <date>', 'start: YYYY-MM-DD (UTC) or ISO date-time', periodBound('from'))
    .requiredOption('--to <date>', 'end: YYYY-MM-DD (inclusive day) or ISO date-time (exclusive)', periodBound('to'))
    .option('--out <file.png>', 'write the weekly attainment chart as PNG')
    .option('--post', "queue the chart for the managers' Slack channel (needs --out or uses DATA_DIR/reports/)")
    .action(async (options: { from: Date; to: Date; out?: string; post?: boolean }) => {
      const { buildSlaReport, formatSlaReport, postSlaReport } = await import('./app/sla-report.ts');
      const { writeSlaAttainmentPng } = await import('./channels/slack/sla-chart-image.ts');
      const runtime = await openRuntime(getConfig());
      try {
        const report = await buildSlaReport(runtime, options);
        io.stdout(formatSlaReport(report));
        const out = options.out ?? (options.post ? `${runtime.config.dataDir}/reports/sla-${options.from.toISOString().slice(0, 10)}-${options.to.toISOString().slice(0, 10)}.png` : undefined);
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

  program
    .command('charges')
    .description('export closed incidents with their charge decision for invoicing')
    .requiredOption('--from <date>', 'start: YYYY-MM-DD (UTC) or ISO date-time', periodBound('from'))
    .requiredOption('--to <date>', 'end: YYYY-MM-DD (inclusive day) or ISO date-time (exclusive)', periodBound('to'))
    .addOption(new Option('--format <format>', 'output format').choices(['csv', 'json']).default('csv'))
    .action(async (options: { from: Date; to: Date; format: 'csv' | 'json' }) => {
      const { exportCharges } = await import('./app/charges-export.ts');
      const runtime = await openRuntime(getConfig());
      try {
        io.stdout((await exportCharges(runtime, options)).text);
      } finally {
        await runtime.close();
      }
    });

  registerOutboxCommand(program, { io, getConfig });
  registerIngestCommand(program, { io, getConfig, loadHandlers: async (runtime) => (await import('./main.ts')).inboundHandlers(runtime) });
  registerQuarantineCommand(program, { io, getConfig });

  return program;
}

/** Runs the CLI and resolves with the process exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let forcedExit: number | undefined;
  const program = createProgram(io, (code) => {
    forcedExit = code;
    process.exit(code);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return forcedExit ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return exitCodes.ok;
      return exitCodes.usage;
    }
    if (isDeskbotError(error)) {
      io.stderr(`deskbot: ${error.message}\n`);
      if (error.code === 'CLI_USAGE') {
        io.stderr('(run with --help for usage)\n');
        return exitCodes.usage;
      }
      if (error.code === 'CONFIG_INVALID' || error.code === 'POLICY_INVALID') return exitCodes.config;
      if (error.code === 'DB_UNAVAILABLE') return exitCodes.tempFail;
      return exitCodes.failure;
    }
    createLogger().error({ event: 'cli-failed', err: error }, 'command failed');
    io.stderr(`deskbot: ${(error as Error)?.message ?? String(error)}\n`);
    return exitCodes.failure;
  }
}
