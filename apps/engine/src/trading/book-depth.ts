import { BOOK_SCALE, type BookSide, type OrderBook } from '@qt/market-data';
import { AMOUNT_SCALE } from '@qt/shared';
import type { DepthLevel, DepthSource, DepthView } from '@qt/trading';

/** What the matcher needs of the engine's order books (DepthService has it). */
export interface LiveBooks {
  /** The book while it is in sync with the venue; null otherwise. */
  liveBook(venue: string, symbol: string): OrderBook | null;
  /** Changes only when the book was loaded from a snapshot or dropped (not on ordinary frames). */
  bookResets(venue: string, symbol: string): number;
  /** Milliseconds since the book's last frame; Infinity when none. */
  bookAgeMs(venue: string, symbol: string): number;
}

/**
 * A book whose last frame is older than this is not walked unless its best level agrees with the quote.
 * Staleness proper (`MARKET_DEPTH_STALE_MS`, 30 s, checked once a second) is sized for quiet markets that
 * send nothing (Bybit); a paper taker must not walk a subscription that froze seconds ago while the
 * market moved. Binance sends a frame every 100 ms while anything changes, OKX and Bybit as often: 2 s
 * without one is either a quiet book (whose top then still equals the quote's, which arrives on the trade
 * socket) or a frozen one (whose top no longer does). The matcher tells the two apart (DepthView.fresh).
 */
export const BOOK_FRESH_MS = 2_000;

// The matcher's amounts and the books' levels are both units of 10^-18: levels pass through unconverted.
if (BOOK_SCALE !== AMOUNT_SCALE) throw new Error('order book and amount scales differ');

/**
 * The matcher's depth source for one instrument: the live L2 book, read when a taker executes, or null
 * while the book is not in sync (the matcher then models depth as before).
 */
export function bookDepthSource(books: LiveBooks, venue: string, symbol: string): DepthSource {
  return () => {
    const book = books.liveBook(venue, symbol);
    if (book === null) return null;
    const fresh = books.bookAgeMs(venue, symbol) <= BOOK_FRESH_MS;
    return new BookDepthView(book, books.bookResets(venue, symbol), fresh);
  };
}

/**
 * A view over the book for one walk (used at once, within the matcher call that asked for it). Levels are
 * read one at a time from the book's own units, so a walk that needs two levels reads two.
 */
class BookDepthView implements DepthView {
  readonly #book: OrderBook;
  readonly resets: number;
  readonly fresh: boolean;

  constructor(book: OrderBook, resets: number, fresh: boolean) {
    this.#book = book;
    this.resets = resets;
    this.fresh = fresh;
  }

  *levels(side: BookSide): Generator<DepthLevel> {
    for (let rank = 0; ; rank++) {
      const level = this.#book.units(side, rank);
      if (level === undefined) return;
      yield level;
    }
  }
}
