import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type Clock } from '@qt/shared';

/** Live streams per (venue, symbol); one more is refused (each holds one pending value, nothing else). */
export const MAX_STREAMS_PER_MARKET = 1_000;

type Listener<T> = (v: T) => void;

/**
 * The latest value per (venue, symbol) and conflated live streams of it: the quote book (best bid/ask)
 * and the depth store (L2 books) are both this. One entry per followed market, so the map never grows
 * past what the engine follows. A stream holds one pending value, replaced by newer ones, and yields it
 * at most every `minIntervalMs`, so a slow client never queues stale values.
 */
export class LatestByMarket<T extends { venue: string; symbol: string }> {
  readonly #clock: Clock;
  /** Named in the refusal when a market already has MAX_STREAMS_PER_MARKET streams ("quote", "depth"). */
  readonly #what: string;
  readonly #latest = new Map<string, T>();
  readonly #listeners = new Map<string, Set<Listener<T>>>();

  constructor(clock: Clock, what: string) {
    this.#clock = clock;
    this.#what = what;
  }

  set(v: T): void {
    const key = keyOf(v.venue, v.symbol);
    this.#latest.set(key, v);
    const listeners = this.#listeners.get(key);
    if (listeners) for (const l of listeners) l(v);
  }

  latest(venue: string, symbol: string): T | null {
    return this.#latest.get(keyOf(venue, symbol)) ?? null;
  }

  subscriberCount(venue: string, symbol: string): number {
    return this.#listeners.get(keyOf(venue, symbol))?.size ?? 0;
  }

  /**
   * The current value first (if any), then the newest one at most every `minIntervalMs`, until `signal`
   * aborts. Throws SUBSCRIPTION_LIMIT when the market already has MAX_STREAMS_PER_MARKET streams.
   */
  stream(venue: string, symbol: string, signal: AbortSignal, minIntervalMs: number): AsyncGenerator<T> {
    const key = keyOf(venue, symbol);
    let listeners = this.#listeners.get(key);
    if ((listeners?.size ?? 0) >= MAX_STREAMS_PER_MARKET) {
      throw new AppError(
        'SUBSCRIPTION_LIMIT',
        `Too many live ${this.#what} streams for ${venue} ${symbol}; try again later.`,
        { venue, symbol, limit: MAX_STREAMS_PER_MARKET },
      );
    }
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    const set = listeners;
    let pending: T | null = this.#latest.get(key) ?? null;
    let wake: (() => void) | null = null;
    const listener: Listener<T> = (v) => {
      pending = v;
      wake?.();
    };
    // Registered now (not at the first `next()`), so the bound above counts every open stream.
    set.add(listener);
    const listenersByKey = this.#listeners;
    const release = () => {
      set.delete(listener);
      if (set.size === 0 && listenersByKey.get(key) === set) listenersByKey.delete(key);
    };
    // Also releases a stream that was never iterated (its `finally` would never run).
    const onAbort = () => {
      release();
      wake?.();
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const clock = this.#clock;
    return (async function* () {
      try {
        let lastSent = Number.NEGATIVE_INFINITY;
        while (!signal.aborted) {
          if (!pending) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            wake = null;
            continue;
          }
          const wait = lastSent + minIntervalMs - clock.now();
          if (wait > 0) {
            // Values arriving meanwhile replace `pending`: the subscriber gets the newest one.
            await sleep(wait, undefined, { signal }).catch(() => {});
            continue;
          }
          const v: T = pending;
          pending = null;
          lastSent = clock.now();
          yield v;
        }
      } finally {
        release();
        signal.removeEventListener('abort', onAbort);
      }
    })();
  }
}

function keyOf(venue: string, symbol: string): string {
  return `${venue}\u0000${symbol}`;
}
