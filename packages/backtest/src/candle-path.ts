import { formatUnits, type Instrument, type Kline, significantScaleOf, tryParseUnits } from '@qt/shared';
import type { CandleEvent } from '@qt/strategy-runtime';
import { BacktestError } from './errors.ts';

/**
 * A candle in the backtester's compact form: the instrument's index in the spec and decimal strings as
 * the venue printed them. `Kline` (the house type) is accepted too and mapped by venue and symbol.
 */
export interface BacktestCandle {
  instrument: number;
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}

export type CandleInput = Kline | BacktestCandle;

/**
 * The deterministic intra-candle path (candles mode). The matcher needs trades and quotes, so each
 * candle becomes four synthetic trades:
 *
 *   close >= open:  O -> L -> H -> C        close < open:  O -> H -> L -> C
 *
 * at openTime + floor(i x interval / 4), i = 0..3, each a quarter of the volume (exact: two more
 * decimals), the taker a buyer when the price is at or above the previous point (the open compares with
 * the previous candle's close; a buyer when there is none). Before each trade, a quote at price -/+
 * halfSpread ticks (the bid at least one tick) with the trade's size on both sides. The strategy sees the
 * candle only at closeTime = openTime + interval - 1, after the whole path, and what it then decides
 * waits for the next path point (BacktestRun), so it can only fill on a later candle.
 *
 * One PathCandle per instrument is rewritten for each of its candles (the replay keeps nothing of a
 * candle once its bar is replayed): parsing is the per-candle cost, so the texts the matcher only needs
 * when an order of ours can be touched (the prices, the quarter volume) are kept as they came or as
 * units, and formatted on demand.
 */
/** Exact powers of ten as doubles (up to 10^22 every one is exact). */
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

export class PathCandle {
  readonly instrument: number;
  openTime = 0;
  /** The four path prices in book units (the tick's decimals). */
  readonly units: [number, number, number, number] = [0, 0, 0, 0];
  /** close >= open: the path is O -> L -> H -> C. */
  up = true;
  /** Each path trade's quantity (a quarter of the volume) as a number, as Number(quantity) reads it. */
  size = 0;
  /** The quarter volume as units at `quantityScale` decimals, when it fits a safe integer (else NaN). */
  quantityUnits = 0;
  quantityScale = 0;
  #quantity: string | null = null;
  #volumeUnits = 0;
  #source: CandleInput | null = null;
  event: CandleEvent | null = null;

  constructor(instrument: number) {
    this.instrument = instrument;
  }

  /** Path point i's price as the candle printed it. */
  text(i: number): string {
    const c = this.#source as CandleInput;
    if (i === 0) return c.open;
    if (i === 3) return c.close;
    return (i === 1) === this.up ? c.low : c.high;
  }

  /** The quarter volume as an exact decimal string. */
  get quantity(): string {
    if (this.#quantity === null) this.#quantity = formatUnits(this.quantityUnits, this.quantityScale);
    return this.#quantity;
  }

  /**
   * Reads candle `c` into this path: validates it as pathCandle always did (positive prices on the tick
   * grid, low <= open, close <= high, a decimal volume >= 0), or throws BACKTEST_DATA_INVALID.
   */
  read(c: CandleInput, grid: InstrumentGrid, intervalSeconds: number): void {
    const k = this.instrument;
    const o = tryParseUnits(c.open, grid.scale);
    const h = tryParseUnits(c.high, grid.scale);
    const l = tryParseUnits(c.low, grid.scale);
    const cl = tryParseUnits(c.close, grid.scale);
    const volume = 'baseVolume' in c ? c.baseVolume : c.volume;
    if (!(o > 0 && h > 0 && l > 0 && cl > 0) || l > o || l > cl || h < o || h < cl) {
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `Candle at ${c.openTime} (instrument ${k}): prices must be positive, on the tick grid and low <= open, close <= high.`,
        { openTime: c.openTime, open: c.open, high: c.high, low: c.low, close: c.close },
      );
    }
    this.#quarter(volume, c.openTime);
    const up = cl >= o;
    const u = this.units;
    u[0] = o;
    u[1] = up ? l : h;
    u[2] = up ? h : l;
    u[3] = cl;
    this.up = up;
    this.openTime = c.openTime;
    this.#source = c;
    const scale = grid.scaleFactor;
    // A safe integer over an exact power of ten is one correctly rounded division: the double that
    // Number() reads from the decimal's text, without reading it (as for the prices below).
    // ("-0" reads as -0: left to Number.)
    const safe = !Number.isNaN(this.quantityUnits);
    const volumeNumber =
      safe && volume.charCodeAt(0) !== 45
        ? this.#volumeUnits / (POW10[this.quantityScale - 2] as number)
        : Number(volume);
    this.size = safe ? this.quantityUnits / (POW10[this.quantityScale] as number) : Number(this.quantity);
    this.event = {
      intervalSeconds,
      openTime: c.openTime,
      // units / 10^scale is the correctly rounded double of the decimal, as Number(text) would be.
      open: o / scale,
      high: h / scale,
      low: l / scale,
      close: cl / scale,
      volume: volumeNumber,
    };
  }

  /** volume / 4, exact: v x 25 at two more decimals, as units when they fit, else as text now. */
  #quarter(volume: string, openTime: number): void {
    const dot = volume.indexOf('.');
    const scale = dot < 0 ? 0 : volume.length - dot - 1;
    const units = scale <= 13 ? tryParseUnits(volume, scale) : Number.NaN;
    if (units >= 0 && Number.isSafeInteger(units * 25)) {
      this.#volumeUnits = units;
      this.quantityUnits = units * 25;
      this.quantityScale = scale + 2;
      this.#quantity = null;
      return;
    }
    if (!/^\d+(\.\d+)?$/.test(volume)) {
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `Candle at ${openTime}: volume "${volume}" is not a decimal >= 0.`,
      );
    }
    const digits = BigInt(volume.replace('.', '')) * 25n;
    const s = digits.toString().padStart(scale + 3, '0');
    const cut = s.length - (scale + 2);
    const frac = s.slice(cut).replace(/0+$/, '');
    this.quantityUnits = Number.NaN;
    this.#quantity = frac ? `${s.slice(0, cut)}.${frac}` : s.slice(0, cut);
  }
}

export interface InstrumentGrid {
  scale: number;
  /** 10^scale. */
  scaleFactor: number;
  tickUnits: number;
}

export function gridOf(i: Instrument): InstrumentGrid {
  const scale = significantScaleOf(i.tickSize);
  return { scale, scaleFactor: 10 ** scale, tickUnits: tryParseUnits(i.tickSize, scale) };
}
