// How far V8 lets the heap grow past its live data before the next full collection, for the long-running `serve`
// process. V8 sizes that step by the machine's memory: on a host with 2 GB of heap limit or more (16 GB of RAM) it
// allows up to 4x the live heap, so ~70 MB of live data grew to ~280 MB, mostly garbage, through a mail backlog, and
// stayed committed afterwards. A fixed smaller step (V8's --heap-growing-percent, read at every collection) keeps the
// heap near its live size without a hard cap, so a burst of large messages cannot run into a heap limit because of it.
import v8 from 'node:v8';

/** What was applied: the percentage, or why V8's own policy stays. */
export type HeapGrowth = { percent: number } | { percent: undefined; reason: 'disabled' | 'set-on-node-command-line' };

/**
 * Sets V8's heap growing factor to 1 + percent/100 for this process (0 keeps V8's own policy). A
 * `--heap-growing-percent` given to node itself wins (NODE_OPTIONS does not accept that flag). Process-wide; call
 * once from the composition root.
 */
export function applyHeapGrowth(percent: number, execArgv: readonly string[] = process.execArgv): HeapGrowth {
  if (percent <= 0) return { percent: undefined, reason: 'disabled' };
  if (execArgv.some((flag) => /^--heap[-_]growing[-_]percent(=|$)/.test(flag))) return { percent: undefined, reason: 'set-on-node-command-line' };
  v8.setFlagsFromString(`--heap-growing-percent=${percent}`);
  return { percent };
}
