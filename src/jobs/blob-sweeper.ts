// Removes attachment blobs nothing references, once an hour: a blob is committed just before its intake transaction,
// so an intake that then rolls back (and is never redelivered) leaves one behind. Only blobs older than a day go,
// so a blob whose intake is still running or about to be retried is never taken from under it.
import type { UseCaseDeps } from '../app/deps.ts';
import type { Service } from '../app/ports.ts';

export type BlobSweeperOptions = UseCaseDeps<'repositories' | 'clock' | 'logger'> & {
  intervalMs?: number;
  /** Age an unreferenced blob must reach before it is removed; default one day. */
  minAgeMs?: number;
};

export function createBlobSweeper(options: BlobSweeperOptions): Service & { sweep(): Promise<number> } {
  const log = options.logger.child({ component: 'blob-sweeper' });
  const intervalMs = options.intervalMs ?? 3_600_000;
  const minAgeMs = options.minAgeMs ?? 86_400_000;
  let timer: NodeJS.Timeout | undefined;
  const sweep = async () => {
    const removed = await options.repositories.conversations.deleteUnreferencedBlobs(new Date(options.clock.now().getTime() - minAgeMs));
    if (removed > 0) log.info({ event: 'blobs-removed', removed }, 'unreferenced attachment blobs removed');
    return removed;
  };
  return {
    name: 'blob-sweeper',
    sweep,
    async start() {
      timer = setInterval(() => {
        sweep().catch((error: unknown) => log.warn({ event: 'blob-sweep-failed', err: error }, 'could not remove unreferenced attachment blobs'));
      }, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
    },
  };
}
