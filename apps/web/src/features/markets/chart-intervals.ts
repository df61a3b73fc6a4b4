import { addDecimal, compareDecimal, type Kline, type KlineInterval } from '@qt/shared';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** 1970-01-01 was a Thursday: weeks open on Monday 00:00 UTC (as Binance's 1w), four days after the epoch. */
const MONDAY = 4 * DAY;

interface IntervalSpec {
  ms: number;
  /** The engine interval the candles come from: itself when the engine serves it, else a finer one folded. */
  base: KlineInterval;
  /** Where the buckets start, from the epoch (weeks start on Monday). */
  offset?: number;
}

/**
 * Every interval the chart offers, finest first. The engine builds and serves 1s, 1m, 5m, 15m, 1h, 4h
 * and 1d (and 100ms when KLINE_SUB_SECOND is on, too fine to chart); the others are folded here from a
 * served interval that divides them exactly and shares their UTC alignment, so each folded candle is the
 * candle the engine would have built.
 */
const specs = {
  '1s': { ms: SECOND, base: '1s' },
  '5s': { ms: 5 * SECOND, base: '1s' },
  '15s': { ms: 15 * SECOND, base: '1s' },
  '30s': { ms: 30 * SECOND, base: '1s' },
  '1m': { ms: MINUTE, base: '1m' },
  '3m': { ms: 3 * MINUTE, base: '1m' },
  '5m': { ms: 5 * MINUTE, base: '5m' },
  '15m': { ms: 15 * MINUTE, base: '15m' },
  '30m': { ms: 30 * MINUTE, base: '15m' },
  '1h': { ms: HOUR, base: '1h' },
  '2h': { ms: 2 * HOUR, base: '1h' },
  '4h': { ms: 4 * HOUR, base: '4h' },
  '6h': { ms: 6 * HOUR, base: '1h' },
  '12h': { ms: 12 * HOUR, base: '4h' },
  '1d': { ms: DAY, base: '1d' },
  '1w': { ms: 7 * DAY, base: '1d', offset: MONDAY },
} as const satisfies Record<string, IntervalSpec>;

export type ChartInterval = keyof typeof specs;
export const chartIntervals = Object.keys(specs) as ChartInterval[];

/** Shown as buttons until the user stars others (TradingView's usual set). */
export const defaultFavouriteIntervals: readonly ChartInterval[] = [
  '1s',
  '1m',
  '5m',
  '15m',
  '1h',
  '4h',
  '1d',
];

export function isChartInterval(value: unknown): value is ChartInterval {
  return typeof value === 'string' && Object.hasOwn(specs, value);
}

export function intervalMs(interval: ChartInterval): number {
  return specs[interval].ms;
}

/** The engine interval a chart interval's candles are asked for. */
export function baseInterval(interval: ChartInterval): KlineInterval {
  return specs[interval].base;
}

export function isFolded(interval: ChartInterval): boolean {
  return specs[interval].base !== interval;
}

/** The open time of the `interval` candle that `time` falls in. */
export function bucketOpen(time: number, interval: ChartInterval): number {
  const spec: IntervalSpec = specs[interval];
  const offset = spec.offset ?? 0;
  return Math.floor((time - offset) / spec.ms) * spec.ms + offset;
}

/** A candle as the chart holds it: a served kline, or one folded from them (then with a chart interval). */
export type ChartCandle = Omit<Kline, 'interval'> & { interval: KlineInterval | ChartInterval };

/**
 * One candle of `interval` opening at `openTime` from the finer candles in it (time order, at least one):
 * open of the first, close of the last, the extremes, the sums. Prices and volumes stay decimal strings
 * (added exactly). It is closed once its last part is closed and ends where the bucket does.
 */
export function foldBucket(
  parts: readonly ChartCandle[],
  interval: ChartInterval,
  openTime: number,
): ChartCandle {
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!first || !last) throw new RangeError('a folded candle needs at least one part');
  const closeTime = openTime + specs[interval].ms - 1;
  let { high, low, baseVolume, quoteVolume, takerBuyBaseVolume, tradeCount } = first;
  for (let i = 1; i < parts.length; i++) {
    const k = parts[i] as ChartCandle;
    if (compareDecimal(k.high, high) > 0) high = k.high;
    if (compareDecimal(k.low, low) < 0) low = k.low;
    baseVolume = addDecimal(baseVolume, k.baseVolume);
    quoteVolume = addDecimal(quoteVolume, k.quoteVolume);
    takerBuyBaseVolume = addDecimal(takerBuyBaseVolume, k.takerBuyBaseVolume);
    tradeCount += k.tradeCount;
  }
  return {
    venue: first.venue,
    symbol: first.symbol,
    interval,
    openTime,
    closeTime,
    open: first.open,
    high,
    low,
    close: last.close,
    baseVolume,
    quoteVolume,
    takerBuyBaseVolume,
    tradeCount,
    closed: last.closed && last.closeTime >= closeTime,
  };
}

/**
 * The `interval` candles of finer candles in time order. With `dropPartialFirst` (older finer candles
 * exist but are not loaded) a first bucket whose start is not among them is left out: its open, high and
 * low could be wrong.
 */
export function foldCandles(
  parts: readonly ChartCandle[],
  interval: ChartInterval,
  dropPartialFirst = false,
): ChartCandle[] {
  const out: ChartCandle[] = [];
  let i = 0;
  while (i < parts.length) {
    const open = bucketOpen((parts[i] as ChartCandle).openTime, interval);
    const end = open + specs[interval].ms;
    let j = i + 1;
    while (j < parts.length && (parts[j] as ChartCandle).openTime < end) j++;
    const partial = i === 0 && dropPartialFirst && (parts[0] as ChartCandle).openTime !== open;
    if (!partial) out.push(foldBucket(parts.slice(i, j), interval, open));
    i = j;
  }
  return out;
}
