import { canonicalSymbol, venueId } from '@qt/shared';
import { type ChartInterval, isChartInterval } from './chart-intervals';

export { type ChartInterval, chartIntervals } from './chart-intervals';

/** What the Markets screen shows; kept in the URL query so a reload or a shared link opens the same view. */
export interface MarketSelection {
  venue: string;
  symbol: string;
  /** A served interval or one folded from a served one on the client (see chart-intervals). */
  interval: ChartInterval;
}

export const defaultSelection: MarketSelection = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' };

type QueryValue = string | string[] | undefined;

function first(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Reads the selection from search params; anything malformed falls back to the default for that field. */
export function parseSelection(query: Record<string, QueryValue>): MarketSelection {
  const venue = first(query.venue);
  const symbol = first(query.symbol)?.toUpperCase();
  const interval = first(query.interval);
  return {
    venue: venueId.safeParse(venue).success && venue ? venue : defaultSelection.venue,
    symbol: canonicalSymbol.safeParse(symbol).success && symbol ? symbol : defaultSelection.symbol,
    interval: isChartInterval(interval) ? interval : defaultSelection.interval,
  };
}

export function selectionQuery(sel: MarketSelection): string {
  return new URLSearchParams({ venue: sel.venue, symbol: sel.symbol, interval: sel.interval }).toString();
}

export function selectionKey(sel: MarketSelection): string {
  return `${sel.venue}|${sel.symbol}|${sel.interval}`;
}
