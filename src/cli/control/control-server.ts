// The serving side of the control socket: `deskbot serve` on the embedded database listens on DATA_DIR/control.sock
// (mode 0600) and runs each CLI command handed to it with the caller's arguments, working directory and captured
// stdout/stderr/stdin, so every command works while the bot runs. Which commands exist is the CLI's business, not this file's.
import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '../../logger.ts';
import type { CliIo } from '../io.ts';
import { clientFrameSchema, controlProtocolVersion, controlSocketPath, encodeFrame, lineReader, type ServerFrame } from './control-protocol.ts';

export interface ControlServerOptions {
  dataDir: string;
  logger: Logger;
  /** Runs one CLI command with `io` and resolves with its exit code (cli/program.ts runCli in hosted mode). */
  runCommand: (argv: string[], io: CliIo) => Promise<number>;
}

export interface ControlServer {
  /** The socket's path, or undefined when DATA_DIR is too long for one. */
  readonly path: string | undefined;
  close(): Promise<void>;
}

/**
 * Listens on DATA_DIR/control.sock. Call it only while holding the data-directory lock: any socket file found then was
 * left by a process that died, and is removed.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const log = options.logger.child({ component: 'control' });
  const socketPath = controlSocketPath(options.dataDir);
  if (!socketPath) {
    log.warn({ event: 'control-socket-skipped', dataDir: options.dataDir }, 'DATA_DIR is too long for a control socket; CLI commands cannot run while serving');
    return { path: undefined, close: async () => undefined };
  }
  if (fs.existsSync(socketPath)) {
    fs.rmSync(socketPath, { force: true });
    log.info({ event: 'control-socket-stale-removed', path: socketPath }, 'removed a control socket left by a stopped process');
  }
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    serveConnection(socket, options, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    // The socket file is created with mode 0600 (bind happens inside listen()), so nobody else ever connects.
    const previousUmask = process.umask(0o177);
    try {
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    } finally {
      process.umask(previousUmask);
    }
  });
  fs.chmodSync(socketPath, 0o600);
  log.info({ event: 'control-socket-listening', path: socketPath }, 'CLI commands run here while serving');
  return {
    path: socketPath,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of connections) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function serveConnection(socket: net.Socket, options: ControlServerOptions, log: Logger): void {
  const send = (frame: ServerFrame) => {
    if (!socket.destroyed) socket.write(encodeFrame(frame));
  };
  let stdin: Readable | undefined;
  let started = false;
  socket.on('error', (error) => log.debug({ event: 'control-connection-error', err: error }, 'control connection failed'));
  socket.on(
    'data',
    lineReader((line) => {
      let frame: ReturnType<typeof clientFrameSchema.parse>;
      try {
        frame = clientFrameSchema.parse(JSON.parse(line));
      } catch {
        send({ type: 'stderr', text: 'deskbot: the control socket received a malformed request\n' });
        send({ type: 'exit', code: 1 });
        socket.end();
        return;
      }
      if (frame.type === 'stdin') stdin?.push(Buffer.from(frame.data, 'base64'));
      else if (frame.type === 'stdin-end') stdin?.push(null);
      else if (!started) {
        started = true;
        if (frame.version !== controlProtocolVersion) {
          send({ type: 'stderr', text: `deskbot: the running deskbot speaks control protocol ${controlProtocolVersion}, this one ${frame.version}\n` });
          send({ type: 'exit', code: 1 });
          socket.end();
          return;
        }
        stdin = frame.stdin === 'none' ? undefined : capturedStdin(frame.stdin === 'tty', () => send({ type: 'stdin-request' }));
        const io: CliIo = {
          stdout: (text) => send({ type: 'stdout', text }),
          stderr: (text) => send({ type: 'stderr', text }),
          env: {},
          cwd: frame.cwd,
          ...(stdin ? { stdin } : {}),
        };
        log.info({ event: 'control-command', command: frame.argv[0] ?? '' }, 'running a CLI command for another process');
        options
          .runCommand(frame.argv, io)
          .catch((error: unknown) => {
            log.error({ event: 'control-command-failed', err: error }, 'CLI command failed in the serving process');
            send({ type: 'stderr', text: `deskbot: ${(error as Error)?.message ?? String(error)}\n` });
            return 1;
          })
          .then((code) => {
            send({ type: 'exit', code });
            socket.end();
          });
      }
    }),
  );
}

/** A stdin that asks the client for its data the first time the command reads. */
function capturedStdin(isTTY: boolean, request: () => void): Readable {
  let requested = false;
  const stream = new Readable({
    read() {
      if (requested) return;
      requested = true;
      request();
    },
  });
  return Object.assign(stream, { isTTY });
}
