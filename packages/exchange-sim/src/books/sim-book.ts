import { hashString, Rng } from '../market/rng.ts';
import type { TradeStream } from '../market/trade-stream.ts';

/**
 * The simulator's L2 book for one (venue, symbol): built around the trade stream's best bid/ask (which
 * the price process moves), `depth` levels per side on the tick grid with random gaps and log-normal-ish
 * sizes. Every level change gets the next update id (as Binance numbers them) and is recorded in
 * `changes` for the step, so each venue encoder can publish diffs in its own format and cadence.
 *
 * The book only exists once someone asked for depth (`activate`): a simulator nobody asks for books
 * spends nothing on them.
 */

/** One level change: `lots` 0 removes the level. `id` is the book's update id after the change. */
export interface BookChange {
  bid: boolean;
  price: number;
  lots: number;
  id: number;
}

export class SimBook {
  readonly stream: TradeStream;
  readonly depth: number;
  /** Prices in ticks, best first; sizes in lots by price. */
  readonly bidPrices: number[] = [];
  readonly askPrices: number[] = [];
  readonly bidLots = new Map<number, number>();
  readonly askLots = new Map<number, number>();
  /** Update id of the last change (Binance `u`), starting well above zero as live books do. */
  updateId: number;
  /** Changes made by the last `step` (cleared at the start of each). */
  readonly changes: BookChange[] = [];
  active = false;
  #bboSeen = -1;
  readonly #rng: Rng;
  readonly #medianLots: number;

  constructor(stream: TradeStream, depth = 200) {
    this.stream = stream;
    this.depth = depth;
    const salt = hashString(`book:${stream.venue}:${stream.spec.symbol}`);
    this.#rng = new Rng(salt, salt);
    this.updateId = 1_000_000_000 + (salt % 1_000_000);
    this.#medianLots = Math.max(1, stream.bidLots);
  }

  activate(): void {
    if (this.active) return;
    this.active = true;
    this.changes.length = 0;
    this.#follow();
  }

  /** Follow the stream's best bid/ask; no-op while inactive or when it has not moved. */
  step(): void {
    this.changes.length = 0;
    if (!this.active || this.stream.bboVersion === this.#bboSeen) return;
    this.#follow();
  }

  /** Lots at a price of a side (0 when no level). */
  lotsAt(bid: boolean, price: number): number {
    return (bid ? this.bidLots : this.askLots).get(price) ?? 0;
  }

  #set(bid: boolean, price: number, lots: number): void {
    const map = bid ? this.bidLots : this.askLots;
    if (lots === 0) map.delete(price);
    else map.set(price, lots);
    this.updateId += 1;
    this.changes.push({ bid, price, lots, id: this.updateId });
  }

  #size(): number {
    const r = this.#rng;
    return Math.max(1, Math.round(this.#medianLots * Math.exp(1.2 * r.normal())));
  }

  #follow(): void {
    const s = this.stream;
    this.#bboSeen = s.bboVersion;
    this.#side(true, s.bidTicks, s.bidLots);
    this.#side(false, s.askTicks, s.askLots);
    // A few changes deeper in the book: orders placed and cancelled away from the touch.
    for (const bid of [true, false]) {
      const prices = bid ? this.bidPrices : this.askPrices;
      for (let k = 0; k < 2 && prices.length > 1; k++) {
        const rank = 1 + Math.floor(this.#rng.next() * (prices.length - 1));
        const price = prices[rank] as number;
        if (this.#rng.next() < 0.2) {
          prices.splice(rank, 1);
          this.#set(bid, price, 0);
        } else {
          this.#set(bid, price, this.#size());
        }
      }
    }
  }

  /** One side: `best` becomes the best level with `bestLots`; then the side is refilled to `depth`. */
  #side(bid: boolean, best: number, bestLots: number): void {
    const prices = bid ? this.bidPrices : this.askPrices;
    const better = (a: number, b: number) => (bid ? a > b : a < b);
    // Levels better than the new best were taken or cancelled.
    while (prices.length > 0 && better(prices[0] as number, best))
      this.#set(bid, prices.shift() as number, 0);
    const step = bid ? -1 : 1;
    const oldBest = prices[0];
    if (oldBest !== best) {
      // The touch moved away from the book: refill the gap between the new best and the old one.
      const fill: number[] = [best];
      if (oldBest !== undefined) {
        for (let p = best + step; p !== oldBest && fill.length < this.depth; p += step)
          if (p >= 1 && this.#rng.next() < 0.6) fill.push(p);
      }
      prices.unshift(...fill);
      for (const p of fill) if (p !== best) this.#set(bid, p, this.#size());
    }
    this.#set(bid, best, bestLots);
    // Extend to `depth` levels at the far end, then drop what lies beyond it.
    let far = prices[prices.length - 1] as number;
    while (prices.length < this.depth) {
      far += step * (this.#rng.next() < 0.7 ? 1 : 2);
      if (far < 1) break;
      prices.push(far);
      this.#set(bid, far, this.#size());
    }
    while (prices.length > this.depth) this.#set(bid, prices.pop() as number, 0);
  }
}

/** Per (venue, symbol) book faults, set through `sim.faults` and consumed by the encoders. */
export class BookFaults {
  /** Depth messages to drop (their ids are used up: the client sees a sequence gap). */
  skip = 0;
  /** OKX: messages to send with a wrong checksum. */
  corrupt = 0;
  /** Monotonic time until which no depth message is sent while the book keeps changing (stale book). */
  stallUntil = 0;
}
