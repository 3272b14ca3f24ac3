// The concurrency gate of the outbox's e-mail lane and Slack's work after ack(): a cap, in order, that can be closed.
import { describe, expect, it } from 'vitest';
import { concurrencyGate } from '../src/concurrency-gate.ts';

/** A task that runs until its `finish` is called, noting its start. */
function controlled(started: number[], index: number) {
  let finish!: (value: number) => void;
  let fail!: (error: Error) => void;
  const done = new Promise<number>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const task = () => {
    started.push(index);
    return done;
  };
  return { task, finish: () => finish(index), fail: (error: Error) => fail(error) };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('concurrencyGate', () => {
  it('runs at most the cap at once, the waiting ones in the order of the calls, a failure freeing its slot', async () => {
    const gate = concurrencyGate(2);
    const started: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((index) => controlled(started, index));
    const results = tasks.map((entry) => gate.run(entry.task));
    await settle();
    expect(started).toEqual([0, 1]);
    tasks[1]?.fail(new Error('send failed'));
    await expect(results[1]).rejects.toThrow('send failed');
    await settle();
    expect(started).toEqual([0, 1, 2]);
    tasks[0]?.finish();
    expect(await results[0]).toBe(0);
    await settle();
    expect(started).toEqual([0, 1, 2, 3]);
    for (const entry of tasks.slice(2)) entry.finish();
    expect(await Promise.all(results.slice(2))).toEqual([2, 3, 4]);
    expect(started).toEqual([0, 1, 2, 3, 4]);
  });

  it('dropWaiting refuses the waiting tasks and later ones, and lets the running ones end', async () => {
    const gate = concurrencyGate(1);
    const started: number[] = [];
    const [running, waiting] = [0, 1].map((index) => controlled(started, index));
    const first = gate.run(running!.task);
    const second = gate.run(waiting!.task);
    await settle();
    gate.dropWaiting();
    await expect(second).rejects.toMatchObject({ code: 'INVALID_STATE' });
    await expect(gate.run(async () => 7)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    running!.finish();
    expect(await first).toBe(0);
    expect(started).toEqual([0]);
  });

  it('close takes no more tasks and resolves once the running and waiting ones have ended', async () => {
    const gate = concurrencyGate(1);
    const started: number[] = [];
    const [a, b] = [0, 1].map((index) => controlled(started, index));
    const results = [gate.run(a!.task), gate.run(b!.task)];
    let closed = false;
    const closing = gate.close().then(() => (closed = true));
    await expect(gate.run(async () => 7)).rejects.toMatchObject({ code: 'INVALID_STATE' });
    a!.finish();
    await settle();
    expect(started).toEqual([0, 1]);
    expect(closed).toBe(false);
    b!.finish();
    await closing;
    expect(await Promise.all(results)).toEqual([0, 1]);
    expect(await concurrencyGate(3).close()).toBeUndefined();
  });
});
