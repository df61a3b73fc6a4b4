import { formatFixed, formatPadded8, formatTrimmed } from '../decimal-format.ts';
import { venueSymbol } from '../instruments.ts';
import type { Market, SymbolMarket } from '../market/market.ts';
import type { SimLimits, Venue } from '../types.ts';
import type { TradeHistory } from './trade-history.ts';

/**
 * The venues' REST trade-history endpoints, with their published request limits:
 *
 * - Binance Spot `GET /api/v3/historicalTrades?symbol=&fromId=&limit=` (REST API doc, mid 2026): weight
 *   25, `limit` default 500 max 1000, oldest first from `fromId` (the newest `limit` without it). Every
 *   answer carries `X-MBX-USED-WEIGHT-1M` (the IP's weight in the current minute, limit 6000). Over the
 *   limit: HTTP 429 with `Retry-After` (seconds); a client that keeps calling while told to wait is
 *   banned: HTTP 418 with `Retry-After`.
 * - OKX v5 `GET /api/v5/market/history-trades?instId=&type=1&after=&before=&limit=` (docs-v5, 2025):
 *   20 requests per 2 s per IP, `limit` max 100, newest first; `type=1` pages by trade id (`after`: ids
 *   below it, `before`: ids above it). Over the limit: HTTP 429 `{"code":"50011","msg":"Too Many Requests"}`.
 * - Bybit v5 `GET /v5/market/recent-trade?category=spot&symbol=&limit=` (v5 docs, mid 2026): the newest
 *   trades only (spot `limit` 1-60), no paging by id or time; 600 requests per 5 s per IP, over it
 *   HTTP 403 "access too frequent". Answers carry `X-Bapi-Limit-Status`-style headers only for keyed
 *   endpoints, so none here.
 */
export interface RestReply {
  status: number;
  body: string;
  headers: Record<string, string>;
}

export interface RestTradesStats {
  /** Trade-history requests answered, per venue (any status). */
  requests: Record<Venue, number>;
  /** Answers 429 (rate limited) and 418 (banned), per venue. */
  throttled: Record<Venue, number>;
  banned: Record<Venue, number>;
}

const weightHistoricalTrades = 25;

/** A fixed window counter, as the venues count: the window starts at a multiple of its length. */
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

/** Serves the three venues' trade-history routes from the streams' histories. */
export class RestTrades {
  readonly #market: Market;
  readonly #histories: Map<SymbolMarket, Record<Venue, TradeHistory>>;
  readonly #limits: SimLimits;
  readonly #now: () => number;
  readonly #binanceWeight = new Window(60_000);
  readonly #okxWindow = new Window(2_000);
  readonly #bybitWindow = new Window(5_000);
  /** Binance: a 429 told the client to wait until then; a request before it is banned. */
  #binanceWaitUntil = 0;
  #binanceBannedUntil = 0;
  /** The throttle fault: every trade-history request of the venue is refused until then. */
  readonly throttledUntil: Record<Venue, number> = { binance: 0, okx: 0, bybit: 0 };
  readonly stats: RestTradesStats = {
    requests: { binance: 0, okx: 0, bybit: 0 },
    throttled: { binance: 0, okx: 0, bybit: 0 },
    banned: { binance: 0, okx: 0, bybit: 0 },
  };

  constructor(
    market: Market,
    histories: Map<SymbolMarket, Record<Venue, TradeHistory>>,
    limits: SimLimits,
    now: () => number,
  ) {
    this.#market = market;
    this.#histories = histories;
    this.#limits = limits;
    this.#now = now;
  }

  /** Null when `path` is not a trade-history route of `venue`. */
  handle(venue: Venue, path: string, query: URLSearchParams): RestReply | null {
    if (venue === 'binance' && path === '/api/v3/historicalTrades') return this.#binance(query);
    if (venue === 'okx' && path === '/api/v5/market/history-trades') return this.#okx(query);
    if (venue === 'bybit' && path === '/v5/market/recent-trade') return this.#bybit(query);
    return null;
  }

