import { BybitOrderbook } from '../books/bybit-orderbook.ts';
import { formatFixed, formatTrimmed } from '../decimal-format.ts';
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
 * Bybit v5 public spot WebSocket (bybit-exchange docs as of mid 2026): `/v5/public/spot`,
 * `publicTrade.<SYM>` (batches of at most 1024 trades, `i` a numeric string id, `seq` per taker order)
 * and `orderbook.1.<SYM>` (a snapshot on subscribe, then on change, re-sent unchanged every 3 s), and
 * `orderbook.50.<SYM>` (snapshot + deltas with consecutive `u`: books/bybit-orderbook.ts).
 * `{"op":"ping"}` -> spot pong (no req_id echoed, as the docs show). Prices print at the tick's
 * precision ("16578.50"), sizes trimmed ("0.001"), as in the docs' examples.
 */

interface SymbolState {
  stream: TradeStream;
  symbol: string;
  trades: Topic;
  book: Topic;
  price: CachedFormat;
  seq: number;
  bookSent: number;
  bookSentAt: number;
}

const maxTradesPerMessage = 1024;

export class BybitProtocol implements VenueProtocol {
  readonly venue = 'bybit' as const;
  readonly #ctx: ProtocolContext;
  readonly #symbols: SymbolState[];
  readonly #topics = new Map<string, { st: SymbolState; topic: Topic }>();
  readonly #msgs: string[] = [];
  /** `orderbook.50.<SYM>` (see books/bybit-orderbook.ts). */
  readonly orderbook: BybitOrderbook;

