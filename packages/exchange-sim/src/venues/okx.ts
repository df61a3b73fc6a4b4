import { OkxBooks } from '../books/okx-books.ts';
import { formatTrimmed } from '../decimal-format.ts';
import { toSimInstrument } from '../instruments.ts';
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
 * OKX API v5 public WebSocket (docs-v5 as of 2025): `/ws/v5/public` serves `trades` (one message per
 * taker order, one entry per price, `tradeId` the last id and `count` the ids covered), `bbo-tbt` and
 * `books` (snapshot + updates with `seqId`/`prevSeqId` and the CRC32 checksum: books/okx-books.ts);
 * `/ws/v5/business` serves `trades-all` (one trade per message). Text `ping` -> `pong`; a connection
 * from which nothing arrives for 30 s is closed with 4004. Decimals trimmed ("42219.9").
 */

interface SymbolState {
  stream: TradeStream;
  instId: string;
  trades: Topic;
  tradesAll: Topic;
  bbo: Topic;
  price: CachedFormat;
  tradesSeq: number;
  bboSeq: number;
  bboSent: number;
}

type Channel = 'trades' | 'trades-all' | 'bbo-tbt';
const publicChannels = new Set<string>(['trades', 'bbo-tbt', 'books']);
const businessChannels = new Set<string>(['trades-all']);
/** Channels OKX serves only on /business (candles, trades-all) and only elsewhere (the rest we know). */
const businessOnly = (ch: string) => ch === 'trades-all' || ch.startsWith('candle');
const notOnBusiness = new Set([
  'trades',
  'bbo-tbt',
  'tickers',
  'books',
  'books5',
  'books-l2-tbt',
  'books50-l2-tbt',
]);

const msg64001 =
  "This channel has been migrated to the '/business' URL. Please subscribe using the new URL. More details can refer to: https://www.okx.com/help-center/changes-to-v5-api-websocket-subscription-parameter-and-url";
const msg64002 =
  'This channel is not supported by "business" URL. Please use "private" URL(for order channels), or "public" URL(for other channels). More details can refer to: https://www.okx.com/help-center/changes-to-v5-api-websocket-subscription-parameter-and-url';

export class OkxProtocol implements VenueProtocol {
  readonly venue = 'okx' as const;
  readonly #ctx: ProtocolContext;
  readonly #symbols: SymbolState[];
  readonly #byInstId = new Map<string, SymbolState>();
  readonly #msgs: string[] = [];
  /** The `books` channel (see books/okx-books.ts). */
  readonly books: OkxBooks;

