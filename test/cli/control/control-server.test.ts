// The control socket's two ends in one process with a stand-in command runner: output and exit codes relayed,
// stdin streamed only when the command reads it, the caller's working directory passed on, a refused protocol
// version, a socket path too long, and a connection closed before the command ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { forwardToServer } from '../../../src/cli/control/control-client.ts';
import { controlSocketPath } from '../../../src/cli/control/control-protocol.ts';
import { startControlServer } from '../../../src/cli/control/control-server.ts';
import type { CliIo } from '../../../src/cli/io.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { Readable } from 'node:stream';
import net from 'node:net';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dbctl-unit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function captureIo(stdin?: NodeJS.ReadableStream, cwd?: string) {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    env: {},
    ...(stdin ? { stdin } : {}),
    ...(cwd ? { cwd } : {}),
  };
  return { io, out: () => stdout, err: () => stderr };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

describe('control socket', () => {
  it('runs the command with the caller arguments, cwd and stdin, and relays stdout, stderr and the exit code', async () => {
    const dataDir = path.join(tmp, 'relay');
    fs.mkdirSync(dataDir);
    const seen: Array<{ argv: string[]; cwd: string | undefined; stdinKind: string }> = [];
    const server = await startControlServer({
      dataDir,
      logger: createSilentLogger(),
      runCommand: async (argv, io) => {
        seen.push({ argv, cwd: io.cwd, stdinKind: io.stdin ? String((io.stdin as NodeJS.ReadStream).isTTY) : 'none' });
        if (argv[0] === 'echo-stdin') io.stdout(`read: ${await readAll(io.stdin!)}`);
        else io.stdout(`args: ${argv.join(' ')}\n`);
        io.stderr('warning: on stderr\n');
        return argv[0] === 'echo-stdin' ? 0 : 3;
      },
    });
    try {
      expect(fs.statSync(server.path!).mode & 0o777).toBe(0o600);
      const plain = captureIo(Readable.from([]), '/somewhere/else');
      expect(await forwardToServer(dataDir, ['tickets', 'list', '--format', 'json'], plain.io)).toEqual({ code: 3 });
      expect(plain.out()).toBe('args: tickets list --format json\n');
      expect(plain.err()).toBe('warning: on stderr\n');

      const piped = captureIo(Readable.from([Buffer.from('first '), Buffer.from('second')]));
      expect(await forwardToServer(dataDir, ['echo-stdin'], piped.io)).toEqual({ code: 0 });
      expect(piped.out()).toBe('read: first second');

      const noStdin = captureIo();
      expect(await forwardToServer(dataDir, ['x'], noStdin.io)).toEqual({ code: 3 });
      expect(seen.map((entry) => [entry.cwd, entry.stdinKind])).toEqual([
        ['/somewhere/else', 'false'],
        [process.cwd(), 'false'],
        [process.cwd(), 'none'],
      ]);
    } finally {
      await server.close();
    }
    expect(fs.existsSync(path.join(dataDir, 'control.sock'))).toBe(false);
    expect(await forwardToServer(dataDir, ['x'], captureIo().io)).toEqual({ notForwarded: 'no-socket' });
  });

  it('refuses a request of another protocol version and reports a connection closed before the exit code', async () => {
    const dataDir = path.join(tmp, 'version');
    fs.mkdirSync(dataDir);
    let release: () => void = () => undefined;
    const server = await startControlServer({
      dataDir,
      logger: createSilentLogger(),
      runCommand: () => new Promise<number>((resolve) => (release = () => resolve(0))),
    });
    try {
      const reply = await new Promise<string>((resolve) => {
        const socket = net.createConnection(server.path!);
        let text = '';
        socket.on('data', (chunk) => void (text += chunk));
        socket.on('close', () => resolve(text));
        socket.write(`${JSON.stringify({ type: 'run', version: 99, argv: [], cwd: '/', stdin: 'none' })}\n`);
      });
      expect(reply).toContain('control protocol 1, this one 99');
      expect(reply).toContain('{"type":"exit","code":1}');

      const cut = captureIo();
      const pending = forwardToServer(dataDir, ['slow'], cut.io);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await server.close();
      expect(await pending).toEqual({ code: 1 });
      expect(cut.err()).toContain('closed the control connection before the command finished');
    } finally {
      release();
      await server.close();
    }
  });

  it('has no socket where DATA_DIR is too long for a Unix socket path', async () => {
    const longDir = path.join(tmp, 'x'.repeat(120));
    expect(controlSocketPath(longDir)).toBeUndefined();
    const server = await startControlServer({ dataDir: longDir, logger: createSilentLogger(), runCommand: async () => 0 });
    expect(server.path).toBeUndefined();
    expect(await forwardToServer(longDir, ['x'], captureIo().io)).toEqual({ notForwarded: 'path-too-long' });
  });
});
