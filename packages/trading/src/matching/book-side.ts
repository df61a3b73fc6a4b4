import type { BookOrder } from './order.ts';

/** One price of one side: our orders at that price in arrival order (an intrusive FIFO list). */
export class PriceLevel {
  readonly price: number;
  head: BookOrder | null = null;
  tail: BookOrder | null = null;
  count = 0;
  /** Quantity the market traded at this price against this side since the level was created (queue model). */
  flow = 0n;

  constructor(price: number) {
    this.price = price;
  }
}

/**
 * One side of a book, sorted so the best level is LAST: `best()` and removing the best are O(1), finding
 * a level by price is a Map lookup, and a market event touches only the levels it crosses. A new level
 * is placed by binary search and `splice`; that move is O(levels), but levels are far fewer than orders
 * and new levels appear mostly near the touch (the end of the array), where the move is short. Measured
 * in bench/matching.bench.ts with 100,000 resting orders.
 *
 * `sign` says which prices are better: +1 higher is better (bids, sell stops: the highest triggers
 * first), -1 lower is better (asks, buy stops).
 */
export class BookSide {
  readonly sign: 1 | -1;
  readonly #levels: PriceLevel[] = [];
  readonly #byPrice = new Map<number, PriceLevel>();
  #orders = 0;

  constructor(sign: 1 | -1) {
    this.sign = sign;
  }

  get orderCount(): number {
    return this.#orders;
  }

  get levelCount(): number {
    return this.#levels.length;
  }

  best(): PriceLevel | undefined {
    return this.#levels[this.#levels.length - 1];
  }

  /** Appends `order` at `price` (behind every order already there) and returns its level. */
  add(order: BookOrder, price: number): PriceLevel {
    let level = this.#byPrice.get(price);
    if (!level) {
      level = new PriceLevel(price);
      this.#byPrice.set(price, level);
      this.#insertLevel(level);
    }
    order.level = level;
    order.prev = level.tail;
    order.next = null;
    if (level.tail) level.tail.next = order;
    else level.head = order;
    level.tail = order;
    level.count++;
    this.#orders++;
    return level;
  }

  /** Unlinks `order` from its level, and drops the level when it empties. */
  remove(order: BookOrder): void {
    const level = order.level;
    if (!level) return;
    if (order.prev) order.prev.next = order.next;
    else level.head = order.next;
    if (order.next) order.next.prev = order.prev;
    else level.tail = order.prev;
    order.prev = null;
    order.next = null;
    order.level = null;
    level.count--;
    this.#orders--;
    if (level.count === 0) this.#removeLevel(level);
  }

  /** Every order from best to worst level, FIFO within a level (for snapshots and tests). */
  *orders(): Generator<BookOrder> {
    for (let i = this.#levels.length - 1; i >= 0; i--) {
      for (let o = this.#levels[i]?.head ?? null; o; o = o.next) yield o;
    }
  }

  #insertLevel(level: PriceLevel): void {
    const levels = this.#levels;
    const key = level.price * this.sign;
    // Fast path: a new best (the common case near the touch).
    const last = levels[levels.length - 1];
    if (!last || last.price * this.sign < key) {
      levels.push(level);
      return;
    }
    levels.splice(this.#lowerBound(key), 0, level);
  }

  #removeLevel(level: PriceLevel): void {
    this.#byPrice.delete(level.price);
    const levels = this.#levels;
    if (levels[levels.length - 1] === level) {
      levels.pop();
      return;
    }
    const i = this.#lowerBound(level.price * this.sign);
    if (levels[i] === level) levels.splice(i, 1);
  }

  /** First index whose key (price x sign) is >= key. */
  #lowerBound(key: number): number {
    const levels = this.#levels;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((levels[mid] as PriceLevel).price * this.sign < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
