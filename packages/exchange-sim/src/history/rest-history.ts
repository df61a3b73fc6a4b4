import { formatPadded8, formatTrimmed } from '../decimal-format.ts';
import { venueSymbol } from '../instruments.ts';
import type { Market, SymbolMarket } from '../market/market.ts';
import type { RestReply } from '../server/rest-trades.ts';
import type { TradeHistory } from '../server/trade-history.ts';
import type { SimLimits, Venue } from '../types.ts';
import {
  AGG_ID_OFFSET,
  aggregate,
  aggTradeRow,
  BinanceTape,
  bigFixed,
  historicalTradeRow,
  type TapeTrade,
} from './binance-tape.ts';
import { MINUTE_MS, type SimCandle, SimCandles } from './sim-candles.ts';
import {
  HISTORY_ID_FLOOR,
  HISTORY_IDS_PER_MINUTE,
  minuteTrades,
  type SimHistoryTrade,
} from './sim-trades.ts';

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
 *
 * And the trade history of the same minutes (`minuteTrades`: the trades of a minute aggregate to its
 * candle), for minutes that ended before the simulator started; after that, the live market's trades are
 * the history:
 *
 * - Binance: ONE id space per symbol (`BinanceTape`): the generated minutes' trade ids sit just below the
 *   live `@trade` stream's first id, and the live ring follows, as on the venue where `historicalTrades`,
 *   `aggTrades` `f`/`l` and the `@trade` stream's `t` are the same ids.
 *   `GET /api/v3/aggTrades?symbol=&fromId=&startTime=&endTime=&limit=`: weight 4, `limit` default 500 max
 *   1000, ascending; `startTime`/`endTime` inclusive and less than 1 hour apart (else -1127); `fromId`
 *   inclusive; neither: the newest. Rows `{"a","p","q","f","l","T","m","M"}` over generated minutes and
 *   the live ring alike. `GET /api/v3/historicalTrades?fromId=` with an id below the live stream's first
 *   is answered here (weight 25) from the generated minutes, running on into the live ring; any other
 *   `historicalTrades` goes to the live ring's route (`RestTrades`, which also models Binance's ban).
 * - OKX `GET /api/v5/market/history-trades?instId=&type=2&after=&before=&limit=` (timestamps) and
 *   `type=1` with `after` a history id (ids minute x 10,000 + k, above the live ids): newest first,
 *   `limit` max 100. Rows `{"instId","side","sz","px","source","tradeId","ts"}`. A `type=1` request with
 *   a live id goes to the live ring.
 *
 * The Binance weight of these routes is counted in a window of their own (the live ring's route keeps
 * another): a client on the shared budget stays under either.
 */
export interface HistoryFault {
  /** HTTP status to answer instead (429 with `Retry-After`, or a 5xx). */
  status: number;
  remaining: number;
  retryAfterSeconds: number;
}