  #history(venue: Venue, name: string | null): TradeHistory | null {
    if (name === null) return null;
    const s = this.#market.symbols.find((m) => venueSymbol(venue, m.spec) === name);
    return s ? (this.#histories.get(s)?.[venue] ?? null) : null;
  }

  #spec(venue: Venue, name: string): SymbolMarket['spec'] {
    return (this.#market.symbols.find((m) => venueSymbol(venue, m.spec) === name) as SymbolMarket).spec;
  }

  #binance(query: URLSearchParams): RestReply {
    const now = this.#now();
    this.stats.requests.binance += 1;
    const w = this.#binanceWeight;
    w.roll(now);
    const used = () => ({ 'x-mbx-used-weight-1m': String(w.used) });
    const retryAfter = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));
    if (this.#binanceBannedUntil > now) {
      this.stats.banned.binance += 1;
      return {
        status: 418,
        headers: { ...used(), 'retry-after': retryAfter(this.#binanceBannedUntil - now) },
        body: JSON.stringify({
          code: -1003,
          msg: `Way too much request weight used; IP banned until ${Math.floor(this.#binanceBannedUntil)}. Please use WebSocket Streams for live updates to avoid bans.`,
        }),
      };
    }
    if (this.#binanceWaitUntil > now) {
      // Told to wait and did not: the venue escalates to a ban.
      this.#binanceBannedUntil = now + this.#limits.binanceRestBanMs;
      this.stats.banned.binance += 1;
      return {
        status: 418,
        headers: { ...used(), 'retry-after': retryAfter(this.#limits.binanceRestBanMs) },
        body: JSON.stringify({ code: -1003, msg: 'Way too much request weight used; IP banned.' }),
      };
    }
    const throttle = this.throttledUntil.binance > now;
    if (throttle || w.used + weightHistoricalTrades > this.#limits.binanceRestWeightPerMinute) {
      const wait = throttle ? this.throttledUntil.binance - now : w.resetsIn(now);
      this.#binanceWaitUntil = now + wait;
      this.stats.throttled.binance += 1;
      return {
        status: 429,
        headers: { ...used(), 'retry-after': retryAfter(wait) },
        body: JSON.stringify({
          code: -1003,
          msg: `Too much request weight used; current limit is ${this.#limits.binanceRestWeightPerMinute} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.`,
        }),
      };
    }
    w.used += weightHistoricalTrades;
    const name = query.get('symbol');
    const history = this.#history('binance', name);
    if (history === null || name === null)
      return { status: 400, headers: used(), body: '{"code":-1121,"msg":"Invalid symbol."}' };
    const limitText = query.get('limit');
    const limit = limitText === null ? 500 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      return {
        status: 400,
        headers: used(),
        body: `{"code":-1130,"msg":"Data sent for parameter 'limit' is not valid."}`,
      };
    const fromText = query.get('fromId');
    const from = fromText === null ? Math.max(0, history.size - limit) : history.lowerBound(Number(fromText));
    const spec = this.#spec('binance', name);
    const out: string[] = [];
    for (let k = from; k < history.size && out.length < limit; k += 1) {
      const t = history.at(k);
      const quote = formatFixedBig(BigInt(t.price) * BigInt(t.lots), spec.priceDecimals + spec.lotDecimals);
      out.push(
        `{"id":${t.id},"price":"${formatPadded8(t.price, spec.priceDecimals)}","qty":"${formatPadded8(t.lots, spec.lotDecimals)}","quoteQty":"${quote}","time":${t.time},"isBuyerMaker":${!t.buy},"isBestMatch":true}`,
      );
    }
    return { status: 200, headers: used(), body: `[${out.join(',')}]` };
  }

  #okx(query: URLSearchParams): RestReply {
    const now = this.#now();
    this.stats.requests.okx += 1;
    const w = this.#okxWindow;
    w.roll(now);
    w.used += 1;
    if (this.throttledUntil.okx > now || w.used > this.#limits.okxHistoryRequestsPer2s) {
      this.stats.throttled.okx += 1;
      return { status: 429, headers: {}, body: '{"msg":"Too Many Requests","code":"50011"}' };
    }
    const name = query.get('instId');
    const history = this.#history('okx', name);
    if (history === null || name === null)
      return {
        status: 200,
        headers: {},
        body: `{"code":"51001","msg":"Instrument ID ${name ?? ''} doesn't exist.","data":[]}`,
      };
    const type = query.get('type') ?? '1';
    const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 100) || 100));
    if (type !== '1')
      return {
        status: 200,
        headers: {},
        body: '{"code":"51000","msg":"Parameter type error (the simulator pages by trade id only).","data":[]}',
      };
    const after = query.get('after');
    const before = query.get('before');
    const spec = this.#spec('okx', name);
    // Newest first: from just below `after` downwards, or the newest ones, stopping above `before`.
    let k = (after === null ? history.size : history.lowerBound(Number(after))) - 1;
    const floor = before === null ? -1 : Number(before);
    const out: string[] = [];
    for (; k >= 0 && out.length < limit; k -= 1) {
      const t = history.at(k);
      if (t.id <= floor) break;
      out.push(
        `{"instId":"${name}","side":"${t.buy ? 'buy' : 'sell'}","sz":"${formatTrimmed(t.lots, spec.lotDecimals)}","px":"${formatTrimmed(t.price, spec.priceDecimals)}","source":"0","tradeId":"${t.id}","ts":"${t.time}"}`,
      );
    }
    return { status: 200, headers: {}, body: `{"code":"0","msg":"","data":[${out.join(',')}]}` };
  }

  #bybit(query: URLSearchParams): RestReply {
    const now = this.#now();
    this.stats.requests.bybit += 1;
    const w = this.#bybitWindow;
    w.roll(now);
    w.used += 1;
    if (this.throttledUntil.bybit > now || w.used > this.#limits.bybitRestRequestsPer5s) {
      this.stats.throttled.bybit += 1;
      return { status: 403, headers: {}, body: 'access too frequent' };
    }
    const time = Math.floor(this.#now());
    const name = query.get('symbol');
    const history = query.get('category') === 'spot' ? this.#history('bybit', name) : null;
    if (history === null || name === null)
      return {
        status: 200,
        headers: {},
        body: JSON.stringify({ retCode: 10001, retMsg: 'params error', result: {}, retExtInfo: {}, time }),
      };
    const limit = Math.min(60, Math.max(1, Number(query.get('limit') ?? 60) || 60));
    const spec = this.#spec('bybit', name);
    const list: string[] = [];
    for (let k = history.size - 1; k >= 0 && list.length < limit; k -= 1) {
      const t = history.at(k);
      list.push(
        `{"execId":"${t.id}","symbol":"${name}","price":"${formatTrimmed(t.price, spec.priceDecimals)}","size":"${formatTrimmed(t.lots, spec.lotDecimals)}","side":"${t.buy ? 'Buy' : 'Sell'}","time":"${t.time}","isBlockTrade":false,"isRPITrade":false}`,
      );
    }
    return {
      status: 200,
      headers: {},
      body: `{"retCode":0,"retMsg":"OK","result":{"category":"spot","list":[${list.join(',')}]},"retExtInfo":{},"time":${time}}`,
    };
  }
}

/** `formatFixed` for products that may pass 2^53 (price ticks times lots). */
function formatFixedBig(units: bigint, decimals: number): string {
  if (units <= BigInt(Number.MAX_SAFE_INTEGER)) return formatFixed(Number(units), decimals);
  const s = units.toString();
  return decimals === 0 ? s : `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
}
