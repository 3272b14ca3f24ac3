// Works through the stored-mail queue on every process: claims rows under a lease (several at once), hands each to
// the intake use case, deletes it once its outcome is committed, backs off on failure and quarantines a message whose
// handling keeps failing with a bug. Fetching and storing mail is the IMAP leader's (channels/email/imap/).
import os from 'node:os';
import { backoffDelay } from '../domain/backoff.ts';
import { isDeskbotError } from '../errors.ts';
import { metrics } from '../metrics.ts';
import type { Logger } from '../logger.ts';
import { systemClock, type Clock, type InboundMailHandler, type InboundResult, type InboundSource, type Service } from '../app/ports.ts';
import type { ClaimedMail, InboundQueueRepository } from '../app/inbound-queue.ts';
import type { LargeMailTurn } from '../large-mail-turn.ts';

/** Handles a message over MAIL_MAX_BYTES from its header block and size (app/intake handleOversizedEmail). */
export type StoredOversizedHandler = (headers: Buffer, size: number, source: InboundSource) => Promise<InboundResult>;

export interface InboundWorkerOptions {
  queue: InboundQueueRepository;
  handler: InboundMailHandler;
  oversizedHandler: StoredOversizedHandler;
  logger: Logger;
  clock?: Clock;
  /** Messages handled at once by this process (IMAP_CONCURRENCY). */
  concurrency: number;
  /**
   * Rows claimed ahead, waiting here for a free slot (default: 2 x `concurrency`): in a burst a claim takes a batch
   * and the next comes when half of it has started, instead of one claim per freed slot.
   */
  queued?: number;
  /** Handled rows are deleted by the next claim; when none comes within this window, on their own (default 100 ms). */
  finishWindowMs?: number;
  /**
   * Group commit (Transactor.group): up to `groupSize` queued messages are handled one after another in one
   * transaction; if it fails they are handled again one by one. Off without `group` or with a size of 1.
   */
  group?: <T>(work: () => Promise<T>) => Promise<T>;
  groupSize?: number;
  /** After a group's commit: the handlers' own post-commit hooks ran before it (wake the outbox here). */
  onGroupCommitted?: () => void;
  /** How long a claim holds a row; renewed while the handler runs. A killed process's rows come back after it. */
  leaseMs?: number;
  /** The safety-net poll; a store wakes the worker at once (kick, or NOTIFY on PostgreSQL). */
  pollIntervalMs?: number;
  /** Non-retryable failures of one message before it goes to quarantine. */
  maxFailures?: number;
  /** Back-off after a failure. */
  retry?: { initialMs: number; maxMs: number };
  /**
   * Raw bytes in hand at most (one message is always admitted): a claim carries messages up to
   * min(1 MB, budget / (concurrency + queued)) inline; a larger one is loaded when its turn comes, within the budget.
   * Default 32 MB.
   */
  maxBytesInHand?: number;
  /** Shared with this process's IMAP leader: a message over its threshold is loaded and handled in its turn. */
  largeMail?: LargeMailTurn;
  /** Names this process in claims and in deskbot_inbound_handled_total; default host:pid. */
  workerId?: string;
}

export interface InboundWorker extends Service {
  /** Something was stored: claim now. */
  kick(): void;
  readonly workerId: string;
}

