import { IndicatorParamsError } from '../errors.ts';
import { RollingMean } from '../rolling-mean.ts';
import { checkPeriod, isZero, perToK } from '../ta-math.ts';
import { SINGLE_OUTPUT, type StreamingIndicator } from '../types.ts';
import { WindowMax, WindowMin } from '../window-extremes.ts';

/** Relative strength index with Wilder's smoothing (TA-Lib RSI, lookback = period). */
export class Rsi implements StreamingIndicator {
  readonly kind = 'rsi' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly periodMinus1: number;
  private n = 0;
  private prevValue = 0;
  private gain = 0;
  private loss = 0;
  private out = Number.NaN;

  constructor(readonly period = 14) {
    checkPeriod('rsi', 'period', period, 2);
    this.lookback = period;
    this.periodMinus1 = period - 1;
  }

  update(x: number): number {
    const n = this.n++;
    const d = x - this.prevValue;
    this.prevValue = x;
    if (n === 0) return Number.NaN;
    const period = this.period;
    let gain = this.gain;
    let loss = this.loss;
    if (n < period) {
      if (d < 0) loss -= d;
      else gain += d;
      this.gain = gain;
      this.loss = loss;
      return Number.NaN;
    }
    if (n === period) {
      // The first averages are plain means of the first `period` changes.
      if (d < 0) loss -= d;
      else gain += d;
    } else {
      loss *= this.periodMinus1;
      gain *= this.periodMinus1;
      if (d < 0) loss -= d;
      else gain += d;
    }
    loss /= period;
    gain /= period;
    this.gain = gain;
    this.loss = loss;
    const total = gain + loss;
    this.out = isZero(total) ? 0.0 : 100.0 * (gain / total);
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.n = 0;
    this.prevValue = 0;
    this.gain = 0;
    this.loss = 0;
    this.out = Number.NaN;
  }
}

/**
 * MACD as TA-Lib computes it: lookback = (slow-1) + (signal-1). Both EMAs start at bar slow-1, the slow one
 * seeded with the SMA of the first `slow` closes and the fast one with the SMA of the `fast` closes ending at
 * that bar (not the first `fast` closes: TA-Lib aligns the two EMAs); the signal is an EMA of the MACD line
 * seeded with the SMA of its first `signal` values.
 */
export class Macd implements StreamingIndicator {
  readonly kind = 'macd' as const;
  readonly outputs = ['macd', 'signal', 'histogram'] as const;
  readonly lookback: number;
  macd = Number.NaN;
  signal = Number.NaN;
  histogram = Number.NaN;
  private readonly kFast: number;
  private readonly kSlow: number;
  private readonly kSignal: number;
  /** The last `fast` closes, needed only once: to seed the fast EMA at bar slow-1. */
  private readonly seedBuf: Float64Array;
  private n = 0;
  private slowSum = 0;
  private signalSum = 0;
  private fastEma = 0;
  private slowEma = 0;
  private signalEma = 0;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signalPeriod = 9,
  ) {
    checkPeriod('macd', 'fast', fast, 2);
    checkPeriod('macd', 'slow', slow, 2);
    checkPeriod('macd', 'signal', signalPeriod, 1);
    if (fast >= slow) {
      throw new IndicatorParamsError(
        `Indicator "macd": fast (${fast}) must be smaller than slow (${slow}).`,
        { kind: 'macd', fast, slow },
      );
    }
    this.lookback = slow - 1 + (signalPeriod - 1);
    this.kFast = perToK(fast);
    this.kSlow = perToK(slow);
    this.kSignal = perToK(signalPeriod);
    this.seedBuf = new Float64Array(fast);
  }

  update(x: number): number {
    const n = this.n++;
    const slow = this.slow;
    if (n < slow) {
      this.slowSum += x;
      this.seedBuf[n % this.fast] = x;
      if (n < slow - 1) return Number.NaN;
      this.slowEma = this.slowSum / slow;
      // Sum the seed window oldest first, as TA-Lib's loop does.
      let sum = 0.0;
      for (let j = 0; j < this.fast; j++) sum += this.seedBuf[(n + 1 + j) % this.fast] as number;
      this.fastEma = sum / this.fast;
    } else {
      const s = this.slowEma;
      this.slowEma = (x - s) * this.kSlow + s;
      const f = this.fastEma;
      this.fastEma = (x - f) * this.kFast + f;
    }
    const m = this.fastEma - this.slowEma;
    const lookback = this.lookback;
    if (n < lookback) {
      this.signalSum += m;
      return Number.NaN;
    }
    let sig: number;
    if (n === lookback) {
      this.signalSum += m;
      sig = this.signalSum / this.signalPeriod;
    } else {
      const s = this.signalEma;
      sig = (m - s) * this.kSignal + s;
    }
    this.signalEma = sig;
    this.macd = m;
    this.signal = sig;
    this.histogram = m - sig;
    return m;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(output = 0): number {
    return output === 0 ? this.macd : output === 1 ? this.signal : output === 2 ? this.histogram : Number.NaN;
  }

  reset(): void {
    this.n = 0;
    this.slowSum = 0;
    this.signalSum = 0;
    this.fastEma = 0;
    this.slowEma = 0;
    this.signalEma = 0;
    this.macd = Number.NaN;
    this.signal = Number.NaN;
    this.histogram = Number.NaN;
  }
}

