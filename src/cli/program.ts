// The `deskbot` command line: builds the commander program from cli/commands/ and runs it. Bad arguments print a
// usage message and exit 2; configuration errors exit 78 (EX_CONFIG). The bundle's entry point (scripts/build.mjs).
import { Command, CommanderError } from 'commander';
import { loadConfig, type Config } from '../config.ts';
import { isDeskbotError } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { registerChargesCommand } from './commands/charges.ts';
import { registerImportCommand } from './commands/import.ts';
import { registerInboundCommand } from './commands/inbound.ts';
import { registerIngestCommand } from './commands/ingest.ts';
import { registerMigrateCommand } from './commands/migrate.ts';
import { registerOutboxCommand } from './commands/outbox.ts';
import { registerQuarantineCommand } from './commands/quarantine.ts';
import { registerServeCommand } from './commands/serve.ts';
import { registerSlaReportCommand } from './commands/sla-report.ts';
import { registerSlaCommand } from './commands/sla.ts';
import { registerTicketsCommand } from './commands/tickets.ts';
import { registerVacuumCommand } from './commands/vacuum.ts';
import { dataDirLockHolder } from '../store/data-dir-lock.ts';
import { handOverWhenReady } from './control/control-client.ts';
import { packageVersion } from '../package-root.ts';
import { exitCodes, processIo, type CliIo, type CommandContext } from './io.ts';

export interface RunCliOptions {
  /** The configuration to use instead of parsing `io.env` (a hosted command uses the serving process's). */
  config?: Config;
  /** The command runs inside `deskbot serve` for another process: no forwarding, no process exit. */
  hosted?: boolean;
  /** Epoch ms until which a command refused the embedded database waits for its holder (set when it runs again). */
  lockDeadline?: number;
}

/** Builds the program; `exit` receives the exit code of a finished command. */
export function createProgram(io: CliIo = processIo, exit: (code: number) => void = () => undefined, options: RunCliOptions = {}): Command {
  let config: Config | undefined = options.config;
  const getConfig = () => (config ??= loadConfig(io.env));
  const context: CommandContext = {
    io,
    getConfig,
    exit,
    ...(options.hosted ? { hosted: true } : {}),
    runCommand: (argv, commandIo) => runCli(argv, commandIo, { config: getConfig(), hosted: true }),
  };

  const program = new Command('deskbot')
    .version(packageVersion(), '-V, --version', 'print the version')
    .description('Support-desk bot: e-mail intake with eligible-caller checks, SLA tracking, Slack triage, per-incident charge notices.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  registerServeCommand(program, context);
  registerMigrateCommand(program, context);
  registerVacuumCommand(program, context);
  registerImportCommand(program, context);
  registerSlaCommand(program, context);
  registerSlaReportCommand(program, context);
  registerChargesCommand(program, context);
  registerOutboxCommand(program, context);
  registerIngestCommand(program, { ...context, loadHandlers: async (runtime) => (await import('../main.ts')).inboundHandlers(runtime) });
  registerQuarantineCommand(program, context);
  registerInboundCommand(program, context);
  registerTicketsCommand(program, context);
  // serve is the default command, so commander hands it any first word that names no command ("too many arguments for
  // 'serve'"): that word is an unknown command instead, answered with the list of commands. `deskbot` alone still serves.
  program.hook('preSubcommand', (thisCommand, subcommand) => {
    const [first] = thisCommand.args;
    if (subcommand.name() !== 'serve' || first === undefined || first === 'serve' || first.startsWith('-')) return;
    io.stderr(`error: unknown command '${first}'\n\n`);
    thisCommand.outputHelp({ error: true });
    throw new CommanderError(exitCodes.usage, 'commander.unknownCommand', `unknown command '${first}'`);
  });
  return program;
}

/** Runs the CLI and resolves with the process exit code. */
export async function runCli(argv: string[], io: CliIo = processIo, options: RunCliOptions = {}): Promise<number> {
  let forcedExit: number | undefined;
  const program = createProgram(
    io,
    (code) => {
      forcedExit = code;
      if (!options.hosted) process.exit(code);
    },
    options,
  );
  let commandName: string | undefined;
  program.hook('preAction', (_program, actionCommand) => {
    commandName = actionCommand.name();
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return forcedExit ?? exitCodes.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return exitCodes.ok;
      return exitCodes.usage;
    }
    // The embedded database belongs to a running (or starting) `deskbot serve`: hand the whole command to it
    // (cli/control/). Held by a command that ran alone: wait for it, then run here. A second serve is never handed
    // over: it waits only for a command to finish, and is refused once a serving deskbot answers.
    if (isDeskbotError(error, 'DB_LOCKED') && !options.hosted) {
      const config = options.config ?? loadConfig(io.env);
      const deadline = options.lockDeadline ?? Date.now() + config.CLI_LOCK_WAIT_MS;
      const holder = () => dataDirLockHolder(config.dataDir);
      const handedOver = await handOverWhenReady(config.dataDir, commandName === 'serve' ? undefined : argv, io, { deadline, holder });
      if ('code' in handedOver) return handedOver.code;
      if (handedOver.notForwarded === 'released') return runCli(argv, io, { ...options, lockDeadline: deadline });
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
