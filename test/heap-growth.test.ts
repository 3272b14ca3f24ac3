// The serve process's V8 heap growth setting: applied unless disabled or already given to node on its command line.
import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { applyHeapGrowth } from '../src/heap-growth.ts';

describe('applyHeapGrowth', () => {
  afterEach(() => vi.restoreAllMocks());

  it('sets --heap-growing-percent for the process', () => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString');
    expect(applyHeapGrowth(30, [])).toEqual({ percent: 30 });
    expect(setFlags).toHaveBeenCalledWith('--heap-growing-percent=30');
  });

  it('keeps V8 policy at 0', () => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString');
    expect(applyHeapGrowth(0, [])).toEqual({ percent: undefined, reason: 'disabled' });
    expect(setFlags).not.toHaveBeenCalled();
  });

  it.each([['--heap-growing-percent=50'], ['--heap_growing_percent=50'], ['--heap-growing-percent']])('leaves a node flag %s alone', (flag) => {
    const setFlags = vi.spyOn(v8, 'setFlagsFromString');
    expect(applyHeapGrowth(30, ['--enable-source-maps', flag])).toEqual({ percent: undefined, reason: 'set-on-node-command-line' });
    expect(setFlags).not.toHaveBeenCalled();
  });

  it('reads HEAP_GROWTH_PERCENT: 30 by default, 0 allowed, a negative value refused', () => {
    expect(loadConfig({}).HEAP_GROWTH_PERCENT).toBe(30);
    expect(loadConfig({ HEAP_GROWTH_PERCENT: '0' }).HEAP_GROWTH_PERCENT).toBe(0);
    expect(() => loadConfig({ HEAP_GROWTH_PERCENT: '-5' })).toThrow(/HEAP_GROWTH_PERCENT/);
  });
});
