import { checkPeriod, checkReal, isZero } from '../ta-math.ts';
import type { StreamingIndicator } from '../types.ts';
import { WindowMax, WindowMin } from '../window-extremes.ts';

/**
 * ADX with +DI and -DI (TA-Lib ADX, PLUS_DI, MINUS_DI), Wilder's smoothing throughout. ADX's lookback is
 * 2*period-1; the DIs are available from bar `period` in TA-Lib but, like every multi-output indicator here,
 * all three start at the ADX's lookback. A DI is 0 when the smoothed true range is (TA-Lib-)zero, as in
 * PLUS_DI/MINUS_DI; the ADX then keeps its previous value, as in TA-Lib's ADX.
 */
export class Adx implements StreamingIndicator {
  readonly kind = 'adx' as const;
  readonly outputs = ['adx', 'plusDi', 'minusDi'] as const;
  readonly lookback: number;
  adx = Number.NaN;
  plusDi = Number.NaN;
  minusDi = Number.NaN;
  private readonly periodMinus1: number;
  private n = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private plusDm = 0;
  private minusDm = 0;
  private tr = 0;
  private sumDx = 0;
  private prevAdx = 0;
  private lastPlusDi = 0;
  private lastMinusDi = 0;

  constructor(readonly period = 14) {
    checkPeriod('adx', 'period', period, 2);
    this.lookback = 2 * period - 1;
    this.periodMinus1 = period - 1;
  }

  update(high: number, low: number, close: number): number {
    const n = this.n++;
    const period = this.period;
    if (n === 0) {
      this.prevHigh = high;
      this.prevLow = low;
      this.prevClose = close;
      return Number.NaN;
    }
    const diffP = high - this.prevHigh;
    this.prevHigh = high;
    const diffM = this.prevLow - low;
    this.prevLow = low;
    let tr = high - low;
    const a = Math.abs(high - this.prevClose);
    if (a > tr) tr = a;
    const b = Math.abs(low - this.prevClose);
    if (b > tr) tr = b;
    this.prevClose = close;
    if (n < period) {
      // Accumulate the first period-1 directional movements and true ranges.
      if (diffM > 0 && diffP < diffM) this.minusDm += diffM;
      else if (diffP > 0 && diffP > diffM) this.plusDm += diffP;
      this.tr += tr;
      return Number.NaN;
    }
    this.minusDm -= this.minusDm / period;
    this.plusDm -= this.plusDm / period;
    if (diffM > 0 && diffP < diffM) this.minusDm += diffM;
    else if (diffP > 0 && diffP > diffM) this.plusDm += diffP;
    this.tr = this.tr - this.tr / period + tr;
    let dx = Number.NaN;
    if (!isZero(this.tr)) {
      const minusDi = 100.0 * (this.minusDm / this.tr);
      const plusDi = 100.0 * (this.plusDm / this.tr);
      this.lastMinusDi = minusDi;
      this.lastPlusDi = plusDi;
      const sum = minusDi + plusDi;
      if (!isZero(sum)) dx = 100.0 * (Math.abs(minusDi - plusDi) / sum);
    } else {
      this.lastMinusDi = 0.0;
      this.lastPlusDi = 0.0;
    }
    const lookback = this.lookback;
    if (n < lookback) {
      if (!Number.isNaN(dx)) this.sumDx += dx;
      return Number.NaN;
    }
    if (n === lookback) {
      if (!Number.isNaN(dx)) this.sumDx += dx;
      this.prevAdx = this.sumDx / period;
    } else if (!Number.isNaN(dx)) {
      this.prevAdx = (this.prevAdx * this.periodMinus1 + dx) / period;
    }
    this.adx = this.prevAdx;
    this.plusDi = this.lastPlusDi;
    this.minusDi = this.lastMinusDi;
    return this.adx;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(output = 0): number {
    return output === 0 ? this.adx : output === 1 ? this.plusDi : output === 2 ? this.minusDi : Number.NaN;
  }

  reset(): void {
    this.n = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.plusDm = 0;
    this.minusDm = 0;
    this.tr = 0;
    this.sumDx = 0;
    this.prevAdx = 0;
    this.lastPlusDi = 0;
    this.lastMinusDi = 0;
    this.adx = Number.NaN;
    this.plusDi = Number.NaN;
    this.minusDi = Number.NaN;
  }
}

/**
 * Parabolic SAR (TA-Lib SAR, lookback 1). The first direction comes from the first bar pair's directional
 * movement (short if the low fell more than the high rose), and the value output at a reversal is the SAR
 * that was hit, as in TA-Lib.
 */
export class Sar implements StreamingIndicator {
  readonly kind = 'sar' as const;
  readonly outputs = ['value'] as const;
  readonly lookback = 1;
  private readonly acceleration: number;
  private n = 0;
  private isLong = true;
  private af = 0;
  private ep = 0;
  private sar = 0;
  private newHigh = 0;
  private newLow = 0;
  private out = Number.NaN;

