// The embedded intake when no IMAP server is configured: *.eml files dropped into DATA_DIR/inbox/ are handled one at a
// time and moved to processed/ or rejected/. Writers should rename finished files into place; slow writers are waited out.
// Symlinks, FIFOs, sockets, devices, folders and empty files are moved to rejected/ unread; links are never followed.
import fs from 'node:fs';
import path from 'node:path';
import { isDeskbotError } from '../../errors.ts';
import type { HealthRegistry, PartState } from '../../health.ts';
import type { Logger } from '../../logger.ts';
import type { InboundOutcome, InboundResult, Service } from '../../app/ports.ts';
import { backoffDelay, type BackoffOptions } from '../../domain/backoff.ts';
import { entryExists, entryKind, fittedName, type RefusedEntry } from './inbox-files.ts';
import { deliverMessage, isMessageFileName, NotPlainFileError, readMessageFile, type IntakeHandlers, type LoadedMessage } from './mail-pipe.ts';

/** Outcomes whose file goes to rejected/; every other outcome (ignored auto-mail and duplicates too) goes to processed/. */
export const rejectedOutcomes: readonly InboundOutcome[] = ['rejected', 'quarantined'];

export interface InboxTimings {
  /** A file is taken only once its size and mtime stayed the same for this long (two checks this far apart). */
  settleMs: number;
  /** An empty file is moved to rejected/ once it stayed empty this long (a writer may create it before writing). */
  emptySettleMs: number;
  /** Safety net next to fs.watch: list the folder again this often. */
  rescanIntervalMs: number;
  /** Back-off for a handler that rejects with a retryable error (database down). */
  retry: BackoffOptions;
  /** How long stop() waits for the file in hand. */
  stopTimeoutMs: number;
}

export const defaultInboxTimings: InboxTimings = {
  settleMs: 500,
  emptySettleMs: 5_000,
  rescanIntervalMs: 30_000,
  retry: { initialMs: 1_000, maxMs: 60_000 },
  stopTimeoutMs: 5_000,
};

export interface InboxWatcherStats {
  processed: number;
  rejected: number;
  /** Handler rejections with a non-retryable error; the file stays in the inbox until the next start. */
  failed: number;
  /** Entries moved to rejected/ unread: symlinks, FIFOs, sockets, devices, folders, empty files (also counted in `rejected`). */
  refused: number;
  /** Handled files that could not be moved out; renamed in place with a `~deskbot-unmovable-` name, or left and skipped. */
  unmovable: number;
  retried: number;
}

export interface InboxWatcherOptions {
  /** The watched folder, normally DATA_DIR/inbox. */
  dir: string;
  handlers: IntakeHandlers;
  maxBytes: number;
  logger: Logger;
  health?: HealthRegistry;
  timings?: Partial<InboxTimings>;
  random?: () => number;
}

export interface InboxWatcher extends Service {
  readonly dir: string;
  stats(): InboxWatcherStats;
}

interface Observation {
  size: number;
  mtimeMs: number;
  since: number;
}

