// Bollinger breakout, long only: buy `quantity` when a candle closes above the upper band (host `bbands`,
// `period` candles, `mult` standard deviations) while flat; sell the whole position when a candle closes
// below the middle band.
import {
  buy,
  Candle,
  Indicator,
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

const UPPER: i32 = 1;

class BollingerBreakout extends Strategy {
  private quantity: f64 = 0;
  private bands: Indicator[] = [];

  onInit(): i32 {
    const period = paramInt('period', 20);
    const mult = param('mult', 2);
    this.quantity = param('quantity', 1);
    if (period < 2 || !(mult > 0) || !(this.quantity > 0)) {
      log.error('need period >= 2, mult > 0 and quantity > 0');
      return 1;
    }
    for (let i = 0, n = instrumentCount(); i < n; i++) this.bands.push(Indicator.bbands(period, mult));
    return 0;
  }

  onCandle(instrument: i32, candle: Candle): void {
    const bands = this.bands[instrument];
    const middle = bands.updateCandle(candle);
    if (isNaN(middle)) return;
    const upper = bands.value(UPPER);
    const held = position(instrument);
    if (candle.close > upper && held <= 0) {
      buy(instrument, this.quantity);
    } else if (candle.close < middle && held > 0) {
      sell(instrument, held);
    }
  }
}

register(new BollingerBreakout());