  constructor(ctx: ProtocolContext) {
    this.#ctx = ctx;
    this.orderbook = new BybitOrderbook(ctx, (s) => venueSymbol('bybit', s.spec));
    this.#symbols = ctx.market.symbols.map((s) => {
      const st: SymbolState = {
        stream: s.streams.bybit,
        symbol: venueSymbol('bybit', s.spec),
        trades: new Topic(),
        book: new Topic(),
        price: new CachedFormat(s.spec.priceDecimals, formatFixed),
        seq: 7_961_000_000,
        bookSent: 0,
        bookSentAt: 0,
      };
      this.#topics.set(`publicTrade.${st.symbol}`, { st, topic: st.trades });
      this.#topics.set(`orderbook.1.${st.symbol}`, { st, topic: st.book });
      const depthTopic = this.orderbook.topicOf(st.symbol);
      if (depthTopic) this.#topics.set(this.orderbook.topicName(st.symbol), { st, topic: depthTopic });
      return st;
    });
  }

  /** The cross sequence starts over (restart fault); ids are unaffected. */
  resetSequence(symbol?: string): void {
    for (const st of this.#symbols) if (symbol === undefined || st.symbol === symbol) st.seq = 0;
  }

  checkUpgrade(path: string): number | null {
    return path === '/v5/public/spot' ? null : 404;
  }

  onOpen(): void {}

  onPing(conn: Connection, payload: Buffer, now: number): void {
    if (conn.open && !conn.silent(now)) conn.ws.pong(payload);
  }

  onPong(): void {}

  #reply(conn: Connection, success: boolean, retMsg: string, reqId: string, op: string, now: number): void {
    conn.send(JSON.stringify({ success, ret_msg: retMsg, conn_id: conn.id, req_id: reqId, op }), now);
  }

  onMessage(conn: Connection, text: string, now: number): void {
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      this.#reply(conn, false, 'error:request not json', '', '', now);
      return;
    }
    const { req_id, op, args } = (typeof req === 'object' && req !== null ? req : {}) as {
      req_id?: unknown;
      op?: unknown;
      args?: unknown;
    };
    const reqId = typeof req_id === 'string' ? req_id : '';
    if (op === 'ping') {
      this.#ctx.counters.pingsReceived.bybit += 1;
      conn.send(JSON.stringify({ success: true, ret_msg: 'pong', conn_id: conn.id, op: 'ping' }), now);
      return;
    }
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      this.#reply(
        conn,
        false,
        `error:unsupported op:${String(op)}`,
        reqId,
        typeof op === 'string' ? op : '',
        now,
      );
      return;
    }
    if (!Array.isArray(args) || args.length === 0 || args.some((a) => typeof a !== 'string')) {
      this.#reply(conn, false, 'Params Error', reqId, op, now);
      return;
    }
    if (args.length > this.#ctx.limits.bybitMaxArgs) {
      this.#reply(conn, false, `args size >${this.#ctx.limits.bybitMaxArgs}`, reqId, op, now);
      return;
    }
    // Valid topics take effect even when others in the same request fail; the reply names the first failure.
    let failure: string | null = null;
    for (const topicName of args as string[]) {
      const entry = this.#topics.get(topicName);
      if (!entry) {
        failure ??= `error:handler not found,topic:${topicName}`;
        continue;
      }
      if (op === 'subscribe') {
        if (conn.topics.has(topicName)) {
          failure ??= `error:already subscribed,topic:${topicName}`;
          continue;
        }
        if (conn.argsChars + topicName.length > this.#ctx.limits.bybitMaxArgsChars) {
          failure ??= `error:args length exceeds ${this.#ctx.limits.bybitMaxArgsChars},topic:${topicName}`;
          continue;
        }
        conn.topics.add(topicName);
        conn.argsChars += topicName.length;
        entry.topic.add(conn);
        if (entry.topic === this.orderbook.topicOf(entry.st.symbol))
          this.orderbook.subscribed(conn, entry.st.symbol);
      } else if (conn.topics.delete(topicName)) {
        conn.argsChars -= topicName.length;
        entry.topic.delete(conn);
        this.orderbook.unsubscribed(conn, entry.st.symbol);
      }
    }
    this.#reply(conn, failure === null, failure ?? (op === 'subscribe' ? 'subscribe' : ''), reqId, op, now);
    if (op !== 'subscribe') return;
    // Level 1 starts with a snapshot on subscribe.
    for (const topicName of args as string[]) {
      const entry = this.#topics.get(topicName);
      if (entry && entry.topic === entry.st.book && conn.topics.has(topicName)) {
        conn.send(this.#bookFrame(entry.st, this.#ctx.clock.now()), now);
      }
    }
  }

  onClose(conn: Connection): void {
    for (const name of conn.topics) {
      const entry = this.#topics.get(name);
      entry?.topic.delete(conn);
      if (entry) this.orderbook.unsubscribed(conn, entry.st.symbol);
    }
  }

  housekeep(conn: Connection, now: number): void {
    const { timing } = this.#ctx;
    if (now - conn.openedAt >= timing.maxConnectionAgeMs) conn.drop();
    else if (now - Math.max(conn.lastReceivedAt, conn.lastSentAt) >= timing.bybitIdleTimeoutMs) conn.drop();
  }

  shutdownNotice(): boolean {
    return false;
  }

  malformedFrame(_conn: Connection, kind: MalformedKind): string {
    if (kind === 'garbage') return 'garbage \\x00 {{{ not json';
    const sym = this.#symbols[0]?.symbol ?? 'BTCUSDT';
    const ts = this.#ctx.clock.now();
    if (kind === 'truncated')
      return `{"topic":"publicTrade.${sym}","type":"snapshot","ts":${ts},"data":[{"T":${ts},"s":"${sym}","S":"Bu`;
    return `{"topic":"simUnknown.${sym}","type":"snapshot","ts":${ts},"data":{}}`;
  }

  rest(path: string, query: URLSearchParams): HttpReply | null {
    if (path !== '/v5/market/instruments-info') return null;
    const time = this.#ctx.clock.now();
    const category = query.get('category');
    if (category !== 'spot' && category !== 'linear' && category !== 'inverse' && category !== 'option') {
      const body = {
        retCode: 10001,
        retMsg: 'params error: Category is invalid',
        result: {},
        retExtInfo: {},
        time,
      };
      return { status: 200, body: JSON.stringify(body) };
    }
    const symbol = query.get('symbol');
    const list =
      category !== 'spot'
        ? []
        : this.#ctx.market.symbols
            .filter((s) => symbol === null || venueSymbol('bybit', s.spec) === symbol)
            .map((s) => {
              const i = toSimInstrument('bybit', s.spec);
              const minLots = Math.max(
                1,
                Math.ceil(s.spec.minNotional / s.spec.initialPrice / 10 ** -s.spec.lotDecimals),
              );
              return {
                symbol: i.venueSymbol,
                baseCoin: i.base,
                quoteCoin: i.quote,
                innovation: '0',
                status: 'Trading',
                marginTrading: 'utaOnly',
                stTag: '0',
                lotSizeFilter: {
                  basePrecision: i.lotSize,
                  quotePrecision: '0.00000001',
                  minOrderQty: formatTrimmed(minLots, s.spec.lotDecimals),
                  maxOrderQty: '9000000',
                  minOrderAmt: String(s.spec.minNotional),
                  maxOrderAmt: '2000000',
                },
                priceFilter: { tickSize: i.tickSize },
                riskParameters: { priceLimitRatioX: '0.05', priceLimitRatioY: '0.05' },
              };
            });
    const body = {
      retCode: 0,
      retMsg: 'OK',
      result: { category, list, nextPageCursor: '' },
      retExtInfo: {},
      time,
    };
    return { status: 200, body: JSON.stringify(body) };
  }

  #bookFrame(st: SymbolState, ts: number): string {
    const s = st.stream;
    const p = s.spec.priceDecimals;
    const l = s.spec.lotDecimals;
    // `u` = 1 would tell clients the book service restarted; ours starts well above.
    const u = 18_000_000 + s.bboVersion;
    return `{"topic":"orderbook.1.${st.symbol}","type":"snapshot","ts":${ts},"data":{"s":"${st.symbol}","b":[["${formatFixed(s.bidTicks, p)}","${formatTrimmed(s.bidLots, l)}"]],"a":[["${formatFixed(s.askTicks, p)}","${formatTrimmed(s.askLots, l)}"]],"u":${u},"seq":${st.seq}},"cts":${ts}}`;
  }

  publish(): void {
    const { clock, writer, counters, timing, monotonic } = this.#ctx;
    const E = clock.now();
    const msgs = this.#msgs;
    for (const st of this.#symbols) {
      const stream = st.stream;
      const b = stream.batch;
      const n = b.n;
      const dup = Math.min(stream.duplicateRemaining, n);
      stream.duplicateRemaining -= dup;
      // `seq` moves per taker order whether or not anyone listens, so it is the same for every client.
      const seq0 = st.seq;
      for (let i = 0; i < n; i += 1) if (i === 0 || b.order[i] !== b.order[i - 1]) st.seq += 1;
      if (n > 0 && !st.trades.empty) {
        const lotDecimals = stream.spec.lotDecimals;
        const head = `{"topic":"publicTrade.${st.symbol}","type":"snapshot","ts":${E},"data":[`;
        let m = 0;
        let body = '';
        let inBody = 0;
        let sent = 0;
        let seq = seq0;
        for (let i = 0; i < n; i += 1) {
          if (i === 0 || b.order[i] !== b.order[i - 1]) seq += 1;
          const item = `{"T":${E},"s":"${st.symbol}","S":"${b.buy[i] === 1 ? 'Buy' : 'Sell'}","v":"${formatTrimmed(b.lots[i] as number, lotDecimals)}","p":"${st.price.text(b.price[i] as number)}","i":"${b.id[i]}","BT":false,"seq":${seq}}`;
          const copies = i < dup ? 2 : 1;
          for (let c = 0; c < copies; c += 1) {
            body = inBody === 0 ? item : `${body},${item}`;
            inBody += 1;
            if (inBody === maxTradesPerMessage) {
              msgs[m++] = `${head}${body}]}`;
              sent += inBody;
              inBody = 0;
              body = '';
            }
          }
        }
        if (inBody > 0) {
          msgs[m++] = `${head}${body}]}`;
          sent += inBody;
        }
        fanOut(writer, st.trades.raw, packTextFrames(msgs, m), sent, counters, 'bybit');
      }
      const now = monotonic();
      const changed = stream.bboVersion !== st.bookSent;
      if (changed || now - st.bookSentAt >= timing.bybitBookResendMs) {
        st.bookSent = stream.bboVersion;
        st.bookSentAt = now;
        if (!st.book.empty) {
          msgs[0] = this.#bookFrame(st, E);
          fanOut(writer, st.book.raw, packTextFrames(msgs, 1), 0, counters, 'bybit');
        }
      }
    }
    this.orderbook.publish(E);
  }
}
