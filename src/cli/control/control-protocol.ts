// The control socket's wire format: newline-delimited JSON frames over a Unix domain socket in DATA_DIR. A CLI process
// whose embedded database is held by `deskbot serve` sends its arguments; the server runs the command and streams the
// output back. Leaves out authentication beyond the socket file's mode (0600: only the owner connects).
import path from 'node:path';
import { z } from 'zod';

/** Bumped when a frame changes shape; a server refuses a request of another version. */
export const controlProtocolVersion = 1;

/** Unix socket paths are limited to about 108 bytes (sun_path); a longer DATA_DIR has no control socket. */
const maxSocketPathBytes = 103;

/** DATA_DIR/control.sock, or undefined when the path is too long for a Unix socket. */
export function controlSocketPath(dataDir: string): string | undefined {
  const socketPath = path.join(dataDir, 'control.sock');
  return Buffer.byteLength(socketPath) <= maxSocketPathBytes ? socketPath : undefined;
}

/** What the client's stdin is: a terminal, a pipe or file the command may read, or nothing. */
export const stdinKinds = ['tty', 'pipe', 'none'] as const;

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run'),
    version: z.number().int(),
    argv: z.array(z.string()).max(1000),
    /** The client's working directory: relative paths in the arguments are resolved against it. */
    cwd: z.string().min(1),
    stdin: z.enum(stdinKinds),
  }),
  z.object({ type: z.literal('stdin'), data: z.string() }),
  z.object({ type: z.literal('stdin-end') }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

export const serverFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('stdout'), text: z.string() }),
  z.object({ type: z.literal('stderr'), text: z.string() }),
  /** The command started reading stdin: the client streams its stdin from now on. */
  z.object({ type: z.literal('stdin-request') }),
  z.object({ type: z.literal('exit'), code: z.number().int() }),
]);
export type ServerFrame = z.infer<typeof serverFrameSchema>;

export function encodeFrame(frame: ClientFrame | ServerFrame): string {
  return `${JSON.stringify(frame)}\n`;
}

/** Splits a byte stream into lines and hands each complete one to `onLine`. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString();
    let newline = pending.indexOf('\n');
    while (newline >= 0) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim()) onLine(line);
      newline = pending.indexOf('\n');
    }
  };
}
