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
 */
export interface PathCandle {
  instrument: number;
  openTime: number;
  /** The four path prices as strings (the candle's own) and as book units. */
  texts: [string, string, string, string];
  units: [number, number, number, number];
  /** Each path trade's quantity (a quarter of the volume). */
  quantity: string;
  event: CandleEvent;
}

export interface InstrumentGrid {
  scale: number;
  tickUnits: number;
}

export function gridOf(i: Instrument): InstrumentGrid {
  const scale = significantScaleOf(i.tickSize);
  return { scale, tickUnits: tryParseUnits(i.tickSize, scale) };
}

export function pathCandle(
  k: number,
  c: CandleInput,
  grid: InstrumentGrid,
  intervalSeconds: number,
): PathCandle {
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
  const up = cl >= o;
  const scale = 10 ** grid.scale;
  return {
    instrument: k,
    openTime: c.openTime,
    texts: up ? [c.open, c.low, c.high, c.close] : [c.open, c.high, c.low, c.close],
    units: up ? [o, l, h, cl] : [o, h, l, cl],
    quantity: quarter(volume, c.openTime),
    event: {
      intervalSeconds,
      openTime: c.openTime,
      // units / 10^scale is the correctly rounded double of the decimal, as Number(text) would be.
      open: o / scale,
      high: h / scale,
      low: l / scale,
      close: cl / scale,
      volume: Number(volume),
    },
  };
}

/** volume / 4 as an exact decimal string: v x 25 at two more decimals. */
function quarter(volume: string, openTime: number): string {
  const dot = volume.indexOf('.');
  const scale = dot < 0 ? 0 : volume.length - dot - 1;
  const units = scale <= 13 ? tryParseUnits(volume, scale) : Number.NaN;
  if (units >= 0 && Number.isSafeInteger(units * 25)) return formatUnits(units * 25, scale + 2);
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
  return frac ? `${s.slice(0, cut)}.${frac}` : s.slice(0, cut);
}