export function createInboundWorker(options: InboundWorkerOptions): InboundWorker {
  const { queue } = options;
  const clock = options.clock ?? systemClock;
  const log = options.logger.child({ component: 'inbound-worker' });
  const workerId = options.workerId ?? `${os.hostname()}:${process.pid}`;
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const queued = Math.max(0, Math.floor(options.queued ?? 2 * concurrency));
  const finishWindowMs = options.finishWindowMs ?? 100;
  const groupSize = options.group ? Math.max(1, Math.floor(options.groupSize ?? 1)) : 1;
  const leaseMs = options.leaseMs ?? 15_000;
  const pollIntervalMs = options.pollIntervalMs ?? 10_000;
  const maxFailures = options.maxFailures ?? 3;
  const retry = options.retry ?? { initialMs: 1_000, maxMs: 60_000 };
  const maxBytesInHand = options.maxBytesInHand ?? 32 * 1024 * 1024;
  // A claim's inline messages (in hand and queued) stay within the budget on their own.
  const inlineBytes = Math.min(1024 * 1024, Math.floor(maxBytesInHand / (concurrency + queued)));
  let bytesInHand = 0;
  const bytesWaiters: Array<() => void> = [];
  /** Waits until `bytes` more fit the budget (always admitted when nothing large is in hand). */
  const holdBytes = async (bytes: number): Promise<void> => {
    while (bytesInHand > 0 && bytesInHand + bytes > maxBytesInHand) await new Promise<void>((resolve) => bytesWaiters.push(resolve));
    bytesInHand += bytes;
  };
  const releaseBytes = (bytes: number): void => {
    bytesInHand -= bytes;
    for (const wake of bytesWaiters.splice(0)) wake();
  };

  const inHand = new Map<bigint, Promise<void>>();
  /** Claimed rows waiting for a slot, oldest first (leases renewed with those in hand). */
  const ready: ClaimedMail[] = [];
  /** Handled rows not yet deleted: the next claim carries them, or finishSoon's timer deletes them. */
  const toFinish: bigint[] = [];
  let finishing: Promise<void> | undefined;
  let finishTimer: NodeJS.Timeout | undefined;
  let wanted = true;
  /** The last claim took fewer rows than asked: nothing more was claimable then. */
  let drained = false;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let renewTimer: NodeJS.Timeout | undefined;
  /** Consecutive retryable failures (claims or handlers): claiming pauses until pausedUntil. */
  let retryable = 0;
  let pausedUntil = 0;
  /** When a row handed back after a failure becomes claimable again (Infinity: none). */
  let retryAt = Number.POSITIVE_INFINITY;
  let wake: (() => void) | undefined;

  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const retryLater = (delayMs: number) => {
    retryAt = Math.min(retryAt, Date.now() + delayMs + 20);
  };

  const failedRetryably = (): number => {
    retryable += 1;
    const delay = backoffDelay(retryable, retry);
    pausedUntil = Date.now() + delay;
    return delay;
  };

  /** Deletes the handled rows on their own unless a claim takes them along first. */
  function finishSoon(): void {
    finishTimer ??= setTimeout(() => {
      finishTimer = undefined;
      if (toFinish.length) startFinishing();
    }, finishWindowMs);
  }

  function startFinishing(): void {
    finishing ??= (async () => {
      while (toFinish.length) {
        const ids = toFinish.splice(0);
        try {
          await queue.finish(ids);
        } catch (error) {
          // The outcomes are committed: a row left behind is handled again as a duplicate after its lease.
          log.warn({ event: 'finish-failed', err: error, rows: ids.length }, 'cannot delete handled rows; they come back as duplicates');
        }
      }
    })().finally(() => {
      finishing = undefined;
      // A deleted row may unblock a follow-up from the same sender.
      wanted = true;
      notify();
    });
  }

  const sourceOf = (mail: ClaimedMail): InboundSource => ({
    kind: 'imap',
    mailbox: mail.mailbox,
    uidValidity: mail.uidValidity,
    uid: mail.uid,
    ...(mail.receivedAt ? { receivedAt: mail.receivedAt } : {}),
  });

  /** A message's outcome is committed: count it, and let the next claim delete its row. */
  const handled = (mail: ClaimedMail, result: InboundResult) => {
    metrics.inboundHandled.inc({ process: workerId, outcome: result.outcome });
    toFinish.push(mail.id);
    // The next claim deletes it and may take a follow-up it held back; when the last claim found the queue empty,
    // the grouped delete (finishSoon) goes first and wakes the claims after it.
    if (!drained) wanted = true;
    finishSoon();
  };

  /** Several messages in one transaction; on any failure each is handled again on its own (with its retries). */
  async function handleGroup(mails: ClaimedMail[]): Promise<void> {
    let results: InboundResult[];
    try {
      results = await options.group!(async () => {
        const done: InboundResult[] = [];
        for (const mail of mails) done.push(await options.handler(mail.raw!, sourceOf(mail)));
        return done;
      });
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      log.info({ event: 'group-rolled-back', rows: mails.length, code }, `a group of ${mails.length} messages rolled back (${code}); handling them one by one`);
      for (const mail of mails) await handle(mail);
      return;
    }
    retryable = 0;
    for (const [index, mail] of mails.entries()) handled(mail, results[index]!);
    options.onGroupCommitted?.();
  }

  async function handle(mail: ClaimedMail): Promise<void> {
    const source = sourceOf(mail);
    const { uid, messageId } = mail;
    let held = 0;
    let endTurn: (() => void) | undefined;
    try {
      let raw = mail.raw;
      if (raw === null) {
        held = mail.oversized ? 0 : mail.size;
        if (held && options.largeMail?.isLarge(held)) endTurn = await options.largeMail.take();
        await holdBytes(held);
        raw = await queue.rawOf(mail.id);
        // Handled and deleted by another process meanwhile (its lease had run out): nothing left to do.
        if (raw === null) return;
        mail.raw = raw;
      }
      const result = mail.oversized ? await options.oversizedHandler(raw, mail.size, source) : await options.handler(raw, source);
      retryable = 0;
      handled(mail, result);
      return;
    } catch (error) {
      const code = isDeskbotError(error) ? error.code : 'INTERNAL';
      if (isDeskbotError(error) && error.retryable) {
        const delayMs = failedRetryably();
        log.warn({ event: 'handler-retry', uid: uid.toString(), messageId, code, delayMs }, `handler failed with ${code}; the stored message is retried`);
        await queue.release(mail.id, delayMs, false, code).catch(() => undefined);
        retryLater(delayMs);
        return;
      }
      if (mail.failures + 1 >= maxFailures) {
        log.error(
          { event: 'handler-gave-up', uid: uid.toString(), messageId, code, failures: mail.failures + 1, err: error },
          'handler keeps failing on this message; it goes to quarantine (deskbot quarantine retry)',
        );
        await queue.quarantine(mail, `handler-failed: ${code}`, clock.now()).catch((failure: unknown) => {
          log.error({ event: 'quarantine-failed', err: failure, messageId }, 'cannot quarantine the message; it is tried again after its lease');
        });
        return;
      }
      const delayMs = backoffDelay(mail.failures + 1, retry);
      log.error(
        { event: 'handler-failed', uid: uid.toString(), messageId, code, failures: mail.failures + 1, delayMs, err: error },
        'handler failed on a stored message; it is tried again later',
      );
      await queue.release(mail.id, delayMs, true, code).catch(() => undefined);
      retryLater(delayMs);
    } finally {
      if (held) releaseBytes(held);
      endTurn?.();
    }
  }

  function start(mails: ClaimedMail[]): void {
    const task = (mails.length > 1 ? handleGroup(mails) : handle(mails[0]!))
      .catch((error: unknown) => log.error({ event: 'worker-task-failed', err: error }, 'intake worker task failed'))
      .finally(() => {
        for (const mail of mails) inHand.delete(mail.id);
        notify();
      });
    for (const mail of mails) inHand.set(mail.id, task);
  }

  /** The next task from the queued rows: a group of those in hand whole (not oversized), else the first alone. */
  function nextTask(): ClaimedMail[] {
    const task = [ready.shift()!];
    const groupable = (mail: ClaimedMail) => mail.raw !== null && !mail.oversized;
    if (!groupable(task[0]!)) return task;
    while (task.length < groupSize && inHand.size + task.length < concurrency && ready[0] && groupable(ready[0])) task.push(ready.shift()!);
    return task;
  }

  async function run(): Promise<void> {
    let pollAt = Date.now() + pollIntervalMs;
    while (!stopping) {
      const now = Date.now();
      if (now >= pollAt) {
        wanted = true;
        pollAt = now + pollIntervalMs;
      }
      if (now >= retryAt) {
        wanted = true;
        retryAt = Number.POSITIVE_INFINITY;
      }
      while (ready.length && inHand.size < concurrency) start(nextTask());
      const room = concurrency + queued - inHand.size - ready.length;
      // With rows queued here, the next claim waits until half of them have started.
      const claimable = wanted && room > 0 && ready.length <= queued / 2;
      if (claimable && now >= pausedUntil) {
        wanted = false;
        const finished = toFinish.splice(0);
        let claimed: ClaimedMail[] = [];
        try {
          claimed = await queue.claim(room, leaseMs, workerId, inlineBytes, finished);
        } catch (error) {
          toFinish.unshift(...finished);
          if (finished.length) finishSoon();
          const delayMs = failedRetryably();
          log.warn({ event: 'claim-failed', err: error, delayMs }, 'cannot claim stored mail; retrying');
          wanted = true;
          continue;
        }
        ready.push(...claimed);
        // A full claim may have left more behind.
        drained = claimed.length < room;
        if (!drained) wanted = true;
        continue;
      }
      // A task that ends wakes the loop (notify); only a claim held back by a failure waits for pausedUntil.
      const until = claimable ? pausedUntil : Math.min(pollAt, retryAt);
      await sleep(Math.max(1, until - Date.now()));
    }
  }

  return {
    name: 'inbound-worker',
    workerId,
    kick() {
      wanted = true;
      drained = false;
      notify();
    },
    async start() {
      if (loop) return;
      stopping = false;
      loop = run().catch((error: unknown) => log.error({ event: 'worker-crashed', err: error }, 'intake worker stopped unexpectedly'));
      renewTimer = setInterval(() => {
        const held = [...inHand.keys(), ...ready.map((mail) => mail.id)];
        if (!held.length) return;
        queue.renew(held, leaseMs, workerId).catch((error: unknown) => log.warn({ event: 'renew-failed', err: error }, 'cannot renew claims'));
      }, leaseMs / 3);
      renewTimer.unref();
    },
    async stop() {
      if (!loop) return;
      stopping = true;
      notify();
      await loop;
      loop = undefined;
      // Queued rows not started go back at once (another process may take them) rather than after their lease.
      for (const mail of ready.splice(0)) await queue.release(mail.id, 0, false, 'handed back unstarted at stop').catch(() => undefined);
      while (inHand.size) await Promise.allSettled([...inHand.values()]);
      clearTimeout(finishTimer);
      finishTimer = undefined;
      if (toFinish.length) startFinishing();
      while (finishing) await finishing;
      clearInterval(renewTimer);
    },
  };
}
