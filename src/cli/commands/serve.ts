// `deskbot serve` (the default command): runs the bot until SIGTERM or SIGINT, then stops every part in order,
// giving up after SHUTDOWN_TIMEOUT_MS. The wiring itself is main.ts. On the embedded database it also opens the control
// socket (cli/control/) so other deskbot commands run inside this process, and on a terminal it prints a banner.
import type { Command } from 'commander';
import { DeskbotError } from '../../errors.ts';
import { resolveLogFormat } from '../../logger.ts';
import { runWithHostedRuntime } from '../../runtime.ts';
import { describeStartup } from '../../startup-summary.ts';
import { formatBanner } from '../banner.ts';
import { startControlServer, type ControlServer } from '../control/control-server.ts';
import { exitCodes, type CommandContext } from '../io.ts';
import { describeStartupFailure } from '../startup-failure.ts';

export function registerServeCommand(program: Command, context: CommandContext): Command {
  const { getConfig, exit, io } = context;
  return program
    .command('serve', { isDefault: true })
    .description('run the bot: HTTP server (/healthz), mail intake, Slack, outbox dispatcher and SLA sweeper')
    .action(async () => {
      if (context.hosted) throw new DeskbotError('DB_LOCKED', `deskbot serve is already running on ${getConfig().dataDir}`);
      const { serve } = await import('../../main.ts');
      const config = getConfig();
      const running = await serve(config).catch((error: unknown) => {
        // Port in use, DATA_DIR a file, HOST unresolvable, DIRECTORY_FILE unreadable: one line naming the setting, exit 78 or 1, no stack.
        const failure = describeStartupFailure(error, config);
        if (!failure) throw error;
        io.stderr(`deskbot: ${failure.line}\n`);
        exit(failure.exitCode);
      });
      if (!running) return;
      const { runtime } = running;
      let control: ControlServer | undefined;
      if (runtime.database.kind === 'pglite' && context.runCommand) {
        const runCommand = context.runCommand;
        try {
          control = await startControlServer({
            dataDir: config.dataDir,
            logger: runtime.logger,
            runCommand: (argv, commandIo) => runWithHostedRuntime(runtime, () => runCommand(argv, commandIo)),
          });
        } catch (error) {
          runtime.logger.error({ event: 'control-socket-failed', err: error }, 'control socket not available; other deskbot commands cannot run while serving');
        }
      }
      if (resolveLogFormat(config.LOG_FORMAT, process.stdout.isTTY === true) === 'pretty') {
        io.stdout(formatBanner(describeStartup(config, { port: running.port, databaseKind: runtime.database.kind }), control?.path));
      }
      await new Promise<void>((resolve) => {
        let stopping = false;
        const onSignal = (signal: NodeJS.Signals) => {
          if (stopping) return;
          stopping = true;
          runtime.logger.info({ event: 'signal', signal }, `received ${signal}`);
          const timer = setTimeout(() => {
            runtime.logger.error({ event: 'shutdown-timeout' }, 'shutdown took too long; exiting');
            exit(exitCodes.failure);
          }, config.SHUTDOWN_TIMEOUT_MS);
          timer.unref();
          (control?.close() ?? Promise.resolve())
            .then(() => running.stop())
            .finally(() => {
              clearTimeout(timer);
              resolve();
            });
        };
        process.once('SIGTERM', onSignal);
        process.once('SIGINT', onSignal);
      });
    });
}
