/**
 * A venue's REST request budget, kept by the client so it never trips the venue's limit: a fixed window
 * of `capacity` units (Binance: request weight per minute; OKX: requests per 2 s), corrected upwards by
 * what the venue reports it has counted (`X-MBX-USED-WEIGHT-1M`), and closed entirely while the venue
 * has said to wait (429 / 418 `Retry-After`). Requests wait their turn in a bounded queue, first come
 * first served.
 */
export interface RestBudgetOptions {
  /** Units per window (the venue's published limit). */
  capacity: number;
  windowMs: number;
  /** Fraction of the capacity this client may use (others may share the IP); default 0.5. */
  share?: number;
  /** Waiters at most; one more is refused (`take` rejects). Default 64. */
  maxWaiters?: number;
  now?: () => number;
}

export class RestBudgetFullError extends Error {
  constructor() {
    super('REST budget queue full');
    this.name = 'RestBudgetFullError';
  }
}

export class RestBudget {
  readonly #capacity: number;
  readonly #windowMs: number;
  readonly #maxWaiters: number;
  readonly #now: () => number;
  #windowStart = 0;
  #used = 0;
  #blockedUntil = 0;
  #waiters = 0;
  #tail: Promise<void> = Promise.resolve();

  constructor(opts: RestBudgetOptions) {
    this.#capacity = Math.max(1, Math.floor(opts.capacity * (opts.share ?? 0.5)));
    this.#windowMs = opts.windowMs;
    this.#maxWaiters = opts.maxWaiters ?? 64;
    this.#now = opts.now ?? Date.now;
  }

  /** Units counted in the current window (ours, or the venue's figure when higher). */
  get used(): number {
    this.#roll(this.#now());
    return this.#used;
  }

  /** Until when (ms, `now` clock) the venue told us to send nothing; 0 when not blocked. */
  get blockedUntil(): number {
    return this.#blockedUntil > this.#now() ? this.#blockedUntil : 0;
  }

  /**
   * Resolves when `units` may be spent now (and counts them). Waits for the next window or the end of a
   * block; rejects with `RestBudgetFullError` when too many wait, or the signal's reason when aborted.
   */
  take(units: number, signal?: AbortSignal): Promise<void> {
    if (this.#waiters >= this.#maxWaiters) return Promise.reject(new RestBudgetFullError());
    this.#waiters++;
    const turn = this.#tail.then(() => this.#wait(units, signal));
    // The next waiter goes after this one whatever happens to it.
    this.#tail = turn.catch(() => {});
    return turn.finally(() => {
      this.#waiters--;
    });
  }

  /** The venue's own count for the window (a weight header): ours is raised to it, never lowered. */
  observeUsed(units: number): void {
    this.#roll(this.#now());
    if (Number.isFinite(units) && units > this.#used) this.#used = units;
  }

  /** The venue said to wait (429/418 Retry-After): nothing goes out until then. */
  blockFor(ms: number): void {
    const until = this.#now() + Math.max(0, ms);
    if (until > this.#blockedUntil) this.#blockedUntil = until;
  }

  async #wait(units: number, signal?: AbortSignal): Promise<void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.#now();
      this.#roll(now);
      let delay = 0;
      if (this.#blockedUntil > now) delay = this.#blockedUntil - now;
      else if (this.#used + units > this.#capacity && this.#used > 0)
        delay = this.#windowStart + this.#windowMs - now;
      if (delay <= 0) {
        this.#used += units;
        return;
      }
      await sleep(delay, signal);
    }
  }

  #roll(now: number): void {
    const start = now - (now % this.#windowMs);
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#used = 0;
    }
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(1, Math.ceil(ms)),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
