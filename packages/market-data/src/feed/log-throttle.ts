/**
 * At most one log line per key per period, carrying how many were held back since the last one: a venue
 * that loses a trade every few frames must not flood the log (1,184 gap warnings in 90 s were seen live).
 * Keys are forgotten once quiet for a period, so the map stays as small as the set of noisy keys.
 */
export class LogThrottle {
  readonly #periodMs: number;
  readonly #now: () => number;
  readonly #keys = new Map<string, { at: number; suppressed: number }>();

  constructor(periodMs: number, now: () => number) {
    this.#periodMs = periodMs;
    this.#now = now;
  }

  /** The number of lines held back before this one when it may be logged now; null to hold it back. */
  take(key: string): number | null {
    const now = this.#now();
    const entry = this.#keys.get(key);
    if (entry !== undefined && now - entry.at < this.#periodMs) {
      entry.suppressed++;
      return null;
    }
    if (this.#keys.size > 1000) this.#sweep(now);
    const suppressed = entry?.suppressed ?? 0;
    this.#keys.set(key, { at: now, suppressed: 0 });
    return suppressed;
  }

  #sweep(now: number): void {
    for (const [key, e] of this.#keys) if (now - e.at >= this.#periodMs) this.#keys.delete(key);
  }
}
