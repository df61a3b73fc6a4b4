/**
 * Real market depth for takers. The matcher stays pure: it never asks a service for a book, it is handed a
 * `DepthSource` per symbol (`PaperMatchingEngine.setDepthSource`) and reads a `DepthView` of it only while
 * a taker executes. Without a source, or while the source has no live book, takers use the modelled depth
 * of slippage.ts exactly as before (backtests never have one).
 */

/** `ask` is what a buy takes, `bid` what a sell takes. */
export type DepthSide = 'bid' | 'ask';

/** One price level of a live L2 book; price and quantity in units of 10^-18 (`AMOUNT_SCALE`). */
export interface DepthLevel {
  readonly price: bigint;
  readonly quantity: bigint;
}

/** A live book as the matcher reads it. */
export interface DepthView {
  /**
   * Changes whenever the book was rebuilt or dropped (a snapshot, a resync, its socket lost): then nothing
   * our takers took from its levels still applies. Ordinary updates do not change it: what we took from a
   * level is forgotten only when that level shows another size or leaves the book (DepthConsumption).
   */
  readonly resets: number;
  /**
   * Whether the book heard from the venue recently (the engine: a frame within `BOOK_FRESH_MS`). A book
   * that is not fresh may be a quiet market or a frozen subscription; the matcher walks it only while its
   * best level on the side taken is the matcher's own top (the quote, which comes on another stream).
   */
  readonly fresh: boolean;
  /** The side's levels, best first (asks ascending, bids descending). Read lazily: a walk stops early. */
  levels(side: DepthSide): Iterable<DepthLevel>;
}

/** The live book of one symbol now, or null while there is none in sync (never a book known wrong). */
export type DepthSource = () => DepthView | null;

interface Taken {
  /** The size the level showed when we took from it: a different size means the venue changed it. */
  shown: bigint;
  taken: bigint;
  /** The walk that last read the level (levels not read by a walk that passed them have left the book). */
  walk: number;
}

/**
 * Entries per side at most: more means levels we took from moved out of every walk's reach (the market
 * drifted away without a reset); the ones the current walk did not read are dropped then.
 */
const MAX_TAKEN_LEVELS = 256;

/**
 * What our own takers took from the levels of one live book, keyed by the level's exact book price, with
 * the size the level showed then. Our paper orders never reach the venue, so the venue keeps showing the
 * size we took until something else changes that level: we forget a take only when the level shows
 * another size, leaves the book, or the book is reset. Depth frames touching other levels (Binance sends
 * one every 100 ms) do not make the same displayed size available twice.
 */
export class DepthConsumption {
  #resets = Number.NaN;
  #walk = 0;
  readonly #ask = new Map<bigint, Taken>();
  readonly #bid = new Map<bigint, Taken>();

  /** Starts a walk of a book with this reset count: forgets everything when the book was reset. */
  begin(resets: number): void {
    this.#walk++;
    if (resets === this.#resets) return;
    this.#resets = resets;
    this.#ask.clear();
    this.#bid.clear();
  }

  /** What we took from the level at `price`, now showing `shown` (0 when the level changed since). */
  taken(side: DepthSide, price: bigint, shown: bigint): bigint {
    const m = side === 'ask' ? this.#ask : this.#bid;
    const e = m.get(price);
    if (e === undefined) return 0n;
    if (e.shown !== shown) {
      m.delete(price);
      return 0n;
    }
    e.walk = this.#walk;
    return e.taken;
  }

  add(side: DepthSide, price: bigint, shown: bigint, quantity: bigint): void {
    const m = side === 'ask' ? this.#ask : this.#bid;
    const e = m.get(price);
    if (e !== undefined) {
      e.taken += quantity;
      e.walk = this.#walk;
      return;
    }
    if (m.size >= MAX_TAKEN_LEVELS) this.#drop(m, () => true);
    m.set(price, { shown, taken: quantity, walk: this.#walk });
  }

  /**
   * Ends a walk that read the side's levels best first down to `last` (null: none). A level we took from
   * within that range that the walk did not read has left the book: forgotten.
   */
  end(side: DepthSide, last: bigint | null): void {
    if (last === null) return;
    const m = side === 'ask' ? this.#ask : this.#bid;
    if (m.size === 0) return;
    this.#drop(m, side === 'ask' ? (p) => p <= last : (p) => p >= last);
  }

  /** Levels we remember on a side (tests). */
  size(side: DepthSide): number {
    return (side === 'ask' ? this.#ask : this.#bid).size;
  }

  #drop(m: Map<bigint, Taken>, within: (price: bigint) => boolean): void {
    for (const [price, e] of m) if (e.walk !== this.#walk && within(price)) m.delete(price);
  }
}
