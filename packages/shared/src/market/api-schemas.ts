import { z } from 'zod';
import { canonicalSymbol, klineInterval, klineSchema, venueId } from './schemas.ts';

/** Candle history, newest last; page backwards with `before` (an openTime, exclusive). */
export const candlesInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  interval: klineInterval,
  from: z.number().int().nonnegative().optional(),
  to: z.number().int().nonnegative().optional(),
  before: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(1_500).default(500),
});
export type CandlesInput = z.infer<typeof candlesInput>;

export const candlesPage = z.strictObject({
  candles: z.array(klineSchema),
  /** Pass as `before` for the previous page; null when there is nothing older. */
  nextBefore: z.number().int().nullable(),
});
export type CandlesPage = z.infer<typeof candlesPage>;

export const recentTradesInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  limit: z.number().int().min(1).max(1_000).default(100),
});
export type RecentTradesInput = z.infer<typeof recentTradesInput>;

export const instrumentsInput = z.strictObject({ venue: venueId.optional() }).default({});
export type InstrumentsInput = z.infer<typeof instrumentsInput>;

export const liveCandlesInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  interval: klineInterval,
});
export type LiveCandlesInput = z.infer<typeof liveCandlesInput>;

export const liveTradesInput = z.strictObject({ venue: venueId, symbol: canonicalSymbol });
export type LiveTradesInput = z.infer<typeof liveTradesInput>;

/** `market.depth` / `market.onDepth`: levels per side, at most what the engine keeps (`MARKET_DEPTH_LEVELS`). */
export const depthInput = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  levels: z.number().int().min(1).max(1000).optional(),
});
export type DepthInput = z.infer<typeof depthInput>;
