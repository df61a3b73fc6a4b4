// Moving-average crossover, long only: buy `quantity` on a golden cross (fast SMA rises above slow SMA)
// when flat, sell the whole position on a death cross. The SMAs are computed here in O(1) per candle rather
// than by the host indicator, so a benchmark of this module measures WebAssembly, not host calls.
import {
  buy,
  Candle,
  instrumentCount,
  log,
  param,
  paramInt,
  position,
  register,
  Strategy,
  sell,
} from '@qt/strategy-sdk';

export * from '@qt/strategy-sdk/exports';

/** A simple moving average over a ring buffer with a running sum. */
class RollingMean {
  private readonly window: StaticArray<f64>;
  private next: i32 = 0;
  private count: i32 = 0;
  private sum: f64 = 0;

  constructor(readonly period: i32) {
    this.window = new StaticArray<f64>(period);
  }

  /** Adds a value; returns the mean of the last `period` values, NaN until there are that many. */
  push(value: f64): f64 {
    if (this.count == this.period) {
      this.sum -= unchecked(this.window[this.next]);
    } else {
      this.count++;
    }
    unchecked((this.window[this.next] = value));
    this.sum += value;
    this.next = this.next + 1 == this.period ? 0 : this.next + 1;
    return this.count == this.period ? this.sum / <f64>this.period : NaN;
  }
}

class InstrumentState {
  readonly fast: RollingMean;
  readonly slow: RollingMean;
  /** fast - slow on the previous candle, NaN while either average warms up. */
  lastSpread: f64 = NaN;

  constructor(fast: i32, slow: i32) {
    this.fast = new RollingMean(fast);
    this.slow = new RollingMean(slow);
  }
}

class SmaCrossover extends Strategy {
  private quantity: f64 = 0;
  private states: InstrumentState[] = [];

  onInit(): i32 {
    const fast = paramInt('fast', 10);
    const slow = paramInt('slow', 30);
    this.quantity = param('quantity', 1);
    if (fast < 1 || slow <= fast || !(this.quantity > 0)) {
      log.error('need 1 <= fast < slow and quantity > 0');
      return 1;
    }
    for (let i = 0, n = instrumentCount(); i < n; i++) this.states.push(new InstrumentState(fast, slow));
    return 0;
  }

  onCandle(instrument: i32, candle: Candle): void {
    const state = this.states[instrument];
    const spread = state.fast.push(candle.close) - state.slow.push(candle.close);
    const last = state.lastSpread;
    state.lastSpread = spread;
    // NaN compares false, so nothing happens until both averages have a previous value.
    if (last <= 0 && spread > 0) {
      if (position(instrument) <= 0) buy(instrument, this.quantity);
    } else if (last >= 0 && spread < 0) {
      const held = position(instrument);
      if (held > 0) sell(instrument, held);
    }
  }
}

register(new SmaCrossover());
