import { IndicatorKind } from './abi';
import { Candle } from './events';
import * as qt from './qt';

/**
 * A host-computed technical indicator (the same implementation the dashboard charts use). Create them in
 * onInit, one per instrument you feed, and feed each closed candle with update().
 */
export class Indicator {
  readonly handle: i32;

  constructor(handle: i32) {
    this.handle = handle;
  }

  /** Creates an indicator; NaN parameters take the host's default. Aborts on invalid parameters. */
  static create(kind: IndicatorKind, p1: f64 = NaN, p2: f64 = NaN, p3: f64 = NaN): Indicator {
    const handle = qt.ind_create(kind, p1, p2, p3);
    if (handle <= 0) {
      throw new Error('ind_create(kind ' + kind.toString() + ') failed with host error ' + handle.toString());
    }
    return new Indicator(handle);
  }

  static sma(period: i32): Indicator {
    return Indicator.create(IndicatorKind.sma, <f64>period);
  }

  static ema(period: i32): Indicator {
    return Indicator.create(IndicatorKind.ema, <f64>period);
  }

  /** Wilder's RSI, 0..100. */
  static rsi(period: i32): Indicator {
    return Indicator.create(IndicatorKind.rsi, <f64>period);
  }

  /** Outputs 0 macd, 1 signal, 2 histogram. */
  static macd(fast: i32, slow: i32, signal: i32): Indicator {
    return Indicator.create(IndicatorKind.macd, <f64>fast, <f64>slow, <f64>signal);
  }

  /** Bollinger bands; outputs 0 middle, 1 upper, 2 lower. */
  static bbands(period: i32, multiplier: f64): Indicator {
    return Indicator.create(IndicatorKind.bbands, <f64>period, multiplier);
  }

  static atr(period: i32): Indicator {
    return Indicator.create(IndicatorKind.atr, <f64>period);
  }

  static stddev(period: i32): Indicator {
    return Indicator.create(IndicatorKind.stddev, <f64>period);
  }

  /** Feeds one candle; returns the main output, NaN while warming up. */
  update(high: f64, low: f64, close: f64, volume: f64): f64 {
    return qt.ind_update(this.handle, high, low, close, volume);
  }

  updateCandle(c: Candle): f64 {
    return qt.ind_update(this.handle, c.high, c.low, c.close, c.volume);
  }

  /** The latest value of output `output` (0 is the main output). */
  value(output: i32 = 0): f64 {
    return qt.ind_value(this.handle, output);
  }
}
