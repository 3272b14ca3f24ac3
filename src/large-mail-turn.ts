// One large message in memory at a time per process. Under `deskbot serve` the IMAP leader's fetch and store of a
// message of many megabytes (its bytes, then pg's copy in the bind message) and the stored-mail worker's handling of
// another (its bytes, the parsed attachments) each take about twice the message's size; when the two overlapped,
// a burst with five ~20 MB messages peaked at 320-369 MB of RSS (bench:scale, target < 350 MB). Both take this turn
// for a message over the threshold, first come first served; neither waits for the other while holding it.

/** 8 MB: a message above this is rare, and two of them at once are worth waiting for. */
export const defaultLargeMailBytes = 8 * 1024 * 1024;

export interface LargeMailTurn {
  /** Whether a message of this many raw bytes takes the turn. */
  isLarge(bytes: number): boolean;
  /** Resolves when the turn is this caller's; call the returned function (once or more) to pass it on. */
  take(): Promise<() => void>;
}

export function createLargeMailTurn(thresholdBytes = defaultLargeMailBytes): LargeMailTurn {
  let taken = false;
  const waiting: Array<() => void> = [];
  const passOn = () => {
    const next = waiting.shift();
    if (next) next();
    else taken = false;
  };
  return {
    isLarge: (bytes) => bytes > thresholdBytes,
    async take() {
      if (taken) await new Promise<void>((resolve) => waiting.push(resolve));
      taken = true;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        passOn();
      };
    },
  };
}
