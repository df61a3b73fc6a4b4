import { formatFixed, formatPadded8, formatTrimmed } from '../decimal-format.ts';
import { venueSymbol } from '../instruments.ts';
import type { Market } from '../market/market.ts';
import type { RestReply } from '../server/rest-trades.ts';
import type { SimLimits, Venue } from '../types.ts';
import { MINUTE_MS, type SimCandle, SimCandles } from './sim-candles.ts';

/**
 * The venues' REST candle-history endpoints, served from `SimCandles` (1m only: the backfill fetches 1m
 * and rolls coarser intervals up itself; any other interval is refused as the venue refuses an unknown
 * one). Only closed minutes exist (before the clock's current minute). Limits as published:
 *
 * - Binance Spot `GET /api/v3/klines?symbol=&interval=1m&startTime=&endTime=&limit=` (REST API doc, mid
 *   2026): weight 2, `limit` default 500 max 1000, ascending; from `startTime` when given, else the newest.
 *   Rows `[openTime, o, h, l, c, volume, closeTime, quoteVolume, trades, takerBuyBase, takerBuyQuote, "0"]`.
 *   `X-MBX-USED-WEIGHT-1M` on every answer; over 6000/min: 429 + `Retry-After` (seconds).
 * - OKX v5 `GET /api/v5/market/history-candles?instId=&bar=1m&after=&before=&limit=` (docs-v5, 2025):
 *   20 requests per 2 s, `limit` max 100, newest first; `after` = older than (exclusive), `before` =
 *   newer than (exclusive). Rows `[ts, o, h, l, c, vol, volCcy, volCcyQuote, confirm]`. Over: 429 50011.
 * - Bybit v5 `GET /v5/market/kline?category=spot&symbol=&interval=1&start=&end=&limit=` (v5 docs, mid
 *   2026): `limit` 1-1000 default 200, newest first within [start, end]; rows `[startTime, open, high,
 *   low, close, volume, turnover]`. 600 requests per 5 s per IP, over it HTTP 403.
 */
export interface HistoryFault {
  /** HTTP status to answer instead (429 with `Retry-After`, or a 5xx). */
  status: number;
  remaining: number;
  retryAfterSeconds: number;
}

const binanceKlinesWeight = 2;

class Window {
  #start = 0;
  used = 0;
  constructor(readonly ms: number) {}
  roll(now: number): void {
    const start = now - (now % this.ms);
    if (start !== this.#start) {
      this.#start = start;
      this.used = 0;
    }
  }
  resetsIn(now: number): number {
    return this.#start + this.ms - now;
  }
}

export class RestHistory {
  readonly #market: Market;
  readonly #limits: SimLimits;
  readonly #now: () => number;
  readonly #monotonic: () => number;
  readonly #candles = new Map<string, SimCandles>();
  readonly #seed: number;
  readonly #volatility: number;
  readonly #tradesPerSecond: number;
  /** The simulator's start: the history path meets the live market's starting price there. */
  readonly #anchorMs: number;
  readonly #binanceWeight = new Window(60_000);
  readonly #okxWindow = new Window(2_000);
  readonly #bybitWindow = new Window(5_000);
  /** Injected refusals per venue (the `failHistory` fault), taken one per request. */
  readonly faults: Record<Venue, HistoryFault | null> = { binance: null, okx: null, bybit: null };
  /** Candle-history requests answered per venue (any status), and the refusals among them. */
  readonly requests: Record<Venue, number> = { binance: 0, okx: 0, bybit: 0 };
  readonly refused: Record<Venue, number> = { binance: 0, okx: 0, bybit: 0 };

  constructor(
    market: Market,
    opts: { limits: SimLimits; seed: number; volatility: number; tradesPerSecond: number },
    now: () => number,
    monotonic: () => number,
  ) {
    this.#market = market;
    this.#limits = opts.limits;
    this.#seed = opts.seed;
    this.#volatility = opts.volatility;
    this.#tradesPerSecond = opts.tradesPerSecond;
    this.#now = now;
    this.#monotonic = monotonic;
    this.#anchorMs = now();
  }

  /** Null when `path` is not a candle-history route of `venue`. */
  handle(venue: Venue, path: string, query: URLSearchParams): RestReply | null {
    if (venue === 'binance' && path === '/api/v3/klines')
      return this.#count(venue, () => this.#binance(query));
    if (venue === 'okx' && path === '/api/v5/market/history-candles')
      return this.#count(venue, () => this.#okx(query));
    if (venue === 'bybit' && path === '/v5/market/kline') return this.#count(venue, () => this.#bybit(query));
    return null;
  }

