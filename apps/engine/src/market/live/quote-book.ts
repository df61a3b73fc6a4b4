import type { Clock, Quote } from '@qt/shared';
import { LatestByMarket } from './latest-by-market.ts';

/** At most this many pushes per second per subscriber by default: a screen cannot show more. */
export const DEFAULT_QUOTE_PUSHES_PER_SECOND = 10;

/**
 * The latest best bid/ask per (venue, symbol) as the feeds report them, and live streams of it. Quotes
 * stay in-process (they are not on the bus: a venue sends many per second and only the latest matters),
 * so this is where the API reads them.
 */
export class QuoteBook extends LatestByMarket<Quote> {
  constructor(clock: Clock) {
    super(clock, 'quote');
  }

  onQuote(q: Quote): void {
    this.set(q);
  }

  override stream(
    venue: string,
    symbol: string,
    signal: AbortSignal,
    minIntervalMs = 1000 / DEFAULT_QUOTE_PUSHES_PER_SECOND,
  ): AsyncGenerator<Quote> {
    return super.stream(venue, symbol, signal, minIntervalMs);
  }
}
