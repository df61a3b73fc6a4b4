import { canonicalSymbol, type KlineInterval, venueId } from '@qt/shared';

/** What the Markets screen shows; kept in the URL query so a reload or a shared link opens the same view. */
export interface MarketSelection {
  venue: string;
  symbol: string;
  interval: ChartInterval;
}

/** The intervals offered in the picker (the engine also has 100ms, opt-in and too fine to chart here). */
export const chartIntervals = [
  '1s',
  '1m',
  '5m',
  '15m',
  '1h',
  '4h',
  '1d',
] as const satisfies readonly KlineInterval[];
export type ChartInterval = (typeof chartIntervals)[number];

export const defaultSelection: MarketSelection = { venue: 'binance', symbol: 'BTC-USDT', interval: '1m' };

type QueryValue = string | string[] | undefined;

function first(value: QueryValue): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function isChartInterval(value: string | undefined): value is ChartInterval {
  return chartIntervals.some((i) => i === value);
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
