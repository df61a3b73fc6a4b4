import { checkPeriod, checkReal, isZero, TA_EPSILON } from '../ta-math.ts';
import { BAND_OUTPUTS, SINGLE_OUTPUT, type StreamingIndicator } from '../types.ts';
import { WindowMax, WindowMin } from '../window-extremes.ts';
import { Ema } from './moving-averages.ts';

/** TA-Lib's TRUE_RANGE macro: the widest of high-low, |high-prevClose|, |low-prevClose|. */
function trueRange(high: number, low: number, prevClose: number): number {
  let tr = high - low;
  const a = Math.abs(high - prevClose);
  if (a > tr) tr = a;
  const b = Math.abs(low - prevClose);
  if (b > tr) tr = b;
  return tr;
}

/** True range (TA-Lib TRANGE, lookback 1: the first bar has no previous close). */
export class TrueRange implements StreamingIndicator {
  readonly kind = 'trange' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback = 1;
  private started = false;
  private prevClose = 0;
  private out = Number.NaN;

  update(high: number, low: number, close: number): number {
    const prev = this.prevClose;
    this.prevClose = close;
    if (!this.started) {
      this.started = true;
      return Number.NaN;
    }
    this.out = trueRange(high, low, prev);
    return this.out;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.started = false;
    this.prevClose = 0;
    this.out = Number.NaN;
  }
}

/** Average true range with Wilder's smoothing, seeded with the SMA of the first `period` true ranges. */
export class Atr implements StreamingIndicator {
  readonly kind: 'atr' | 'natr' = 'atr';
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  protected atr = Number.NaN;
  private readonly periodMinus1: number;
  private n = 0;
  private prevClose = 0;
  private trSum = 0;

  constructor(readonly period = 14) {
    checkPeriod('atr', 'period', period, 1);
    this.lookback = period;
    this.periodMinus1 = period - 1;
  }

  update(high: number, low: number, close: number): number {
    const n = this.n++;
    const prev = this.prevClose;
    this.prevClose = close;
    if (n === 0) return Number.NaN;
    const tr = trueRange(high, low, prev);
    if (n < this.period) {
      this.trSum += tr;
      return Number.NaN;
    }
    if (n === this.period) {
      this.trSum += tr;
      this.atr = this.trSum / this.period;
    } else {
      let atr = this.atr * this.periodMinus1;
      atr += tr;
      this.atr = atr / this.period;
    }
    return this.atr;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(): number {
    return this.atr;
  }

  reset(): void {
    this.n = 0;
    this.prevClose = 0;
    this.trSum = 0;
    this.atr = Number.NaN;
  }
}

/**
 * ATR as a percentage of the close (TA-Lib NATR; 0 when the close is 0). Period 1 is refused: TA-Lib then
 * returns the raw true range, not normalised, which no caller would want.
 */
export class Natr extends Atr {
  override readonly kind = 'natr' as const;
  private out = Number.NaN;

  constructor(period = 14) {
    checkPeriod('natr', 'period', period, 2);
    super(period);
  }

  override update(high: number, low: number, close: number): number {
    const atr = super.update(high, low, close);
    if (Number.isNaN(atr)) return Number.NaN;
    this.out = isZero(close) ? 0.0 : (atr / close) * 100.0;
    return this.out;
  }

  override value(): number {
    return this.out;
  }

  override reset(): void {
    super.reset();
    this.out = Number.NaN;
  }
}

/**
 * Population standard deviation x nbDev (TA-Lib STDDEV): E[x^2] - E[x]^2 from running sums, 0 when that
 * is below TA-Lib's epsilon (it can come out slightly negative on flat stretches).
 */
export class StdDev implements StreamingIndicator {
  readonly kind = 'stddev' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private sum1 = 0;
  private sum2 = 0;
  private out = Number.NaN;

  constructor(
    readonly period = 5,
    readonly nbDev = 1,
  ) {
    checkPeriod('stddev', 'period', period, 2);
    checkReal('stddev', 'nbDev', nbDev, -3e37, 3e37);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
  }

  update(x: number): number {
    const buf = this.buf;
    buf[this.pos] = x;
    if (++this.pos === this.period) this.pos = 0;
    this.sum1 += x;
    this.sum2 += x * x;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    const mean1 = this.sum1 / this.period;
    const mean2 = this.sum2 / this.period;
    const old = buf[this.pos] as number;
    this.sum1 -= old;
    this.sum2 -= old * old;
    const variance = mean2 - mean1 * mean1;
    this.out = variance < TA_EPSILON ? 0.0 : Math.sqrt(variance) * this.nbDev;
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.sum1 = 0;
    this.sum2 = 0;
    this.out = Number.NaN;
  }
}

/** Bollinger bands on an SMA (TA-Lib BBANDS with MAType SMA): middle +/- nbDev x population stddev. */
export class Bbands implements StreamingIndicator {
  readonly kind = 'bbands' as const;
  readonly outputs = BAND_OUTPUTS;
  readonly lookback: number;
  middle = Number.NaN;
  upper = Number.NaN;
  lower = Number.NaN;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private sum = 0;
  private sumSq = 0;