  constructor(ctx: ProtocolContext) {
    this.#ctx = ctx;
    this.books = new OkxBooks(ctx);
    this.#symbols = ctx.market.symbols.map((s) => {
      const st: SymbolState = {
        stream: s.streams.okx,
        instId: s.spec.symbol,
        trades: new Topic(),
        tradesAll: new Topic(),
        bbo: new Topic(),
        price: new CachedFormat(s.spec.priceDecimals, formatTrimmed),
        tradesSeq: 1_000_000,
        bboSeq: 2_000_000,
        bboSent: 0,
      };
      this.#byInstId.set(st.instId, st);
      return st;
    });
  }

  checkUpgrade(path: string): number | null {
    return path === '/ws/v5/public' || path === '/ws/v5/business' ? null : 404;
  }

  onOpen(conn: Connection, _query: URLSearchParams, now: number): void {
    conn.requestWindowStart = now;
  }

  onPing(conn: Connection, payload: Buffer, now: number): void {
    if (conn.open && !conn.silent(now)) conn.ws.pong(payload);
  }

  onPong(): void {}

  #error(conn: Connection, id: unknown, code: string, msg: string, now: number): void {
    const frame =
      typeof id === 'string'
        ? { id, event: 'error', code, msg, connId: conn.id }
        : { event: 'error', code, msg, connId: conn.id };
    conn.send(JSON.stringify(frame), now);
  }

  onMessage(conn: Connection, text: string, now: number): void {
    if (text === 'ping') {
      this.#ctx.counters.pingsReceived.okx += 1;
      conn.send('pong', now);
      return;
    }
    if (text.length > this.#ctx.limits.okxMaxRequestBytes) {
      this.#error(conn, undefined, '60012', 'Invalid request: request exceeds 64 KB', now);
      return;
    }
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch {
      this.#error(conn, undefined, '60012', `Invalid request: ${text}`, now);
      return;
    }
    const { id, op, args } = (typeof req === 'object' && req !== null ? req : {}) as {
      id?: unknown;
      op?: unknown;
      args?: unknown;
    };
    if (op !== 'subscribe' && op !== 'unsubscribe') {
      this.#error(conn, id, '60012', `Invalid request: ${text}`, now);
      return;
    }
    if (now - conn.requestWindowStart >= 3_600_000) {
      conn.requestWindowStart = now;
      conn.requestCount = 0;
    }
    conn.requestCount += 1;
    if (conn.requestCount > this.#ctx.limits.okxRequestsPerHour) {
      this.#error(conn, id, '60014', 'Requests too frequent.', now);
      return;
    }
    if (!Array.isArray(args) || args.length === 0) {
      this.#error(conn, id, '60013', `Invalid args: ${text}`, now);
      return;
    }
    for (const arg of args) this.#handleArg(conn, op, id, arg, text, now);
  }

  #handleArg(
    conn: Connection,
    op: 'subscribe' | 'unsubscribe',
    id: unknown,
    arg: unknown,
    text: string,
    now: number,
  ): void {
    const { channel, instId } = (typeof arg === 'object' && arg !== null ? arg : {}) as {
      channel?: unknown;
      instId?: unknown;
    };
    if (typeof channel !== 'string' || typeof instId !== 'string') {
      this.#error(conn, id, '60013', `Invalid args: ${text}`, now);
      return;
    }
    const business = conn.path === '/ws/v5/business';
    if (!business && businessOnly(channel)) {
      this.#error(conn, id, '64001', msg64001, now);
      return;
    }
    if (business && notOnBusiness.has(channel)) {
      this.#error(conn, id, '64002', msg64002, now);
      return;
    }
    const st = this.#byInstId.get(instId);
    const served = business ? businessChannels : publicChannels;
    if (!st || !served.has(channel)) {
      const msg = `Wrong URL or channel:${channel},instId:${instId} doesn't exist. Please use the correct URL, channel and parameters referring to API document.`;
      this.#error(conn, id, '60018', msg, now);
      return;
    }
    const key = `${channel}:${instId}`;
    if (channel === 'books') {
      // The ack first; the snapshot follows at the channel's next 100 ms boundary.
      if (op === 'subscribe') {
        conn.topics.add(key);
        this.books.subscribe(conn, instId);
      } else {
        conn.topics.delete(key);
        this.books.unsubscribe(conn, instId);
      }
      const ack =
        typeof id === 'string'
          ? { id, event: op, arg: { channel, instId }, connId: conn.id }
          : { event: op, arg: { channel, instId }, connId: conn.id };
      conn.send(JSON.stringify(ack), now);
      return;
    }
    const topic = this.#topic(st, channel as Channel);
    if (op === 'subscribe') {
      conn.topics.add(key);
      topic.add(conn);
    } else {
      conn.topics.delete(key);
      topic.delete(conn);
    }
    const ack =
      typeof id === 'string'
        ? { id, event: op, arg: { channel, instId }, connId: conn.id }
        : { event: op, arg: { channel, instId }, connId: conn.id };
    conn.send(JSON.stringify(ack), now);
    // bbo-tbt pushes the current best bid/ask at once, then on every change.
    if (op === 'subscribe' && channel === 'bbo-tbt')
      conn.send(this.#bboFrame(st, this.#ctx.clock.now()), now);
  }

  #topic(st: SymbolState, channel: Channel): Topic {
    return channel === 'trades' ? st.trades : channel === 'trades-all' ? st.tradesAll : st.bbo;
  }

  onClose(conn: Connection): void {
    for (const key of conn.topics) {
      const colon = key.indexOf(':');
      const st = this.#byInstId.get(key.slice(colon + 1));
      if (st && key.slice(0, colon) === 'books') this.books.unsubscribe(conn, st.instId);
      else if (st) this.#topic(st, key.slice(0, colon) as Channel).delete(conn);
    }
  }

  housekeep(conn: Connection, now: number): void {
    const { timing } = this.#ctx;
    if (now - conn.openedAt >= timing.maxConnectionAgeMs) conn.drop();
    else if (now - conn.lastReceivedAt >= timing.okxIdleTimeoutMs)
      conn.close(4004, 'No data received in 30 secs.');
  }

  shutdownNotice(conn: Connection, now: number): boolean {
    const msg = 'The connection will soon be closed for a service upgrade. Please reconnect.';
    conn.send(JSON.stringify({ event: 'notice', code: '64008', msg, connId: conn.id }), now);
    return true;
  }

  malformedFrame(conn: Connection, kind: MalformedKind): string {
    if (kind === 'garbage') return 'garbage \\x00 {{{ not json';
    const instId = this.#symbols[0]?.instId ?? 'BTC-USDT';
    if (kind === 'truncated') {
      return `{"arg":{"channel":"trades","instId":"${instId}"},"data":[{"instId":"${instId}","tradeId":"1`;
    }
    // A real OKX event most parsers have never seen.
    return JSON.stringify({
      event: 'channel-conn-count',
      channel: 'trades',
      connCount: '1',
      connId: conn.id,
    });
  }

  rest(path: string, query: URLSearchParams): HttpReply | null {
    if (path !== '/api/v5/public/instruments') return null;
    const instType = query.get('instType');
    if (!instType) {
      return { status: 400, body: '{"code":"50014","msg":"Parameter instType can not be empty.","data":[]}' };
    }
    const instId = query.get('instId');
    const list =
      instType !== 'SPOT'
        ? []
        : this.#ctx.market.symbols.filter((s) => instId === null || s.spec.symbol === instId);
    const data = list.map((s) => {
      const i = toSimInstrument('okx', s.spec);
      const minLots = Math.max(
        1,
        Math.ceil(s.spec.minNotional / s.spec.initialPrice / 10 ** -s.spec.lotDecimals),
      );
      return {
        alias: '',
        auctionEndTime: '',
        baseCcy: i.base,
        category: '1',
        ctMult: '',
        ctType: '',
        ctVal: '',
        ctValCcy: '',
        expTime: '',
        instFamily: '',
        instId: i.venueSymbol,
        instType: 'SPOT',
        lever: '',
        listTime: '1606468572000',
        lotSz: i.lotSize,
        maxIcebergSz: '9999999999',
        maxLmtAmt: '20000000',
        maxLmtSz: '9999999999',
        maxMktAmt: '1000000',
        maxMktSz: '1000000',
        maxStopSz: '1000000',
        maxTriggerSz: '9999999999',
        maxTwapSz: '9999999999',
        minSz: formatTrimmed(minLots, s.spec.lotDecimals),
        optType: '',
        quoteCcy: i.quote,
        ruleType: 'normal',
        settleCcy: '',
        state: 'live',
        stk: '',
        tickSz: i.tickSize,
        uly: '',
      };
    });
    return { status: 200, body: JSON.stringify({ code: '0', msg: '', data }) };
  }

  #bboFrame(st: SymbolState, E: number): string {
    const s = st.stream;
    const p = s.spec.priceDecimals;
    const l = s.spec.lotDecimals;
    st.bboSeq += 1;
    const asks = `[["${formatTrimmed(s.askTicks, p)}","${formatTrimmed(s.askLots, l)}","0","${1 + (s.askLots % 9)}"]]`;
    const bids = `[["${formatTrimmed(s.bidTicks, p)}","${formatTrimmed(s.bidLots, l)}","0","${1 + (s.bidLots % 9)}"]]`;
    return `{"arg":{"channel":"bbo-tbt","instId":"${st.instId}"},"data":[{"asks":${asks},"bids":${bids},"ts":"${E}","seqId":${st.bboSeq}}]}`;
  }

  publish(): void {
    const { clock, writer, counters } = this.#ctx;
    const E = clock.now();
    const msgs = this.#msgs;
    for (const st of this.#symbols) {
      const stream = st.stream;
      const b = stream.batch;
      const n = b.n;
      const dup = Math.min(stream.duplicateRemaining, n);
      stream.duplicateRemaining -= dup;
      const lotDecimals = stream.spec.lotDecimals;
      if (n > 0 && !st.trades.empty) {
        // One message per taker order; within it one entry per price level, covering consecutive ids.
        const head = `{"arg":{"channel":"trades","instId":"${st.instId}"},"data":[`;
        let m = 0;
        let sent = 0;
        let i = 0;
        while (i < n) {
          const order = b.order[i];
          const first = i;
          let body = '';
          while (i < n && b.order[i] === order) {
            let j = i + 1;
            let lots = b.lots[i] as number;
            while (
              j < n &&
              b.order[j] === order &&
              b.price[j] === b.price[i] &&
              b.id[j] === (b.id[j - 1] as number) + 1
            ) {
              lots += b.lots[j] as number;
              j += 1;
            }
            st.tradesSeq += 1;
            const entry = `{"instId":"${st.instId}","tradeId":"${b.id[j - 1]}","px":"${st.price.text(b.price[i] as number)}","sz":"${formatTrimmed(lots, lotDecimals)}","side":"${b.buy[i] === 1 ? 'buy' : 'sell'}","ts":"${E}","count":"${j - i}","source":"0","seqId":${st.tradesSeq}}`;
            body = body === '' ? entry : `${body},${entry}`;
            i = j;
          }
          const msg = `${head}${body}]}`;
          msgs[m++] = msg;
          sent += i - first;
          if (first < dup) {
            msgs[m++] = msg;
            sent += i - first;
          }
        }
        fanOut(writer, st.trades.raw, packTextFrames(msgs, m), sent, counters, 'okx');
      }
      if (n > 0 && !st.tradesAll.empty) {
        const head = `{"arg":{"channel":"trades-all","instId":"${st.instId}"},"data":[`;
        let m = 0;
        for (let i = 0; i < n; i += 1) {
          const msg = `${head}{"instId":"${st.instId}","tradeId":"${b.id[i]}","px":"${st.price.text(b.price[i] as number)}","sz":"${formatTrimmed(b.lots[i] as number, lotDecimals)}","side":"${b.buy[i] === 1 ? 'buy' : 'sell'}","ts":"${E}","source":"0"}]}`;
          msgs[m++] = msg;
          if (i < dup) msgs[m++] = msg;
        }
        fanOut(writer, st.tradesAll.raw, packTextFrames(msgs, m), m, counters, 'okx');
      }
      if (stream.bboVersion !== st.bboSent) {
        st.bboSent = stream.bboVersion;
        if (!st.bbo.empty) {
          msgs[0] = this.#bboFrame(st, E);
          fanOut(writer, st.bbo.raw, packTextFrames(msgs, 1), 0, counters, 'okx');
        }
      }
    }
    this.books.publish(E);
  }
}
