import { BinanceDepth, sendBinance } from '../books/binance-depth.ts';
import { formatPadded8 } from '../decimal-format.ts';
import { toSimInstrument, venueSymbol } from '../instruments.ts';
import type { TradeStream } from '../market/trade-stream.ts';
import type { Connection } from '../server/connection.ts';
import {
  CachedFormat,
  fanOut,
  type HttpReply,
  type ProtocolContext,
  Topic,
  type VenueProtocol,
} from '../server/protocol.ts';
import { packTextFrames } from '../server/ws-frames.ts';
import type { MalformedKind } from '../types.ts';

/**
 * Binance Spot public market data (WebSocket Streams doc as of mid 2026): raw `/ws/<stream>`, combined
 * `/stream?streams=a/b` with `{"stream","data"}` envelopes, live SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS,
 * `<sym>@trade`, `<sym>@aggTrade`, `<sym>@bookTicker`, `<sym>@depth@100ms`, `<sym>@depth` (see
 * books/binance-depth.ts; REST `/api/v3/depth`). Server ping frames, pong required; 5 incoming
 * messages per second; decimals padded to 8 places. A well-formed stream for an unknown symbol (or any
 * stream kind the simulator does not produce, e.g. klines) is acknowledged and never delivers data.
 */

interface SymbolState {
  stream: TradeStream;
  symbol: string;
  lower: string;
  trade: Topic;
  aggTrade: Topic;
  bookTicker: Topic;
  price: CachedFormat;
  nextAggId: number;
  bookSent: number;
}

const streamPattern = /^[a-z0-9!]+@[A-Za-z0-9_@!]+$/;
const methods = '`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY`';

function errorFrame(code: number, msg: string, id: unknown): string {
  return JSON.stringify({ error: { code, msg }, id: id ?? null });
}

export class BinanceProtocol implements VenueProtocol {
  readonly venue = 'binance' as const;
  readonly #ctx: ProtocolContext;
  readonly #symbols: SymbolState[];
  readonly #topics = new Map<string, Topic>();
  readonly #msgs: string[] = [];
  readonly #wrapped: string[] = [];
  #pingSeq = 0;
  /** Depth streams (`@depth@100ms`, `@depth`) and the REST snapshot. */
  readonly depth: BinanceDepth;