  constructor(
    readonly period = 5,
    readonly nbDevUp = 2,
    readonly nbDevDn = 2,
  ) {
    checkPeriod('bbands', 'period', period, 2);
    checkReal('bbands', 'nbDevUp', nbDevUp, -3e37, 3e37);
    checkReal('bbands', 'nbDevDn', nbDevDn, -3e37, 3e37);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
  }

  update(x: number): number {
    const buf = this.buf;
    buf[this.pos] = x;
    if (++this.pos === this.period) this.pos = 0;
    this.sum += x;
    this.sumSq += x * x;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    const period = this.period;
    const old = buf[this.pos] as number;
    const ma = this.sum / period;
    this.sum -= old;
    let meanSq = this.sumSq / period;
    this.sumSq -= old * old;
    meanSq -= ma * ma;
    const sd = meanSq < TA_EPSILON ? 0.0 : Math.sqrt(meanSq);
    this.middle = ma;
    this.upper = ma + sd * this.nbDevUp;
    this.lower = ma - sd * this.nbDevDn;
    return ma;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(output = 0): number {
    return output === 0 ? this.middle : output === 1 ? this.upper : output === 2 ? this.lower : Number.NaN;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.sum = 0;
    this.sumSq = 0;
    this.middle = Number.NaN;
    this.upper = Number.NaN;
    this.lower = Number.NaN;
  }
}

/**
 * Donchian channels (no TA-Lib function): upper = highest high and lower = lowest low of the last `period`
 * bars including the current one, middle = their mean. Lookback period-1.
 */
export class Donchian implements StreamingIndicator {
  readonly kind = 'donchian' as const;
  readonly outputs = BAND_OUTPUTS;
  readonly lookback: number;
  middle = Number.NaN;
  upper = Number.NaN;
  lower = Number.NaN;
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;
  private n = 0;

  constructor(readonly period = 20) {
    checkPeriod('donchian', 'period', period, 1);
    this.lookback = period - 1;
    this.highs = new WindowMax(period);
    this.lows = new WindowMin(period);
  }

  update(high: number, low: number): number {
    this.highs.push(high);
    this.lows.push(low);
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    this.upper = this.highs.value;
    this.lower = this.lows.value;
    this.middle = (this.upper + this.lower) / 2;
    return this.middle;
  }

  push(high: number, low: number): number {
    return this.update(high, low);
  }

  value(output = 0): number {
    return output === 0 ? this.middle : output === 1 ? this.upper : output === 2 ? this.lower : Number.NaN;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.n = 0;
    this.middle = Number.NaN;
    this.upper = Number.NaN;
    this.lower = Number.NaN;
  }
}

/**
 * Keltner channels (no TA-Lib function), the common modern form: middle = EMA(period) of the close,
 * upper/lower = middle +/- multiplier x ATR(atrPeriod), with TA-Lib's EMA seeding and Wilder's ATR. All
 * outputs start once both are warm: lookback = max(period-1, atrPeriod).
 */
export class Keltner implements StreamingIndicator {
  readonly kind = 'keltner' as const;
  readonly outputs = BAND_OUTPUTS;
  readonly lookback: number;
  middle = Number.NaN;
  upper = Number.NaN;
  lower = Number.NaN;
  private readonly ema: Ema;
  private readonly atr: Atr;

  constructor(
    readonly period = 20,
    readonly atrPeriod = 10,
    readonly multiplier = 2,
  ) {
    checkPeriod('keltner', 'period', period, 2);
    checkPeriod('keltner', 'atrPeriod', atrPeriod, 1);
    checkReal('keltner', 'multiplier', multiplier, 0, 1000);
    this.lookback = Math.max(period - 1, atrPeriod);
    this.ema = new Ema(period);
    this.atr = new Atr(atrPeriod);
  }

  update(high: number, low: number, close: number): number {
    const mid = this.ema.update(close);
    const atr = this.atr.update(high, low, close);
    if (Number.isNaN(mid) || Number.isNaN(atr)) return Number.NaN;
    const width = this.multiplier * atr;
    this.middle = mid;
    this.upper = mid + width;
    this.lower = mid - width;
    return mid;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(output = 0): number {
    return output === 0 ? this.middle : output === 1 ? this.upper : output === 2 ? this.lower : Number.NaN;
  }

  reset(): void {
    this.ema.reset();
    this.atr.reset();
    this.middle = Number.NaN;
    this.upper = Number.NaN;
    this.lower = Number.NaN;
  }
}
