import { checkPeriod, isZero, perToK } from '../ta-math.ts';
import { SINGLE_OUTPUT, type StreamingIndicator } from '../types.ts';

// Each class reproduces TA-Lib's arithmetic step by step (same running sums, same order of operations), so
// the outputs equal TA-Lib's to the last bit or nearly, not just within a tolerance.

/** Simple moving average (TA-Lib SMA): a running sum, the oldest value subtracted after each output. */
export class Sma implements StreamingIndicator {
  readonly kind = 'sma' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private sum = 0;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('sma', 'period', period, 2);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
  }

  update(x: number): number {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos] = x;
    this.sum += x;
    if (++pos === this.period) pos = 0;
    this.pos = pos;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    const sum = this.sum;
    this.out = sum / this.period;
    // After the advance, `pos` holds the oldest value of the window: it leaves before the next bar.
    this.sum = sum - (buf[pos] as number);
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
    this.sum = 0;
    this.out = Number.NaN;
  }
}

/** Exponential moving average seeded with the SMA of the first `period` values (TA-Lib's default). */
export class Ema implements StreamingIndicator {
  readonly kind = 'ema' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly k: number;
  private n = 0;
  private sum = 0;
  private prev = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('ema', 'period', period, 1);
    this.lookback = period - 1;
    this.k = perToK(period);
  }

  update(x: number): number {
    if (this.n < this.period) {
      this.sum += x;
      if (++this.n < this.period) return Number.NaN;
      this.prev = this.sum / this.period;
      return this.prev;
    }
    const prev = this.prev;
    this.prev = (x - prev) * this.k + prev;
    return this.prev;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.prev;
  }

  reset(): void {
    this.n = 0;
    this.sum = 0;
    this.prev = Number.NaN;
  }
}

/** Linearly weighted moving average (weights 1..period, newest heaviest), TA-Lib's periodSum/periodSub form. */
export class Wma implements StreamingIndicator {
  readonly kind = 'wma' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private readonly divider: number;
  private pos = 0;
  private n = 0;
  private periodSum = 0;
  private periodSub = 0;
  private trailing = 0;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('wma', 'period', period, 2);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
    this.divider = (period * (period + 1)) >> 1;
  }

  update(x: number): number {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos] = x;
    if (++pos === this.period) pos = 0;
    this.pos = pos;
    if (this.n < this.lookback) {
      this.n++;
      this.periodSub += x;
      this.periodSum += x * this.n;
      return Number.NaN;
    }
    this.periodSub += x;
    this.periodSub -= this.trailing;
    this.periodSum += x * this.period;
    this.trailing = buf[pos] as number;
    this.out = this.periodSum / this.divider;
    this.periodSum -= this.periodSub;
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
    this.periodSum = 0;
    this.periodSub = 0;
    this.trailing = 0;
    this.out = Number.NaN;
  }
}

/** Double EMA: 2*EMA - EMA(EMA), each EMA seeded with an SMA (lookback 2*(period-1)). */
export class Dema implements StreamingIndicator {
  readonly kind = 'dema' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly e1: Ema;
  private readonly e2: Ema;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('dema', 'period', period, 2);
    this.lookback = 2 * (period - 1);
    this.e1 = new Ema(period);
    this.e2 = new Ema(period);
  }

  update(x: number): number {
    const a = this.e1.update(x);
    if (Number.isNaN(a)) return Number.NaN;
    const b = this.e2.update(a);
    if (Number.isNaN(b)) return Number.NaN;
    this.out = 2.0 * a - b;
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.e1.reset();
    this.e2.reset();
    this.out = Number.NaN;
  }
}

/** Triple EMA: 3*EMA - 3*EMA(EMA) + EMA(EMA(EMA)) (lookback 3*(period-1)). */
export class Tema implements StreamingIndicator {
  readonly kind = 'tema' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly e1: Ema;
  private readonly e2: Ema;
  private readonly e3: Ema;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('tema', 'period', period, 2);
    this.lookback = 3 * (period - 1);
    this.e1 = new Ema(period);
    this.e2 = new Ema(period);
    this.e3 = new Ema(period);
  }

  update(x: number): number {
    const a = this.e1.update(x);
    if (Number.isNaN(a)) return Number.NaN;
    const b = this.e2.update(a);
    if (Number.isNaN(b)) return Number.NaN;
    const c = this.e3.update(b);
    if (Number.isNaN(c)) return Number.NaN;
    this.out = c + (3.0 * a - 3.0 * b);
    return this.out;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.e1.reset();
    this.e2.reset();
    this.e3.reset();
    this.out = Number.NaN;
  }
}

