import { formatPadded8 } from '../decimal-format.ts';
import type { SymbolMarket } from '../market/market.ts';
import { fanOut, type HttpReply, type ProtocolContext, Topic } from '../server/protocol.ts';
import { packTextFrames } from '../server/ws-frames.ts';
import { BookFaults, SimBook } from './sim-book.ts';

/**
 * Binance Spot depth (WebSocket Streams and REST docs, 2025): `<symbol>@depth@100ms` and `<symbol>@depth`
 * (1000 ms) push `{"e":"depthUpdate","E","s","U","u","b","a"}` with every level changed in the window at
 * its final absolute size ("0.00000000" = removed), `U`/`u` the first and last update id covered;
 * `GET /api/v3/depth?symbol=X&limit=N` (default 100, max 5000) answers `{"lastUpdateId","bids","asks"}`.
 * Decimals padded to 8 places, as Binance prints them.
 */

interface Window {
  readonly topic: Topic;
  readonly name: string;
  readonly everyMs: number;
  nextAt: number;
  firstId: number;
  readonly bids: Map<number, number>;
  readonly asks: Map<number, number>;
}

interface DepthState {
  book: SimBook;
  symbol: string;
  faults: BookFaults;
  windows: Window[];
}

export class BinanceDepth {
  readonly #ctx: ProtocolContext;
  readonly #states: DepthState[] = [];
  readonly #bySymbol = new Map<string, DepthState>();

  constructor(
    ctx: ProtocolContext,
    register: (name: string, topic: Topic) => void,
    symbolOf: (s: SymbolMarket) => string,
  ) {
    this.#ctx = ctx;
    for (const s of ctx.market.symbols) {
      const symbol = symbolOf(s);
      const lower = symbol.toLowerCase();
      const windows = [
        { name: `${lower}@depth@100ms`, everyMs: 100 },
        { name: `${lower}@depth`, everyMs: 1000 },
      ].map(({ name, everyMs }) => {
        const topic = new Topic();
        register(name, topic);
        return { topic, name, everyMs, nextAt: 0, firstId: -1, bids: new Map(), asks: new Map() };
      });
      const st: DepthState = {
        book: new SimBook(s.streams.binance),
        symbol,
        faults: new BookFaults(),
        windows,
      };
      this.#states.push(st);
      this.#bySymbol.set(symbol, st);
    }
  }

  faultsOf(symbol: string): BookFaults {
    const st = this.#bySymbol.get(symbol);
    if (!st) throw new RangeError(`unknown symbol ${symbol}`);
    return st.faults;
  }

  /** Step the books and send each window that is due. `send` wraps for combined-stream subscribers. */
  publish(E: number, send: (topic: Topic, name: string, msg: string) => void): void {
    const now = this.#ctx.monotonic();
    for (const st of this.#states) {
      const { book } = st;
      if (!book.active) {
        if (st.windows.every((w) => w.topic.empty)) continue;
        book.activate();
      } else {
        book.step();
      }
      for (const w of st.windows) {
        if (w.topic.empty) {
          w.bids.clear();
          w.asks.clear();
          w.firstId = -1;
          continue;
        }
        for (const c of book.changes) {
          if (w.firstId < 0) w.firstId = c.id;
          (c.bid ? w.bids : w.asks).set(c.price, c.lots);
        }
        if (now < w.nextAt || w.firstId < 0) continue;
        w.nextAt = now + w.everyMs;
        const U = w.firstId;
        const u = book.updateId;
        const p = book.stream.spec.priceDecimals;
        const l = book.stream.spec.lotDecimals;
        const levels = (m: Map<number, number>) => {
          let out = '';
          for (const [price, lots] of m)
            out += `${out === '' ? '' : ','}["${formatPadded8(price, p)}","${formatPadded8(lots, l)}"]`;
          return out;
        };
        const msg = `{"e":"depthUpdate","E":${E},"s":"${st.symbol}","U":${U},"u":${u},"b":[${levels(w.bids)}],"a":[${levels(w.asks)}]}`;
        w.bids.clear();
        w.asks.clear();
        w.firstId = -1;
        if (st.faults.stallUntil > now) continue;
        if (st.faults.skip > 0 && w.everyMs === 100) {
          st.faults.skip -= 1;
          continue;
        }
        send(w.topic, w.name, msg);
      }
    }
  }

  /** `GET /api/v3/depth`. */
  rest(query: URLSearchParams): HttpReply {
    const st = this.#bySymbol.get(query.get('symbol') ?? '');
    if (!st) return { status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' };
    const limitText = query.get('limit') ?? '100';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 5000) {
      return {
        status: 400,
        body: `{"code":-1100,"msg":"Illegal characters found in parameter 'limit'; legal range is '1..5000'."}`,
      };
    }
    const { book } = st;
    book.activate();
    const p = book.stream.spec.priceDecimals;
    const l = book.stream.spec.lotDecimals;
    const side = (prices: number[], bid: boolean) =>
      prices
        .slice(0, limit)
        .map((px) => `["${formatPadded8(px, p)}","${formatPadded8(book.lotsAt(bid, px), l)}"]`)
        .join(',');
    return {
      status: 200,
      body: `{"lastUpdateId":${book.updateId},"bids":[${side(book.bidPrices, true)}],"asks":[${side(book.askPrices, false)}]}`,
    };
  }
}

/** Write one message to a topic's raw subscribers and, wrapped, to its combined-stream ones. */
export function sendBinance(ctx: ProtocolContext, topic: Topic, name: string, msg: string): void {
  if (topic.raw.size > 0) fanOut(ctx.writer, topic.raw, packTextFrames([msg], 1), 0, ctx.counters, 'binance');
  if (topic.wrapped.size > 0) {
    const wrapped = `{"stream":"${name}","data":${msg}}`;
    fanOut(ctx.writer, topic.wrapped, packTextFrames([wrapped], 1), 0, ctx.counters, 'binance');
  }
}
