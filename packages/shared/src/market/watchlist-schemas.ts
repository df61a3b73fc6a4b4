import { z } from 'zod';
import { canonicalSymbol, venueId } from './schemas.ts';

/** Entries one person keeps per tenant: a watchlist is a short list to glance at, not a screener. */
export const WATCHLIST_MAX_ENTRIES = 100;

export const watchlistEntrySchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  /** 0-based order on screen. */
  position: z.number().int().nonnegative(),
  addedAt: z.number().int().nonnegative(),
});
export type WatchlistEntry = z.infer<typeof watchlistEntrySchema>;

export const watchlistMarketInput = z.strictObject({ venue: venueId, symbol: canonicalSymbol });
export type WatchlistMarketInput = z.infer<typeof watchlistMarketInput>;

/** The whole list in its new order: exactly the entries held now, each once. */
export const watchlistReorderInput = z.strictObject({
  entries: z.array(watchlistMarketInput).max(WATCHLIST_MAX_ENTRIES),
});
export type WatchlistReorderInput = z.infer<typeof watchlistReorderInput>;
