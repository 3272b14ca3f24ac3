// The large-mail turn: one holder at a time, first come first served, a release counts once, small messages never take it.
import { describe, expect, it } from 'vitest';
import { createLargeMailTurn } from '../src/large-mail-turn.ts';

describe('large-mail turn', () => {
  it('is taken only for messages over the threshold', () => {
    const turn = createLargeMailTurn(1_000);
    expect(turn.isLarge(1_000)).toBe(false);
    expect(turn.isLarge(1_001)).toBe(true);
  });

  it('passes the turn on in the order it was asked for, and a second release does not pass it twice', async () => {
    const turn = createLargeMailTurn(1_000);
    const order: string[] = [];
    const first = await turn.take();
    const second = turn.take().then((release) => {
      order.push('second');
      return release;
    });
    const third = turn.take().then((release) => {
      order.push('third');
      return release;
    });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual([]);
    first();
    first();
    const releaseSecond = await second;
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(order).toEqual(['second']);
    releaseSecond();
    (await third)();
    expect(order).toEqual(['second', 'third']);
    // Free again: taken at once.
    (await turn.take())();
  });
});
