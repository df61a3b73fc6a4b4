import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, type Clock, type Depth } from '@qt/shared';

/** At most this many pushes per second per subscriber: a ladder on screen cannot show more. */
export const DEFAULT_DEPTH_PUSHES_PER_SECOND = 10;
/** Live depth streams per book; one more is refused (each holds one pending state, nothing else). */
export const MAX_DEPTH_SUBSCRIBERS_PER_BOOK = 1_000;

type Listener = (d: Depth) => void;

/**
 * The latest published state of every book (what `market.depth` answers) and live streams of it (what
 * `market.onDepth` serves). One entry per followed (venue, symbol): the map never grows past the books
 * the engine runs. A stream is conflated per subscriber: it holds one pending state, replaced by newer
 * ones, and yields it at most every `minIntervalMs`, so a slow client never queues old books.
 */
export class DepthStore {
  readonly #clock: Clock;
  readonly #latest = new Map<string, Depth>();
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  set(d: Depth): void {
    const key = keyOf(d.venue, d.symbol);
    this.#latest.set(key, d);
    const listeners = this.#listeners.get(key);
    if (listeners) for (const l of listeners) l(d);
  }

  latest(venue: string, symbol: string): Depth | null {
    return this.#latest.get(keyOf(venue, symbol)) ?? null;
  }

  subscriberCount(venue: string, symbol: string): number {
    return this.#listeners.get(keyOf(venue, symbol))?.size ?? 0;
  }

  /**
   * The current state first (if any), then the newest one at most every `minIntervalMs`, until `signal`
   * aborts. Throws SUBSCRIPTION_LIMIT when the book already has `MAX_DEPTH_SUBSCRIBERS_PER_BOOK` streams.
   */
  stream(
    venue: string,
    symbol: string,
    signal: AbortSignal,
    minIntervalMs = 1000 / DEFAULT_DEPTH_PUSHES_PER_SECOND,
  ): AsyncGenerator<Depth> {
    const key = keyOf(venue, symbol);
    let listeners = this.#listeners.get(key);
    if ((listeners?.size ?? 0) >= MAX_DEPTH_SUBSCRIBERS_PER_BOOK) {
      throw new AppError(
        'SUBSCRIPTION_LIMIT',
        `Too many live depth streams for ${venue} ${symbol}; try again later.`,
        { venue, symbol, limit: MAX_DEPTH_SUBSCRIBERS_PER_BOOK },
      );
    }
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    const set = listeners;
    let pending: Depth | null = this.#latest.get(key) ?? null;
    let wake: (() => void) | null = null;
    const listener: Listener = (d) => {
      pending = d;
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
            // States arriving meanwhile replace `pending`: the subscriber gets the newest one.
            await sleep(wait, undefined, { signal }).catch(() => {});
            continue;
          }
          const d: Depth = pending;
          pending = null;
          lastSent = clock.now();
          yield d;
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