/**
 * Raw stochastic %K as TA-Lib writes it: (x - lowest) / ((highest - lowest) / 100), 0 when the range is
 * empty.
 */
function fastK(x: number, highest: number, lowest: number): number {
  const diff = (highest - lowest) / 100.0;
  return diff !== 0.0 ? (x - lowest) / diff : 0.0;
}

/** Slow stochastic (TA-Lib STOCH with SMA smoothing): %K smoothed over slowK, %D = SMA(slowD) of that. */
export class Stoch implements StreamingIndicator {
  readonly kind = 'stoch' as const;
  readonly outputs = ['k', 'd'] as const;
  readonly lookback: number;
  k = Number.NaN;
  d = Number.NaN;
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;
  private readonly smoothK: RollingMean;
  private readonly smoothD: RollingMean;
  private n = 0;

  constructor(
    readonly fastKPeriod = 5,
    readonly slowKPeriod = 3,
    readonly slowDPeriod = 3,
  ) {
    checkPeriod('stoch', 'fastK', fastKPeriod, 1);
    checkPeriod('stoch', 'slowK', slowKPeriod, 1);
    checkPeriod('stoch', 'slowD', slowDPeriod, 1);
    this.lookback = fastKPeriod - 1 + (slowKPeriod - 1) + (slowDPeriod - 1);
    this.highs = new WindowMax(fastKPeriod);
    this.lows = new WindowMin(fastKPeriod);
    this.smoothK = new RollingMean(slowKPeriod);
    this.smoothD = new RollingMean(slowDPeriod);
  }

  update(high: number, low: number, close: number): number {
    this.highs.push(high);
    this.lows.push(low);
    if (this.n < this.fastKPeriod - 1) {
      this.n++;
      return Number.NaN;
    }
    const sk = this.smoothK.update(fastK(close, this.highs.value, this.lows.value));
    if (Number.isNaN(sk)) return Number.NaN;
    const sd = this.smoothD.update(sk);
    if (Number.isNaN(sd)) return Number.NaN;
    this.k = sk;
    this.d = sd;
    return sk;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(output = 0): number {
    return output === 0 ? this.k : output === 1 ? this.d : Number.NaN;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.smoothK.reset();
    this.smoothD.reset();
    this.n = 0;
    this.k = Number.NaN;
    this.d = Number.NaN;
  }
}

/** Stochastic RSI (TA-Lib STOCHRSI): a fast stochastic (%K over fastK, %D = SMA(fastD)) of RSI(period). */
export class StochRsi implements StreamingIndicator {
  readonly kind = 'stochrsi' as const;
  readonly outputs = ['k', 'd'] as const;
  readonly lookback: number;
  k = Number.NaN;
  d = Number.NaN;
  private readonly rsi: Rsi;
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;
  private readonly smoothD: RollingMean;
  private n = 0;

  constructor(
    readonly period = 14,
    readonly fastKPeriod = 5,
    readonly fastDPeriod = 3,
  ) {
    checkPeriod('stochrsi', 'period', period, 2);
    checkPeriod('stochrsi', 'fastK', fastKPeriod, 1);
    checkPeriod('stochrsi', 'fastD', fastDPeriod, 1);
    this.lookback = period + (fastKPeriod - 1) + (fastDPeriod - 1);
    this.rsi = new Rsi(period);
    this.highs = new WindowMax(fastKPeriod);
    this.lows = new WindowMin(fastKPeriod);
    this.smoothD = new RollingMean(fastDPeriod);
  }