export function createInboxWatcher(options: InboxWatcherOptions): InboxWatcher {
  const dir = path.resolve(options.dir);
  const processedDir = path.join(dir, 'processed');
  const rejectedDir = path.join(dir, 'rejected');
  const timings: InboxTimings = { ...defaultInboxTimings, ...options.timings };
  const random = options.random ?? Math.random;
  const log = options.logger.child({ component: 'inbox', dir });
  const stats: InboxWatcherStats = { processed: 0, rejected: 0, failed: 0, retried: 0, refused: 0, unmovable: 0 };
  const observations = new Map<string, Observation>();
  /** Files whose handler failed with a bug, or that could not be moved at all; left in place and never taken again here. */
  const skipped = new Set<string>();

  let watcher: fs.FSWatcher | undefined;
  let loop: Promise<void> | undefined;
  let stopping = false;
  let wake: (() => void) | undefined;
  let woken = false;
  let retryAttempts = 0;
  let healthState: PartState | undefined;

  const notify = () => {
    if (wake) wake();
    else woken = true;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (woken) {
        woken = false;
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });

  const setHealth = (state: PartState, detail: string, event: string, extra: Record<string, unknown> = {}) => {
    options.health?.set('inbox', state, detail);
    if (healthState === state) return;
    healthState = state;
    const line = { event, state, detail, ...extra };
    if (state === 'ok' || state === 'off') log.info(line, `inbox ${state}: ${detail}`);
    else log.warn(line, `inbox ${state}: ${detail}`);
  };

  /** The first settled file (or entry to refuse) in name order, and how long to wait before looking again. */
  async function nextSettled(): Promise<{ name?: string; refuse?: RefusedEntry; waitMs: number }> {
    const now = Date.now();
    let names: string[];
    try {
      names = (await fs.promises.readdir(dir)).filter((name) => isMessageFileName(name) && !skipped.has(name)).sort();
    } catch (error) {
      log.error({ event: 'inbox-unreadable', err: error }, 'cannot list the inbox folder');
      return { waitMs: timings.rescanIntervalMs };
    }
    for (const name of observations.keys()) if (!names.includes(name)) observations.delete(name);
    let waitMs = timings.rescanIntervalMs;
    for (const name of names) {
      let stat: fs.Stats;
      try {
        stat = await fs.promises.lstat(path.join(dir, name));
      } catch {
        continue;
      }
      const kind = entryKind(stat);
      if (kind !== 'file') return { name, refuse: kind, waitMs: 0 };
      const seen = observations.get(name);
      const settleMs = stat.size === 0 ? timings.emptySettleMs : timings.settleMs;
      if (!seen || seen.size !== stat.size || seen.mtimeMs !== stat.mtimeMs) {
        observations.set(name, { size: stat.size, mtimeMs: stat.mtimeMs, since: now });
        waitMs = Math.min(waitMs, settleMs);
        continue;
      }
      const settledIn = seen.since + settleMs - now;
      if (settledIn <= 0) return stat.size === 0 ? { name, refuse: 'empty', waitMs: 0 } : { name, waitMs: 0 };
      waitMs = Math.min(waitMs, settledIn);
    }
    return { waitMs };
  }

  /** Moves `name` into `folder` under a free name within the 255-byte limit (`-1`, `-2`, ... appended, the stem shortened). */
  async function moveTo(folder: string, name: string): Promise<string> {
    const parsed = path.parse(name);
    let target = path.join(folder, fittedName(parsed.name, '', parsed.ext));
    for (let attempt = 1; await entryExists(target); attempt++) target = path.join(folder, fittedName(parsed.name, `-${attempt}`, parsed.ext));
    await fs.promises.rename(path.join(dir, name), target);
    return target;
  }

  /**
   * Files a handled message; its work is committed, so it must never be handled again. When the move fails the file is
   * renamed in place to a `~deskbot-unmovable-` name (not a message name), and failing that skipped for this process.
   */
  async function fileAway(folder: string, name: string): Promise<string | undefined> {
    try {
      return await moveTo(folder, name);
    } catch (error) {
      stats.unmovable += 1;
      const marker = path.join(dir, `~deskbot-unmovable-${Date.now()}-${Math.floor(random() * 1e9).toString(36)}.eml`);
      const movedTo = await fs.promises.rename(path.join(dir, name), marker).then(
        () => marker,
        () => undefined,
      );
      if (!movedTo) skipped.add(name);
      const code = (error as NodeJS.ErrnoException).code;
      log.error(
        { event: 'file-unmovable', file: name, code, movedTo: movedTo && path.relative(dir, movedTo) },
        `${name}: handled, but cannot be moved to ${path.basename(folder)}/ (${code ?? 'error'}); ${movedTo ? 'renamed in place' : 'left and skipped'}`,
      );
      return movedTo;
    }
  }

  /** Moves an entry that is not a plain file with content to rejected/ without opening it (a rename never follows a link). */
  async function refuseEntry(name: string, reason: RefusedEntry): Promise<void> {
    observations.delete(name);
    stats.refused += 1;
    stats.rejected += 1;
    const movedTo = await fileAway(rejectedDir, name);
    log.warn(
      { event: 'file-refused', file: name, reason, movedTo: movedTo && path.relative(dir, movedTo) },
      `${name}: not read (${reason}); moved to rejected/`,
    );
  }

  /** Handles one settled file; resolves with how long to wait before the next one (a retry back-off, or 0). */
  async function handleFile(name: string): Promise<number> {
    const file = path.join(dir, name);
    let message: LoadedMessage;
    try {
      message = await readMessageFile(file, options.maxBytes, { plainFileOnly: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      if (error instanceof NotPlainFileError) {
        await refuseEntry(name, error.kind);
        return 0;
      }
      throw error;
    }
    let result: InboundResult;
    try {
      result = await deliverMessage(message, { kind: 'file', path: file }, options.handlers);
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      if (isDeskbotError(error) && error.retryable) {
        stats.retried += 1;
        retryAttempts += 1;
        const delayMs = error.retryAfterMs ?? backoffDelay(retryAttempts, timings.retry, random);
        setHealth('degraded', `handler failing (${code}); retrying`, 'handler-retrying', { code });
        log.warn({ event: 'handler-retry', file: name, code, delayMs, attempt: retryAttempts }, `${name}: ${code}; left in the inbox and retried`);
        return delayMs;
      }
      stats.failed += 1;
      skipped.add(name);
      log.error({ event: 'handler-failed', file: name, code, err: error }, `${name}: handler failed; left in the inbox and retried after the next start`);
      return 0;
    }
    observations.delete(name);
    if (retryAttempts > 0) {
      retryAttempts = 0;
      setHealth('ok', `watching ${dir}`, 'handler-recovered');
    }
    const rejected = rejectedOutcomes.includes(result.outcome);
    const movedTo = await fileAway(rejected ? rejectedDir : processedDir, name);
    if (rejected) stats.rejected += 1;
    else stats.processed += 1;
    log.info(
      {
        event: 'file-handled',
        file: name,
        movedTo: movedTo && path.relative(dir, movedTo),
        outcome: result.outcome,
        reason: result.reason,
        requestId: result.requestId,
        ticketId: result.ticketId,
      },
      `${name}: ${result.outcome}${result.reason ? ` (${result.reason})` : ''}`,
    );
    return 0;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let waitMs: number;
      try {
        const next = await nextSettled();
        if (next.name && next.refuse) {
          await refuseEntry(next.name, next.refuse);
          waitMs = 0;
        } else waitMs = next.name ? await handleFile(next.name) : next.waitMs;
      } catch (error) {
        log.error({ event: 'inbox-error', err: error }, 'inbox intake failed; retrying');
        waitMs = backoffDelay(1, timings.retry, random);
      }
      if (!stopping && waitMs > 0) await sleep(waitMs);
    }
  }

  return {
    name: 'inbox',
    dir,
    stats: () => ({ ...stats }),
    async start() {
      if (loop) return;
      stopping = false;
      for (const folder of [dir, processedDir, rejectedDir]) await fs.promises.mkdir(folder, { recursive: true });
      watcher = fs.watch(dir, (_event, filename) => {
        if (!filename || isMessageFileName(filename.toString())) notify();
      });
      watcher.on('error', (error) => log.warn({ event: 'watch-error', err: error }, 'fs.watch failed; relying on the rescan'));
      setHealth('ok', `watching ${dir}`, 'watching');
      loop = run().catch((error: unknown) => log.error({ event: 'intake-crashed', err: error }, 'inbox intake stopped unexpectedly'));
    },
    async stop() {
      if (!loop) return;
      stopping = true;
      watcher?.close();
      watcher = undefined;
      notify();
      const finished = await Promise.race([
        loop.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timings.stopTimeoutMs).unref()),
      ]);
      if (!finished) log.warn({ event: 'stop-timeout', timeoutMs: timings.stopTimeoutMs }, 'the file in hand did not finish in time');
      loop = undefined;
      woken = false;
      setHealth('off', 'stopped', 'stopped');
    },
  };
}
