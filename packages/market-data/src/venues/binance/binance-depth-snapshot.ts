/**
 * Binance Spot REST depth snapshot (REST API doc, 2025): `GET /api/v3/depth?symbol=&limit=1000`, weight
 * 50 for limit 101..1000 (5 up to 100, 25 up to 500, 250 up to 5000), within the venue's REST budget
 * (`binanceRestBudget`): the IP's weight in `X-MBX-USED-WEIGHT-1M`, 429/418 obeyed. The body is checked
 * by the book parser (`parseBinanceDepthSnapshot`) and handed to `BinanceBookSync.onSnapshot`.
 */
import { type BinanceDepthSnapshot, parseBinanceDepthSnapshot } from '../../books/book-parsers.ts';
import { getJson, type RestHistoryOptions } from '../rest/trade-history.ts';
import type { VenueAdapter } from '../venue-adapter.ts';

/** Request weight by `limit`, as Binance publishes it. */
export function binanceDepthWeight(limit: number): number {
  if (limit <= 100) return 5;
  if (limit <= 500) return 25;
  if (limit <= 1000) return 50;
  return 250;
}

export interface BinanceDepthSnapshotSource {
  /** One snapshot of a canonical symbol; counts what it did in `stats`. */
  fetch(symbol: string, signal?: AbortSignal): Promise<BinanceDepthSnapshot>;
  readonly stats: { requests: number; throttled: number };
}

export function binanceDepthSnapshots(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions & { limit?: number },
): BinanceDepthSnapshotSource {
  const limit = opts.limit ?? 1000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 5000)
    throw new RangeError('depth snapshot limit must be 1..5000');
  const stats = { requests: 0, throttled: 0 };
  return {
    stats,
    async fetch(symbol, signal) {
      const venueSymbol = adapter.toVenueSymbol(symbol);
      const body = await getJson(
        opts,
        `/api/v3/depth?symbol=${encodeURIComponent(venueSymbol)}&limit=${limit}`,
        { weight: binanceDepthWeight(limit), usedWeightHeader: 'x-mbx-used-weight-1m' },
        stats,
        signal,
      );
      // One validator for every snapshot: the book parser's (it reads text; a snapshot is rare).
      return parseBinanceDepthSnapshot(JSON.stringify(body));
    },
  };
}