  constructor(
    acceleration = 0.02,
    readonly maximum = 0.2,
  ) {
    checkReal('sar', 'acceleration', acceleration, 0, 3e37);
    checkReal('sar', 'maximum', maximum, 0, 3e37);
    // TA-Lib caps the step at the maximum instead of refusing it.
    this.acceleration = Math.min(acceleration, maximum);
  }

  update(high: number, low: number): number {
    const n = this.n++;
    if (n === 0) {
      this.newHigh = high;
      this.newLow = low;
      return Number.NaN;
    }
    const accel = this.acceleration;
    const max = this.maximum;
    let prevHigh: number;
    let prevLow: number;
    if (n === 1) {
      const diffP = high - this.newHigh;
      const diffM = this.newLow - low;
      const minusDm = diffM > 0 && diffP < diffM ? diffM : 0;
      this.isLong = !(minusDm > 0);
      this.af = accel;
      if (this.isLong) {
        this.ep = high;
        this.sar = this.newLow;
      } else {
        this.ep = low;
        this.sar = this.newHigh;
      }
      // TA-Lib's first pass compares the first bar with itself.
      prevHigh = high;
      prevLow = low;
    } else {
      prevHigh = this.newHigh;
      prevLow = this.newLow;
    }
    this.newHigh = high;
    this.newLow = low;
    let sar = this.sar;
    let out: number;
    if (this.isLong) {
      if (low <= sar) {
        this.isLong = false;
        sar = this.ep;
        if (sar < prevHigh) sar = prevHigh;
        if (sar < high) sar = high;
        out = sar;
        this.af = accel;
        this.ep = low;
        sar = sar + this.af * (this.ep - sar);
        if (sar < prevHigh) sar = prevHigh;
        if (sar < high) sar = high;
      } else {
        out = sar;
        if (high > this.ep) {
          this.ep = high;
          this.af += accel;
          if (this.af > max) this.af = max;
        }
        sar = sar + this.af * (this.ep - sar);
        if (sar > prevLow) sar = prevLow;
        if (sar > low) sar = low;
      }
    } else if (high >= sar) {
      this.isLong = true;
      sar = this.ep;
      if (sar > prevLow) sar = prevLow;
      if (sar > low) sar = low;
      out = sar;
      this.af = accel;
      this.ep = high;
      sar = sar + this.af * (this.ep - sar);
      if (sar > prevLow) sar = prevLow;
      if (sar > low) sar = low;
    } else {
      out = sar;
      if (low < this.ep) {
        this.ep = low;
        this.af += accel;
        if (this.af > max) this.af = max;
      }
      sar = sar + this.af * (this.ep - sar);
      if (sar < prevHigh) sar = prevHigh;
      if (sar < high) sar = high;
    }
    this.sar = sar;
    this.out = out;
    return out;
  }

