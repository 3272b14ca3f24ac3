// `deskbot serve` (the default command): runs the bot until SIGTERM or SIGINT, then stops every part in order,
// giving up after SHUTDOWN_TIMEOUT_MS; it stops with exit code 1 if the database is lost for good (the embedded
// database's thread stopped). The wiring itself is main.ts. On the embedded database it also opens the control
// socket (cli/control/) so other deskbot commands run inside this process, and on a terminal it prints a banner.
import type { Command } from 'commander';
import { DeskbotError } from '../../errors.ts';
import { resolveLogFormat } from '../../logger.ts';
import type { Config } from '../../config.ts';
import { runWithHostedRuntime, type Runtime } from '../../runtime.ts';
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
      const code = await runUntilStopped({ runtime, config, stop: () => (control?.close() ?? Promise.resolve()).then(() => running.stop()), exit });
      if (code !== exitCodes.ok) exit(code);
    });
}

export interface RunUntilStoppedOptions {
  runtime: Pick<Runtime, 'database' | 'logger'>;
  config: Pick<Config, 'SHUTDOWN_TIMEOUT_MS'>;
  /** Stops every part in order (the control socket, then what serve started). */
  stop(): Promise<void>;
  exit(code: number): void;
}

/**
 * Waits for SIGTERM or SIGINT, or for the database to be lost for good (the embedded database's thread stopped: every
 * later call would fail), then stops. Resolves with the exit code: 0 after a signal, 1 after a lost database, so that
 * a supervisor (systemd, Docker, Kubernetes) starts deskbot again. A stop slower than SHUTDOWN_TIMEOUT_MS exits 1.
 */
export function runUntilStopped({ runtime, config, stop, exit }: RunUntilStoppedOptions): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const shutDown = (code: number) => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      const timer = setTimeout(() => {
        runtime.logger.error({ event: 'shutdown-timeout' }, 'shutdown took too long; exiting');
        exit(exitCodes.failure);
      }, config.SHUTDOWN_TIMEOUT_MS);
      timer.unref();
      stop()
        .catch((error: unknown) => runtime.logger.error({ event: 'shutdown-failed', err: error }, 'stopping failed'))
        .finally(() => {
          clearTimeout(timer);
          resolve(code);
        });
    };
    // Removed by shutDown: a signal after it started is Node's default again (a second Ctrl-C ends the process).
    const onSignal = (signal: NodeJS.Signals) => {
      runtime.logger.info({ event: 'signal', signal }, `received ${signal}`);
      shutDown(exitCodes.ok);
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    runtime.database.onLost((error) => {
      runtime.logger.error(
        { event: 'database-lost', err: error },
        'the database stopped and cannot come back in this process; stopping so that a supervisor starts deskbot again',
      );
      shutDown(exitCodes.failure);
    });
  });
}
