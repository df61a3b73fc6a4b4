/**
 * The per-interval aggregator this package used before coarser intervals were derived from the finest
 * one: every trade updates one candle slot per interval. Kept verbatim (renamed) as the reference the
 * derived aggregator is held to, event for event, in kline-aggregator.equivalence.test.ts, and as the
 * "before" case of bench/klines-aggregate.bench.ts. Not used by the engine.
 */

import { AppError, formatUnits, type Kline, type KlineInterval, type Trade, tryParseUnits } from '@qt/shared';
import type { KlineAggregatorOptions, KlineMetrics, KlineSink } from '../../src/klines/index.ts';
import { defaultIntervals, intervalMs } from '../../src/klines/intervals.ts';
import { sortsBefore } from '../../src/klines/trade-order.ts';
import { formatVolume } from '../../src/klines/volume-format.ts';

// Numeric fields of one candle slot (Float64Array, stride F_STRIDE: one slot spans two cache lines).
const F_OPEN_TIME = 0;
const F_STATE = 1;
const F_HIGH = 2;
const F_LOW = 3;
const F_OPEN_T = 4;
const F_CLOSE_T = 5;
const F_BASE_LO = 6;
const F_BASE_HI = 7;
const F_BUY_LO = 8;
const F_BUY_HI = 9;
const F_QUOTE_LO = 10;
const F_QUOTE_MID = 11;
const F_COUNT = 12;
const F_REVISION = 13;
const F_DIRTY = 14;
const F_QUOTE_TOP = 15;
/** Trade ids as numbers when they are plain integers (they usually are): no string store per trade. */
const F_OPEN_ID = 16;
const F_CLOSE_ID = 17;
const F_STRIDE = 18;
// String fields (the trades' own spellings), stride S_STRIDE.
const S_OPEN = 0;
const S_HIGH = 1;
const S_LOW = 2;
const S_CLOSE = 3;
const S_OPEN_ID = 4;
const S_CLOSE_ID = 5;
const S_STRIDE = 6;

const EMPTY = 0;
const OPEN = 1;
const CLOSED = 2;

/**
 * Base volumes are two safe integers, lo + hi * 2^52 with 0 <= lo < 2^52 (exact to 2^105 units, i.e.
 * 2^52 trades of the largest quantity). Quote volumes (products of two up-to-53-bit unit counts) are
 * three: lo + mid * 2^52 + top * 2^104, with lo and mid kept below 2^52.
 */
