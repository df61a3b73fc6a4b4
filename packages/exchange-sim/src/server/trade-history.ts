import type { TradeBatch } from '../market/trade-batch.ts';

/**
 * The recent trades of one (venue, symbol) stream as the venue's REST history serves them: a ring of
 * flat typed arrays (no object per trade), oldest first, ids increasing. Trades the gap fault withholds
 * from the sockets are recorded here too, so a client can repair the gap over REST; ids the skip fault
 * jumps over never existed and are absent, as are trades older than the ring (both unrepairable).
 */
export class TradeHistory {
  readonly capacity: number;
  #start = 0;
  #size = 0;
  readonly #id: Float64Array;
  readonly #price: Float64Array;
  readonly #lots: Float64Array;
  readonly #buy: Uint8Array;
  readonly #time: Float64Array;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#id = new Float64Array(this.capacity);
    this.#price = new Float64Array(this.capacity);
    this.#lots = new Float64Array(this.capacity);
    this.#buy = new Uint8Array(this.capacity);
    this.#time = new Float64Array(this.capacity);
  }

  get size(): number {
    return this.#size;
  }

  /** Appends the batch's trades, stamped `time` (the tick's frame time, the same the sockets print). */
  record(batch: TradeBatch, time: number): void {
    for (let i = 0; i < batch.n; i += 1) {
      const id = batch.id[i] as number;
      // An id reset (a venue restarting its ids): history by id only makes sense from the reset on.
      if (this.#size > 0 && id <= (this.#id[this.#slot(this.#size - 1)] as number)) this.clear();
      const slot = this.#size < this.capacity ? this.#slot(this.#size) : this.#start;
      this.#id[slot] = id;
      this.#price[slot] = batch.price[i] as number;
      this.#lots[slot] = batch.lots[i] as number;
      this.#buy[slot] = batch.buy[i] as number;
      this.#time[slot] = time;
      if (this.#size < this.capacity) this.#size += 1;
      else this.#start = (this.#start + 1) % this.capacity;
    }
  }

  clear(): void {
    this.#start = 0;
    this.#size = 0;
  }

  /** The position (0 = oldest) of the first trade with id >= `id`; `size` when there is none. */
  lowerBound(id: number): number {
    let lo = 0;
    let hi = this.#size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#id[this.#slot(mid)] as number) < id) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The trade at position `k` (0 = oldest). */
  at(k: number): { id: number; price: number; lots: number; buy: boolean; time: number } {
    const s = this.#slot(k);
    return {
      id: this.#id[s] as number,
      price: this.#price[s] as number,
      lots: this.#lots[s] as number,
      buy: this.#buy[s] === 1,
      time: this.#time[s] as number,
    };
  }

  #slot(k: number): number {
    return (this.#start + k) % this.capacity;
  }
}

/**
 * Removes the first `count` trades of `batch` in place (the gap fault: generated, recorded in the
 * history, never sent). Returns how many were removed.
 */
export function withholdFront(batch: TradeBatch, count: number): number {
  const k = Math.min(count, batch.n);
  if (k === 0) return 0;
  batch.price.copyWithin(0, k, batch.n);
  batch.lots.copyWithin(0, k, batch.n);
  batch.buy.copyWithin(0, k, batch.n);
  batch.order.copyWithin(0, k, batch.n);
  batch.id.copyWithin(0, k, batch.n);
  batch.n -= k;
  return k;
}