  update(x: number): number {
    const r = this.rsi.update(x);
    if (Number.isNaN(r)) return Number.NaN;
    this.highs.push(r);
    this.lows.push(r);
    if (this.n < this.fastKPeriod - 1) {
      this.n++;
      return Number.NaN;
    }
    const fk = fastK(r, this.highs.value, this.lows.value);
    const fd = this.smoothD.update(fk);
    if (Number.isNaN(fd)) return Number.NaN;
    this.k = fk;
    this.d = fd;
    return fk;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(output = 0): number {
    return output === 0 ? this.k : output === 1 ? this.d : Number.NaN;
  }

  reset(): void {
    this.rsi.reset();
    this.highs.reset();
    this.lows.reset();
    this.smoothD.reset();
    this.n = 0;
    this.k = Number.NaN;
    this.d = Number.NaN;
  }
}

/**
 * Commodity channel index (TA-Lib CCI). The mean absolute deviation around the moving mean has no exact O(1)
 * update (every term changes when the mean moves), so each bar costs O(period), as in TA-Lib; the sums run
 * over the ring in slot order, TA-Lib's order, for equal outputs.
 */
export class Cci implements StreamingIndicator {
  readonly kind = 'cci' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private out = Number.NaN;

  constructor(readonly period = 14) {
    checkPeriod('cci', 'period', period, 2);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
  }

  update(high: number, low: number, close: number): number {
    const buf = this.buf;
    const period = this.period;
    const tp = (high + low + close) / 3;
    buf[this.pos] = tp;
    if (++this.pos === period) this.pos = 0;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    let avg = 0;
    for (let j = 0; j < period; j++) avg += buf[j] as number;
    avg /= period;
    let dev = 0;
    for (let j = 0; j < period; j++) dev += Math.abs((buf[j] as number) - avg);
    const t = tp - avg;
    this.out = t !== 0.0 && dev !== 0.0 ? t / (0.015 * (dev / period)) : 0.0;
    return this.out;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.out = Number.NaN;
  }
}

/** Keeps the value `period` bars back, for ROC and MOM. */
class Lagged {
  private readonly buf: Float64Array;
  private pos = 0;
  n = 0;

  constructor(readonly period: number) {
    this.buf = new Float64Array(period);
  }

  /** Stores x and returns the value `period` bars before it (garbage until n > period). */
  swap(x: number): number {
    const old = this.buf[this.pos] as number;
    this.buf[this.pos] = x;
    if (++this.pos === this.period) this.pos = 0;
    this.n++;
    return old;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
  }
}

/** Rate of change in percent: (x / x[period ago] - 1) * 100, 0 when the old value is 0 (TA-Lib ROC). */
export class Roc implements StreamingIndicator {
  readonly kind = 'roc' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly lag: Lagged;
  private out = Number.NaN;

  constructor(readonly period = 10) {
    checkPeriod('roc', 'period', period, 1);
    this.lookback = period;
    this.lag = new Lagged(period);
  }

  update(x: number): number {
    const old = this.lag.swap(x);
    if (this.lag.n <= this.period) return Number.NaN;
    this.out = old !== 0.0 ? (x / old - 1.0) * 100.0 : 0.0;
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.lag.reset();
    this.out = Number.NaN;
  }
}

/** Momentum: x - x[period ago] (TA-Lib MOM). */
export class Mom implements StreamingIndicator {
  readonly kind = 'mom' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly lag: Lagged;
  private out = Number.NaN;

  constructor(readonly period = 10) {
    checkPeriod('mom', 'period', period, 1);
    this.lookback = period;
    this.lag = new Lagged(period);
  }

  update(x: number): number {
    const old = this.lag.swap(x);
    if (this.lag.n <= this.period) return Number.NaN;
    this.out = x - old;
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.lag.reset();
    this.out = Number.NaN;
  }
}

/** Williams %R: (highest - close) / ((highest - lowest) / -100), from -100 to 0 (TA-Lib WILLR). */
export class Willr implements StreamingIndicator {
  readonly kind = 'willr' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;
  private n = 0;
  private out = Number.NaN;

