import type { InstrumentSpec } from '../instruments.ts';
import { hashString } from '../market/rng.ts';

export const MINUTE_MS = 60_000;

/** One generated 1m candle: prices in ticks, sizes in lots, all integers. */
export interface SimCandle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  lots: number;
  buyLots: number;
  /** Sum over the candle's trades of ticks x lots: the quote volume in units of 10^-(price+lot decimals). */
  quoteUnits: bigint;
  trades: number;
}

/**
 * Octaves of the price path, in minutes, and their weight: value noise at several scales, so the path
 * has minute-to-minute wiggle, hourly swings and multi-day trends. Each octave's amplitude grows with
 * the square root of its scale, as a random walk's would.
 */
const octaves: ReadonlyArray<readonly [scale: number, weight: number]> = [
  [1, 1],
  [7, 1],
  [60, 1],
  [420, 1],
  [2_880, 1],
  [20_160, 1],
];

/** A 32-bit mix (murmur3 finaliser) of the inputs: uniform on [0, 1). */
function unit(a: number, b: number, c: number, d: number): number {
  let h = (a ^ Math.imul(b, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b) ^ Math.imul(d, 0xc2b2ae35)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Roughly normal from four uniforms (Irwin-Hall, centred and scaled): cheap and smooth enough. */
function bell(a: number, b: number, c: number, d: number): number {
  return (unit(a, b, c, d) + unit(a, b, c, d + 1) + unit(a, b, c, d + 2) + unit(a, b, c, d + 3) - 2) * 1.732;
}

/**
 * Deterministic 1m history of one symbol on one venue, a pure function of (seed, venue, symbol, minute):
 * any past range can be served without walking from a start point, and the same minute always gives
 * the same candle (for one anchor), so a backfill that is interrupted and resumed stores exactly what a single run would.
 * A candle's close is the next candle's open (the path is continuous). Volatility follows the market's
 * setting; the level stays near the instrument's starting price.
 */
export class SimCandles {
  readonly #spec: InstrumentSpec;
  readonly #seed: number;
  readonly #salt: number;
  readonly #venueSalt: number;
  readonly #sigmaMinute: number;
  readonly #tickScale: number;
  readonly #medianLots: number;
  readonly #tradesPerMinute: number;
  readonly #anchor: number;

  /**
   * `anchorMs`: the history reaches the instrument's starting price at this time (the simulator's start),
   * where its live market begins, so a chart shows no jump where backfilled candles meet live ones.
   */
  constructor(
    spec: InstrumentSpec,
    venue: string,
    seed: number,
    volatility: number,
    tradesPerSecond: number,
    anchorMs = 0,
  ) {
    this.#spec = spec;
    this.#seed = seed | 0;
    this.#salt = hashString(spec.symbol) | 0;
    this.#venueSalt = hashString(`${venue}:${spec.symbol}`) | 0;
    this.#sigmaMinute = volatility / Math.sqrt(365 * 1_440);
    this.#tickScale = 10 ** spec.priceDecimals;
    this.#medianLots = Math.max(1, 200 / spec.initialPrice / 10 ** -spec.lotDecimals);
    // Reported counts near the live rate, but never zero: a history candle always has trades.
    this.#tradesPerMinute = Math.max(6, Math.min(6_000, tradesPerSecond * 60));
    this.#anchor = this.#path(anchorMs / MINUTE_MS);
  }

  /** Decimal places of prices and sizes (as the venues print them). */
  get precision(): { priceDecimals: number; lotDecimals: number } {
    return { priceDecimals: this.#spec.priceDecimals, lotDecimals: this.#spec.lotDecimals };
  }

  /** The most trades a candle can report (`candle`: the rate x 1.5 at most, rounded). */
  get maxTradesPerMinute(): number {
    return Math.round(this.#tradesPerMinute * 1.5);
  }

  /** The fair log-price offset at a point in time (minutes since the epoch, fractional allowed). */
  #path(minute: number): number {
    let sum = 0;
    for (let o = 0; o < octaves.length; o += 1) {
      const [scale, weight] = octaves[o] as readonly [number, number];
      const x = minute / scale;
      const i = Math.floor(x);
      const f = x - i;
      const s = f * f * (3 - 2 * f);
      const a = bell(this.#seed, this.#salt, o, i * 4);
      const b = bell(this.#seed, this.#salt, o, (i + 1) * 4);
      sum += weight * Math.sqrt(scale) * (a + (b - a) * s);
    }
    return sum * this.#sigmaMinute;
  }

  #ticks(minute: number): number {
    return Math.max(
      1,
      Math.round(this.#spec.initialPrice * Math.exp(this.#path(minute) - this.#anchor) * this.#tickScale),
    );
  }

  /** The candle opening at `openTime` (a multiple of a minute). */
  candle(openTime: number): SimCandle {
    const m = Math.floor(openTime / MINUTE_MS);
    const open = this.#ticks(m);
    const close = this.#ticks(m + 1);
    const v = this.#venueSalt;
    const wick = this.#sigmaMinute * this.#spec.initialPrice * this.#tickScale;
    const up = Math.round(Math.abs(bell(this.#seed, v, 101, m * 4)) * wick * 0.5);
    const down = Math.round(Math.abs(bell(this.#seed, v, 102, m * 4)) * wick * 0.5);
    const high = Math.max(open, close) + up;
    const low = Math.max(1, Math.min(open, close) - down);
    const trades = Math.max(1, Math.round(this.#tradesPerMinute * (0.5 + unit(this.#seed, v, 103, m))));
    const lots = Math.max(
      trades,
      Math.round(trades * this.#medianLots * (0.5 + unit(this.#seed, v, 104, m))),
    );
    const buyLots = Math.round(lots * (0.3 + 0.4 * unit(this.#seed, v, 105, m)));
    // The trades' average price: halfway between open and close, inside [low, high] by construction.
    const vwap = Math.round((open + close) / 2);
    return {
      openTime: m * MINUTE_MS,
      open,
      high,
      low,
      close,
      lots,
      buyLots,
      quoteUnits: BigInt(vwap) * BigInt(lots),
      trades,
    };
  }
}
