import { divRound, formatScaled, type Kline, parseScaled } from '@qt/shared';

export const MINUTE_MS = 60_000;
/** A day of 1m candles: the rolling window, the current minute included. */
export const WINDOW_MINUTES = 1_440;
/** Decimals are held as bigint units of 10^-18, the most any decimal string of the API carries. */
const SCALE = 18;

interface Bucket {
  openTime: number;
  open: bigint;
  high: bigint;
  low: bigint;
  close: bigint;
  base: bigint;
  quote: bigint;
  trades: number;
}

/** The 24-hour figures of one market at one moment (decimals exact, canonical). */
export interface WindowFigures {
  last: string | null;
  open: string | null;
  change: string | null;
  changePercent: string | null;
  high: string | null;
  low: string | null;
  baseVolume: string;
  quoteVolume: string;
  tradeCount: number;
  windowStart: number;
}

/** Open time of the oldest minute in the window that ends with the minute holding `now`. */
export function windowStartOf(now: number): number {
  return Math.floor(now / MINUTE_MS) * MINUTE_MS - (WINDOW_MINUTES - 1) * MINUTE_MS;
}

const fmt = (u: bigint) => formatScaled(u, SCALE);

/**
 * One market's last 24 hours as a ring of 1,440 one-minute buckets (slot = minute number mod 1,440), fed
 * with 1m candle versions (stored ones at start, then every live update and close). Volumes and trade
 * counts are running sums: a candle version replaces its bucket's contribution, a bucket leaving the
 * window subtracts it, so no update scans the day. High, low and the window's first open need the
 * extremes of what is left, so they are found by one pass over the ring, only when something changed
 * and the figures are asked for (at most once per publish period, not per candle).
 */
export class TickerWindow {
  readonly #ring = new Array<Bucket | undefined>(WINDOW_MINUTES);
  #base = 0n;
  #quote = 0n;
  #trades = 0;
  /** Buckets older than this have been taken out (the window start last advanced to). */
  #start = Number.NEGATIVE_INFINITY;
  #version = 0;
  #cachedAt = -1;
  #cached: WindowFigures | null = null;

  /** Grows with every change; the publisher compares it to what it last sent. */
  get version(): number {
    return this.#version;
  }

  /**
   * Lays a 1m candle version over its minute. A version with fewer trades than the one held is older
   * (the bus may deliver a stale update after a close; a backfilled candle must not replace a live one
   * with more trades): ignored. Candles before the window (as of `now`) are ignored. True if it changed.
   */
  apply(k: Kline, now: number): boolean {
    if (k.interval !== '1m' || k.openTime % MINUTE_MS !== 0) return false;
    this.advance(now);
    if (k.openTime < this.#start) return false;
    const slot = (k.openTime / MINUTE_MS) % WINDOW_MINUTES;
    const held = this.#ring[slot];
    if (held !== undefined) {
      // The same slot a day apart: the newer minute wins, the older leaves the window.
      if (held.openTime > k.openTime) return false;
      if (held.openTime === k.openTime && k.tradeCount < held.trades) return false;
      this.#remove(held);
    }
    const b: Bucket = {
      openTime: k.openTime,
      open: parseScaled(k.open, SCALE),
      high: parseScaled(k.high, SCALE),
      low: parseScaled(k.low, SCALE),
      close: parseScaled(k.close, SCALE),
      base: parseScaled(k.baseVolume, SCALE),
      quote: parseScaled(k.quoteVolume, SCALE),
      trades: k.tradeCount,
    };
    this.#ring[slot] = b;
    this.#base += b.base;
    this.#quote += b.quote;
    this.#trades += b.trades;
    this.#version++;
    return true;
  }

  /**
   * Moves the window to end at the minute holding `now`: the buckets that left are subtracted, visiting
   * only the slots of the minutes that left (at most the whole ring after a long pause). True when the
   * window moved (a new minute began).
   */
  advance(now: number): boolean {
    const start = windowStartOf(now);
    if (start <= this.#start) return false;
    const from = Number.isFinite(this.#start) ? this.#start : start - WINDOW_MINUTES * MINUTE_MS;
    const steps = Math.min(WINDOW_MINUTES, (start - from) / MINUTE_MS);
    for (let i = 0; i < steps; i++) {
      const slot = ((from + i * MINUTE_MS) / MINUTE_MS) % WINDOW_MINUTES;
      const held = this.#ring[slot];
      if (held !== undefined && held.openTime < start) {
        this.#remove(held);
        this.#ring[slot] = undefined;
      }
    }
    // The window's start is one of the figures: a new minute is a change even when nothing left.
    this.#start = start;
    this.#version++;
    return true;
  }

  /** The figures over the window ending at the minute holding `now`. */
  figures(now: number): WindowFigures {
    this.advance(now);
    if (this.#cached !== null && this.#cachedAt === this.#version) return this.#cached;
    let first: Bucket | undefined;
    let newest: Bucket | undefined;
    let high: bigint | null = null;
    let low: bigint | null = null;
    for (const b of this.#ring) {
      if (b === undefined) continue;
      if (first === undefined || b.openTime < first.openTime) first = b;
      if (newest === undefined || b.openTime > newest.openTime) newest = b;
      if (high === null || b.high > high) high = b.high;
      if (low === null || b.low < low) low = b.low;
    }
    const open = first?.open ?? null;
    const last = newest?.close ?? null;
    const change = open !== null && last !== null ? last - open : null;
    // Percent to 2 decimals: change x 100 x 10^2 / open, in units of 10^-2, rounded half-up.
    const pct =
      change !== null && open !== null && open > 0n ? divRound(change * 10_000n, open, 'halfUp') : null;
    this.#cached = {
      last: last === null ? null : fmt(last),
      open: open === null ? null : fmt(open),
      change: change === null ? null : fmt(change),
      changePercent: pct === null ? null : formatScaled(pct, 2),
      high: high === null ? null : fmt(high),
      low: low === null ? null : fmt(low),
      baseVolume: fmt(this.#base),
      quoteVolume: fmt(this.#quote),
      tradeCount: this.#trades,
      windowStart: this.#start,
    };
    this.#cachedAt = this.#version;
    return this.#cached;
  }

  #remove(b: Bucket): void {
    this.#base -= b.base;
    this.#quote -= b.quote;
    this.#trades -= b.trades;
  }
}