  push(high: number, low: number): number {
    return this.update(high, low);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.n = 0;
    this.isLong = true;
    this.af = 0;
    this.ep = 0;
    this.sar = 0;
    this.newHigh = 0;
    this.newLow = 0;
    this.out = Number.NaN;
  }
}

/** Midpoint of the highest high and lowest low of a window. */
class MidRange {
  private readonly highs: WindowMax;
  private readonly lows: WindowMin;

  constructor(period: number) {
    this.highs = new WindowMax(period);
    this.lows = new WindowMin(period);
  }

  push(high: number, low: number): number {
    this.highs.push(high);
    this.lows.push(low);
    return (this.highs.value + this.lows.value) / 2;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
  }
}

/**
 * Ichimoku Kinko Hyo (no TA-Lib function), standard definition with the values that belong to the current
 * bar, so a strategy reads them causally:
 * - tenkan = mid-range of the last `tenkan` bars, kijun = mid-range of the last `kijun` bars;
 * - senkouA = (tenkan + kijun) / 2 and senkouB = mid-range of the last `senkouB` bars, both as computed
 *   `displacement` bars ago (the cloud drawn under the current bar);
 * - chikou = the current close (a chart draws it `displacement` bars back).
 * All outputs start at lookback = max(tenkan, kijun, senkouB) - 1 + displacement (77 with 9/26/52/26).
 */
export class Ichimoku implements StreamingIndicator {
  readonly kind = 'ichimoku' as const;
  readonly outputs = ['tenkan', 'kijun', 'senkouA', 'senkouB', 'chikou'] as const;
  readonly lookback: number;
  tenkan = Number.NaN;
  kijun = Number.NaN;
  senkouA = Number.NaN;
  senkouB = Number.NaN;
  chikou = Number.NaN;
  private readonly tenkanRange: MidRange;
  private readonly kijunRange: MidRange;
  private readonly spanBRange: MidRange;
  /** senkouA/senkouB values computed at each of the last `displacement` bars, oldest at `slot`. */
  private readonly pendingA: Float64Array;
  private readonly pendingB: Float64Array;
  private slot = 0;
  private n = 0;

  constructor(
    readonly tenkanPeriod = 9,
    readonly kijunPeriod = 26,
    readonly senkouBPeriod = 52,
    readonly displacement = 26,
  ) {
    checkPeriod('ichimoku', 'tenkan', tenkanPeriod, 1);
    checkPeriod('ichimoku', 'kijun', kijunPeriod, 1);
    checkPeriod('ichimoku', 'senkouB', senkouBPeriod, 1);
    checkPeriod('ichimoku', 'displacement', displacement, 1);
    this.lookback = Math.max(tenkanPeriod, kijunPeriod, senkouBPeriod) - 1 + displacement;
    this.tenkanRange = new MidRange(tenkanPeriod);
    this.kijunRange = new MidRange(kijunPeriod);
    this.spanBRange = new MidRange(senkouBPeriod);
    this.pendingA = new Float64Array(displacement);
    this.pendingB = new Float64Array(displacement);
  }

  update(high: number, low: number, close: number): number {
    const tenkan = this.tenkanRange.push(high, low);
    const kijun = this.kijunRange.push(high, low);
    const spanB = this.spanBRange.push(high, low);
    const slot = this.slot;
    // The values computed `displacement` bars ago apply to this bar; replace them with this bar's.
    const dueA = this.pendingA[slot] as number;
    const dueB = this.pendingB[slot] as number;
    this.pendingA[slot] = (tenkan + kijun) / 2;
    this.pendingB[slot] = spanB;
    this.slot = slot + 1 === this.displacement ? 0 : slot + 1;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    this.tenkan = tenkan;
    this.kijun = kijun;
    this.senkouA = dueA;
    this.senkouB = dueB;
    this.chikou = close;
    return tenkan;
  }