  constructor(readonly period = 14) {
    checkPeriod('willr', 'period', period, 2);
    this.lookback = period - 1;
    this.highs = new WindowMax(period);
    this.lows = new WindowMin(period);
  }

  update(high: number, low: number, close: number): number {
    this.highs.push(high);
    this.lows.push(low);
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    const highest = this.highs.value;
    const diff = (highest - this.lows.value) / -100.0;
    this.out = diff !== 0.0 ? (highest - close) / diff : 0.0;
    return this.out;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.n = 0;
    this.out = Number.NaN;
  }
}

/**
 * Money flow index (TA-Lib MFI): typical price x volume split into positive and negative flows over the
 * last `period` bars. TA-Lib outputs 0 when the two flows sum to less than 1 (not only 0); kept as is.
 */
export class Mfi implements StreamingIndicator {
  readonly kind = 'mfi' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly pos: Float64Array;
  private readonly neg: Float64Array;
  private slot = 0;
  private n = 0;
  private prevTp = 0;
  private posSum = 0;
  private negSum = 0;
  private out = Number.NaN;

  constructor(readonly period = 14) {
    checkPeriod('mfi', 'period', period, 2);
    this.lookback = period;
    this.pos = new Float64Array(period);
    this.neg = new Float64Array(period);
  }

  update(high: number, low: number, close: number, volume: number): number {
    const tp = (high + low + close) / 3.0;
    const n = this.n++;
    if (n === 0) {
      this.prevTp = tp;
      return Number.NaN;
    }
    const slot = this.slot;
    if (n > this.period) {
      this.posSum -= this.pos[slot] as number;
      this.negSum -= this.neg[slot] as number;
    }
    const d = tp - this.prevTp;
    this.prevTp = tp;
    const flow = tp * volume;
    if (d < 0) {
      this.neg[slot] = flow;
      this.negSum += flow;
      this.pos[slot] = 0.0;
    } else if (d > 0) {
      this.pos[slot] = flow;
      this.posSum += flow;
      this.neg[slot] = 0.0;
    } else {
      this.pos[slot] = 0.0;
      this.neg[slot] = 0.0;
    }
    this.slot = slot + 1 === this.period ? 0 : slot + 1;
    if (n < this.period) return Number.NaN;
    const total = this.posSum + this.negSum;
    this.out = total < 1.0 ? 0.0 : 100.0 * (this.posSum / total);
    return this.out;
  }

  push(high: number, low: number, close: number, volume: number): number {
    return this.update(high, low, close, volume);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.slot = 0;
    this.n = 0;
    this.prevTp = 0;
    this.posSum = 0;
    this.negSum = 0;
    this.out = Number.NaN;
  }
}

/**
 * Aroon (TA-Lib AROON and AROONOSC): bars since the highest high / lowest low over the last period+1 bars,
 * scaled to 0..100; on ties the most recent extreme counts. The oscillator is computed as TA-Lib's AROONOSC
 * does (factor x index difference), not as up - down, for equal outputs.
 */
export class Aroon implements StreamingIndicator {
  readonly kind = 'aroon' as const;
  readonly outputs = ['oscillator', 'up', 'down'] as const;
  readonly lookback: number;
  oscillator = Number.NaN;
  up = Number.NaN;
  down = Number.NaN;
  private readonly factor: number;
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;
  private n = 0;

  constructor(readonly period = 14) {
    checkPeriod('aroon', 'period', period, 2);
    this.lookback = period;
    this.factor = 100.0 / period;
    this.highs = new WindowMax(period + 1);
    this.lows = new WindowMin(period + 1);
  }

  update(high: number, low: number): number {
    this.highs.push(high);
    this.lows.push(low);
    const t = this.n++;
    if (t < this.period) return Number.NaN;
    const hi = this.highs.index;
    const lo = this.lows.index;
    this.up = this.factor * (this.period - (t - hi));
    this.down = this.factor * (this.period - (t - lo));
    this.oscillator = this.factor * (hi - lo);
    return this.oscillator;
  }

  push(high: number, low: number): number {
    return this.update(high, low);
  }

  value(output = 0): number {
    return output === 0 ? this.oscillator : output === 1 ? this.up : output === 2 ? this.down : Number.NaN;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.n = 0;
    this.oscillator = Number.NaN;
    this.up = Number.NaN;
    this.down = Number.NaN;
  }
}
