/**
 * An exact sliding-window rate limit: an event at time t is admitted only if fewer than `limit` events
 * were admitted in (t - windowMs, t]. So no window of `windowMs`, wherever it starts, ever holds more than
 * `limit` admitted events; bursts across a second or minute boundary get no second helping.
 *
 * Why not a token bucket or GCRA: both let a full burst through and then refill at limit/window, so a
 * window of `windowMs` can hold up to 2 x limit - 1 events; a fixed window has the same flaw at its
 * boundary. Exactness costs a ring of the last `limit` admission times per account and window (a few
 * hundred numbers at most, see the tier table), and each decision is O(1).
 *
 * Times are the injected clock's milliseconds; a clock that steps back is treated as standing still.
 */
export class SlidingWindowLimiter {
  readonly windowMs: number;
  #limit: number;
  /** The last admission times; its length is the largest limit ever set, so lowering one forgets nothing. */
  #ring: number[];
  /** The next slot to write; once the ring is full, also the oldest admission. */
  #head = 0;
  #size = 0;
  #latest = Number.NEGATIVE_INFINITY;

  constructor(limit: number, windowMs: number) {
    checkLimit(limit);
    this.windowMs = windowMs;
    this.#limit = limit;
    this.#ring = new Array<number>(limit).fill(0);
  }

  get limit(): number {
    return this.#limit;
  }

  /** Whether an event at `now` would be admitted; changes nothing. */
  allows(now: number): boolean {
    const nth = this.#nthLatest();
    return nth === undefined || nth <= this.#at(now) - this.windowMs;
  }

  /** Records an admitted event; call only after `allows(now)` said yes. */
  record(now: number): void {
    const t = this.#at(now);
    this.#latest = t;
    this.#ring[this.#head] = t;
    this.#head = (this.#head + 1) % this.#ring.length;
    if (this.#size < this.#ring.length) this.#size++;
  }

  /** Admitted events in (now - windowMs, now]: the usage the dashboard shows. */
  used(now: number): number {
    const from = this.#at(now) - this.windowMs;
    return this.times().filter((t) => t > from).length;
  }

  /** When the next event would be admitted (now, if it would be now). */
  nextAllowedAt(now: number): number {
    const nth = this.#nthLatest();
    return nth === undefined ? this.#at(now) : Math.max(this.#at(now), nth + this.windowMs);
  }

  /** Follows a new limit; admissions already made keep counting against it. */
  resize(limit: number): void {
    checkLimit(limit);
    if (limit > this.#ring.length) {
      const times = this.times();
      this.#ring = [...times, ...new Array<number>(limit - times.length).fill(0)];
      this.#head = times.length % limit;
      this.#size = times.length;
    }
    this.#limit = limit;
  }

  /** Admission times still remembered, oldest first (for snapshots). */
  times(): number[] {
    const n = this.#ring.length;
    const start = this.#size < n ? 0 : this.#head;
    const out: number[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(start + i) % n] ?? 0);
    return out;
  }

  /** The limit-th most recent admission: the one that must have left the window. */
  #nthLatest(): number | undefined {
    if (this.#size < this.#limit) return undefined;
    const n = this.#ring.length;
    return this.#ring[(this.#head - this.#limit + n) % n];
  }

  #at(now: number): number {
    return Math.max(now, this.#latest);
  }
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a rate limit is >= 1, not ${limit}`);
}
