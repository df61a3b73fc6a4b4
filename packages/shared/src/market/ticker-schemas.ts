import { z } from 'zod';
import { canonicalSymbol, decimalString, venueId } from './schemas.ts';

/**
 * 24-hour statistics of one followed market, computed by the engine from its 1m candles over the rolling
 * window of the last 1,440 minutes (the current minute included). Decimals are exact strings in canonical
 * form; `open` is the open of the oldest minute in the window that had trades, `last` the newest close.
 * A followed market without a trade in the window has null prices and zero volumes.
 */
export const tickerSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  last: decimalString.nullable(),
  open: decimalString.nullable(),
  /** last - open. */
  change: decimalString.nullable(),
  /** (last - open) / open x 100, rounded half-up to 2 decimals; null when open is null or zero. */
  changePercent: decimalString.nullable(),
  high: decimalString.nullable(),
  low: decimalString.nullable(),
  baseVolume: decimalString,
  quoteVolume: decimalString,
  tradeCount: z.number().int().nonnegative(),
  /** Open time of the oldest minute the window covers (ms). */
  windowStart: z.number().int().nonnegative(),
  /** When these figures were computed (engine clock, ms). */
  asOf: z.number().int().nonnegative(),
  /** True for `MARKET_SYMBOLS`, false for markets added at run time with `market.follow`. */
  configured: z.boolean(),
});
export type Ticker = z.infer<typeof tickerSchema>;

export const followInput = z.strictObject({ venue: venueId, symbol: canonicalSymbol });
export type FollowInput = z.infer<typeof followInput>;

export const followResultSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  /** False when the engine already followed it (nothing was charged to the tier's cap). */
  added: z.boolean(),
});
export type FollowResult = z.infer<typeof followResultSchema>;
