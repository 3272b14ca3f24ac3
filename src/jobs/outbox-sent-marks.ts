// Marks delivered outbox rows sent in groups (group commit): deliveries that finish while one mark-sent statement
// runs or waits its window are marked together by the next, so under load one UPDATE covers many rows. The window
// holds no delivery slot (the row stays leased meanwhile) and is cut short by hurry() at drain and stop.
import type { Clock } from '../app/ports.ts';
import type { ClaimedOutboxItem, OutboxDelivery } from '../app/outbox-delivery.ts';

export interface SentMarks {
  /** Resolves once the row's mark-sent statement ran: true when this claim still owned the row. */
  mark(item: ClaimedOutboxItem): Promise<boolean>;
  /** Ends the current window now. */
  hurry(): void;
}

/** `windowMs` is read at each group: how long it waits for more finished deliveries to join it. */
export function createSentMarks(repository: Pick<OutboxDelivery, 'markSentMany'>, clock: Clock, windowMs: () => number): SentMarks {
  let toMark: Array<{ item: ClaimedOutboxItem; done: (marked: boolean) => void; failed: (error: unknown) => void }> = [];
  let marking: Promise<void> | undefined;
  let hurry: (() => void) | undefined;
  const wait = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        hurry = undefined;
        resolve();
      };
      const timer = setTimeout(done, windowMs());
      hurry = done;
    });
  const markGroups = async () => {
    while (toMark.length) {
      await wait();
      const group = toMark;
      toMark = [];
      try {
        const marked = await repository.markSentMany(
          group.map((entry) => entry.item),
          clock.now(),
        );
        for (const entry of group) entry.done(marked.has(entry.item.id));
      } catch (error) {
        for (const entry of group) entry.failed(error);
      }
    }
  };
  const startMarking = () => {
    if (!marking)
      marking = markGroups().finally(() => {
        marking = undefined;
        if (toMark.length) startMarking();
      });
  };
  return {
    mark: (item) =>
      new Promise((done, failed) => {
        toMark.push({ item, done, failed });
        startMarking();
      }),
    hurry: () => hurry?.(),
  };
}