/**
 * Triangular moving average (an SMA of an SMA), in TA-Lib's O(1) form: the weighted sum kept as a rising
 * half (`add`) and a falling half (`sub`) around the middle of the window.
 */
export class Trima implements StreamingIndicator {
  readonly kind = 'trima' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  private readonly buf: Float64Array;
  private readonly half: number;
  private readonly factor: number;
  private readonly odd: boolean;
  private pos = 0;
  private n = 0;
  private numerator = 0;
  private sub = 0;
  private add = 0;
  private leaving = 0;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('trima', 'period', period, 2);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
    this.half = period >> 1;
    this.odd = period % 2 === 1;
    this.factor = this.odd ? 1.0 / ((this.half + 1) * (this.half + 1)) : 1.0 / (this.half * (this.half + 1));
  }

  /** The k-th oldest value of the current window (0 = oldest); valid once the window is full. */
  private at(k: number): number {
    let i = this.pos + k;
    if (i >= this.period) i -= this.period;
    return this.buf[i] as number;
  }

  update(x: number): number {
    this.buf[this.pos] = x;
    if (++this.pos === this.period) this.pos = 0;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    // The last index of the falling half: the middle for an odd period, just before it for an even one.
    const mid = this.odd ? this.half : this.half - 1;
    if (this.n === this.lookback) {
      this.n++;
      let numerator = 0;
      let sub = 0;
      for (let k = mid; k >= 0; k--) {
        sub += this.at(k);
        numerator += sub;
      }
      let add = 0;
      for (let k = mid + 1; k < this.period; k++) {
        add += this.at(k);
        numerator += add;
      }
      this.numerator = numerator;
      this.sub = sub;
      this.add = add;
    } else {
      let numerator = this.numerator - this.sub;
      let sub = this.sub - this.leaving;
      const m = this.at(mid);
      sub += m;
      let add = this.add;
      if (this.odd) {
        numerator += add;
        add -= m;
      } else {
        add -= m;
        numerator += add;
      }
      add += x;
      numerator += x;
      this.numerator = numerator;
      this.sub = sub;
      this.add = add;
    }
    this.leaving = this.at(0);
    this.out = this.numerator * this.factor;
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
    this.numerator = 0;
    this.sub = 0;
    this.add = 0;
    this.leaving = 0;
    this.out = Number.NaN;
  }
}

// KAMA's fastest and slowest smoothing constants (2 and 30 periods), fixed in TA-Lib.
const KAMA_SLOWEST = 2.0 / (30.0 + 1.0);
const KAMA_SPREAD = 2.0 / (2.0 + 1.0) - KAMA_SLOWEST;

/** Kaufman adaptive moving average (TA-Lib KAMA, lookback = period). */
export class Kama implements StreamingIndicator {
  readonly kind = 'kama' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback: number;
  /** The last period+1 values: the efficiency ratio spans period changes. */
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private sumRoc = 0;
  private trailingValue = 0;
  private prevX = 0;
  private out = Number.NaN;

  constructor(readonly period = 30) {
    checkPeriod('kama', 'period', period, 2);
    this.lookback = period;
    this.buf = new Float64Array(period + 1);
  }

  update(x: number): number {
    const size = this.period + 1;
    this.buf[this.pos] = x;
    if (++this.pos === size) this.pos = 0;
    const n = this.n++;
    const prevX = this.prevX;
    this.prevX = x;
    if (n === 0) return Number.NaN;
    if (n < this.period) {
      this.sumRoc += Math.abs(prevX - x);
      return Number.NaN;
    }
    // `pos` now holds the oldest of the last period+1 values: x[t - period].
    const oldest = this.buf[this.pos] as number;
    let prev: number;
    if (n === this.period) {
      this.sumRoc += Math.abs(prevX - x);
      prev = prevX;
    } else {
      this.sumRoc -= Math.abs(this.trailingValue - oldest);
      this.sumRoc += Math.abs(x - prevX);
      prev = this.out;
    }
    this.trailingValue = oldest;
    const periodRoc = x - oldest;
    // TA-Lib compares with the signed change here (not its absolute value): kept for equal outputs.
    let er = this.sumRoc <= periodRoc || isZero(this.sumRoc) ? 1.0 : Math.abs(periodRoc / this.sumRoc);
    er = er * KAMA_SPREAD + KAMA_SLOWEST;
    er *= er;
    this.out = (x - prev) * er + prev;
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
    this.sumRoc = 0;
    this.trailingValue = 0;
    this.prevX = 0;
    this.out = Number.NaN;
  }
}