  constructor(ctx: ProtocolContext) {
    this.#ctx = ctx;
    this.#symbols = ctx.market.symbols.map((s) => {
      const symbol = venueSymbol('binance', s.spec);
      const lower = symbol.toLowerCase();
      const st: SymbolState = {
        stream: s.streams.binance,
        symbol,
        lower,
        trade: new Topic(),
        aggTrade: new Topic(),
        bookTicker: new Topic(),
        price: new CachedFormat(s.spec.priceDecimals, formatPadded8),
        nextAggId: Math.floor(s.streams.binance.nextTradeId / 3),
        bookSent: 0,
      };
      this.#topics.set(`${lower}@trade`, st.trade);
      this.#topics.set(`${lower}@aggTrade`, st.aggTrade);
      this.#topics.set(`${lower}@bookTicker`, st.bookTicker);
      return st;
    });
    this.depth = new BinanceDepth(
      ctx,
      (name, topic) => this.#topics.set(name, topic),
      (s) => venueSymbol('binance', s.spec),
    );
  }

  checkUpgrade(path: string, query: URLSearchParams): number | null {
    if (path === '/ws' || path === '/stream') {
      const streams = query.get('streams');
      return streams && streams.split('/').length > this.#ctx.limits.binanceMaxStreams ? 400 : null;
    }
    if (path.startsWith('/ws/')) return null;
    return 404;
  }

  onOpen(conn: Connection, query: URLSearchParams, now: number): void {
    conn.nextPingAt = now + this.#ctx.timing.binancePingIntervalMs;
    conn.windowStart = now;
    let names: string[] = [];
    if (conn.path === '/stream') {
      conn.combined = true;
      names = (query.get('streams') ?? '').split('/');
    } else if (conn.path.startsWith('/ws/')) {
      names = conn.path.slice(4).split('/');
    }
    for (const name of names) if (name !== '') this.#subscribe(conn, name);
  }

  /** Every incoming message, control frames included, counts toward the per-second limit. */
  #overLimit(conn: Connection, now: number): boolean {
    if (now - conn.windowStart >= 1000) {
      conn.windowStart = now;
      conn.windowCount = 0;
    }
    conn.windowCount += 1;
    if (conn.windowCount > this.#ctx.limits.binanceMessagesPerSecond) {
      conn.close(1008, 'Too many requests');
      return true;
    }
    return false;
  }

  onPing(conn: Connection, payload: Buffer, now: number): void {
    this.#ctx.counters.pingsReceived.binance += 1;
    if (this.#overLimit(conn, now)) return;
    if (conn.open && !conn.silent(now)) conn.ws.pong(payload);
  }

  onPong(conn: Connection, payload: Buffer, now: number): void {
    this.#ctx.counters.pongsReceived.binance += 1;
    if (this.#overLimit(conn, now)) return;
    // Only a pong that copies the outstanding ping's payload counts; unsolicited ones do not.
    if (conn.pendingPing !== null && payload.toString('latin1') === conn.pendingPing) conn.pendingPing = null;
  }

  onMessage(conn: Connection, text: string, now: number): void {
    if (this.#overLimit(conn, now)) return;
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      conn.send(errorFrame(3, 'Invalid JSON: expected value at line 1 column 1', null), now);
      return;
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      conn.send(errorFrame(2, 'Invalid request: expected an object', null), now);
      return;
    }
    const { method, params, id } = req as { method?: unknown; params?: unknown; id?: unknown };
    if (id !== undefined && id !== null && typeof id !== 'number' && typeof id !== 'string') {
      conn.send(
        errorFrame(2, 'Invalid request: request ID must be an unsigned integer or a string', null),
        now,
      );
      return;
    }
    if (typeof method !== 'string') {
      conn.send(errorFrame(2, 'Invalid request: missing field `method`', id), now);
      return;
    }
    switch (method) {
      case 'SUBSCRIBE':
      case 'UNSUBSCRIBE': {
        if (!Array.isArray(params) || params.some((p) => typeof p !== 'string' || !streamPattern.test(p))) {
          conn.send(errorFrame(2, 'Invalid request: invalid stream name in `params`', id), now);
          return;
        }
        const names = params as string[];
        if (method === 'SUBSCRIBE') {
          const fresh = names.filter((n) => !conn.topics.has(n)).length;
          if (conn.topics.size + fresh > this.#ctx.limits.binanceMaxStreams) {
            conn.send(
              errorFrame(
                2,
                `Invalid request: too many streams (max ${this.#ctx.limits.binanceMaxStreams})`,
                id,
              ),
              now,
            );
            return;
          }
          for (const name of names) this.#subscribe(conn, name);
        } else {
          for (const name of names) this.#unsubscribe(conn, name);
        }
        conn.send(JSON.stringify({ result: null, id: id ?? null }), now);
        return;
      }
      case 'LIST_SUBSCRIPTIONS':
        conn.send(JSON.stringify({ result: [...conn.topics], id: id ?? null }), now);
        return;
      case 'SET_PROPERTY': {
        if (!Array.isArray(params) || params[0] !== 'combined' || typeof params[1] !== 'boolean') {
          conn.send(errorFrame(2, 'Invalid request: unknown property', id), now);
          return;
        }
        this.#setCombined(conn, params[1]);
        conn.send(JSON.stringify({ result: null, id: id ?? null }), now);
        return;
      }
      case 'GET_PROPERTY':
        conn.send(JSON.stringify({ result: conn.combined, id: id ?? null }), now);
        return;
      default:
        conn.send(
          errorFrame(2, `Invalid request: unknown variant \`${method}\`, expected one of ${methods}`, id),
          now,
        );
    }
  }

  #subscribe(conn: Connection, name: string): void {
    conn.topics.add(name);
    this.#topics.get(name)?.add(conn);
  }

  #unsubscribe(conn: Connection, name: string): void {
    conn.topics.delete(name);
    this.#topics.get(name)?.delete(conn);
  }

  #setCombined(conn: Connection, combined: boolean): void {
    for (const name of conn.topics) this.#topics.get(name)?.delete(conn);
    conn.combined = combined;
    for (const name of conn.topics) this.#topics.get(name)?.add(conn);
  }

  onClose(conn: Connection): void {
    for (const name of conn.topics) this.#topics.get(name)?.delete(conn);
  }

  housekeep(conn: Connection, now: number): void {
    const { timing } = this.#ctx;
    if (now - conn.openedAt >= timing.maxConnectionAgeMs) {
      conn.drop();
      return;
    }
    if (conn.pendingPing !== null && now - conn.pingSentAt >= timing.binancePongTimeoutMs) {
      conn.drop();
      return;
    }
    if (now >= conn.nextPingAt) {
      conn.nextPingAt = now + timing.binancePingIntervalMs;
      if (!conn.open || conn.silent(now)) return;
      const payload = String(++this.#pingSeq);
      if (conn.pendingPing === null) conn.pingSentAt = now;
      conn.pendingPing = payload;
      conn.ws.ping(payload);
    }
  }

  shutdownNotice(conn: Connection, now: number): boolean {
    const event = `{"e":"serverShutdown","E":${this.#ctx.clock.now()}}`;
    conn.send(conn.combined ? `{"stream":"!serverShutdown","data":${event}}` : event, now);
    return true;
  }

  malformedFrame(conn: Connection, kind: MalformedKind): string {
    const st = this.#symbols[0];
    const sym = st?.symbol ?? 'BTCUSDT';
    const E = this.#ctx.clock.now();
    if (kind === 'garbage') return 'garbage \\x00 {{{ not json';
    if (kind === 'truncated') {
      const full = `{"e":"trade","E":${E},"s":"${sym}","t":1,"p":"1.00000000","q":"1.00000000","T":${E},"m":true,"M":true}`;
      const cut = full.slice(0, Math.floor(full.length / 2));
      return conn.combined ? `{"stream":"${sym.toLowerCase()}@trade","data":${cut}` : cut;
    }
    const event = `{"e":"simUnknownEvent","E":${E},"s":"${sym}"}`;
    return conn.combined ? `{"stream":"${sym.toLowerCase()}@simUnknownEvent","data":${event}}` : event;
  }

  rest(path: string, query: URLSearchParams): HttpReply | null {
    if (path === '/api/v3/depth') return this.depth.rest(query);
    if (path !== '/api/v3/exchangeInfo') return null;
    const wanted = query.get('symbol') ?? query.get('symbols');
    let list = this.#ctx.market.symbols;
    if (wanted !== null) {
      const names: unknown = wanted.startsWith('[') ? JSON.parse(wanted) : [wanted];
      const set = new Set(Array.isArray(names) ? names : []);
      list = list.filter((s) => set.has(venueSymbol('binance', s.spec)));
      if (list.length === 0) return { status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' };
    }
    const symbols = list.map((s) => {
      const i = toSimInstrument('binance', s.spec);
      const pad = (units: number, decimals: number) => formatPadded8(units, decimals);
      return {
        symbol: i.venueSymbol,
        status: 'TRADING',
        baseAsset: i.base,
        baseAssetPrecision: 8,
        quoteAsset: i.quote,
        quotePrecision: 8,
        quoteAssetPrecision: 8,
        baseCommissionPrecision: 8,
        quoteCommissionPrecision: 8,
        orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
        icebergAllowed: true,
        ocoAllowed: true,
        otoAllowed: true,
        quoteOrderQtyMarketAllowed: true,
        allowTrailingStop: true,
        cancelReplaceAllowed: true,
        isSpotTradingAllowed: true,
        isMarginTradingAllowed: false,
        filters: [
          {
            filterType: 'PRICE_FILTER',
            minPrice: pad(1, s.spec.priceDecimals),
            maxPrice: '1000000.00000000',
            tickSize: pad(1, s.spec.priceDecimals),
          },
          {
            filterType: 'LOT_SIZE',
            minQty: pad(1, s.spec.lotDecimals),
            maxQty: '9000000.00000000',
            stepSize: pad(1, s.spec.lotDecimals),
          },
          {
            filterType: 'NOTIONAL',
            minNotional: pad(s.spec.minNotional, 0),
            applyMinToMarket: true,
            maxNotional: '9000000.00000000',
            applyMaxToMarket: false,
            avgPriceMins: 5,
          },
        ],
        permissions: [],
        permissionSets: [['SPOT']],
        defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
        allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
      };
    });
    return {
      status: 200,
      body: JSON.stringify({
        timezone: 'UTC',
        serverTime: this.#ctx.clock.now(),
        rateLimits: [
          { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
          { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
        ],
        exchangeFilters: [],
        symbols,
      }),
    };
  }

  publish(): void {
    const { clock, counters } = this.#ctx;
    const E = clock.now();
    const msgs = this.#msgs;
    for (const st of this.#symbols) {
      const stream = st.stream;
      const b = stream.batch;
      const n = b.n;
      const dup = Math.min(stream.duplicateRemaining, n);
      stream.duplicateRemaining -= dup;
      if (n > 0 && !st.trade.empty) {
        const lots = stream.spec.lotDecimals;
        let m = 0;
        for (let i = 0; i < n; i += 1) {
          const msg = `{"e":"trade","E":${E},"s":"${st.symbol}","t":${b.id[i]},"p":"${st.price.text(b.price[i] as number)}","q":"${formatPadded8(b.lots[i] as number, lots)}","T":${E},"m":${b.buy[i] === 0},"M":true}`;
          msgs[m++] = msg;
          if (i < dup) msgs[m++] = msg;
        }
        this.#send(st.trade, `${st.lower}@trade`, m, counters);
      }
      if (n > 0) this.#publishAggTrades(st, E);
      if (stream.bboVersion !== st.bookSent) {
        st.bookSent = stream.bboVersion;
        if (!st.bookTicker.empty) {
          const p = stream.spec.priceDecimals;
          const l = stream.spec.lotDecimals;
          msgs[0] = `{"u":${400_900_000 + stream.bboVersion},"s":"${st.symbol}","b":"${formatPadded8(stream.bidTicks, p)}","B":"${formatPadded8(stream.bidLots, l)}","a":"${formatPadded8(stream.askTicks, p)}","A":"${formatPadded8(stream.askLots, l)}"}`;
          this.#send(st.bookTicker, `${st.lower}@bookTicker`, 1, counters, 0);
        }
      }
    }
    this.depth.publish(E, (topic, name, msg) => sendBinance(this.#ctx, topic, name, msg));
  }

  /** Fills of one taker order at one price become one aggregate trade, as Binance aggregates them. */
  #publishAggTrades(st: SymbolState, E: number): void {
    const b = st.stream.batch;
    const build = !st.aggTrade.empty;
    const lotDecimals = st.stream.spec.lotDecimals;
    const msgs = this.#msgs;
    let m = 0;
    let i = 0;
    while (i < b.n) {
      let j = i + 1;
      let lots = b.lots[i] as number;
      while (
        j < b.n &&
        b.order[j] === b.order[i] &&
        b.price[j] === b.price[i] &&
        b.id[j] === (b.id[j - 1] as number) + 1
      ) {
        lots += b.lots[j] as number;
        j += 1;
      }
      const a = st.nextAggId++;
      if (build) {
        msgs[m++] =
          `{"e":"aggTrade","E":${E},"s":"${st.symbol}","a":${a},"p":"${st.price.text(b.price[i] as number)}","q":"${formatPadded8(lots, lotDecimals)}","f":${b.id[i]},"l":${b.id[j - 1]},"T":${E},"m":${b.buy[i] === 0},"M":true}`;
      }
      i = j;
    }
    if (build) this.#send(st.aggTrade, `${st.lower}@aggTrade`, m, this.#ctx.counters, 0);
  }

  /** Pack the first `m` messages once per envelope kind and write them to the topic's subscribers. */
  #send(
    topic: Topic,
    streamName: string,
    m: number,
    counters: ProtocolContext['counters'],
    tradesPerMsg = 1,
  ): void {
    const { writer } = this.#ctx;
    const trades = m * tradesPerMsg;
    if (topic.raw.size > 0)
      fanOut(writer, topic.raw, packTextFrames(this.#msgs, m), trades, counters, 'binance');
    if (topic.wrapped.size > 0) {
      const wrapped = this.#wrapped;
      const prefix = `{"stream":"${streamName}","data":`;
      for (let k = 0; k < m; k += 1) wrapped[k] = `${prefix}${this.#msgs[k]}}`;
      fanOut(writer, topic.wrapped, packTextFrames(wrapped, m), trades, counters, 'binance');
    }
  }
}
