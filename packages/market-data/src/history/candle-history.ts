/**
 * REST candle history per venue, for backfills: one call fetches the closed 1m candles of a fixed window
 * starting at a cursor, within the venue's published limits (the shared `RestBudget` and `getJson`: weight
 * header, 429/418 `Retry-After`, Bybit's 403). Every venue is asked for the same thing, the window
 * [fromMs, fromMs + pageSize minutes) clipped to `toMs`, so the cursor after a page is simply the window's
 * end, whatever the venue returned (an empty window, before a listing or in a venue outage, is not an
 * error: the cursor moves on).
 */
import { AppError, type Kline, type KnownVenue } from '@qt/shared';
import { binanceRestBudget } from '../venues/binance/binance-rest-trades.ts';
import { bybitRestBudget } from '../venues/bybit/bybit-rest-trades.ts';
import { okxRestBudget } from '../venues/okx/okx-rest-trades.ts';
import { type CallCounters, getJson, type RestHistoryOptions } from '../venues/rest/trade-history.ts';
import type { VenueAdapter } from '../venues/venue-adapter.ts';
import { isDecimal, isRecord } from '../venues/wire-helpers.ts';

export const MINUTE_MS = 60_000;

export interface CandlePage {
  /** Closed 1m candles inside the window, ascending by open time, each once. */
  candles: Kline[];
  /** Where the next page starts (the window's end). */
  nextFrom: number;
  requests: number;
  throttled: number;
}

export interface CandleHistorySource {
  readonly venue: KnownVenue;
  /** 1m candles per request (the venue's maximum `limit`). */
  readonly pageSize: number;
  /** The window [fromMs, min(toMs, fromMs + pageSize minutes)), fromMs a whole minute. */
  fetchPage(symbol: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<CandlePage>;
}

/** What a venue's parser turns one row into, before the canonical fields are added. */
interface Row {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  baseVolume: string;
  quoteVolume: string;
  takerBuyBaseVolume: string;
  tradeCount: number;
}

interface VenueSpec {
  venue: KnownVenue;
  pageSize: number;
  weight: number;
  usedWeightHeader?: string;
  path(venueSymbol: string, fromMs: number, endMs: number, limit: number): string;
  rows(body: unknown): Row[];
}

function source(
  spec: VenueSpec,
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): CandleHistorySource {
  return {
    venue: spec.venue,
    pageSize: spec.pageSize,
    async fetchPage(symbol, fromMs, toMs, signal) {
      if (fromMs % MINUTE_MS !== 0)
        throw new AppError('VALIDATION_FAILED', 'A candle page starts on a whole minute.');
      const endMs = Math.min(toMs, fromMs + spec.pageSize * MINUTE_MS);
      if (endMs <= fromMs) return { candles: [], nextFrom: fromMs, requests: 0, throttled: 0 };
      const limit = Math.ceil((endMs - fromMs) / MINUTE_MS);
      const counters: CallCounters = { requests: 0, throttled: 0 };
      const call = spec.usedWeightHeader
        ? { weight: spec.weight, usedWeightHeader: spec.usedWeightHeader }
        : { weight: spec.weight };
      const body = await getJson(
        opts,
        spec.path(adapter.toVenueSymbol(symbol), fromMs, endMs, limit),
        call,
        counters,
        signal,
      );
      const seen = new Set<number>();
      const candles: Kline[] = [];
      for (const r of spec.rows(body)) {
        // Outside the window (a venue rounding its bounds) or repeated: not ours to store from this page.
        if (r.openTime < fromMs || r.openTime >= endMs || seen.has(r.openTime)) continue;
        seen.add(r.openTime);
        candles.push({
          venue: spec.venue,
          symbol,
          interval: '1m',
          openTime: r.openTime,
          closeTime: r.openTime + MINUTE_MS - 1,
          open: r.open,
          high: r.high,
          low: r.low,
          close: r.close,
          baseVolume: r.baseVolume,
          quoteVolume: r.quoteVolume,
          takerBuyBaseVolume: r.takerBuyBaseVolume,
          tradeCount: r.tradeCount,
          closed: true,
        });
      }
      candles.sort((a, b) => a.openTime - b.openTime);
      return { candles, nextFrom: endMs, ...counters };
    },
  };
}

function malformed(venue: string, detail: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `The ${venue} candle history answered in an unexpected shape.`, {
    detail,
  });
}

function decimals(venue: string, cells: unknown[], at: number[]): string[] {
  return at.map((i) => {
    const v = cells[i];
    if (!isDecimal(v)) throw malformed(venue, `cell ${i} is not a decimal`);
    return v;
  });
}

function timeOf(venue: string, v: unknown): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) throw malformed(venue, 'bad open time');
  return n;
}

/**
 * One row from its cells: open time in cell 0, then the cells holding open, high, low, close, base and
 * quote volume, and the taker-buy base volume where the venue reports it (OKX and Bybit do not: stored 0,
 * as their trade count, so a live candle with trades always wins).
 */
function rowOf(
  venue: string,
  cells: unknown[],
  /** Cells of open, high, low, close, base volume, quote volume[, taker-buy base volume]. */
  at: readonly number[],
  tradeCount: number,
): Row {
  const [open, high, low, close, baseVolume, quoteVolume, takerBuyBaseVolume = '0'] = decimals(venue, cells, [
    ...at,
  ]) as [string, string, string, string, string, string, string?];
  return {
    openTime: timeOf(venue, cells[0]),
    open,
    high,
    low,
    close,
    baseVolume,
    quoteVolume,
    takerBuyBaseVolume,
    tradeCount,
  };
}

