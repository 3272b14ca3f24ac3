// Where the CLI writes and reads (process streams in production, strings in tests) and its exit codes (sysexits.h).
import type { Config } from '../config.ts';

export const exitCodes = { ok: 0, failure: 1, usage: 2, tempFail: 75, config: 78 } as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadableStream;
  /** Where relative paths in the arguments start (default: this process's working directory; a forwarded command's caller). */
  cwd?: string;
}

export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  stdin: process.stdin,
};

/** What every command gets: the streams, the configuration (parsed on first use) and a forced exit. */
export interface CommandContext {
  io: CliIo;
  getConfig: () => Config;
  /** Ends the process with `code` (serve's shutdown timeout). */
  exit: (code: number) => void;
  /** Set when the command runs inside `deskbot serve` for another process (the control socket). */
  hosted?: boolean;
  /** Runs another deskbot command in this process with its own io (serve's control socket hands commands to it). */
  runCommand?: (argv: string[], io: CliIo) => Promise<number>;
}
