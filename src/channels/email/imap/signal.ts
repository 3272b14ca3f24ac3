// Two small waiting primitives of the IMAP intake: Signal wakes every task waiting for a condition to change,
// Wakeup lets the session loop sleep until a deadline or an event.

/** Wakes every task waiting for a change (a message settled, a stop); a waiter re-checks its condition. */
export class Signal {
  private waiters: Array<() => void> = [];

  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }

  async until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}

/** Lets the loop sleep until a deadline or until an event (new mail, close, stop) wakes it. */
export class Wakeup {
  private pending = false;
  private wake: (() => void) | undefined;

  notify(): void {
    if (this.wake) {
      const wake = this.wake;
      this.wake = undefined;
      wake();
    } else {
      this.pending = true;
    }
  }

  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(
        () => {
          this.wake = undefined;
          resolve();
        },
        Math.max(0, Math.min(ms, 2_147_000_000)),
      );
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
