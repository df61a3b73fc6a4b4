import { IndicatorInputError } from '../errors.ts';
import { checkReal } from '../ta-math.ts';
import { SINGLE_OUTPUT, type StreamingIndicator } from '../types.ts';

/** On-balance volume (TA-Lib OBV): starts at the first bar's volume, then +/- volume as the close rises/falls. */
export class Obv implements StreamingIndicator {
  readonly kind = 'obv' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback = 0;
  private started = false;
  private prevClose = 0;
  private obv = Number.NaN;

  update(close: number, volume: number): number {
    if (!this.started) {
      this.started = true;
      this.obv = volume;
    } else if (close > this.prevClose) this.obv += volume;
    else if (close < this.prevClose) this.obv -= volume;
    this.prevClose = close;
    return this.obv;
  }

  push(_h: number, _l: number, close: number, volume: number): number {
    return this.update(close, volume);
  }

  value(): number {
    return this.obv;
  }

  reset(): void {
    this.started = false;
    this.prevClose = 0;
    this.obv = Number.NaN;
  }
}

/**
 * Volume-weighted average price (no TA-Lib function): sum(typical price x volume) / sum(volume), typical
 * price = (high + low + close) / 3, cumulative from the first bar. With `anchorMs` > 0 the sums restart
 * whenever floor(time / anchorMs) changes (86_400_000 = a new UTC day), so `time` (epoch ms) must then be
 * passed with every bar. While no volume has traded the VWAP is the typical price itself.
 */
export class Vwap implements StreamingIndicator {
  readonly kind = 'vwap' as const;
  readonly outputs = SINGLE_OUTPUT;
  readonly lookback = 0;
  private session = Number.NaN;
  private sumPv = 0;
  private sumV = 0;
  private out = Number.NaN;

  constructor(readonly anchorMs = 0) {
    checkReal('vwap', 'anchorMs', anchorMs, 0, Number.MAX_SAFE_INTEGER);
  }

  update(high: number, low: number, close: number, volume: number, time?: number): number {
    if (this.anchorMs > 0) {
      if (time === undefined) {
        throw new IndicatorInputError(
          'Indicator "vwap" is anchored (anchorMs > 0): pass each bar\'s time in epoch ms.',
        );
      }
      const session = Math.floor(time / this.anchorMs);
      if (session !== this.session) {
        this.session = session;
        this.sumPv = 0;
        this.sumV = 0;
      }
    }
    const tp = (high + low + close) / 3;
    this.sumPv += tp * volume;
    this.sumV += volume;
    this.out = this.sumV > 0 ? this.sumPv / this.sumV : tp;
    return this.out;
  }

  push(high: number, low: number, close: number, volume: number, time?: number): number {
    return this.update(high, low, close, volume, time);
  }

  value(): number {
    return this.out;
  }

  reset(): void {
    this.session = Number.NaN;
    this.sumPv = 0;
    this.sumV = 0;
    this.out = Number.NaN;
  }
}
