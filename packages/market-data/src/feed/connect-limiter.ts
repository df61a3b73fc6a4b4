import type { Clock } from '@qt/shared';

/** Spaces connection attempts so that at most `max` start within any `windowMs`. */
export interface ConnectLimiter {
  /** Books the next attempt and returns how long to wait before making it (0: go now). */
  reserve(): number;
}

/**
 * A sliding-window limiter over booked attempt times. Share one per venue across feeds in a process:
 * venues count attempts per IP (Binance 300 per 5 min, OKX 3 per s, Bybit 500 per 5 min per domain).
 */
export class SlidingWindowLimiter implements ConnectLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #clock: Clock;
  /** Booked attempt times, ascending. */
  readonly #booked: number[] = [];

  constructor(limit: { max: number; windowMs: number }, clock: Clock) {
    this.#max = limit.max;
    this.#windowMs = limit.windowMs;
    this.#clock = clock;
  }

  reserve(): number {
    const now = this.#clock.now();
    while (this.#booked.length > 0 && (this.#booked[0] as number) <= now - this.#windowMs)
      this.#booked.shift();
    let at = now;
    if (this.#booked.length >= this.#max) {
      // The attempt `max` places back must leave the window first.
      at = Math.max(now, (this.#booked[this.#booked.length - this.#max] as number) + this.#windowMs);
    }
    this.#booked.push(at);
    return at - now;
  }
}
