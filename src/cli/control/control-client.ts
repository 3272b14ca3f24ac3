// The calling side of the control socket: a CLI command refused the embedded database (DB_LOCKED) hands its arguments
// to the running `deskbot serve` and relays what it prints and its exit code, waiting for a deskbot that is still
// starting to open its socket. A socket nobody answers on is stale (its server died) and is removed.
import fs from 'node:fs';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CliIo } from '../io.ts';
import { controlProtocolVersion, controlSocketPath, encodeFrame, lineReader, serverFrameSchema, type ClientFrame } from './control-protocol.ts';

/** Why nobody took the command: no socket file, a stale one (removed), or DATA_DIR too long for a socket. */
export type NotForwarded = 'no-socket' | 'stale-socket' | 'path-too-long';

/**
 * A socket file younger than this may belong to a server between bind() and listen() (both inside `listen`), which
 * refuses connections for that moment: it is tried again, not removed as stale (removing it strands the server).
 */
const socketSettleMs = 1_000;

function socketAgeMs(socketPath: string): number {
  try {
    return Date.now() - fs.statSync(socketPath).mtimeMs;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** Connects to DATA_DIR/control.sock; the reason when no server answers (a stale socket file is removed). */
async function connect(dataDir: string): Promise<net.Socket | NotForwarded> {
  const socketPath = controlSocketPath(dataDir);
  if (!socketPath) return 'path-too-long';
  if (!fs.existsSync(socketPath)) return 'no-socket';
  return new Promise((resolve) => {
    const socket = net.createConnection(socketPath);
    socket.once('connect', () => resolve(socket));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && socketAgeMs(socketPath) >= socketSettleMs) {
        fs.rmSync(socketPath, { force: true });
        resolve('stale-socket');
      } else resolve('no-socket');
    });
  });
}

/** True when a running deskbot answers on DATA_DIR's control socket (a stale socket is removed). */
export async function controlServerAnswers(dataDir: string): Promise<boolean> {
  const socket = await connect(dataDir);
  if (typeof socket === 'string') return false;
  socket.destroy();
  return true;
}

/**
 * Runs `argv` in the deskbot serving DATA_DIR: writes its output to `io` and resolves with its exit code, or with
 * the reason nothing was forwarded.
 */
export async function forwardToServer(dataDir: string, argv: readonly string[], io: CliIo): Promise<{ code: number } | { notForwarded: NotForwarded }> {
  const socket = await connect(dataDir);
  if (typeof socket === 'string') return { notForwarded: socket };
  const stdin = io.stdin;
  const send = (frame: ClientFrame) => {
    if (!socket.destroyed) socket.write(encodeFrame(frame));
  };
  const stdinKind = !stdin ? 'none' : (stdin as NodeJS.ReadStream).isTTY ? 'tty' : 'pipe';
  const onStdinData = (chunk: Buffer | string) => send({ type: 'stdin', data: Buffer.from(chunk).toString('base64') });
  const onStdinEnd = () => send({ type: 'stdin-end' });
  const stopStdin = () => {
    if (!stdin) return;
    stdin.off('data', onStdinData);
    stdin.off('end', onStdinEnd);
    stdin.pause();
  };
  return new Promise((resolve) => {
    let code: number | undefined;
    socket.on(
      'data',
      lineReader((line) => {
        const frame = serverFrameSchema.safeParse(JSON.parse(line));
        if (!frame.success) return;
        const message = frame.data;
        if (message.type === 'stdout') io.stdout(message.text);
        else if (message.type === 'stderr') io.stderr(message.text);
        else if (message.type === 'exit') code = message.code;
        else if (message.type === 'stdin-request' && stdin) {
          stdin.on('data', onStdinData);
          stdin.once('end', onStdinEnd);
          stdin.resume();
        }
      }),
    );
    socket.on('error', () => undefined);
    socket.on('close', () => {
      stopStdin();
      if (code === undefined) io.stderr('deskbot: the running deskbot closed the control connection before the command finished\n');
      resolve({ code: code ?? 1 });
    });
    send({ type: 'run', version: controlProtocolVersion, argv: [...argv], cwd: io.cwd ?? process.cwd(), stdin: stdinKind });
  });
}

export interface HandOverOptions {
  /** Epoch ms after which the command stops waiting for the holder. */
  deadline: number;
  /** The live process holding the embedded database now, if any. */
  holder: () => number | undefined;
  /** How often to look again (default 100 ms). */
  pollMs?: number;
}

export type HandOver = { code: number } | { notForwarded: 'released' | 'timeout' | 'path-too-long' | 'serving' };

/**
 * Hands `argv` to the deskbot holding DATA_DIR: at once when its control socket answers, else as soon as a deskbot
 * that is still starting (lock taken, migrations running) opens it. Without `argv` (a second `serve`, which is never
 * handed over) a socket that answers ends the wait with 'serving'. 'released' when the holder let go of the database
 * meanwhile (a command that ran alone, or a deskbot that stopped): the caller then runs the command itself. 'timeout'
 * when neither happened by the deadline.
 */
export async function handOverWhenReady(dataDir: string, argv: readonly string[] | undefined, io: CliIo, options: HandOverOptions): Promise<HandOver> {
  const startedAt = Date.now();
  let told = false;
  for (;;) {
    if (argv) {
      const forwarded = await forwardToServer(dataDir, argv, io);
      if ('code' in forwarded) return forwarded;
      if (forwarded.notForwarded === 'path-too-long') return { notForwarded: 'path-too-long' };
    } else if (await controlServerAnswers(dataDir)) {
      return { notForwarded: 'serving' };
    }
    const holder = options.holder();
    if (holder === undefined) return { notForwarded: 'released' };
    if (Date.now() >= options.deadline) return { notForwarded: 'timeout' };
    if (!told && Date.now() - startedAt >= 1_000) {
      told = true;
      const seconds = Math.ceil((options.deadline - startedAt) / 1_000);
      io.stderr(`deskbot: waiting for deskbot process ${holder}, which holds ${dataDir}, to ${argv ? 'take this command' : 'finish'} (at most ${seconds} s)\n`);
    }
    await sleep(options.pollMs ?? 100);
  }
}