/**
 * Binance Spot `GET /api/v3/klines` (REST API doc, mid 2026): weight 2, `limit` max 1000, ascending from
 * `startTime`; rows `[openTime, o, h, l, c, volume, closeTime, quoteVolume, trades, takerBuyBase,
 * takerBuyQuote, ignore]`. The row count `trades` lets the storage rule "most trades wins" compare a
 * backfilled candle with a live one.
 */
export function binanceCandleHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): CandleHistorySource {
  return source(
    {
      venue: 'binance',
      pageSize: 1000,
      weight: 2,
      usedWeightHeader: 'x-mbx-used-weight-1m',
      path: (s, from, end, limit) =>
        `/api/v3/klines?symbol=${encodeURIComponent(s)}&interval=1m&startTime=${from}&endTime=${end - 1}&limit=${limit}`,
      rows(body) {
        if (!Array.isArray(body)) throw malformed('Binance', 'not an array');
        return body.map((cells: unknown) => {
          if (!Array.isArray(cells) || cells.length < 11) throw malformed('Binance', 'short row');
          const n = cells[8];
          if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
            throw malformed('Binance', 'bad count');
          return rowOf('Binance', cells, [1, 2, 3, 4, 5, 7, 9], n);
        });
      },
    },
    adapter,
    opts,
  );
}

/**
 * OKX v5 `GET /api/v5/market/history-candles` (docs-v5, 2025): 20 requests per 2 s, `limit` max 100,
 * newest first; `after` = open times older than (exclusive), `before` = newer than (exclusive). Rows
 * `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`; only `confirm` "1" (closed) is kept. OKX gives
 * no trade count or taker volume: both are stored as 0, so a live candle with trades always wins.
 */
export function okxCandleHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): CandleHistorySource {
  return source(
    {
      venue: 'okx',
      pageSize: 100,
      weight: 1,
      path: (s, from, end, limit) =>
        `/api/v5/market/history-candles?instId=${encodeURIComponent(s)}&bar=1m&after=${end}&before=${from - 1}&limit=${limit}`,
      rows(body) {
        if (!isRecord(body) || !Array.isArray(body.data)) throw malformed('OKX', 'no data');
        if (body.code !== '0')
          throw new AppError('SERVICE_UNAVAILABLE', `OKX refused the candle request: ${String(body.msg)}`, {
            code: body.code,
          });
        const out: Row[] = [];
        for (const cells of body.data as unknown[]) {
          if (!Array.isArray(cells) || cells.length < 9) throw malformed('OKX', 'short row');
          if (cells[8] !== '1') continue;
          out.push(rowOf('OKX', cells, [1, 2, 3, 4, 5, 7], 0));
        }
        return out;
      },
    },
    adapter,
    opts,
  );
}

/**
 * Bybit v5 `GET /v5/market/kline?category=spot` (v5 docs, mid 2026): `limit` max 1000, newest first within
 * [start, end]; rows `[startTime, open, high, low, close, volume, turnover]`. No trade count or taker
 * volume (stored as 0).
 */
export function bybitCandleHistory(
  adapter: Pick<VenueAdapter, 'toVenueSymbol'>,
  opts: RestHistoryOptions,
): CandleHistorySource {
  return source(
    {
      venue: 'bybit',
      pageSize: 1000,
      weight: 1,
      path: (s, from, end, limit) =>
        `/v5/market/kline?category=spot&symbol=${encodeURIComponent(s)}&interval=1&start=${from}&end=${end - 1}&limit=${limit}`,
      rows(body) {
        if (!isRecord(body)) throw malformed('Bybit', 'not an object');
        if (body.retCode !== 0)
          throw new AppError(
            'SERVICE_UNAVAILABLE',
            `Bybit refused the candle request: ${String(body.retMsg)}`,
            { retCode: body.retCode },
          );
        const list = isRecord(body.result) ? body.result.list : undefined;
        if (!Array.isArray(list)) throw malformed('Bybit', 'no list');
        return list.map((cells: unknown) => {
          if (!Array.isArray(cells) || cells.length < 7) throw malformed('Bybit', 'short row');
          return rowOf('Bybit', cells, [1, 2, 3, 4, 5, 6], 0);
        });
      },
    },
    adapter,
    opts,
  );
}

/** The venue's candle-history source at its REST bases, within `share` of its published limit. */
export function candleHistorySource(
  adapter: Pick<VenueAdapter, 'toVenueSymbol' | 'venue'>,
  restEndpoints: readonly string[],
  opts: {
    share?: number;
    /** A budget of its own, or a lane of the venue's shared one (`VenueRestBudget.lane`). */
    budget?: RestHistoryOptions['budget'];
    fetch?: typeof fetch;
    maxWaitMs?: number;
  } = {},
): CandleHistorySource {
  const venue = adapter.venue as KnownVenue;
  const budget =
    opts.budget ??
    (venue === 'binance'
      ? binanceRestBudget(opts.share)
      : venue === 'okx'
        ? okxRestBudget(opts.share)
        : bybitRestBudget(opts.share));
  const rest: RestHistoryOptions = { restEndpoints, budget };
  if (opts.fetch) rest.fetch = opts.fetch;
  if (opts.maxWaitMs !== undefined) rest.maxWaitMs = opts.maxWaitMs;
  if (venue === 'binance') return binanceCandleHistory(adapter, rest);
  if (venue === 'okx') return okxCandleHistory(adapter, rest);
  if (venue === 'bybit') return bybitCandleHistory(adapter, rest);
  throw new AppError('VALIDATION_FAILED', `No candle history for venue ${String(venue)}.`);
}
