/**
 * REST trade history per venue, for backfills by time: one call fetches every trade of the window
 * [fromMs, min(toMs, fromMs + windowMs)) (as many requests as the window needs), within the venue's
 * shared budget lane (`getJson`: weight header, 429/418 `Retry-After`, Bybit 403). The cursor after a
 * page is the window's end, whatever the venue returned (a quiet window is not an error), so a job that
 * crashes mid-window fetches that window again and the idempotent trade insert stores it once.
 *
 * - Binance Spot (REST API doc, 2025-26): the stored ids must be the `@trade` stream's trade ids `t` (the
 *   live feed's, and gap repair's `historicalTrades`), or a range the live feed already stored would be
 *   stored again under other ids. Binance offers no individual trades by time, so a page first LOCATES the
 *   window's first trade: `GET /api/v3/aggTrades?startTime=&endTime=&limit=1` (weight 4; both bounds
 *   inclusive, less than 1 hour apart): the first aggregate at or after the start, whose `f` is the first
 *   trade id it covers. Then `GET /api/v3/historicalTrades?fromId=&limit=1000` (weight 25; oldest first
 *   from `fromId` inclusive; rows `{"id","price","qty","quoteQty","time","isBuyerMaker","isBestMatch"}`)
 *   pages on by id until a trade at or past the window's end. One page of 1000 trades costs 25 weight, so
 *   a busy market's backfill is slow by design: it runs on the background lane of the venue's budget. With
 *   `binanceTradeStream: 'aggTrade'` (a live feed keyed by aggregate ids `a`) the page stores aggregates
 *   from `aggTrades` instead (then `fromId` pages by aggregate id), again the live feed's id space.
 * - OKX v5 `GET /api/v5/market/history-trades` (docs-v5): 20 requests per 2 s, `limit` max 100, newest
 *   first; `type=2` pages by timestamp (`after` = older than ts), `type=1` by trade id (`after` = ids
 *   below it). The first call is `type=2&after=<window end>`, the next ones `type=1` below the oldest id
 *   seen, so no trade sharing a millisecond with a page boundary is skipped.
 * - Bybit v5 `GET /v5/market/recent-trade?category=spot` (v5 docs): ONLY the newest trades (spot `limit`
 *   at most 60; 1000 for derivatives), no paging by id or time. Bybit offers no deeper public trade REST
 *   (its daily archive files at public.bybit.com are not reachable offline), so one call answers the whole
 *   job with whatever of the newest trades falls inside the range, and the page says from when on that is
 *   complete (`completeFrom`).
 */
import { AppError, type KnownVenue, type Trade } from '@qt/shared';
import { type CallCounters, getJson, type RestHistoryOptions } from '../venues/rest/trade-history.ts';
import type { VenueAdapter } from '../venues/venue-adapter.ts';
import { isDecimal, isDigits, isRecord } from '../venues/wire-helpers.ts';

export interface TradePage {
  /** Trades with fromMs <= exchange time < nextFrom, ascending by (time, id), each id once. */
  trades: Trade[];
  nextFrom: number;
  requests: number;
  throttled: number;
  /**
   * Set when the venue cannot serve the whole window (Bybit): trades before this time were not
   * available, the rest of the window is complete.
   */
  completeFrom?: number;
}

export interface TradeHistoryPages {
  readonly venue: KnownVenue;
  /** The window one page covers. */
  readonly windowMs: number;
  fetchPage(symbol: string, fromMs: number, toMs: number, signal?: AbortSignal): Promise<TradePage>;
}

export interface TradePagesOptions extends RestHistoryOptions {
  /** Window per page (Binance at most 1 h). Default 10 minutes. */
  windowMs?: number;
  /** Trades one page may hold before the fetch fails (memory bound). Default 2,000,000. */
  maxPageTrades?: number;
  /**
   * The Binance live feed's trade stream (the adapter's `tradeStream`), whose id space the backfill must
   * store in: `trade` (default) individual trade ids, `aggTrade` aggregate ids.
   */
  binanceTradeStream?: 'trade' | 'aggTrade';
}

type Adapter = Pick<VenueAdapter, 'toVenueSymbol'>;
const HOUR_MS = 3_600_000;

