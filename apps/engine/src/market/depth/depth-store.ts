import type { Clock, Depth } from '@qt/shared';
import { LatestByMarket, MAX_STREAMS_PER_MARKET } from '../live/latest-by-market.ts';

/** At most this many pushes per second per subscriber: a ladder on screen cannot show more. */
export const DEFAULT_DEPTH_PUSHES_PER_SECOND = 10;
/** Live depth streams per book; one more is refused with SUBSCRIPTION_LIMIT. */
export const MAX_DEPTH_SUBSCRIBERS_PER_BOOK = MAX_STREAMS_PER_MARKET;

/**
 * The latest published state of every book (what `market.depth` answers) and live, conflated streams of
 * it (what `market.onDepth` serves).
 */
export class DepthStore extends LatestByMarket<Depth> {
  constructor(clock: Clock) {
    super(clock, 'depth');
  }

  override stream(
    venue: string,
    symbol: string,
    signal: AbortSignal,
    minIntervalMs = 1000 / DEFAULT_DEPTH_PUSHES_PER_SECOND,
  ): AsyncGenerator<Depth> {
    return super.stream(venue, symbol, signal, minIntervalMs);
  }
}
