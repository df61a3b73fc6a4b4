/**
 * Nothing in the engine reads the wall clock directly: components take a Clock, so tests and backtests
 * drive time themselves and replays are deterministic.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const liveClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; for tests and replays. */
export class ManualClock implements Clock {
  #now: number;

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  advance(ms: number): void {
    if (ms < 0) throw new RangeError('a clock does not go backwards');
    this.#now += ms;
  }

  set(ms: number): void {
    if (ms < this.#now) throw new RangeError('a clock does not go backwards');
    this.#now = ms;
  }
}
