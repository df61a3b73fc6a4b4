import { AppError } from '@qt/shared';
import { parseBinanceDepthEvent, parseBybitOrderbook, parseOkxBooks } from '../books/book-parsers.ts';
import type { VenueMessage } from './venue-adapter.ts';

/**
 * Routes a venue's depth frames to the book parsers (src/books/book-parsers.ts) ahead of the trade and
 * quote parsers. A cheap substring test picks the candidates, so trade frames (the hot path) pay one
 * `includes` and never a second JSON parse; a candidate that turns out not to be depth (the marker inside
 * some other frame) returns null and the venue's own parser takes it.
 */

type Canonical = (venueSymbol: string) => string | null;

function guarded(venue: string, parse: () => VenueMessage | null): VenueMessage | null {
  try {
    return parse();
  } catch (err) {
    // A broken depth frame is lost: the next one shows a sequence gap and the book resyncs.
    if (err instanceof AppError) return { kind: 'malformed', reason: `${venue} depth: ${err.message}` };
    throw err;
  }
}

const unknownSymbol = (venue: string, s: string): VenueMessage => ({
  kind: 'malformed',
  reason: `${venue} depth: unknown symbol ${s}`,
});

/** Binance `depthUpdate` (raw or combined stream); null when the frame is not one. */
export function binanceDepthFrame(text: string, canonical: Canonical): VenueMessage | null {
  if (!text.includes('"depthUpdate"')) return null;
  return guarded('binance', () => {
    const event = parseBinanceDepthEvent(text);
    if (event === null) return null;
    const symbol = canonical(event.symbol.toUpperCase());
    if (symbol === null) return unknownSymbol('binance', event.symbol);
    return { kind: 'depth', symbol, depth: { venue: 'binance', event } };
  });
}

/** OKX `books` push; null when the frame is not one. */
export function okxDepthFrame(text: string, canonical: Canonical): VenueMessage | null {
  if (!text.includes('"books"')) return null;
  return guarded('okx', () => {
    const message = parseOkxBooks(text);
    if (message === null) return null;
    const symbol = canonical(message.instId);
    if (symbol === null) return unknownSymbol('okx', message.instId);
    return { kind: 'depth', symbol, depth: { venue: 'okx', message } };
  });
}

/** Bybit `orderbook.<N>.<SYMBOL>` push for N > 1 (`orderbook.1` is the quote channel); null otherwise. */
export function bybitDepthFrame(text: string, canonical: Canonical): VenueMessage | null {
  if (!text.includes('"orderbook.') || text.includes('"orderbook.1.')) return null;
  return guarded('bybit', () => {
    const message = parseBybitOrderbook(text);
    if (message === null || message.depth === 1) return null;
    const symbol = canonical(message.symbol);
    if (symbol === null) return unknownSymbol('bybit', message.symbol);
    return { kind: 'depth', symbol, depth: { venue: 'bybit', message } };
  });
}
