// The interfaces use cases need from the outside world; channels, store and jobs implement them.

/** Where "now" comes from; tests pass a controllable clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A long-running part of `deskbot serve` (intake, dispatcher, sweeper, Slack). */
export interface Service {
  readonly name: string;
  start(): Promise<void>;
  /** Stop taking new work, finish or hand back claimed work, release connections. */
  stop(): Promise<void>;
}