  push(high: number, low: number, close: number): number {
    return this.update(high, low, close);
  }

  value(output = 0): number {
    switch (output) {
      case 0:
        return this.tenkan;
      case 1:
        return this.kijun;
      case 2:
        return this.senkouA;
      case 3:
        return this.senkouB;
      case 4:
        return this.chikou;
      default:
        return Number.NaN;
    }
  }

  reset(): void {
    this.tenkanRange.reset();
    this.kijunRange.reset();
    this.spanBRange.reset();
    this.slot = 0;
    this.n = 0;
    this.tenkan = Number.NaN;
    this.kijun = Number.NaN;
    this.senkouA = Number.NaN;
    this.senkouB = Number.NaN;
    this.chikou = Number.NaN;
  }
}

/**
 * Least-squares line over the last `period` values (TA-Lib LINEARREG and LINEARREG_SLOPE): `value` is the
 * line at the current bar, `slope` its change per bar. TA-Lib recomputes both sums over the window each bar
 * (O(period)); here they are updated in O(1) and recomputed exactly from the window every `period` bars
 * (amortised O(1)), so rounding cannot drift. The x axis runs backwards from the newest bar (x = 0) as in
 * TA-Lib, which keeps its formulas as they are.
 */
export class LinReg implements StreamingIndicator {
  readonly kind = 'linreg' as const;
  readonly outputs = ['value', 'slope'] as const;
  readonly lookback: number;
  slope = Number.NaN;
  private readonly buf: Float64Array;
  private readonly sumX: number;
  private readonly divisor: number;
  private pos = 0;
  private n = 0;
  private sinceExact = 0;
  private sumY = 0;
  /** Sum of x*y with x = bars back from the newest (newest 0, oldest period-1). */
  private sumXY = 0;
  private out = Number.NaN;

  constructor(readonly period = 14) {
    checkPeriod('linreg', 'period', period, 2);
    this.lookback = period - 1;
    this.buf = new Float64Array(period);
    this.sumX = period * (period - 1) * 0.5;
    const sumXSqr = (period * (period - 1) * (2 * period - 1)) / 6;
    this.divisor = this.sumX * this.sumX - period * sumXSqr;
  }

  update(x: number): number {
    const period = this.period;
    const buf = this.buf;
    // Every value already in the window moves one bar further back: its x grows by 1.
    const leaving = this.n >= period ? (buf[this.pos] as number) : 0;
    this.sumXY += this.sumY - leaving * period;
    this.sumY += x - leaving;
    buf[this.pos] = x;
    if (++this.pos === period) this.pos = 0;
    if (this.n < this.lookback) {
      this.n++;
      return Number.NaN;
    }
    if (this.n === this.lookback) {
      this.n++;
      this.recompute();
    } else if (++this.sinceExact >= period) this.recompute();
    const m = (period * this.sumXY - this.sumX * this.sumY) / this.divisor;
    const b = (this.sumY - m * this.sumX) / period;
    this.slope = m;
    this.out = b + m * (period - 1);
    return this.out;
  }

  /** Exact sums over the window, oldest first (x = period-1 down to 0), TA-Lib's order. */
  private recompute(): void {
    const period = this.period;
    let sumY = 0;
    let sumXY = 0;
    for (let i = period - 1, k = this.pos; i >= 0; i--) {
      const y = this.buf[k] as number;
      sumY += y;
      sumXY += i * y;
      if (++k === period) k = 0;
    }
    this.sumY = sumY;
    this.sumXY = sumXY;
    this.sinceExact = 0;
  }

  push(_h: number, _l: number, close: number): number {
    return this.update(close);
  }

  value(output = 0): number {
    return output === 0 ? this.out : output === 1 ? this.slope : Number.NaN;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.sinceExact = 0;
    this.sumY = 0;
    this.sumXY = 0;
    this.slope = Number.NaN;
    this.out = Number.NaN;
  }
}
