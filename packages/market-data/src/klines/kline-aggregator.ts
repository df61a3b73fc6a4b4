import { AppError, type Kline, type KlineInterval, type Trade, tryParseUnits } from '@qt/shared';
import {
  addLimbs,
  addQuote,
  CLOSED,
  D_BASE_LO,
  D_BUY_LO,
  D_QUOTE_LO,
  D_STRIDE,
  EMPTY,
  F_BASE_HI,
  F_BASE_LO,
  F_BUY_HI,
  F_BUY_LO,
  F_CLOSE_ID,
  F_CLOSE_T,
  F_COUNT,
  F_DIRTY,
  F_HIGH,
  F_LOW,
  F_OPEN_ID,
  F_OPEN_T,
  F_OPEN_TIME,
  F_QUOTE_LO,
  F_QUOTE_MID,
  F_QUOTE_TOP,
  F_REVISION,
  F_STATE,
  F_STRIDE,
  foldInto,
  formatUnitsFast,
  idBefore,
  LIMB,
  LIMB_N,
  limbsToString,
  MAX_SCALE,
  OPEN,
  POW10,
  quoteValue,
  S_CLOSE,
  S_CLOSE_ID,
  S_HIGH,
  S_LOW,
  S_OPEN,
  S_OPEN_ID,
  S_STRIDE,
  scaleLimbs,
  scaleQuoteLimbs,
  setQuote,
  takeDelta,
  tradeIdNumber,
} from './candle-slot.ts';
import { defaultIntervals, intervalMs } from './intervals.ts';
import { sortsBefore } from './trade-order.ts';
import { formatVolume } from './volume-format.ts';

/**
 * Where candles go. `klineClosed` carries a revision beside the (schema-unchanged) Kline: 0 for the
 * first close, n for the n-th correction of an already closed candle by late trades. A consumer keeps
 * the highest revision per (venue, symbol, interval, openTime); storage upserts on that key.
 */
export interface KlineSink {
  klineUpdated(kline: Kline): void;
  klineClosed(kline: Kline, revision: number): void;
}

export interface KlineAggregatorOptions {
  sink: KlineSink;
  /** Intervals to maintain; default all but 100ms. */
  intervals?: readonly KlineInterval[];
  /**
   * How far (ms) a trade's exchange time may lag the newest exchange time seen for its symbol and
   * still count. Older trades are dropped and counted in `metrics.tooLate`. Default 2000.
   */
  allowedLatenessMs?: number;
  /**
   * A candle closes when the symbol's watermark, newest exchange time minus this, passes its end.
   * Default: `allowedLatenessMs`, so no accepted trade can land in a candle the exchange-time watermark
   * closed. A smaller value closes candles sooner, and trades that land in a closed candle (while
   * within `allowedLatenessMs`) correct it and re-emit it with the next revision.
   */
  closeDelayMs?: number;
  /**
   * `advanceTo(now)` closes candles that end before `now - closeDelayMs - clockGraceMs`, for symbols
   * that went quiet. The grace covers venue-to-engine latency and clock skew, so that on a live symbol
   * the clock does not close a candle before its last trades arrive. Default 1000.
   */
  clockGraceMs?: number;
  /** Decimals of a symbol's prices and quantities when known (instrument tick and lot size). */
  scales?: (venue: string, symbol: string) => { price: number; quantity: number } | undefined;
  /**
   * Symbols to allocate state for up front (it grows by doubling beyond). Growing reallocates large
   * typed arrays, which can trigger a full GC on a big heap: size it for the expected universe.
   */
  initialSymbols?: number;
}

export interface KlineMetrics {
  accepted: number;
  /** Dropped: older than the symbol's newest exchange time minus `allowedLatenessMs`. */
  tooLate: number;
  /** Dropped: a price or quantity that is not a non-negative decimal, or a bad exchange time. */
  malformed: number;
  /** Dropped: more than 15 significant decimals, or a value beyond 2^53 units at the symbol's scale. */
  unsupported: number;
  updatesEmitted: number;
  closesEmitted: number;
  /** Re-emissions of closed candles (revision > 0). */
  correctionsEmitted: number;
}