const LIMB = 2 ** 52;
const LIMB_N = 2n ** 52n;
const MAX_SCALE = 15;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * In-memory K-line aggregation for many symbols and intervals at once.
 *
 * State is flat: every (symbol, interval) owns a small ring of candle slots in one Float64Array (numeric
 * fields) and one string array (the trades' price spellings and ids), sized to hold every candle that
 * can still receive a trade (`ceil(allowedLateness / interval) + 2`). A trade costs two integer parses
 * and, per interval, one slot update: no allocation unless a quantity or notional needs more than 52
 * bits (a BigInt split) or a candle is emitted. Every interval is maintained directly from trades rather
 * than derived from 1s candles: one slot update is a handful of typed-array writes, derivation would
 * save little per trade and make corrections touch two levels (measured in bench/klines-aggregate).
 *
 * Exactness: prices and quantities become integer units at the symbol's scale (the most significant
 * decimals seen, or the instrument's), volumes are sums of integer units (notional = price units x
 * quantity units, at price scale + quantity scale), OHLC are the trades' own strings. Nothing goes
 * through a binary fraction.
 *
 * Empty intervals: no candle. A consumer treats a missing interval as a gap (no trade, no price), which
 * is what the data says; Binance-style flat candles would invent a close for 10,000 symbols x 100ms and
 * can be drawn by the chart from the previous close if wanted.
 *
 * Assumes the input is de-duplicated (the sequencer's job); trades are applied in any order within the
 * allowed lateness and give the same candles as `recomputeKlines` over the accepted trades.
 */
export class PerIntervalKlineAggregator {
  readonly metrics: KlineMetrics = {
    accepted: 0,
    tooLate: 0,
    malformed: 0,
    unsupported: 0,
    updatesEmitted: 0,
    closesEmitted: 0,
    correctionsEmitted: 0,
  };

  readonly #sink: KlineSink;
  readonly #scales: KlineAggregatorOptions['scales'];
  readonly #lateness: number;
  readonly #closeDelay: number;
  readonly #clockGrace: number;
  readonly #intervals: readonly KlineInterval[];
  readonly #ivMs: Float64Array;
  readonly #ring: Int32Array;
  readonly #ringOffset: Int32Array;
  /** Interval index of each slot position within a symbol's block. */
  readonly #slotInterval: Uint8Array;
  readonly #slotsPerSymbol: number;
  readonly #ni: number;

  readonly #index = new Map<string, Map<string, number>>();
  #symbols = 0;
  #capacity = 0;
  #venueOf: string[] = [];
  #symbolOf: string[] = [];
  #maxSeen = new Float64Array(0);
  #priceScale = new Uint8Array(0);
  #qtyScale = new Uint8Array(0);
  /** Per (symbol, interval): the earliest end among its open candles, +Infinity if none. */
  #minOpenEnd = new Float64Array(0);
  /** Per (symbol, interval): open time and slot of the newest candle, the one most trades land in. */
  #curOpen = new Float64Array(0);
  #curSlot = new Int32Array(0);
  #f = new Float64Array(0);
  #s: string[] = [];
  #dirty = new Int32Array(1024);
  #dirtyCount = 0;
  /** The watermark `advanceTo` set last (it closes candles of every symbol up to it). */
  #clockWatermark = Number.NEGATIVE_INFINITY;

  // The last symbol looked up: trades come in bursts per symbol.
  #lastVenue = '';
  #lastSymbol = '';
  #lastSym = -1;

  constructor(options: KlineAggregatorOptions) {
    const lateness = options.allowedLatenessMs ?? 2000;
    const closeDelay = options.closeDelayMs ?? lateness;
    const clockGrace = options.clockGraceMs ?? 1000;
    if (!Number.isSafeInteger(lateness) || lateness < 0) invalid('allowedLatenessMs', lateness);
    if (!Number.isSafeInteger(closeDelay) || closeDelay < 0 || closeDelay > lateness) {
      invalid('closeDelayMs (0..allowedLatenessMs)', closeDelay);
    }
    if (!Number.isSafeInteger(clockGrace) || clockGrace < 0) invalid('clockGraceMs', clockGrace);
    const intervals = [...new Set(options.intervals ?? defaultIntervals)].sort(
      (a, b) => intervalMs[a] - intervalMs[b],
    );
    if (intervals.length === 0) invalid('intervals', '[]');
    this.#sink = options.sink;
    this.#scales = options.scales;
    this.#lateness = lateness;
    this.#closeDelay = closeDelay;
    this.#clockGrace = clockGrace;
    this.#intervals = intervals;
    this.#ni = intervals.length;
    this.#ivMs = new Float64Array(intervals.map((i) => intervalMs[i]));
    this.#ring = new Int32Array(intervals.map((i) => Math.ceil(lateness / intervalMs[i]) + 2));
    this.#ringOffset = new Int32Array(this.#ni);
    let total = 0;
    const slotInterval: number[] = [];
    for (let i = 0; i < this.#ni; i++) {
      this.#ringOffset[i] = total;
      const r = this.#ring[i] ?? 0;
      total += r;
      for (let k = 0; k < r; k++) slotInterval.push(i);
    }
    this.#slotsPerSymbol = total;
    this.#slotInterval = Uint8Array.from(slotInterval);
    this.#grow(Math.max(16, Math.ceil(options.initialSymbols ?? 16)));
  }

  get intervals(): readonly KlineInterval[] {
    return this.#intervals;
  }

  /**
   * Applies one trade; returns false when it was dropped (see `metrics`). May emit `klineClosed` for
   * candles the trade's exchange time moved the watermark past; updates wait for `flush()`.
   */
  onTrade(trade: Trade): boolean {
    const t = trade.exchangeTime;
    if (!(t >= 0) || !Number.isSafeInteger(t)) {
      this.metrics.malformed++;
      return false;
    }
    const sym = this.#symbolIndex(trade.venue, trade.symbol);
    const maxSeen = this.#maxSeen[sym] as number;
    if (t < maxSeen - this.#lateness) {
      this.metrics.tooLate++;
      return false;
    }
    const price = trade.price;
    const qty = trade.quantity;
    let p = tryParseUnits(price, this.#priceScale[sym] as number);
    let q = tryParseUnits(qty, this.#qtyScale[sym] as number);
    if (!(p >= 0 && q >= 0)) {
      if (!this.#widenScales(sym, price, qty)) return false;
      p = tryParseUnits(price, this.#priceScale[sym] as number);
      q = tryParseUnits(qty, this.#qtyScale[sym] as number);
    }
    // Notional in units of 10^-(priceScale + qtyScale), split into two limbs of 52 bits.
    let nLo = p * q;
    let nMid = 0;
    let nTop = 0;
    if (nLo >= LIMB) {
      // Rare (a notional beyond 2^52 units): split the exact product into 52-bit limbs.
      const n = BigInt(p) * BigInt(q);
      nLo = Number(n % LIMB_N);
      nMid = Number((n / LIMB_N) % LIMB_N);
      nTop = Number(n / LIMB_N / LIMB_N);
    }
    let qLo = q;
    let qHi = 0;
    if (q >= LIMB) {
      qHi = 1; // q < 2^53
      qLo = q - LIMB;
    }
    if (t > maxSeen) {
      this.#maxSeen[sym] = t;
      this.#closeUpTo(sym, t - this.#closeDelay);
    }
    const buy = trade.takerSide === 'buy';
    const id = trade.tradeId;
    const idNum = tradeIdNumber(id);
    const f = this.#f;
    const s = this.#s;
    const base = sym * this.#slotsPerSymbol;
    const curOpen = this.#curOpen;
    const curSlot = this.#curSlot;
    const ci = sym * this.#ni;
    for (let i = 0; i < this.#ni; i++) {
      const iv = this.#ivMs[i] as number;
      // Most trades land in the newest candle: no division then (a % on doubles is a C call in V8).
      let openTime = curOpen[ci + i] as number;
      let k: number;
      if (t >= openTime && t < openTime + iv) {
        k = curSlot[ci + i] as number;
      } else {
        const bucket = Math.floor(t / iv);
        const r = this.#ring[i] as number;
        openTime = bucket * iv;
        k = base + (this.#ringOffset[i] as number) + (bucket - Math.floor(bucket / r) * r);
        if (openTime > (curOpen[ci + i] as number)) {
          curOpen[ci + i] = openTime;
          curSlot[ci + i] = k;
        }
      }
      const o = k * F_STRIDE;
      const so = k * S_STRIDE;
      if (f[o + F_OPEN_TIME] !== openTime || f[o + F_STATE] === EMPTY) {
        if (f[o + F_STATE] !== EMPTY) this.#evict(k);
        f[o + F_OPEN_TIME] = openTime;
        f[o + F_STATE] = OPEN;
        f[o + F_HIGH] = p;
        f[o + F_LOW] = p;
        f[o + F_OPEN_T] = t;
        f[o + F_CLOSE_T] = t;
        f[o + F_BASE_LO] = qLo;
        f[o + F_BASE_HI] = qHi;
        f[o + F_BUY_LO] = buy ? qLo : 0;
        f[o + F_BUY_HI] = buy ? qHi : 0;
        f[o + F_QUOTE_LO] = nLo;
        f[o + F_QUOTE_MID] = nMid;
        f[o + F_QUOTE_TOP] = nTop;
        f[o + F_COUNT] = 1;
        f[o + F_REVISION] = 0;
        s[so + S_OPEN] = price;
        s[so + S_HIGH] = price;
        s[so + S_LOW] = price;
        s[so + S_CLOSE] = price;
        f[o + F_OPEN_ID] = idNum;
        f[o + F_CLOSE_ID] = idNum;
        if (Number.isNaN(idNum)) {
          s[so + S_OPEN_ID] = id;
          s[so + S_CLOSE_ID] = id;
        }
        const mi = sym * this.#ni + i;
        if (openTime + iv < (this.#minOpenEnd[mi] as number)) this.#minOpenEnd[mi] = openTime + iv;
      } else {
        const high = f[o + F_HIGH] as number;
        if (
          p > high ||
          (p === high && price !== s[so + S_HIGH] && sortsBefore(price, s[so + S_HIGH] as string))
        ) {
          f[o + F_HIGH] = p;
          s[so + S_HIGH] = price;
        }
        const low = f[o + F_LOW] as number;
        if (
          p < low ||
          (p === low && price !== s[so + S_LOW] && sortsBefore(price, s[so + S_LOW] as string))
        ) {
          f[o + F_LOW] = p;
          s[so + S_LOW] = price;
        }
        const openT = f[o + F_OPEN_T] as number;
        if (
          t < openT ||
          (t === openT && idBefore(idNum, id, f[o + F_OPEN_ID] as number, s[so + S_OPEN_ID]))
        ) {
          f[o + F_OPEN_T] = t;
          f[o + F_OPEN_ID] = idNum;
          s[so + S_OPEN] = price;
          if (Number.isNaN(idNum)) s[so + S_OPEN_ID] = id;
        }
        const closeT = f[o + F_CLOSE_T] as number;
        if (
          t > closeT ||
          (t === closeT && idBefore(f[o + F_CLOSE_ID] as number, s[so + S_CLOSE_ID], idNum, id))
        ) {
          f[o + F_CLOSE_T] = t;
          f[o + F_CLOSE_ID] = idNum;
          // Skipping an equal string saves a pointer store (and its write barrier) into old space.
          if (s[so + S_CLOSE] !== price) s[so + S_CLOSE] = price;
          if (Number.isNaN(idNum)) s[so + S_CLOSE_ID] = id;
        }
        addLimbs(f, o + F_BASE_LO, qLo, qHi);
        if (buy) addLimbs(f, o + F_BUY_LO, qLo, qHi);
        addQuote(f, o, nLo, nMid, nTop);
        f[o + F_COUNT] = (f[o + F_COUNT] as number) + 1;
      }
      if (f[o + F_DIRTY] === 0) this.#markDirty(k, o);
    }
    this.metrics.accepted++;
    return true;
  }

  /** Applies a batch, then flushes: at most one `klineUpdated` per candle for the whole batch. */
  onTrades(trades: readonly Trade[]): void {
    for (let i = 0; i < trades.length; i++) this.onTrade(trades[i] as Trade);
    this.flush();
  }

  /**
   * Emits what changed since the last flush: one `klineUpdated` per open candle that changed, one
   * `klineClosed` (next revision) per closed candle that late trades corrected.
   */
  flush(): void {
    const f = this.#f;
    const dirty = this.#dirty;
    for (let j = 0; j < this.#dirtyCount; j++) {
      const k = dirty[j] as number;
      const o = k * F_STRIDE;
      if (f[o + F_DIRTY] === 0) continue; // closed (and emitted) since, or listed twice
      if (f[o + F_STATE] === OPEN) {
        if (this.#pastWatermark(k, o)) {
          // Opened by a late trade in an interval the watermark had already passed: its first emission
          // is its close.
          this.#close(k);
          continue;
        }
        f[o + F_DIRTY] = 0;
        this.metrics.updatesEmitted++;
        this.#sink.klineUpdated(this.#kline(k, false));
      } else {
        this.#emitCorrection(k, o);
      }
    }
    this.#dirtyCount = 0;
  }

  /**
   * The injected clock's tick: closes candles of every symbol that end before
   * `nowMs - closeDelayMs - clockGraceMs` (so quiet symbols close too), then flushes.
   */
  advanceTo(nowMs: number): void {
    const w = nowMs - this.#closeDelay - this.#clockGrace;
    if (w > this.#clockWatermark) this.#clockWatermark = w;
    const m = this.#minOpenEnd;
    for (let sym = 0; sym < this.#symbols; sym++) {
      const mi = sym * this.#ni;
      for (let i = 0; i < this.#ni; i++) {
        if ((m[mi + i] as number) <= w) {
          this.#closeUpTo(sym, w);
          break;
        }
      }
    }
    this.flush();
  }

  /** The candles held for a symbol (open and recently closed), oldest first per interval; for tests and snapshots. */
  snapshot(venue: string, symbol: string): Kline[] {
    const sym = this.#index.get(venue)?.get(symbol);
    if (sym === undefined) return [];
    const out: Kline[] = [];
    const base = sym * this.#slotsPerSymbol;
    for (let k = base; k < base + this.#slotsPerSymbol; k++) {
      const state = this.#f[k * F_STRIDE + F_STATE];
      if (state !== EMPTY) out.push(this.#kline(k, state === CLOSED));
    }
    return out.sort((a, b) => intervalMs[a.interval] - intervalMs[b.interval] || a.openTime - b.openTime);
  }

  #closeUpTo(sym: number, w: number): void {
    const m = this.#minOpenEnd;
    const f = this.#f;
    for (let i = 0; i < this.#ni; i++) {
      const mi = sym * this.#ni + i;
      if ((m[mi] as number) > w) continue;
      const iv = this.#ivMs[i] as number;
      const first = sym * this.#slotsPerSymbol + (this.#ringOffset[i] as number);
      const last = first + (this.#ring[i] as number);
      // Close in time order, so a consumer sees a symbol's candles of one interval in sequence.
      for (;;) {
        let next = -1;
        let nextOpen = Number.POSITIVE_INFINITY;
        for (let k = first; k < last; k++) {
          const o = k * F_STRIDE;
          if (f[o + F_STATE] !== OPEN) continue;
          const open = f[o + F_OPEN_TIME] as number;
          if (open + iv <= w && open < nextOpen) {
            next = k;
            nextOpen = open;
          }
        }
        if (next < 0) break;
        this.#close(next);
      }
      let minEnd = Number.POSITIVE_INFINITY;
      for (let k = first; k < last; k++) {
        const o = k * F_STRIDE;
        if (f[o + F_STATE] === OPEN) minEnd = Math.min(minEnd, (f[o + F_OPEN_TIME] as number) + iv);
      }
      m[mi] = minEnd;
    }
  }

  #pastWatermark(k: number, o: number): boolean {
    const sym = Math.floor(k / this.#slotsPerSymbol);
    const i = this.#slotInterval[k - sym * this.#slotsPerSymbol] as number;
    const end = (this.#f[o + F_OPEN_TIME] as number) + (this.#ivMs[i] as number);
    const w = Math.max((this.#maxSeen[sym] as number) - this.#closeDelay, this.#clockWatermark);
    return end <= w;
  }

  #close(k: number): void {
    const o = k * F_STRIDE;
    this.#f[o + F_STATE] = CLOSED;
    this.#f[o + F_DIRTY] = 0;
    this.#f[o + F_REVISION] = 1;
    this.metrics.closesEmitted++;
    this.#sink.klineClosed(this.#kline(k, true), 0);
  }

  #emitCorrection(k: number, o: number): void {
    const revision = this.#f[o + F_REVISION] as number;
    this.#f[o + F_REVISION] = revision + 1;
    this.#f[o + F_DIRTY] = 0;
    this.metrics.correctionsEmitted++;
    this.#sink.klineClosed(this.#kline(k, true), revision);
  }

  /** A slot is reused for a newer candle; the old one is closed by construction (ring size). */
  #evict(k: number): void {
    const o = k * F_STRIDE;
    if (this.#f[o + F_STATE] === OPEN) this.#close(k);
    else if (this.#f[o + F_DIRTY] !== 0) this.#emitCorrection(k, o);
  }

  #markDirty(k: number, o: number): void {
    this.#f[o + F_DIRTY] = 1;
    if (this.#dirtyCount === this.#dirty.length) {
      const grown = new Int32Array(this.#dirty.length * 2);
      grown.set(this.#dirty);
      this.#dirty = grown;
    }
    this.#dirty[this.#dirtyCount++] = k;
  }

  #kline(k: number, closed: boolean): Kline {
    const sym = Math.floor(k / this.#slotsPerSymbol);
    const i = this.#slotInterval[k - sym * this.#slotsPerSymbol] as number;
    const f = this.#f;
    const o = k * F_STRIDE;
    const so = k * S_STRIDE;
    const ps = this.#priceScale[sym] as number;
    const qs = this.#qtyScale[sym] as number;
    const openTime = f[o + F_OPEN_TIME] as number;
    return {
      venue: this.#venueOf[sym] as string,
      symbol: this.#symbolOf[sym] as string,
      interval: this.#intervals[i] as KlineInterval,
      openTime,
      closeTime: openTime + (this.#ivMs[i] as number) - 1,
      open: this.#s[so + S_OPEN] as string,
      high: this.#s[so + S_HIGH] as string,
      low: this.#s[so + S_LOW] as string,
      close: this.#s[so + S_CLOSE] as string,
      baseVolume: limbsToString(f, o + F_BASE_LO, qs),
      quoteVolume:
        f[o + F_QUOTE_MID] === 0 && f[o + F_QUOTE_TOP] === 0 && ps + qs <= MAX_SCALE
          ? formatUnits(f[o + F_QUOTE_LO] as number, ps + qs)
          : formatVolume(quoteValue(f, o), ps + qs),
      takerBuyBaseVolume: limbsToString(f, o + F_BUY_LO, qs),
      tradeCount: f[o + F_COUNT] as number,
      closed,
    };
  }

  #symbolIndex(venue: string, symbol: string): number {
    if (symbol === this.#lastSymbol && venue === this.#lastVenue) return this.#lastSym;
    let byVenue = this.#index.get(venue);
    if (!byVenue) {
      byVenue = new Map();
      this.#index.set(venue, byVenue);
    }
    let sym = byVenue.get(symbol);
    if (sym === undefined) {
      sym = this.#addSymbol(venue, symbol);
      byVenue.set(symbol, sym);
    }
    this.#lastVenue = venue;
    this.#lastSymbol = symbol;
    this.#lastSym = sym;
    return sym;
  }

  #addSymbol(venue: string, symbol: string): number {
    if (this.#symbols === this.#capacity) this.#grow(Math.max(16, this.#capacity * 2));
    const sym = this.#symbols++;
    this.#venueOf[sym] = venue;
    this.#symbolOf[sym] = symbol;
    this.#maxSeen[sym] = Number.NEGATIVE_INFINITY;
    const known = this.#scales?.(venue, symbol);
    this.#priceScale[sym] = Math.min(MAX_SCALE, Math.max(0, known?.price ?? 0));
    this.#qtyScale[sym] = Math.min(MAX_SCALE, Math.max(0, known?.quantity ?? 0));
    this.#minOpenEnd.fill(Number.POSITIVE_INFINITY, sym * this.#ni, (sym + 1) * this.#ni);
    this.#curOpen.fill(Number.NEGATIVE_INFINITY, sym * this.#ni, (sym + 1) * this.#ni);
    return sym;
  }

  #grow(capacity: number): void {
    const grow64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const grow8 = (a: Uint8Array, n: number) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.#maxSeen = grow64(this.#maxSeen, capacity);
    this.#priceScale = grow8(this.#priceScale, capacity);
    this.#qtyScale = grow8(this.#qtyScale, capacity);
    this.#minOpenEnd = grow64(this.#minOpenEnd, capacity * this.#ni);
    this.#curOpen = grow64(this.#curOpen, capacity * this.#ni);
    const slots = new Int32Array(capacity * this.#ni);
    slots.set(this.#curSlot);
    this.#curSlot = slots;
    this.#f = grow64(this.#f, capacity * this.#slotsPerSymbol * F_STRIDE);
    const strings = capacity * this.#slotsPerSymbol * S_STRIDE;
    for (let j = this.#s.length; j < strings; j++) this.#s.push('');
    this.#capacity = capacity;
  }

  /**
   * The slow path when a price or quantity does not parse at the symbol's scales: either malformed
   * (dropped) or with more decimals than seen so far, in which case every held candle of the symbol is
   * rescaled (exactly) and the trade is parsed again. Returns false when the trade was dropped.
   */
  #widenScales(sym: number, price: string, qty: string): boolean {
    const ps = significantDecimals(price);
    const qs = significantDecimals(qty);
    if (ps < 0 || qs < 0) {
      this.metrics.malformed++;
      return false;
    }
    const oldPs = this.#priceScale[sym] as number;
    const oldQs = this.#qtyScale[sym] as number;
    const newPs = Math.max(oldPs, ps);
    const newQs = Math.max(oldQs, qs);
    if (newPs > MAX_SCALE || newQs > MAX_SCALE) {
      this.metrics.unsupported++;
      return false;
    }
    if (!(tryParseUnits(price, newPs) >= 0 && tryParseUnits(qty, newQs) >= 0)) {
      this.metrics.unsupported++; // beyond 2^53 units even at its own scale
      return false;
    }
    if (newPs === oldPs && newQs === oldQs) {
      this.metrics.unsupported++;
      return false;
    }
    const fp = POW10[newPs - oldPs] as number;
    const fq = POW10[newQs - oldQs] as number;
    const f = this.#f;
    const first = sym * this.#slotsPerSymbol;
    // Check first, so a failed rescale leaves the state untouched.
    for (let k = first; k < first + this.#slotsPerSymbol; k++) {
      const o = k * F_STRIDE;
      if (f[o + F_STATE] !== EMPTY && !((f[o + F_HIGH] as number) * fp <= Number.MAX_SAFE_INTEGER)) {
        this.metrics.unsupported++;
        return false;
      }
    }
    for (let k = first; k < first + this.#slotsPerSymbol; k++) {
      const o = k * F_STRIDE;
      if (f[o + F_STATE] === EMPTY) continue;
      f[o + F_HIGH] = (f[o + F_HIGH] as number) * fp;
      f[o + F_LOW] = (f[o + F_LOW] as number) * fp;
      scaleLimbs(f, o + F_BASE_LO, fq);
      scaleLimbs(f, o + F_BUY_LO, fq);
      setQuote(f, o, quoteValue(f, o) * BigInt(fp) * BigInt(fq));
    }
    this.#priceScale[sym] = newPs;
    this.#qtyScale[sym] = newQs;
    return true;
  }
}

/** A trade id as a number if it is a plain integer below 2^53 ("0" or no leading zero), else NaN. */
function tradeIdNumber(id: string): number {
  const n = id.length;
  if (n === 0 || n > 15 || (n > 1 && id.charCodeAt(0) === 48)) return Number.NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** `sortsBefore` on trade ids held as numbers where possible (the same order: numeric for plain integers). */
function idBefore(an: number, as: string | undefined, bn: number, bs: string | undefined): boolean {
  if (!Number.isNaN(an) && !Number.isNaN(bn)) return an < bn;
  return sortsBefore(
    Number.isNaN(an) ? (as as string) : String(an),
    Number.isNaN(bn) ? (bs as string) : String(bn),
  );
}

function invalid(name: string, value: unknown): never {
  throw new AppError('VALIDATION_FAILED', `KlineAggregator: ${name} is invalid (${String(value)}).`);
}

/** f[at] (lo) and f[at + 1] (hi) += (lo, hi); both lo < 2^52, so the sum is exact before the carry. */
function addLimbs(f: Float64Array, at: number, lo: number, hi: number): void {
  let sum = (f[at] as number) + lo;
  let carry = hi;
  if (sum >= LIMB) {
    sum -= LIMB;
    carry += 1;
  }
  f[at] = sum;
  if (carry !== 0) f[at + 1] = (f[at + 1] as number) + carry;
}

function addQuote(f: Float64Array, o: number, lo: number, mid: number, top: number): void {
  let sum = (f[o + F_QUOTE_LO] as number) + lo;
  let carry = mid;
  if (sum >= LIMB) {
    sum -= LIMB;
    carry += 1;
  }
  f[o + F_QUOTE_LO] = sum;
  if (carry === 0 && top === 0) return;
  let m = (f[o + F_QUOTE_MID] as number) + carry; // both below 2^52, plus 1: still exact
  let up = top;
  if (m >= LIMB) {
    m -= LIMB;
    up += 1;
  }
  f[o + F_QUOTE_MID] = m;
  if (up !== 0) f[o + F_QUOTE_TOP] = (f[o + F_QUOTE_TOP] as number) + up;
}

function quoteValue(f: Float64Array, o: number): bigint {
  return (
    (BigInt(f[o + F_QUOTE_TOP] as number) * LIMB_N + BigInt(f[o + F_QUOTE_MID] as number)) * LIMB_N +
    BigInt(f[o + F_QUOTE_LO] as number)
  );
}

function setQuote(f: Float64Array, o: number, v: bigint): void {
  f[o + F_QUOTE_LO] = Number(v % LIMB_N);
  f[o + F_QUOTE_MID] = Number((v / LIMB_N) % LIMB_N);
  f[o + F_QUOTE_TOP] = Number(v / LIMB_N / LIMB_N);
}

function limbsValue(f: Float64Array, at: number): bigint {
  return BigInt(f[at + 1] as number) * LIMB_N + BigInt(f[at] as number);
}

function scaleLimbs(f: Float64Array, at: number, factor: number): void {
  const v = limbsValue(f, at) * BigInt(factor);
  f[at] = Number(v % LIMB_N);
  f[at + 1] = Number(v / LIMB_N);
}

function limbsToString(f: Float64Array, at: number, scale: number): string {
  if (f[at + 1] === 0 && scale <= MAX_SCALE) return formatUnits(f[at] as number, scale);
  return formatVolume(limbsValue(f, at), scale);
}

/** Decimals that matter in a non-negative decimal string, or -1 if it is not one. */
function significantDecimals(s: string): number {
  if (!/^\d+(\.\d+)?$/.test(s)) return -1;
  const dot = s.indexOf('.');
  if (dot < 0) return 0;
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}
