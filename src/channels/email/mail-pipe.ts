// The mail pipe: reads one RFC 822 message from stdin (an MTA pipe, like RT's rt-mailgate) or .eml files and folders and
// hands each to the inbound handlers; the `deskbot ingest` command around it is src/cli/commands/ingest.ts.
import fs from 'node:fs';
import path from 'node:path';
import { DeskbotError, isDeskbotError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { headerBlockWithBlankLine } from '../../domain/mail/headers.ts';
import type { InboundMailHandler, InboundResult, InboundSource } from '../../app/ports.ts';
import type { OversizedMailHandler } from './imap/batch.ts';

/** The two entry points of the inbound side every intake path calls. */
export interface IntakeHandlers {
  handler: InboundMailHandler;
  oversizedHandler: OversizedMailHandler;
}

/** A message read for handing over: whole, or only its header block when it is above MAIL_MAX_BYTES. */
export type LoadedMessage = { kind: 'whole'; raw: Buffer } | { kind: 'oversized'; headers: Buffer; size: number };

/** sysexits.h values, as in src/cli/io.ts. */
export const ingestExitCodes = { ok: 0, failure: 1, tempFail: 75 } as const;

/** Header lines kept for an oversized message; more than this is not a header block worth quarantining whole. */
const maxHeaderBytes = 256 * 1024;

/** Thrown by readMessageFile with `plainFileOnly` when the name is a symlink, FIFO, socket, device or folder. */
export class NotPlainFileError extends Error {
  constructor(
    readonly file: string,
    readonly kind: 'symlink' | 'not-a-file',
  ) {
    super(`${path.basename(file)} is not a plain file (${kind})`);
    this.name = 'NotPlainFileError';
  }
}

export interface ReadMessageFileOptions {
  /** Never follow a symlink (O_NOFOLLOW) nor block on a FIFO (O_NONBLOCK); anything but a plain file throws NotPlainFileError. */
  plainFileOnly?: boolean;
}

/** Reads a message file; above `maxBytes` only the start is read, for its headers. */
export async function readMessageFile(file: string, maxBytes: number, options: ReadMessageFileOptions = {}): Promise<LoadedMessage> {
  const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = fs.constants;
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, options.plainFileOnly ? O_RDONLY | O_NOFOLLOW | O_NONBLOCK : 'r');
  } catch (error) {
    if (options.plainFileOnly && (error as NodeJS.ErrnoException).code === 'ELOOP') throw new NotPlainFileError(file, 'symlink');
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (options.plainFileOnly && !stat.isFile()) throw new NotPlainFileError(file, 'not-a-file');
    const { size } = stat;
    if (size <= maxBytes) return { kind: 'whole', raw: await handle.readFile() };
    const head = Buffer.alloc(Math.min(size, maxHeaderBytes));
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return { kind: 'oversized', headers: headerBlockWithBlankLine(head.subarray(0, bytesRead), maxHeaderBytes), size };
  } finally {
    await handle.close();
  }
}

/** Reads a message from a stream (stdin); past `maxBytes` the rest is read and counted but not kept. */
export async function readMessageStream(stream: NodeJS.ReadableStream, maxBytes: number): Promise<LoadedMessage> {
  const chunks: Buffer[] = [];
  let kept = 0;
  let size = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size <= maxBytes) {
      chunks.push(bytes);
      kept += bytes.length;
    } else if (kept < maxHeaderBytes) {
      const part = bytes.subarray(0, maxHeaderBytes - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  const buffer = Buffer.concat(chunks);
  return size <= maxBytes ? { kind: 'whole', raw: buffer } : { kind: 'oversized', headers: headerBlockWithBlankLine(buffer, maxHeaderBytes), size };
}

/** Hands a loaded message to the right handler. */
export function deliverMessage(message: LoadedMessage, source: InboundSource, handlers: IntakeHandlers): Promise<InboundResult> {
  return message.kind === 'whole' ? handlers.handler(message.raw, source) : handlers.oversizedHandler(message.headers, message.size, source);
}

/** True for a name the intake picks up: `*.eml`, not hidden, not a temporary or backup name. */
export function isMessageFileName(name: string): boolean {
  return /\.eml$/i.test(name) && !name.startsWith('.') && !name.startsWith('~');
}

/** The files a list of paths names: files as given, folders as their `*.eml` files sorted by name. */
export function expandPaths(paths: string[]): string[] {
  const files: string[] = [];
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch {
      throw new DeskbotError('CLI_USAGE', `${given}: no such file or directory`);
    }
    if (stat.isDirectory()) {
      const names = fs
        .readdirSync(given, { withFileTypes: true })
        .filter((entry) => entry.isFile() && isMessageFileName(entry.name))
        .map((entry) => entry.name)
        .sort();
      files.push(...names.map((name) => path.join(given, name)));
    } else {
      files.push(given);
    }
  }
  return files;
}