const binanceKlinesWeight = 2;
const binanceAggTradesWeight = 4;
const binanceHistoricalTradesWeight = 25;

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
  readonly #tapes = new Map<string, BinanceTape>();
  readonly #rings: Map<SymbolMarket, Record<Venue, TradeHistory>>;
  /** Each symbol's first live Binance trade id, as its stream stood when the simulator started. */
  readonly #liveFirstIds: Map<SymbolMarket, number>;
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
    rings: Map<SymbolMarket, Record<Venue, TradeHistory>>,
  ) {
    this.#market = market;
    this.#rings = rings;
    // Read before any trade is generated: the tape's generated ids end just below this one.
    this.#liveFirstIds = new Map(market.symbols.map((s) => [s, s.streams.binance.nextTradeId]));
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
    if (venue === 'binance' && path === '/api/v3/aggTrades')
      return this.#count(venue, () => this.#binanceAggTrades(query));
    if (venue === 'binance' && path === '/api/v3/historicalTrades' && this.#beforeLive(query))
      return this.#count(venue, () => this.#binanceHistoricalTrades(query));
    if (venue === 'okx' && path === '/api/v5/market/history-trades' && this.#okxHistoryTradeQuery(query))
      return this.#count(venue, () => this.#okxTrades(query));
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

  /** The Binance tape of a venue symbol, or null when the market has no such symbol. */
  tapeOf(name: string | null): BinanceTape | null {
    if (name === null) return null;
    const cached = this.#tapes.get(name);
    if (cached) return cached;
    const gen = this.candlesOf('binance', name);
    const s = this.#market.symbols.find((m) => venueSymbol('binance', m.spec) === name);
    const ring = s ? this.#rings.get(s)?.binance : undefined;
    const liveFirst = s ? this.#liveFirstIds.get(s) : undefined;
    if (gen === null || ring === undefined || liveFirst === undefined) return null;
    const made = new BinanceTape(gen, ring, liveFirst, this.#anchorMs);
    this.#tapes.set(name, made);
    return made;
  }

  /** A `historicalTrades` request from an id below the live stream's first: the generated minutes. */
  #beforeLive(query: URLSearchParams): boolean {
    const fromId = intParam(query.get('fromId'), -1);
    const tape = this.tapeOf(query.get('symbol'));
    return fromId !== null && fromId >= 0 && tape?.startsBeforeLive(fromId) === true;
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

  /** Spends Binance weight: the 429 to answer when over the limit, else the weight header to send. */
  #binanceSpend(weight: number): { refused: RestReply } | { used: () => Record<string, string> } {
    const now = this.#monotonic();
    const w = this.#binanceWeight;
    w.roll(now);
    const used = () => ({ 'x-mbx-used-weight-1m': String(w.used) });
    if (w.used + weight > this.#limits.binanceRestWeightPerMinute) {
      return {
        refused: {
          status: 429,
          headers: { ...used(), 'retry-after': String(Math.max(1, Math.ceil(w.resetsIn(now) / 1000))) },
          body: '{"code":-1003,"msg":"Too much request weight used."}',
        },
      };
    }
    w.used += weight;
    return { used };
  }

  /** Spends one OKX request: the 429 when over the limit. */
  #okxSpend(): RestReply | null {
    const w = this.#okxWindow;
    w.roll(this.#monotonic());
    w.used += 1;
    if (w.used > this.#limits.okxHistoryRequestsPer2s)
      return { status: 429, headers: {}, body: '{"msg":"Too Many Requests","code":"50011"}' };
    return null;
  }

  #binance(query: URLSearchParams): RestReply {
    const spent = this.#binanceSpend(binanceKlinesWeight);
    if ('refused' in spent) return spent.refused;
    const used = spent.used;
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
    const refused = this.#okxSpend();
    if (refused) return refused;
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

  /** Open time of the last minute served as trade history: the last one that ended before the start. */
  #lastHistoryOpen(): number {
    return Math.min(this.#lastClosedOpen(), floorMinute(this.#anchorMs) - MINUTE_MS);
  }

  #binanceAggTrades(query: URLSearchParams): RestReply {
    const spent = this.#binanceSpend(binanceAggTradesWeight);
    if ('refused' in spent) return spent.refused;
    const headers = spent.used();
    const bad = (code: number, msg: string): RestReply => ({
      status: 400,
      headers,
      body: JSON.stringify({ code, msg }),
    });
    const tape = this.tapeOf(query.get('symbol'));
    if (tape === null) return bad(-1121, 'Invalid symbol.');
    const limit = intParam(query.get('limit'), 500);
    if (limit === null || limit < 1 || limit > 1000)
      return bad(-1130, "Data sent for parameter 'limit' is not valid.");
    const fromId = intParam(query.get('fromId'), -1);
    const start = intParam(query.get('startTime'), -1);
    const end = intParam(query.get('endTime'), -1);
    if (fromId === null || start === null || end === null)
      return bad(-1100, 'Illegal characters found in a parameter.');
    if (start >= 0 && end >= 0 && end - start >= 3_600_000)
      return bad(-1127, 'More than 1 hours between startTime and endTime.');
    const always = () => true;
    let rows: ReturnType<typeof aggregate>;
    if (fromId >= 0) rows = aggregate(tape.fromId(Math.max(0, fromId - AGG_ID_OFFSET)), limit, always);
    else if (start >= 0 || end >= 0) {
      const from = start >= 0 ? start : end - 3_599_999;
      const to = end >= 0 ? end : start + 3_599_999;
      rows = aggregate(tape.fromTime(Math.max(0, from)), limit, (t) => t.time <= to);
    } else {
      // The newest `limit` aggregates: group the newest trades (enough of them: one each at least).
      const all = aggregate(tape.newest(limit * 16), Number.MAX_SAFE_INTEGER, always);
      rows = all.slice(-limit);
    }
    const { priceDecimals: pd, lotDecimals: ld } = this.#binancePrecision(query);
    return { status: 200, headers, body: `[${rows.map((a) => aggTradeRow(a, pd, ld)).join(',')}]` };
  }

  #binanceHistoricalTrades(query: URLSearchParams): RestReply {
    const spent = this.#binanceSpend(binanceHistoricalTradesWeight);
    if ('refused' in spent) return spent.refused;
    const headers = spent.used();
    const limit = intParam(query.get('limit'), 500);
    if (limit === null || limit < 1 || limit > 1000)
      return {
        status: 400,
        headers,
        body: `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`,
      };
    // `#beforeLive` admitted the request: the symbol and `fromId` are valid.
    const tape = this.tapeOf(query.get('symbol')) as BinanceTape;
    const out: TapeTrade[] = [];
    for (const t of tape.fromId(intParam(query.get('fromId'), 0) ?? 0)) {
      out.push(t);
      if (out.length >= limit) break;
    }
    const { priceDecimals: pd, lotDecimals: ld } = this.#binancePrecision(query);
    return { status: 200, headers, body: `[${out.map((t) => historicalTradeRow(t, pd, ld)).join(',')}]` };
  }

  #binancePrecision(query: URLSearchParams): { priceDecimals: number; lotDecimals: number } {
    return specOf(this.candlesOf('binance', query.get('symbol')) as SimCandles);
  }

  /** OKX history-trades asked by timestamp, or by an id of the generated history (not the live ring). */
  #okxHistoryTradeQuery(query: URLSearchParams): boolean {
    const type = query.get('type') ?? '1';
    if (type === '2') return true;
    const after = intParam(query.get('after'), -1);
    return type === '1' && after !== null && after >= HISTORY_ID_FLOOR;
  }

  #okxTrades(query: URLSearchParams): RestReply {
    const refused = this.#okxSpend();
    if (refused) return refused;
    const name = query.get('instId');
    const gen = this.candlesOf('okx', name);
    if (gen === null)
      return {
        status: 200,
        headers: {},
        body: `{"code":"51001","msg":"Instrument ID ${name ?? ''} doesn't exist.","data":[]}`,
      };
    const limit = Math.min(100, Math.max(1, intParam(query.get('limit'), 100) ?? 100));
    const byTime = query.get('type') === '2';
    const after = intParam(query.get('after'), Number.MAX_SAFE_INTEGER) ?? Number.MAX_SAFE_INTEGER;
    const before = intParam(query.get('before'), -1) ?? -1;
    const last = this.#lastHistoryOpen();
    // Newest first, below `after` and above `before` (both exclusive), in time or in id.
    const top = byTime
      ? Math.min(last, floorMinute(after - 1))
      : Math.min(last, Math.floor((after - 1) / HISTORY_IDS_PER_MINUTE) * MINUTE_MS);
    const bottom = byTime ? floorMinute(Math.max(0, before)) : 0;
    const out: SimHistoryTrade[] = [];
    for (const t of backward(gen, top, bottom)) {
      const key = byTime ? t.time : t.id;
      if (key >= after) continue;
      if (key <= before) break;
      out.push(t);
      if (out.length >= limit) break;
    }
    const { priceDecimals: pd, lotDecimals: ld } = specOf(gen);
    const rows = out.map(
      (t) =>
        `{"instId":"${name}","side":"${t.buy ? 'buy' : 'sell'}","sz":"${formatTrimmed(t.lots, ld)}","px":"${formatTrimmed(t.ticks, pd)}","source":"0","tradeId":"${t.id}","ts":"${t.time}"}`,
    );
    return { status: 200, headers: {}, body: `{"code":"0","msg":"","data":[${rows.join(',')}]}` };
  }
}

/** The trades of the minutes, newest first, from the minute opening at `fromOpen` down to `stopOpen` (inclusive). */
function* backward(gen: SimCandles, fromOpen: number, stopOpen: number): Generator<SimHistoryTrade> {
  for (let t = fromOpen; t >= stopOpen; t -= MINUTE_MS) yield* minuteTrades(gen.candle(t)).reverse();
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

export type { SimCandle };
