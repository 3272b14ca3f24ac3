// The full collection serve asks of V8 once intake goes quiet after a burst: when it comes, when it does not, and
// that it really gives the heap back.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { collectGarbage, createQuietCollection } from '../../src/jobs/quiet-collection.ts';
import { createSilentLogger } from '../../src/logger.ts';

describe('quiet-time collection', () => {
  afterEach(() => vi.useRealTimers());

  const started = async (minWork: number) => {
    const collect = vi.fn(async () => undefined);
    const quiet = createQuietCollection({ logger: createSilentLogger(), quietMs: 2_000, minWork, collect, now: () => Date.now() });
    await quiet.start();
    return { quiet, collect };
  };

  it('collects once, after the work has been quiet for quietMs, and not while it goes on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { quiet, collect } = await started(3);
    for (let message = 0; message < 10; message += 1) {
      quiet.noteWork();
      await vi.advanceTimersByTimeAsync(1_500);
    }
    expect(collect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(600);
    expect(collect).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(collect).toHaveBeenCalledTimes(1);
    // The next burst brings the next collection.
    for (let message = 0; message < 3; message += 1) quiet.noteWork();
    await vi.advanceTimersByTimeAsync(2_000);
    expect(collect).toHaveBeenCalledTimes(2);
  });

  it('skips a quiet spell after fewer messages than minWork, and collects nothing once stopped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { quiet, collect } = await started(3);
    quiet.noteWork();
    quiet.noteWork();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collect).not.toHaveBeenCalled();
    for (let message = 0; message < 5; message += 1) quiet.noteWork();
    await quiet.stop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(collect).not.toHaveBeenCalled();
  });

  it('collects once when start-up is done: at once when no mail came, after quietMs of no mail otherwise', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const idle = await started(3);
    await vi.advanceTimersByTimeAsync(5_000);
    idle.quiet.startUpDone();
    await vi.advanceTimersByTimeAsync(0);
    expect(idle.collect).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(idle.collect).toHaveBeenCalledTimes(1);

    // Mail arriving: no collection while it comes (one message, below minWork, still gets start-up's after it).
    const busy = await started(3);
    busy.quiet.noteWork();
    busy.quiet.startUpDone();
    await vi.advanceTimersByTimeAsync(1_500);
    busy.quiet.noteWork();
    await vi.advanceTimersByTimeAsync(1_500);
    expect(busy.collect).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(600);
    expect(busy.collect).toHaveBeenCalledTimes(1);
  });

  it('makes no start-up collection once stopped, and logs a failed one instead of throwing', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const stopped = await started(3);
    await stopped.quiet.stop();
    stopped.quiet.startUpDone();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stopped.collect).not.toHaveBeenCalled();

    const failing = await started(3);
    failing.collect.mockRejectedValueOnce(new Error('inspector busy'));
    await vi.advanceTimersByTimeAsync(5_000);
    failing.quiet.startUpDone();
    await vi.advanceTimersByTimeAsync(0);
    expect(failing.collect).toHaveBeenCalledTimes(1);
  });

  it('gives back the garbage V8 had not collected', async () => {
    let garbage: Array<{ index: number; text: string }> | null = Array.from({ length: 300_000 }, (_, index) => ({ index, text: `entry ${index}` }));
    expect(garbage.length).toBe(300_000);
    garbage = null;
    const before = process.memoryUsage().heapUsed;
    await collectGarbage();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 10 * 1024 * 1024);
  });
});