export interface IngestOptions {
  handlers: IntakeHandlers;
  maxBytes: number;
  /** Receives one JSON line per message. */
  stdout: (text: string) => void;
  stdin?: NodeJS.ReadableStream | undefined;
  logger: Logger;
}

/**
 * Ingests stdin (no paths) or the given files and folders, one message at a time, printing one JSON line each.
 * Resolves with the exit code: 0 when every message was stored, 75 as soon as one hits a retryable error
 * (the rest are left for the retry), 1 when a message failed otherwise (the others are still ingested).
 */
export async function ingestMessages(paths: string[], options: IngestOptions): Promise<number> {
  const log = options.logger.child({ component: 'mail-pipe' });
  const jobs: { label: string; source: InboundSource; load: () => Promise<LoadedMessage> }[] = paths.length
    ? expandPaths(paths).map((file) => ({
        label: file,
        source: { kind: 'file', path: path.resolve(file) },
        load: () => readMessageFile(file, options.maxBytes),
      }))
    : [
        {
          label: 'stdin',
          source: { kind: 'stdin' },
          load: () => {
            if (!options.stdin) throw new DeskbotError('CLI_USAGE', 'no message on stdin');
            return readMessageStream(options.stdin, options.maxBytes);
          },
        },
      ];

  let exitCode: number = ingestExitCodes.ok;
  for (const job of jobs) {
    try {
      const message = await job.load();
      const result = await deliverMessage(message, job.source, options.handlers);
      log.info(
        { event: 'message-ingested', source: job.label, outcome: result.outcome, reason: result.reason, requestId: result.requestId },
        `${job.label}: ${result.outcome}`,
      );
      options.stdout(`${JSON.stringify({ source: job.label, ...result })}\n`);
    } catch (error) {
      if (isDeskbotError(error, 'CLI_USAGE')) throw error;
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      const retryable = isDeskbotError(error) && error.retryable;
      options.stdout(`${JSON.stringify({ source: job.label, error: code, retryable, message: (error as Error)?.message ?? String(error) })}\n`);
      if (retryable) {
        log.warn({ event: 'ingest-tempfail', source: job.label, code }, `${job.label}: ${code}; not stored, retry later`);
        return ingestExitCodes.tempFail;
      }
      log.error({ event: 'ingest-failed', source: job.label, code, err: error }, `${job.label}: not stored`);
      exitCode = ingestExitCodes.failure;
    }
  }
  return exitCode;
}

/**
 * Drops stdin's message into DATA_DIR/inbox/ for the running `deskbot serve` (renamed into place, so the watcher
 * never sees half a file). Used when the embedded database is held by that process.
 */
export async function spoolToInbox(stream: NodeJS.ReadableStream, dataDir: string): Promise<string> {
  const inbox = path.join(dataDir, 'inbox');
  await fs.promises.mkdir(inbox, { recursive: true });
  const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}-${Math.random().toString(36).slice(2, 8)}.eml`;
  const temporary = path.join(inbox, `.${name}.tmp`);
  const target = path.join(inbox, name);
  const output = fs.createWriteStream(temporary, { flags: 'wx' });
  try {
    for await (const chunk of stream) {
      if (!output.write(chunk)) await new Promise<void>((resolve) => output.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => output.end((error?: Error | null) => (error ? reject(error) : resolve())));
    await fs.promises.rename(temporary, target);
    return target;
  } catch (error) {
    output.destroy();
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
}
