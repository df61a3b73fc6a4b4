// RSI mean reversion, long only: buy `quantity` when Wilder's RSI (host indicator) closes below `oversold`
// while flat; sell the whole position when it closes above `overbought`.
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

class RsiMeanReversion extends Strategy {
  private oversold: f64 = 30;
  private overbought: f64 = 70;
  private quantity: f64 = 0;
  private rsi: Indicator[] = [];

  onInit(): i32 {
    const period = paramInt('period', 14);
    this.oversold = param('oversold', 30);
    this.overbought = param('overbought', 70);
    this.quantity = param('quantity', 1);
    if (period < 2 || !(this.oversold < this.overbought) || !(this.quantity > 0)) {
      log.error('need period >= 2, oversold < overbought and quantity > 0');
      return 1;
    }
    for (let i = 0, n = instrumentCount(); i < n; i++) this.rsi.push(Indicator.rsi(period));
    return 0;
  }

  onCandle(instrument: i32, candle: Candle): void {
    const rsi = this.rsi[instrument].updateCandle(candle);
    if (isNaN(rsi)) return;
    const held = position(instrument);
    if (rsi < this.oversold && held <= 0) {
      buy(instrument, this.quantity);
    } else if (rsi > this.overbought && held > 0) {
      sell(instrument, held);
    }
  }
}

register(new RsiMeanReversion());
