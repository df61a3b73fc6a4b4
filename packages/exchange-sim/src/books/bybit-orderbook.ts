import { formatFixed, formatTrimmed } from '../decimal-format.ts';
import type { SymbolMarket } from '../market/market.ts';
import type { Connection } from '../server/connection.ts';
import { fanOut, type ProtocolContext, Topic } from '../server/protocol.ts';
import { packTextFrames } from '../server/ws-frames.ts';
import { BookFaults, SimBook } from './sim-book.ts';

/**
 * Bybit v5 spot `orderbook.50.<SYMBOL>` (bybit-exchange docs v5, 2025): a `snapshot` of the top 50 levels
 * per side on subscribe, then every 20 ms a `delta` of what changed in that top 50 (size "0" = removed,
 * which includes a level pushed out of the top 50), `u` consecutive per message, `seq` the matching
 * engine's sequence, `cts` its time. Prices at tick precision, sizes trimmed, as in the docs' examples.
 * A new subscriber's snapshot is sent at the next 20 ms boundary after that boundary's delta, carrying the
 * same `u`, so the next delta (`u` + 1) continues it.
 */

const everyMs = 20;
const depth = 50;

interface ObState {
  book: SimBook;
  symbol: string;
  topic: Topic;
  pending: Set<Connection>;
  faults: BookFaults;
  /** The top 50 as last published: price -> lots, per side. */
  sentBids: Map<number, number>;
  sentAsks: Map<number, number>;
  u: number;
  /** The restart fault: the next snapshot carries `u` = 1. */
  restarted: boolean;
  seq: number;
  nextAt: number;
}

export class BybitOrderbook {
  readonly #ctx: ProtocolContext;
  readonly #bySymbol = new Map<string, ObState>();

  constructor(ctx: ProtocolContext, symbolOf: (s: SymbolMarket) => string) {
    this.#ctx = ctx;
    for (const s of ctx.market.symbols) {
      const symbol = symbolOf(s);
      this.#bySymbol.set(symbol, {
        book: new SimBook(s.streams.bybit),
        symbol,
        topic: new Topic(),
        pending: new Set(),
        faults: new BookFaults(),
        sentBids: new Map(),
        sentAsks: new Map(),
        u: 0,
        restarted: false,
        seq: 22_520_000_000,
        nextAt: 0,
      });
    }
  }

  topicName(symbol: string): string {
    return `orderbook.${depth}.${symbol}`;
  }

  topicOf(symbol: string): Topic | undefined {
    return this.#bySymbol.get(symbol)?.topic;
  }

  faultsOf(symbol: string): BookFaults {
    const st = this.#bySymbol.get(symbol);
    if (!st) throw new RangeError(`unknown symbol ${symbol}`);
    return st.faults;
  }

  /** Called after the generic subscribe added `conn` to the topic: its snapshot comes at the next boundary. */
  subscribed(conn: Connection, symbol: string): void {
    this.#bySymbol.get(symbol)?.pending.add(conn);
  }

  unsubscribed(conn: Connection, symbol: string): void {
    this.#bySymbol.get(symbol)?.pending.delete(conn);
  }

  /** A Bybit service restart: the next message is a snapshot with `u` = 1 to everyone. */
  restart(symbol: string): void {
    const st = this.#bySymbol.get(symbol);
    if (!st) throw new RangeError(`unknown symbol ${symbol}`);
    st.u = 0;
    st.restarted = true;
    for (const c of st.topic.raw) st.pending.add(c);
  }

  publish(E: number): void {
    const { writer, counters } = this.#ctx;
    const now = this.#ctx.monotonic();
    for (const st of this.#bySymbol.values()) {
      const { book } = st;
      if (!book.active) {
        if (st.topic.empty) continue;
        book.activate();
      } else {
        book.step();
      }
      if (st.topic.empty || now < st.nextAt) continue;
      st.nextAt = now + everyMs;
      const spec = book.stream.spec;
      const level = (p: number, l: number) =>
        `["${formatFixed(p, spec.priceDecimals)}","${formatTrimmed(l, spec.lotDecimals)}"]`;
      const diff = (prices: number[], sent: Map<number, number>, bid: boolean): string => {
        const parts: string[] = [];
        const top = new Set<number>();
        for (let r = 0; r < depth && r < prices.length; r++) {
          const p = prices[r] as number;
          const l = book.lotsAt(bid, p);
          top.add(p);
          if (sent.get(p) !== l) {
            parts.push(level(p, l));
            sent.set(p, l);
          }
        }
        for (const p of [...sent.keys()]) {
          if (!top.has(p)) {
            parts.push(level(p, 0));
            sent.delete(p);
          }
        }
        return parts.join(',');
      };
      const stalled = st.faults.stallUntil > now;
      const head = `{"topic":"orderbook.${depth}.${st.symbol}","type":`;
      if (st.u > 0) {
        const b = diff(book.bidPrices, st.sentBids, true);
        const a = diff(book.askPrices, st.sentAsks, false);
        if (b !== '' || a !== '') {
          st.u += 1;
          st.seq += 1 + (st.u % 3);
          const msg = `${head}"delta","ts":${E},"data":{"s":"${st.symbol}","b":[${b}],"a":[${a}],"u":${st.u},"seq":${st.seq}},"cts":${E}}`;
          const subs =
            st.pending.size === 0
              ? st.topic.raw
              : new Set([...st.topic.raw].filter((c) => !st.pending.has(c)));
          // Faults apply to a message someone receives.
          const skip = subs.size > 0 && !stalled && st.faults.skip > 0;
          if (skip) st.faults.skip -= 1;
          if (!stalled && !skip) fanOut(writer, subs, packTextFrames([msg], 1), 0, counters, 'bybit');
        }
      }
      if (st.pending.size > 0 && !stalled) {
        if (st.u === 0) {
          // First snapshot (or after a restart): the published view starts here.
          st.u = st.restarted ? 1 : 13_079_000 + (st.seq % 1000);
          st.restarted = false;
          st.sentBids.clear();
          st.sentAsks.clear();
          diff(book.bidPrices, st.sentBids, true);
          diff(book.askPrices, st.sentAsks, false);
        }
        const side = (m: Map<number, number>, bid: boolean) =>
          [...m.keys()]
            .sort((x, y) => (bid ? y - x : x - y))
            .map((p) => level(p, m.get(p) as number))
            .join(',');
        const msg = `${head}"snapshot","ts":${E},"data":{"s":"${st.symbol}","b":[${side(st.sentBids, true)}],"a":[${side(st.sentAsks, false)}],"u":${st.u},"seq":${st.seq}},"cts":${E}}`;
        fanOut(writer, st.pending, packTextFrames([msg], 1), 0, counters, 'bybit');
        st.pending.clear();
      }
    }
  }
}