  /** The generator of a venue symbol, or null when the market has no such symbol. */
  candlesOf(venue: Venue, name: string | null): SimCandles | null {
    if (name === null) return null;
    const key = `${venue}:${name}`;
    const cached = this.#candles.get(key);
    if (cached) return cached;
    const s = this.#market.symbols.find((m) => venueSymbol(venue, m.spec) === name);
    if (!s) return null;
    const made = new SimCandles(
      s.spec,
      venue,
      this.#seed,
      this.#volatility,
      this.#tradesPerSecond,
      this.#anchorMs,
    );
    this.#candles.set(key, made);
    return made;
  }

  #count(venue: Venue, answer: () => RestReply): RestReply {
    this.requests[venue] += 1;
    const f = this.faults[venue];
    if (f && f.remaining > 0) {
      f.remaining -= 1;
      if (f.remaining === 0) this.faults[venue] = null;
      this.refused[venue] += 1;
      const headers: Record<string, string> =
        f.status === 429 || f.status === 418 ? { 'retry-after': String(f.retryAfterSeconds) } : {};
      return { status: f.status, headers, body: '{"code":-1000,"msg":"simulated failure"}' };
    }
    const reply = answer();
    if (reply.status === 429 || reply.status === 403) this.refused[venue] += 1;
    return reply;
  }

  /** Open times of closed minutes only: the current minute is still forming. */
  #lastClosedOpen(): number {
    return Math.floor(this.#now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
  }

  #binance(query: URLSearchParams): RestReply {
    const now = this.#monotonic();
    const w = this.#binanceWeight;
    w.roll(now);
    const used = () => ({ 'x-mbx-used-weight-1m': String(w.used) });
    if (w.used + binanceKlinesWeight > this.#limits.binanceRestWeightPerMinute) {
      return {
        status: 429,
        headers: { ...used(), 'retry-after': String(Math.max(1, Math.ceil(w.resetsIn(now) / 1000))) },
        body: '{"code":-1003,"msg":"Too much request weight used."}',
      };
    }
    w.used += binanceKlinesWeight;
    const name = query.get('symbol');
    const gen = this.candlesOf('binance', name);
    if (gen === null) return { status: 400, headers: used(), body: '{"code":-1121,"msg":"Invalid symbol."}' };
    if (query.get('interval') !== '1m')
      return { status: 400, headers: used(), body: '{"code":-1120,"msg":"Invalid interval."}' };
    const limit = intParam(query.get('limit'), 500);
    if (limit === null || limit < 1 || limit > 1000)
      return {
        status: 400,
        headers: used(),
        body: `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`,
      };
    const last = Math.min(
      this.#lastClosedOpen(),
      intParam(query.get('endTime'), Number.MAX_SAFE_INTEGER) ?? 0,
    );
    const startText = query.get('startTime');
    let first: number;
    if (startText === null) first = floorMinute(last) - (limit - 1) * MINUTE_MS;
    else first = ceilMinute(Number(startText));
    const rows: string[] = [];
    const { priceDecimals: pd, lotDecimals: ld } = specOf(gen);
    for (let t = first; t <= last && rows.length < limit; t += MINUTE_MS) {
      const c = gen.candle(t);
      const buyQuote = (c.quoteUnits * BigInt(c.buyLots)) / BigInt(Math.max(1, c.lots));
      rows.push(
        `[${c.openTime},"${formatPadded8(c.open, pd)}","${formatPadded8(c.high, pd)}","${formatPadded8(c.low, pd)}","${formatPadded8(c.close, pd)}","${formatPadded8(c.lots, ld)}",${c.openTime + MINUTE_MS - 1},"${bigFixed(c.quoteUnits, pd + ld)}",${c.trades},"${formatPadded8(c.buyLots, ld)}","${bigFixed(buyQuote, pd + ld)}","0"]`,
      );
    }
    return { status: 200, headers: used(), body: `[${rows.join(',')}]` };
  }

  #okx(query: URLSearchParams): RestReply {
    const now = this.#monotonic();
    const w = this.#okxWindow;
    w.roll(now);
    w.used += 1;
    if (w.used > this.#limits.okxHistoryRequestsPer2s)
      return { status: 429, headers: {}, body: '{"msg":"Too Many Requests","code":"50011"}' };
    const name = query.get('instId');
    const gen = this.candlesOf('okx', name);
    if (gen === null)
      return {
        status: 200,
        headers: {},
        body: `{"code":"51001","msg":"Instrument ID ${name ?? ''} doesn't exist.","data":[]}`,
      };
    const bar = query.get('bar') ?? '1m';
    if (bar !== '1m')
      return { status: 200, headers: {}, body: '{"code":"51000","msg":"Parameter bar error","data":[]}' };
    const limit = Math.min(100, Math.max(1, intParam(query.get('limit'), 100) ?? 100));
    const after = intParam(query.get('after'), Number.MAX_SAFE_INTEGER) ?? Number.MAX_SAFE_INTEGER;
    const before = intParam(query.get('before'), -1) ?? -1;
    const { priceDecimals: pd, lotDecimals: ld } = specOf(gen);
    const rows: string[] = [];
    // Newest first: below `after` (exclusive), above `before` (exclusive).
    for (
      let t = Math.min(this.#lastClosedOpen(), ceilMinute(after) - MINUTE_MS);
      t > before && rows.length < limit;
      t -= MINUTE_MS
    ) {
      const c = gen.candle(t);
      const q = bigFixed(c.quoteUnits, pd + ld);
      rows.push(
        `["${c.openTime}","${formatTrimmed(c.open, pd)}","${formatTrimmed(c.high, pd)}","${formatTrimmed(c.low, pd)}","${formatTrimmed(c.close, pd)}","${formatTrimmed(c.lots, ld)}","${q}","${q}","1"]`,
      );
    }
    return { status: 200, headers: {}, body: `{"code":"0","msg":"","data":[${rows.join(',')}]}` };
  }

  #bybit(query: URLSearchParams): RestReply {
    const now = this.#monotonic();
    const w = this.#bybitWindow;
    w.roll(now);
    w.used += 1;
    if (w.used > this.#limits.bybitRestRequestsPer5s)
      return { status: 403, headers: {}, body: 'access too frequent' };
    const time = Math.floor(this.#now());
    const name = query.get('symbol');
    const gen = query.get('category') === 'spot' ? this.candlesOf('bybit', name) : null;
    const limit = intParam(query.get('limit'), 200);
    if (gen === null || query.get('interval') !== '1' || limit === null || limit < 1 || limit > 1000)
      return {
        status: 200,
        headers: {},
        body: JSON.stringify({ retCode: 10001, retMsg: 'params error', result: {}, retExtInfo: {}, time }),
      };
    const start = intParam(query.get('start'), 0) ?? 0;
    const end = Math.min(this.#lastClosedOpen(), intParam(query.get('end'), Number.MAX_SAFE_INTEGER) ?? 0);
    const { priceDecimals: pd, lotDecimals: ld } = specOf(gen);
    const rows: string[] = [];
    for (let t = floorMinute(end); t >= start && rows.length < limit; t -= MINUTE_MS) {
      const c = gen.candle(t);
      rows.push(
        `["${c.openTime}","${formatTrimmed(c.open, pd)}","${formatTrimmed(c.high, pd)}","${formatTrimmed(c.low, pd)}","${formatTrimmed(c.close, pd)}","${formatTrimmed(c.lots, ld)}","${bigFixed(c.quoteUnits, pd + ld)}"]`,
      );
    }
    return {
      status: 200,
      headers: {},
      body: `{"retCode":0,"retMsg":"OK","result":{"category":"spot","symbol":"${name}","list":[${rows.join(',')}]},"retExtInfo":{},"time":${time}}`,
    };
  }
}

/** The instrument precision a generator was made with. */
function specOf(gen: SimCandles): { priceDecimals: number; lotDecimals: number } {
  return gen.precision;
}

function intParam(text: string | null, fallback: number): number | null {
  if (text === null) return fallback;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

const floorMinute = (ms: number) => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE_MS) * MINUTE_MS;

/** `units` x 10^-decimals, exact for any size, trailing zeros kept (as Binance prints quote volumes). */
function bigFixed(units: bigint, decimals: number): string {
  if (units <= BigInt(Number.MAX_SAFE_INTEGER)) return formatFixed(Number(units), decimals);
  const s = units.toString().padStart(decimals + 1, '0');
  return decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}

export type { SimCandle };
