import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock, Quote } from '@qt/shared';

/** At most this many pushes per second per subscriber by default: a screen cannot show more. */
export const DEFAULT_QUOTE_PUSHES_PER_SECOND = 10;

type Listener = (q: Quote) => void;

/**
 * The latest best bid/ask per (venue, symbol) as the feeds report them, and live streams of it. Quotes
 * stay in-process (they are not on the bus: a venue sends many per second and only the latest matters),
 * so this is where the API reads them. A stream is conflated and throttled per subscriber: it yields the
 * latest quote at most every `minIntervalMs`, so a slow client never queues stale quotes.
 */
export class QuoteBook {
  readonly #clock: Clock;
  readonly #latest = new Map<string, Quote>();
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  onQuote(q: Quote): void {
    const key = keyOf(q.venue, q.symbol);
    this.#latest.set(key, q);
    const listeners = this.#listeners.get(key);
    if (listeners) for (const l of listeners) l(q);
  }

  latest(venue: string, symbol: string): Quote | null {
    return this.#latest.get(keyOf(venue, symbol)) ?? null;
  }

  subscriberCount(venue: string, symbol: string): number {
    return this.#listeners.get(keyOf(venue, symbol))?.size ?? 0;
  }

  /** The current quote first (if any), then the latest one at most every `minIntervalMs`, until `signal` aborts. */
  async *stream(
    venue: string,
    symbol: string,
    signal: AbortSignal,
    minIntervalMs = 1000 / DEFAULT_QUOTE_PUSHES_PER_SECOND,
  ): AsyncGenerator<Quote> {
    const key = keyOf(venue, symbol);
    let pending: Quote | null = this.#latest.get(key) ?? null;
    let wake: (() => void) | null = null;
    const listener: Listener = (q) => {
      pending = q;
      wake?.();
    };
    const onAbort = () => wake?.();
    let listeners = this.#listeners.get(key);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(key, listeners);
    }
    listeners.add(listener);
    signal.addEventListener('abort', onAbort);
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
        const wait = lastSent + minIntervalMs - this.#clock.now();
        if (wait > 0) {
          // Quotes arriving meanwhile replace `pending`: the subscriber gets the newest one.
          await sleep(wait, undefined, { signal }).catch(() => {});
          continue;
        }
        const q: Quote = pending;
        pending = null;
        lastSent = this.#clock.now();
        yield q;
      }
    } finally {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#listeners.get(key) === listeners) this.#listeners.delete(key);
      signal.removeEventListener('abort', onAbort);
    }
  }
}

function keyOf(venue: string, symbol: string): string {
  return `${venue}\u0000${symbol}`;
}
