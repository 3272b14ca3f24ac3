// `deskbot ingest`: one RFC 822 message from stdin (an MTA pipe) or .eml files and folders. Exit 0 once stored,
// 75 (EX_TEMPFAIL) when the database is unavailable so the MTA retries. Reading and handing over is the mail pipe's.
import type { Command } from 'commander';
import { expandPaths, ingestExitCodes, ingestMessages, spoolToInbox, type IntakeHandlers } from '../../channels/email/mail-pipe.ts';
import type { Config } from '../../config.ts';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import { openRuntime, type Runtime } from '../../runtime.ts';
import { resolveCliPath } from '../arguments.ts';
import { controlServerAnswers } from '../control/control-client.ts';
import type { CliIo } from '../io.ts';

export interface IngestCommandDeps {
  io: Pick<CliIo, 'stdout' | 'stderr' | 'stdin' | 'cwd'>;
  getConfig: () => Config;
  /** Builds the inbound handlers on an open runtime (wired in cli/program.ts to src/app/handle-inbound-email.ts). */
  loadHandlers: (runtime: Runtime) => Promise<IntakeHandlers> | IntakeHandlers;
}

/** Adds `deskbot ingest [paths...]` to the program. */
export function registerIngestCommand(program: Command, deps: IngestCommandDeps): Command {
  return program
    .command('ingest')
    .description('ingest one RFC 822 message from stdin (for an MTA pipe) or .eml files / every *.eml in a folder; exit 75 when the database is unavailable')
    .argument('[paths...]', '.eml files or folders (default: read one message from stdin)')
    .action(async (given: string[]) => {
      const paths = given.map((file) => resolveCliPath(deps.io, file));
      const stdin = deps.io.stdin;
      if (!paths.length && (!stdin || (stdin as NodeJS.ReadStream).isTTY)) {
        throw new DeskbotError('CLI_USAGE', 'pipe one message into stdin, or name .eml files or folders');
      }
      if (paths.length) expandPaths(paths);
      const config = deps.getConfig();
      let runtime: Runtime;
      try {
        runtime = await openRuntime(config);
      } catch (error) {
        // The embedded database belongs to a running `deskbot serve`: the CLI hands the command over its control socket
        // (cli/control/); a deskbot without one (DATA_DIR too long for a socket) gets stdin's message in its inbox folder.
        if (isDeskbotError(error, 'DB_LOCKED') && !paths.length && stdin && !config.IMAP_HOST && !(await controlServerAnswers(config.dataDir))) {
          const spooled = await spoolToInbox(stdin, config.dataDir);
          deps.io.stdout(`${JSON.stringify({ source: 'stdin', spooled })}\n`);
          return;
        }
        throw error;
      }
      try {
        const handlers = await deps.loadHandlers(runtime);
        const exitCode = await ingestMessages(paths, { handlers, maxBytes: config.MAIL_MAX_BYTES, stdout: deps.io.stdout, stdin, logger: runtime.logger });
        if (exitCode === ingestExitCodes.tempFail) {
          throw new DeskbotError('DB_UNAVAILABLE', 'the database is unavailable; the message was not stored, retry later', { retryable: true });
        }
        if (exitCode !== ingestExitCodes.ok) throw new DeskbotError('INTERNAL', 'some messages could not be ingested (see the JSON lines)');
      } finally {
        await runtime.close();
      }
    });
}
