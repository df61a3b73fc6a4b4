/**
 * The part every venue's REST trade history shares (internal, not exported from the package): the venue
 * symbol, budgeted GETs counted for the result, the receive clock, and the missing parts of the range.
 * The venue's request paths and answer shapes stay in its own `*-rest-trades.ts`.
 */
import type { KnownVenue, Trade } from '@qt/shared';
import type { VenueAdapter } from '../venue-adapter.ts';
import {
  getJson,
  type IdRange,
  type RangeFetchResult,
  type RestCall,
  type RestHistoryOptions,
  type TradeHistorySource,
  uncovered,
} from './trade-history.ts';

/** What a venue's fetch gets for one range. */
export interface RestRangeContext {
  symbol: string;
  venueSymbol: string;
  range: IdRange;
  /** One GET within the budget (`getJson`), counted in the range's result. */
  get(path: string, call: Omit<RestCall, 'url'>): Promise<unknown>;
  /** The receive-time clock (`opts.now`, default `Date.now`). */
  now: () => number;
}

/** The trades found in a range, ascending by id, each id once, with those ids. */
export interface RangeTrades {
  trades: Trade[];
  ids: number[];
}

/** A `TradeHistorySource` whose `fetchRange` runs `fetchTrades` and reports what it left uncovered. */
export function restTradeSource(
  venue: KnownVenue,
  byId: boolean,
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
  fetchTrades: (ctx: RestRangeContext) => Promise<RangeTrades>,
): TradeHistorySource {
  const now = opts.now ?? Date.now;
  return {
    venue,
    byId,
    async fetchRange(symbol: string, range: IdRange, signal?: AbortSignal): Promise<RangeFetchResult> {
      const venueSymbol = adapter.toVenueSymbol(symbol);
      const counters = { requests: 0, throttled: 0 };
      const get = (path: string, call: Omit<RestCall, 'url'>) => getJson(opts, path, call, counters, signal);
      const { trades, ids } = await fetchTrades({ symbol, venueSymbol, range, get, now });
      return { trades, missing: uncovered(range, ids), ...counters };
    },
  };
}

/** Trades collected by id (in any order), sorted ascending. */
export function sortedById(found: ReadonlyMap<number, Trade>): RangeTrades {
  const ids = [...found.keys()].sort((a, b) => a - b);
  return { trades: ids.map((id) => found.get(id) as Trade), ids };
}
