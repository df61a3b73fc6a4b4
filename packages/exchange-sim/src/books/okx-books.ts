import { crc32 } from 'node:zlib';
import { formatTrimmed } from '../decimal-format.ts';
import type { Connection } from '../server/connection.ts';
import { fanOut, type ProtocolContext, Topic } from '../server/protocol.ts';
import { packTextFrames } from '../server/ws-frames.ts';
import { BookFaults, SimBook } from './sim-book.ts';

/**
 * OKX v5 `books` channel (docs-v5, 2025): a subscriber gets `action:"snapshot"` (up to 400 levels,
 * `prevSeqId` -1), then `action:"update"` every 100 ms with the changed levels (size "0" = removed),
 * `seqId` and `prevSeqId` (the previous message's `seqId`), and `checksum`: CRC32 (signed 32-bit) of the top
 * 25 bids and asks interleaved `bidPx:bidSz:askPx:askSz:...` as printed. Levels are
 * `[price, size, "0" (deprecated), order count]`, decimals trimmed. The snapshot for a new subscriber is
 * sent at the next 100 ms boundary, after that boundary's update, so it continues the shared sequence.
 */

const everyMs = 100;
const maxLevels = 400;
const checksumLevels = 25;

interface BooksState {
  book: SimBook;
  instId: string;
  topic: Topic;
  /** Subscribed, snapshot not sent yet: they get no update before it. */
  readonly pending: Set<Connection>;
  faults: BookFaults;
  bids: Map<number, number>;
  asks: Map<number, number>;
  lastSeq: number;
  nextAt: number;
}

export class OkxBooks {
  readonly #ctx: ProtocolContext;
  readonly #byInstId = new Map<string, BooksState>();

  constructor(ctx: ProtocolContext) {
    this.#ctx = ctx;
    for (const s of ctx.market.symbols) {
      const st: BooksState = {
        book: new SimBook(s.streams.okx),
        instId: s.spec.symbol,
        topic: new Topic(),
        pending: new Set(),
        faults: new BookFaults(),
        bids: new Map(),
        asks: new Map(),
        lastSeq: -1,
        nextAt: 0,
      };
      this.#byInstId.set(st.instId, st);
    }
  }

  has(instId: string): boolean {
    return this.#byInstId.has(instId);
  }

  faultsOf(instId: string): BookFaults {
    const st = this.#byInstId.get(instId);
    if (!st) throw new RangeError(`unknown symbol ${instId}`);
    return st.faults;
  }

  subscribe(conn: Connection, instId: string): void {
    const st = this.#byInstId.get(instId);
    if (!st) return;
    st.topic.add(conn);
    st.pending.add(conn);
  }

  unsubscribe(conn: Connection, instId: string): void {
    const st = this.#byInstId.get(instId);
    if (!st) return;
    st.topic.delete(conn);
    st.pending.delete(conn);
  }

  #fmt(st: BooksState, price: number, lots: number): string {
    const spec = st.book.stream.spec;
    return `["${formatTrimmed(price, spec.priceDecimals)}","${formatTrimmed(lots, spec.lotDecimals)}","0","${1 + (lots % 7)}"]`;
  }

  #checksum(st: BooksState): number {
    const { book } = st;
    const spec = book.stream.spec;
    const parts: string[] = [];
    for (let r = 0; r < checksumLevels; r++) {
      const b = book.bidPrices[r];
      if (b !== undefined)
        parts.push(
          formatTrimmed(b, spec.priceDecimals),
          formatTrimmed(book.lotsAt(true, b), spec.lotDecimals),
        );
      const a = book.askPrices[r];
      if (a !== undefined)
        parts.push(
          formatTrimmed(a, spec.priceDecimals),
          formatTrimmed(book.lotsAt(false, a), spec.lotDecimals),
        );
    }
    return crc32(parts.join(':')) | 0;
  }

  publish(E: number): void {
    const { writer, counters } = this.#ctx;
    const now = this.#ctx.monotonic();
    for (const st of this.#byInstId.values()) {
      const { book } = st;
      if (!book.active) {
        if (st.topic.empty) continue;
        book.activate();
      } else {
        book.step();
      }
      if (st.topic.empty) {
        st.bids.clear();
        st.asks.clear();
        continue;
      }
      for (const c of book.changes) (c.bid ? st.bids : st.asks).set(c.price, c.lots);
      if (now < st.nextAt) continue;
      st.nextAt = now + everyMs;
      const stalled = st.faults.stallUntil > now;
      const head = `{"arg":{"channel":"books","instId":"${st.instId}"},"action":`;
      if ((st.bids.size > 0 || st.asks.size > 0) && st.lastSeq >= 0) {
        const seqId = book.updateId;
        const subs =
          st.pending.size === 0 ? st.topic.raw : new Set([...st.topic.raw].filter((c) => !st.pending.has(c)));
        // Faults apply to a message someone receives (not to one sent to nobody).
        const live = subs.size > 0 && !stalled;
        let checksum = this.#checksum(st);
        if (live && st.faults.corrupt > 0) {
          st.faults.corrupt -= 1;
          checksum = (checksum + 1) | 0;
        }
        const side = (m: Map<number, number>) => [...m].map(([p, l]) => this.#fmt(st, p, l)).join(',');
        const msg = `${head}"update","data":[{"asks":[${side(st.asks)}],"bids":[${side(st.bids)}],"ts":"${E}","checksum":${checksum},"prevSeqId":${st.lastSeq},"seqId":${seqId}}]}`;
        st.lastSeq = seqId;
        st.bids.clear();
        st.asks.clear();
        const skip = live && st.faults.skip > 0;
        if (skip) st.faults.skip -= 1;
        if (live && !skip) fanOut(writer, subs, packTextFrames([msg], 1), 0, counters, 'okx');
      } else {
        st.bids.clear();
        st.asks.clear();
      }
      if (st.pending.size > 0 && !stalled) {
        const seqId = book.updateId;
        st.lastSeq = seqId;
        const bids = book.bidPrices.slice(0, maxLevels).map((p) => this.#fmt(st, p, book.lotsAt(true, p)));
        const asks = book.askPrices.slice(0, maxLevels).map((p) => this.#fmt(st, p, book.lotsAt(false, p)));
        const msg = `${head}"snapshot","data":[{"asks":[${asks.join(',')}],"bids":[${bids.join(',')}],"ts":"${E}","checksum":${this.#checksum(st)},"prevSeqId":-1,"seqId":${seqId}}]}`;
        fanOut(writer, st.pending, packTextFrames([msg], 1), 0, counters, 'okx');
        st.pending.clear();
      }
    }
  }
}