// Per-symbol header (Float64Array, stride H_STRIDE: one cache line per symbol, the only per-symbol
// memory an ordinary trade touches besides its finest candle).
const H_MAX_SEEN = 0;
/** The earliest end among the symbol's open candles of every interval, +Infinity if none. */
const H_MIN_END = 1;
/** Open time and slot of the newest finest candle, the one most trades land in. */
const H_CUR_OPEN = 2;
const H_CUR_SLOT = 3;
/** Open time of the newest candle of the second-finest interval whose coarser candles exist. */
const H_PARENT_OPEN = 4;
/** 1 when some finest candle of the symbol may hold trades not yet folded into its coarser candles. */
const H_PENDING = 5;
const H_PRICE_SCALE = 6;
const H_QTY_SCALE = 7;
const H_STRIDE = 8;

/**
 * In-memory K-line aggregation for many symbols and intervals at once.
 *
 * A trade updates one candle: the symbol's candle of the finest interval. Coarser candles (every
 * configured interval is a multiple of the finest, and candles nest because they are epoch-aligned) are
 * folds of finest candles: what a finest candle gained since its last fold is added to each coarser
 * candle containing it (`foldInto`) when its updates are flushed, when it closes or is evicted, and
 * before a coarser candle is closed, evicted or read. So per trade the work does not grow with the
 * number of intervals, and a coarser candle costs one fold per finest candle per flush.
 *
 * Every candle, finest or coarser, is emitted exactly as if trades had been applied to each interval
 * directly: the same `klineUpdated` per changed open candle per flush, the same `klineClosed` when the
 * watermark passes its end, the same corrections with the same revisions, in the same order (the test
 * kline-aggregator.equivalence holds it, event for event, to the per-interval aggregator this replaced).
 *
 * State is flat: every (symbol, interval) owns a small ring of candle slots in one Float64Array (numeric
 * fields) and one string array (the trades' price spellings and ids), sized to hold every candle that
 * can still receive a trade (`ceil(allowedLateness / interval) + 2`). A trade costs two integer parses
 * and one slot update: no allocation unless a quantity or notional needs more than 52 bits (a BigInt
 * split) or a candle is emitted.
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
export class KlineAggregator {
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
  /** The finest interval's length and ring size; its slots come first in a symbol's block. */
  readonly #iv0: number;
  readonly #ring0: number;
  /** Scratch for one fold (see `takeDelta`). */
  readonly #delta = new Float64Array(D_STRIDE);

  readonly #index = new Map<string, Map<string, number>>();
  #symbols = 0;
  #capacity = 0;
  #venueOf: string[] = [];
  #symbolOf: string[] = [];
  #h = new Float64Array(0);
  /**
   * Per (symbol, interval): a lower bound on the earliest end among its open candles (exact after
   * `#closeUpTo`; a candle closed by eviction or at a flush leaves it low), +Infinity if none.
   */
  #minOpenEnd = new Float64Array(0);
  /** Per (symbol, interval): how many of its candles are open. */
  #openCount = new Int32Array(0);
  #f = new Float64Array(0);
  #s: string[] = [];
  /** Per finest slot: its additive fields as last folded into the coarser candles. */
  #folded = new Float64Array(0);
  /** Finest candles that changed since the last flush, with their open time at the change. */
  #dirtySlot = new Int32Array(1024);
  #dirtyOpen = new Float64Array(1024);
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
    for (let i = 1; i < this.#ni; i++) {
      // Coarser candles are folds of finest ones and `#ensureCoarser` relies on candles nesting: each
      // interval must be a multiple of the next finer one (true of every KlineInterval today).
      if ((this.#ivMs[i] as number) % (this.#ivMs[i - 1] as number) !== 0)
        invalid('intervals (nesting)', intervals);
    }
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
    this.#iv0 = this.#ivMs[0] as number;
    this.#ring0 = this.#ring[0] as number;
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
    const h = this.#h;
    const ho = sym * H_STRIDE;
    const maxSeen = h[ho + H_MAX_SEEN] as number;
    if (t < maxSeen - this.#lateness) {
      this.metrics.tooLate++;
      return false;
    }
    const price = trade.price;
    const qty = trade.quantity;
    let p = tryParseUnits(price, h[ho + H_PRICE_SCALE] as number);
    let q = tryParseUnits(qty, h[ho + H_QTY_SCALE] as number);
    if (!(p >= 0 && q >= 0)) {
      if (!this.#widenScales(sym, price, qty)) return false;
      p = tryParseUnits(price, h[ho + H_PRICE_SCALE] as number);
      q = tryParseUnits(qty, h[ho + H_QTY_SCALE] as number);
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
      h[ho + H_MAX_SEEN] = t;
      const w = t - this.#closeDelay;
      if ((h[ho + H_MIN_END] as number) <= w) this.#closeUpTo(sym, w);
    }
    const buy = trade.takerSide === 'buy';
    const id = trade.tradeId;
    const idNum = tradeIdNumber(id);
    const f = this.#f;
    const s = this.#s;
    const iv = this.#iv0;
    // Most trades land in the newest candle: no division then (a % on doubles is a C call in V8).
    let openTime = h[ho + H_CUR_OPEN] as number;
    let k: number;
    if (t >= openTime && t < openTime + iv) {
      k = h[ho + H_CUR_SLOT] as number;
    } else {
      const bucket = Math.floor(t / iv);
      const r = this.#ring0;
      openTime = bucket * iv;
      k = sym * this.#slotsPerSymbol + (bucket - Math.floor(bucket / r) * r);
      if (openTime > (h[ho + H_CUR_OPEN] as number)) {
        h[ho + H_CUR_OPEN] = openTime;
        h[ho + H_CUR_SLOT] = k;
      }
    }
    const o = k * F_STRIDE;
    const so = k * S_STRIDE;
    if (f[o + F_OPEN_TIME] !== openTime || f[o + F_STATE] === EMPTY) {
      if (f[o + F_STATE] !== EMPTY) this.#evict(k);
      // The coarser candles first, so that a fold they trigger never sees this half-made candle.
      if (this.#ni > 1) this.#ensureCoarser(sym, ho, openTime);
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
      this.#folded.fill(0, this.#foldedAt(sym, k), this.#foldedAt(sym, k) + D_STRIDE);
      this.#opened(sym, 0, openTime + iv);
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
      if (p < low || (p === low && price !== s[so + S_LOW] && sortsBefore(price, s[so + S_LOW] as string))) {
        f[o + F_LOW] = p;
        s[so + S_LOW] = price;
      }
      const openT = f[o + F_OPEN_T] as number;
      if (t < openT || (t === openT && idBefore(idNum, id, f[o + F_OPEN_ID] as number, s[so + S_OPEN_ID]))) {
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
        // Stored without comparing: comparing two distinct string objects reads the stored one, a
        // cache miss per trade on 10,000 symbols, where the store costs only its write barrier.
        s[so + S_CLOSE] = price;
        if (Number.isNaN(idNum)) s[so + S_CLOSE_ID] = id;
      }
      addLimbs(f, o + F_BASE_LO, qLo, qHi);
      if (buy) addLimbs(f, o + F_BUY_LO, qLo, qHi);
      addQuote(f, o, nLo, nMid, nTop);
      f[o + F_COUNT] = (f[o + F_COUNT] as number) + 1;
    }
    if (f[o + F_DIRTY] === 0) this.#markDirty(k, o, openTime);
    h[ho + H_PENDING] = 1;
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
   * `klineClosed` (next revision) per closed candle that late trades corrected. A coarser candle is
   * emitted right after the first changed finest candle it contains, which is where a per-interval
   * aggregator that marks every interval's candle as it applies a trade would list it.
   */
  flush(): void {
    const dirty = this.#dirtySlot;
    const dirtyOpen = this.#dirtyOpen;
    const n = this.#dirtyCount;
    const sps = this.#slotsPerSymbol;
    // First every fold, so each coarser candle is complete before it is emitted. Every finest candle
    // with unfolded trades is listed: it became dirty with the first of them.
    if (this.#ni > 1) {
      for (let j = 0; j < n; j++) {
        const k = dirty[j] as number;
        const sym = Math.floor(k / sps);
        this.#fold(sym, k);
        this.#h[sym * H_STRIDE + H_PENDING] = 0;
      }
    }
    for (let j = 0; j < n; j++) {
      const k = dirty[j] as number;
      this.#emitIfDirty(k);
      if (this.#ni === 1) continue;
      const openTime = dirtyOpen[j] as number;
      const base = Math.floor(k / sps) * sps;
      for (let i = 1; i < this.#ni; i++) {
        const bucket = Math.floor(openTime / (this.#ivMs[i] as number));
        const r = this.#ring[i] as number;
        this.#emitIfDirty(base + (this.#ringOffset[i] as number) + (bucket - Math.floor(bucket / r) * r));
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
    const h = this.#h;
    for (let sym = 0; sym < this.#symbols; sym++) {
      if ((h[sym * H_STRIDE + H_MIN_END] as number) <= w) this.#closeUpTo(sym, w);
    }
    this.flush();
  }

  /** The candles held for a symbol (open and recently closed), oldest first per interval; for tests and snapshots. */
  snapshot(venue: string, symbol: string): Kline[] {
    const sym = this.#index.get(venue)?.get(symbol);
    if (sym === undefined) return [];
    this.#sync(sym);
    const out: Kline[] = [];
    const base = sym * this.#slotsPerSymbol;
    for (let k = base; k < base + this.#slotsPerSymbol; k++) {
      const state = this.#f[k * F_STRIDE + F_STATE];
      if (state !== EMPTY) out.push(this.#kline(k, state === CLOSED));
    }
    return out.sort((a, b) => intervalMs[a.interval] - intervalMs[b.interval] || a.openTime - b.openTime);
  }

  #emitIfDirty(k: number): void {
    const o = k * F_STRIDE;
    const f = this.#f;
    if (f[o + F_DIRTY] === 0) return; // closed (and emitted) since, or listed twice
    if (f[o + F_STATE] === OPEN) {
      if (this.#pastWatermark(k, o)) {
        // Opened by a late trade in an interval the watermark had already passed: its first emission
        // is its close.
        this.#close(k);
        return;
      }
      f[o + F_DIRTY] = 0;
      this.metrics.updatesEmitted++;
      this.#sink.klineUpdated(this.#kline(k, false));
    } else {
      this.#emitCorrection(k, o);
    }
  }

  /** The coarser candles containing the finest candle at `openTime` exist (created empty if not). */
  #ensureCoarser(sym: number, ho: number, openTime: number): void {
    const h = this.#h;
    const known = h[ho + H_PARENT_OPEN] as number;
    const iv1 = this.#ivMs[1] as number;
    // The newest finest candle's coarser candles exist already (candles nest): the usual case.
    if (openTime >= known && openTime < known + iv1) return;
    const f = this.#f;
    const base = sym * this.#slotsPerSymbol;
    for (let i = 1; i < this.#ni; i++) {
      const iv = this.#ivMs[i] as number;
      const bucket = Math.floor(openTime / iv);
      const r = this.#ring[i] as number;
      const pOpen = bucket * iv;
      const k = base + (this.#ringOffset[i] as number) + (bucket - Math.floor(bucket / r) * r);
      const o = k * F_STRIDE;
      if (f[o + F_OPEN_TIME] === pOpen && f[o + F_STATE] !== EMPTY) continue;
      if (f[o + F_STATE] !== EMPTY) this.#evict(k);
      f[o + F_OPEN_TIME] = pOpen;
      f[o + F_STATE] = OPEN;
      f[o + F_BASE_LO] = 0;
      f[o + F_BASE_HI] = 0;
      f[o + F_BUY_LO] = 0;
      f[o + F_BUY_HI] = 0;
      f[o + F_QUOTE_LO] = 0;
      f[o + F_QUOTE_MID] = 0;
      f[o + F_QUOTE_TOP] = 0;
      f[o + F_COUNT] = 0; // the first fold sets OHLC
      f[o + F_REVISION] = 0;
      this.#opened(sym, i, pOpen + iv);
    }
    const p1 = Math.floor(openTime / iv1) * iv1;
    if (p1 > known) h[ho + H_PARENT_OPEN] = p1;
  }

  /** A candle of interval `i` ending at `end` opened: keep the per-interval and per-symbol minimum ends. */
  #opened(sym: number, i: number, end: number): void {
    const mi = sym * this.#ni + i;
    this.#openCount[mi] = (this.#openCount[mi] as number) + 1;
    if (end < (this.#minOpenEnd[mi] as number)) {
      this.#minOpenEnd[mi] = end;
      const hm = sym * H_STRIDE + H_MIN_END;
      if (end < (this.#h[hm] as number)) this.#h[hm] = end;
    }
  }

  #foldedAt(sym: number, k: number): number {
    return (sym * this.#ring0 + (k - sym * this.#slotsPerSymbol)) * D_STRIDE;
  }

  /** Folds what finest candle `k` gained since its last fold into every coarser candle containing it. */
  #fold(sym: number, k: number): void {
    const delta = this.#delta;
    const f = this.#f;
    const co = k * F_STRIDE;
    if (takeDelta(f, co, this.#folded, this.#foldedAt(sym, k), delta) === 0) return;
    const openTime = f[co + F_OPEN_TIME] as number;
    const base = sym * this.#slotsPerSymbol;
    for (let i = 1; i < this.#ni; i++) {
      const iv = this.#ivMs[i] as number;
      const bucket = Math.floor(openTime / iv);
      const r = this.#ring[i] as number;
      const pk = base + (this.#ringOffset[i] as number) + (bucket - Math.floor(bucket / r) * r);
      const po = pk * F_STRIDE;
      if (f[po + F_OPEN_TIME] !== bucket * iv || f[po + F_STATE] === EMPTY) {
        // Cannot happen: a coarser candle outlives every finest candle in it (its ring spans as long).
        throw new AppError('INTERNAL', `KlineAggregator: no ${this.#intervals[i]} candle to fold into.`);
      }
      foldInto(f, this.#s, co, k * S_STRIDE, po, pk * S_STRIDE, delta);
      f[po + F_DIRTY] = 1;
    }
  }

  /** Folds every finest candle of `sym` that has trades its coarser candles do not have yet. */
  #sync(sym: number): void {
    const ho = sym * H_STRIDE + H_PENDING;
    if (this.#h[ho] === 0) return;
    this.#h[ho] = 0;
    if (this.#ni === 1) return;
    const base = sym * this.#slotsPerSymbol;
    for (let k = base; k < base + this.#ring0; k++) {
      if (this.#f[k * F_STRIDE + F_STATE] !== EMPTY) this.#fold(sym, k);
    }
  }

  /** Brings candle `k` up to date before it is emitted (a finest one into its coarser ones, or the reverse). */
  #complete(k: number): void {
    const sym = Math.floor(k / this.#slotsPerSymbol);
    if (k - sym * this.#slotsPerSymbol < this.#ring0) {
      if (this.#ni > 1) this.#fold(sym, k);
    } else this.#sync(sym);
  }

  #closeUpTo(sym: number, w: number): void {
    const m = this.#minOpenEnd;
    let symMin = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#ni; i++) {
      const mi = sym * this.#ni + i;
      if ((m[mi] as number) <= w) m[mi] = this.#closeInterval(sym, i, mi, w);
      symMin = Math.min(symMin, m[mi] as number);
    }
    this.#h[sym * H_STRIDE + H_MIN_END] = symMin;
  }

  /**
   * Closes, in time order (a consumer sees a symbol's candles of one interval in sequence), the open
   * candles of interval `i` that end at or before `w`; returns the earliest end among those left open.
   * Walks the buckets from the earliest open end rather than scanning the ring: a ring of 100 ms candles
   * is 22 slots at 2 s lateness, and most calls close one candle.
   */
  #closeInterval(sym: number, i: number, mi: number, w: number): number {
    const f = this.#f;
    const iv = this.#ivMs[i] as number;
    const r = this.#ring[i] as number;
    const first = sym * this.#slotsPerSymbol + (this.#ringOffset[i] as number);
    // minOpenEnd is a lower bound on every open candle's end (exact unless one closed another way).
    let b = (this.#minOpenEnd[mi] as number) / iv - 1;
    const lastClosing = Math.floor(w / iv) - 1;
    if (lastClosing - b >= r) return this.#closeIntervalByScan(first, r, iv, w);
    for (; b <= lastClosing; b++) {
      const k = first + (b - Math.floor(b / r) * r);
      const o = k * F_STRIDE;
      if (f[o + F_STATE] === OPEN && f[o + F_OPEN_TIME] === b * iv) this.#close(k);
    }
    if (this.#openCount[mi] === 0) return Number.POSITIVE_INFINITY;
    for (let n = 0; n < r; n++, b++) {
      const k = first + (b - Math.floor(b / r) * r);
      const o = k * F_STRIDE;
      if (f[o + F_STATE] === OPEN && f[o + F_OPEN_TIME] === b * iv) return (b + 1) * iv;
    }
    return this.#closeIntervalByScan(first, r, iv, w); // open candles far ahead of w (a lagging clock)
  }

  #closeIntervalByScan(first: number, r: number, iv: number, w: number): number {
    const f = this.#f;
    const last = first + r;
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
    return minEnd;
  }

  #pastWatermark(k: number, o: number): boolean {
    const sym = Math.floor(k / this.#slotsPerSymbol);
    const i = this.#slotInterval[k - sym * this.#slotsPerSymbol] as number;
    const end = (this.#f[o + F_OPEN_TIME] as number) + (this.#ivMs[i] as number);
    const w = Math.max(
      (this.#h[sym * H_STRIDE + H_MAX_SEEN] as number) - this.#closeDelay,
      this.#clockWatermark,
    );
    return end <= w;
  }

  #close(k: number): void {
    this.#complete(k);
    const o = k * F_STRIDE;
    const sym = Math.floor(k / this.#slotsPerSymbol);
    const mi = sym * this.#ni + (this.#slotInterval[k - sym * this.#slotsPerSymbol] as number);
    this.#openCount[mi] = (this.#openCount[mi] as number) - 1;
    this.#f[o + F_STATE] = CLOSED;
    this.#f[o + F_DIRTY] = 0;
    this.#f[o + F_REVISION] = 1;
    this.metrics.closesEmitted++;
    this.#sink.klineClosed(this.#kline(k, true), 0);
  }

  #emitCorrection(k: number, o: number): void {
    this.#complete(k);
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

  #markDirty(k: number, o: number, openTime: number): void {
    this.#f[o + F_DIRTY] = 1;
    if (this.#dirtyCount === this.#dirtySlot.length) {
      const slots = new Int32Array(this.#dirtySlot.length * 2);
      slots.set(this.#dirtySlot);
      this.#dirtySlot = slots;
      const opens = new Float64Array(this.#dirtyOpen.length * 2);
      opens.set(this.#dirtyOpen);
      this.#dirtyOpen = opens;
    }
    this.#dirtySlot[this.#dirtyCount] = k;
    this.#dirtyOpen[this.#dirtyCount++] = openTime;
  }

  #kline(k: number, closed: boolean): Kline {
    const sym = Math.floor(k / this.#slotsPerSymbol);
    const i = this.#slotInterval[k - sym * this.#slotsPerSymbol] as number;
    const f = this.#f;
    const o = k * F_STRIDE;
    const so = k * S_STRIDE;
    const ps = this.#h[sym * H_STRIDE + H_PRICE_SCALE] as number;
    const qs = this.#h[sym * H_STRIDE + H_QTY_SCALE] as number;
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
          ? formatUnitsFast(f[o + F_QUOTE_LO] as number, ps + qs)
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
    const known = this.#scales?.(venue, symbol);
    const ho = sym * H_STRIDE;
    const h = this.#h;
    h[ho + H_MAX_SEEN] = Number.NEGATIVE_INFINITY;
    h[ho + H_MIN_END] = Number.POSITIVE_INFINITY;
    h[ho + H_CUR_OPEN] = Number.NEGATIVE_INFINITY;
    h[ho + H_PARENT_OPEN] = Number.NEGATIVE_INFINITY;
    h[ho + H_PRICE_SCALE] = Math.min(MAX_SCALE, Math.max(0, known?.price ?? 0));
    h[ho + H_QTY_SCALE] = Math.min(MAX_SCALE, Math.max(0, known?.quantity ?? 0));
    this.#minOpenEnd.fill(Number.POSITIVE_INFINITY, sym * this.#ni, (sym + 1) * this.#ni);
    return sym;
  }

  #grow(capacity: number): void {
    const grow64 = (a: Float64Array, n: number) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    this.#h = grow64(this.#h, capacity * H_STRIDE);
    this.#minOpenEnd = grow64(this.#minOpenEnd, capacity * this.#ni);
    const counts = new Int32Array(capacity * this.#ni);
    counts.set(this.#openCount);
    this.#openCount = counts;
    this.#f = grow64(this.#f, capacity * this.#slotsPerSymbol * F_STRIDE);
    this.#folded = grow64(this.#folded, capacity * this.#ring0 * D_STRIDE);
    const strings = capacity * this.#slotsPerSymbol * S_STRIDE;
    for (let j = this.#s.length; j < strings; j++) this.#s.push('');
    this.#capacity = capacity;
  }

  /**
   * The slow path when a price or quantity does not parse at the symbol's scales: either malformed
   * (dropped) or with more decimals than seen so far, in which case every held candle of the symbol
   * (and what its finest candles have folded so far) is rescaled exactly and the trade is parsed again.
   * Returns false when the trade was dropped.
   */
  #widenScales(sym: number, price: string, qty: string): boolean {
    const ps = significantDecimals(price);
    const qs = significantDecimals(qty);
    if (ps < 0 || qs < 0) {
      this.metrics.malformed++;
      return false;
    }
    const ho = sym * H_STRIDE;
    const oldPs = this.#h[ho + H_PRICE_SCALE] as number;
    const oldQs = this.#h[ho + H_QTY_SCALE] as number;
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
    const d = this.#folded;
    for (let k = first; k < first + this.#ring0; k++) {
      const at = this.#foldedAt(sym, k);
      scaleLimbs(d, at + D_BASE_LO, fq);
      scaleLimbs(d, at + D_BUY_LO, fq);
      scaleQuoteLimbs(d, at + D_QUOTE_LO, BigInt(fp) * BigInt(fq));
    }
    this.#h[ho + H_PRICE_SCALE] = newPs;
    this.#h[ho + H_QTY_SCALE] = newQs;
    return true;
  }
}

function invalid(name: string, value: unknown): never {
  throw new AppError('VALIDATION_FAILED', `KlineAggregator: ${name} is invalid (${String(value)}).`);
}

/** Decimals that matter in a non-negative decimal string, or -1 if it is not one. */
function significantDecimals(s: string): number {
  const dot = s.indexOf('.');
  if (!/^\d+(\.\d+)?$/.test(s)) return -1;
  if (dot < 0) return 0;
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === 48) end--;
  return end - dot - 1;
}