function malformed(venue: string, detail: string): AppError {
  return new AppError('SERVICE_UNAVAILABLE', `The ${venue} trade history answered in an unexpected shape.`, {
    detail,
  });
}

/** The window of a page, and the bookkeeping every venue's loop shares. */
function pageOf(venue: KnownVenue, opts: TradePagesOptions, fromMs: number, toMs: number, windowMs: number) {
  const endMs = Math.min(toMs, fromMs + windowMs);
  const counters: CallCounters = { requests: 0, throttled: 0 };
  const byId = new Map<string, Trade>();
  const maxTrades = opts.maxPageTrades ?? 2_000_000;
  return {
    endMs,
    counters,
    /** Keeps a trade inside the window; returns false for one outside it. */
    add(t: Trade): boolean {
      if (t.exchangeTime < fromMs || t.exchangeTime >= endMs) return false;
      byId.set(t.tradeId, t);
      if (byId.size > maxTrades)
        throw new AppError('SERVICE_UNAVAILABLE', `More than ${maxTrades} ${venue} trades in one page.`);
      return true;
    },
    done(extra: Partial<TradePage> = {}): TradePage {
      const trades = [...byId.values()].sort(
        (a, b) => a.exchangeTime - b.exchangeTime || compareIds(a.tradeId, b.tradeId),
      );
      return { trades, nextFrom: endMs, ...counters, ...extra };
    },
  };
}

