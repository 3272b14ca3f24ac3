// `deskbot serve` (the default command): runs the bot until SIGTERM or SIGINT, then stops every part in order,
// giving up after SHUTDOWN_TIMEOUT_MS. The wiring itself is main.ts.
import type { Command } from 'commander';
import { exitCodes, type CommandContext } from '../io.ts';
import { describeStartupFailure } from '../startup-failure.ts';

export function registerServeCommand(program: Command, { io, getConfig, exit }: CommandContext): Command {
  return program
    .command('serve', { isDefault: true })
    .description('run the bot: HTTP server (/healthz), mail intake, Slack, outbox dispatcher and SLA sweeper')
    .action(async () => {
      const { serve } = await import('../../main.ts');
      const config = getConfig();
      const running = await serve(config).catch((error: unknown) => {
        // Port in use, DATA_DIR a file, HOST unresolvable: one line naming the setting, exit 78 or 1, no stack.
        const failure = describeStartupFailure(error, config);
        if (!failure) throw error;
        io.stderr(`deskbot: ${failure.line}\n`);
        exit(failure.exitCode);
      });
      if (!running) return;
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
}
