export interface BackoffOptions {
  /** The first delay. */
  initialMs: number;
  /** No delay exceeds this. */
  maxMs: number;
  factor?: number;
  /** In [0, 1); `Math.random` by default. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": each delay is drawn from [d/2, d] where d doubles per failure up
 * to the cap, so reconnecting clients spread out yet never retry in a tight loop. `reset()` once a
 * connection proves itself (the feed: when a socket delivers market data).
 */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #factor: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#initialMs = options.initialMs;
    this.#maxMs = options.maxMs;
    this.#factor = options.factor ?? 2;
    this.#random = options.random ?? Math.random;
  }

  get attempt(): number {
    return this.#attempt;
  }

  next(): number {
    const ceiling = Math.min(this.#maxMs, this.#initialMs * this.#factor ** this.#attempt);
    this.#attempt++;
    return Math.round(ceiling / 2 + (this.#random() * ceiling) / 2);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