/** Numeric ids compared as numbers (they can pass 2^53 as text), others as text. */
function compareIds(a: string, b: string): number {
  if (a.length !== b.length && isDigits(a) && isDigits(b)) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

const binanceWeightHeader = 'x-mbx-used-weight-1m';
/** `aggTrades` (REST API doc): weight 4 whatever the limit. */
const aggTradesCall = { weight: 4, usedWeightHeader: binanceWeightHeader };
/** `historicalTrades` (REST API doc, since 2023): weight 25 whatever the limit. */
const historicalTradesCall = { weight: 25, usedWeightHeader: binanceWeightHeader };
const binanceLimit = 1000;

export function binanceTradePages(adapter: Adapter, opts: TradePagesOptions): TradeHistoryPages {
  // aggTrades refuses startTime/endTime an hour or more apart, and every page locates with it.
  const windowMs = Math.min(HOUR_MS, opts.windowMs ?? 600_000);
  const byAggregate = opts.binanceTradeStream === 'aggTrade';
  return {
    venue: 'binance',
    windowMs,
    async fetchPage(symbol, fromMs, toMs, signal) {
      const page = pageOf('binance', opts, fromMs, toMs, windowMs);
      if (page.endMs <= fromMs) return page.done();
      const venueSymbol = adapter.toVenueSymbol(symbol);
      const ctx = { opts, page, symbol, venueSymbol, signal };
      return byAggregate ? binanceAggregates(ctx, fromMs) : binanceIndividualTrades(ctx, fromMs);
    },
  };
}

interface BinancePageContext {
  opts: TradePagesOptions;
  page: ReturnType<typeof pageOf>;
  symbol: string;
  venueSymbol: string;
  signal: AbortSignal | undefined;
}

function binanceRows(body: unknown): Record<string, unknown>[] {
  if (!Array.isArray(body)) throw malformed('Binance', 'not an array');
  for (const row of body) if (!isRecord(row)) throw malformed('Binance', 'row not an object');
  return body as Record<string, unknown>[];
}

/** Locate the window's first trade id by time (`aggTrades`, `f`), then page `historicalTrades` by id. */
async function binanceIndividualTrades(ctx: BinancePageContext, fromMs: number): Promise<TradePage> {
  const { opts, page, symbol, venueSymbol, signal } = ctx;
  const s = encodeURIComponent(venueSymbol);
  const located = binanceRows(
    await getJson(
      opts,
      `/api/v3/aggTrades?symbol=${s}&startTime=${fromMs}&endTime=${page.endMs - 1}&limit=1`,
      aggTradesCall,
      page.counters,
      signal,
    ),
  );
  const first = located[0];
  // No aggregate in the window: no trade either (a quiet window).
  if (first === undefined) return page.done();
  if (!Number.isSafeInteger(first.f) || (first.f as number) < 0)
    throw malformed('Binance', 'bad first trade id');
  let fromId = first.f as number;
  for (;;) {
    const rows = binanceRows(
      await getJson(
        opts,
        `/api/v3/historicalTrades?symbol=${s}&fromId=${fromId}&limit=${binanceLimit}`,
        historicalTradesCall,
        page.counters,
        signal,
      ),
    );
    const receiveTime = (opts.now ?? Date.now)();
    let lastId = -1;
    let pastEnd = false;
    for (const row of rows) {
      const { id, price, qty, time, isBuyerMaker } = row;
      if (!Number.isSafeInteger(id) || !isDecimal(price) || !isDecimal(qty) || !Number.isSafeInteger(time))
        throw malformed('Binance', 'bad trade');
      if (typeof isBuyerMaker !== 'boolean') throw malformed('Binance', 'bad maker flag');
      // Ids below the one asked for are not ours to count (a venue answers from `fromId` on).
      if ((id as number) < fromId) continue;
      lastId = Math.max(lastId, id as number);
      if ((time as number) >= page.endMs) pastEnd = true;
      page.add({
        venue: 'binance',
        symbol,
        venueSymbol,
        tradeId: String(id),
        price,
        quantity: qty,
        // `isBuyerMaker`: the buyer was the maker, so the taker sold.
        takerSide: isBuyerMaker ? 'sell' : 'buy',
        exchangeTime: time as number,
        receiveTime,
      });
    }
    // A short page is the newest the venue has; a trade past the window's end closes the window.
    if (rows.length < binanceLimit || pastEnd || lastId < 0) return page.done();
    fromId = lastId + 1;
  }
}

/** Aggregates by time, then by aggregate id (a live feed on `@aggTrade` stores these ids). */
async function binanceAggregates(ctx: BinancePageContext, fromMs: number): Promise<TradePage> {
  const { opts, page, symbol, venueSymbol, signal } = ctx;
  const s = encodeURIComponent(venueSymbol);
  let path = `/api/v3/aggTrades?symbol=${s}&startTime=${fromMs}&endTime=${page.endMs - 1}&limit=${binanceLimit}`;
  for (;;) {
    const rows = binanceRows(await getJson(opts, path, aggTradesCall, page.counters, signal));
    const receiveTime = (opts.now ?? Date.now)();
    let lastId = -1;
    let pastEnd = false;
    for (const row of rows) {
      const { a, p, q, T, m } = row;
      if (!Number.isSafeInteger(a) || !isDecimal(p) || !isDecimal(q) || !Number.isSafeInteger(T))
        throw malformed('Binance', 'bad aggregate trade');
      if (typeof m !== 'boolean') throw malformed('Binance', 'bad maker flag');
      lastId = Math.max(lastId, a as number);
      if ((T as number) >= page.endMs) pastEnd = true;
      page.add({
        venue: 'binance',
        symbol,
        venueSymbol,
        tradeId: String(a),
        price: p,
        quantity: q,
        takerSide: m ? 'sell' : 'buy',
        exchangeTime: T as number,
        receiveTime,
      });
    }
    if (rows.length < binanceLimit || pastEnd || lastId < 0) return page.done();
    path = `/api/v3/aggTrades?symbol=${s}&fromId=${lastId + 1}&limit=${binanceLimit}`;
  }
}

export function okxTradePages(adapter: Adapter, opts: TradePagesOptions): TradeHistoryPages {
  const windowMs = opts.windowMs ?? 600_000;
  const limit = 100;
  return {
    venue: 'okx',
    windowMs,
    async fetchPage(symbol, fromMs, toMs, signal) {
      const page = pageOf('okx', opts, fromMs, toMs, windowMs);
      if (page.endMs <= fromMs) return page.done();
      const instId = adapter.toVenueSymbol(symbol);
      const s = encodeURIComponent(instId);
      let path = `/api/v5/market/history-trades?instId=${s}&type=2&after=${page.endMs}&limit=${limit}`;
      for (;;) {
        const body = await getJson(opts, path, { weight: 1 }, page.counters, signal);
        if (!isRecord(body) || !Array.isArray(body.data)) throw malformed('OKX', 'no data');
        if (body.code !== '0')
          throw new AppError('SERVICE_UNAVAILABLE', `OKX refused the trade request: ${String(body.msg)}`, {
            code: body.code,
          });
        const receiveTime = (opts.now ?? Date.now)();
        let oldestId: bigint | null = null;
        let beforeWindow = false;
        for (const row of body.data as unknown[]) {
          if (!isRecord(row)) throw malformed('OKX', 'row not an object');
          const { tradeId, px, sz, side, ts } = row;
          if (!isDigits(tradeId) || !isDecimal(px) || !isDecimal(sz) || !isDigits(ts))
            throw malformed('OKX', 'bad trade');
          if (side !== 'buy' && side !== 'sell') throw malformed('OKX', 'bad side');
          const id = BigInt(tradeId);
          if (oldestId === null || id < oldestId) oldestId = id;
          if (Number(ts) < fromMs) beforeWindow = true;
          page.add({
            venue: 'okx',
            symbol,
            venueSymbol: instId,
            tradeId,
            price: px,
            quantity: sz,
            takerSide: side,
            exchangeTime: Number(ts),
            receiveTime,
          });
        }
        if (body.data.length < limit || beforeWindow || oldestId === null) return page.done();
        path = `/api/v5/market/history-trades?instId=${s}&type=1&after=${oldestId}&limit=${limit}`;
      }
    },
  };
}

export function bybitTradePages(adapter: Adapter, opts: TradePagesOptions): TradeHistoryPages {
  return {
    venue: 'bybit',
    windowMs: Number.MAX_SAFE_INTEGER,
    async fetchPage(symbol, fromMs, toMs, signal) {
      const page = pageOf('bybit', opts, fromMs, toMs, Number.MAX_SAFE_INTEGER);
      if (page.endMs <= fromMs) return page.done();
      const venueSymbol = adapter.toVenueSymbol(symbol);
      const body = await getJson(
        opts,
        `/v5/market/recent-trade?category=spot&symbol=${encodeURIComponent(venueSymbol)}&limit=60`,
        { weight: 1 },
        page.counters,
        signal,
      );
      if (!isRecord(body)) throw malformed('Bybit', 'not an object');
      if (body.retCode !== 0)
        throw new AppError('SERVICE_UNAVAILABLE', `Bybit refused the trade request: ${String(body.retMsg)}`, {
          retCode: body.retCode,
        });
      const list = isRecord(body.result) ? body.result.list : undefined;
      if (!Array.isArray(list)) throw malformed('Bybit', 'no list');
      const receiveTime = (opts.now ?? Date.now)();
      let oldest = Number.POSITIVE_INFINITY;
      for (const row of list) {
        if (!isRecord(row)) throw malformed('Bybit', 'row not an object');
        const { execId, price, size, side, time } = row;
        if (typeof execId !== 'string' || !isDecimal(price) || !isDecimal(size) || !isDigits(time))
          throw malformed('Bybit', 'bad trade');
        if (side !== 'Buy' && side !== 'Sell') throw malformed('Bybit', 'bad side');
        oldest = Math.min(oldest, Number(time));
        page.add({
          venue: 'bybit',
          symbol,
          venueSymbol,
          tradeId: execId,
          price,
          quantity: size,
          takerSide: side === 'Buy' ? 'buy' : 'sell',
          exchangeTime: Number(time),
          receiveTime,
        });
      }
      // Everything from the oldest trade served on is complete; before it, Bybit has nothing to offer.
      const completeFrom = Number.isFinite(oldest) ? Math.max(fromMs, oldest) : page.endMs;
      return page.done(completeFrom > fromMs ? { completeFrom } : {});
    },
  };
}

/** The venue's trade-history pages at its REST bases, within the budget lane given. */
export function tradeHistoryPages(
  adapter: Pick<VenueAdapter, 'toVenueSymbol' | 'venue'>,
  opts: TradePagesOptions,
): TradeHistoryPages {
  const venue = adapter.venue as KnownVenue;
  if (venue === 'binance') return binanceTradePages(adapter, opts);
  if (venue === 'okx') return okxTradePages(adapter, opts);
  if (venue === 'bybit') return bybitTradePages(adapter, opts);
  throw new AppError('VALIDATION_FAILED', `No trade history for venue ${String(venue)}.`);
}
