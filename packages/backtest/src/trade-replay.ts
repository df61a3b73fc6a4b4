import { AMOUNT_SCALE, formatScaled, parseScaled, type Trade, tryParseUnits } from '@qt/shared';
import type { CandleEvent } from '@qt/strategy-runtime';
import type { BacktestRun } from './backtest-run.ts';
import { gridOf, type InstrumentGrid } from './candle-path.ts';
import { BacktestError } from './errors.ts';

interface OpenCandle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Exact base volume in units of 10^-18. */
  volume: bigint;
}

/**
 * Trades mode: real trades drive the matcher, and the strategy's candles are cut from them with the
 * kline aggregator's semantics (epoch-aligned intervals, open = first trade, close = last, high/low by
 * value, volume the exact sum, no candle for an interval without trades). A candle closes at
 * openTime + interval - 1, delivered before any later event (trade or timer), candles of one close time
 * in instrument order. onTrade is called for every trade after the matcher saw it. Each trade is
 * preceded by a synthetic quote around it (see push).
 */
export class TradeReplay {
  readonly #run: BacktestRun;
  readonly #open: (OpenCandle | null)[];
  readonly #intervalSeconds: number;
  readonly #grids: InstrumentGrid[];
  readonly #halfSpread: number[];
  #lastTime = -1;
  #first = true;

  constructor(run: BacktestRun) {
    this.#run = run;
    this.#open = run.spec.instruments.map(() => null);
    this.#intervalSeconds = run.spec.intervalMs / 1000;
    this.#grids = run.spec.instruments.map(gridOf);
    this.#halfSpread = this.#grids.map((g) => g.tickUnits * run.spec.halfSpreadTicks);
  }

  push(t: Trade): void {
    const run = this.#run;
    const k = run.instrumentIndex.get(`${t.venue}|${t.symbol}`);
    if (k === undefined) {
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `Trade for ${t.venue} ${t.symbol}, which the spec does not list.`,
      );
    }
    const time = t.exchangeTime;
    if (time < this.#lastTime) {
      throw new BacktestError(
        'BACKTEST_DATA_OUT_OF_ORDER',
        `Trades must come in time order: ${time} after ${this.#lastTime}.`,
      );
    }
    if (time < run.spec.start || time >= run.spec.end) return;
    this.#lastTime = time;
    const price = Number(t.price);
    if (!(price > 0))
      throw new BacktestError('BACKTEST_DATA_INVALID', `Trade ${t.tradeId}: price "${t.price}".`);
    let volume: bigint;
    try {
      volume = parseScaled(t.quantity, AMOUNT_SCALE, 'down');
    } catch {
      throw new BacktestError('BACKTEST_DATA_INVALID', `Trade ${t.tradeId}: quantity "${t.quantity}".`);
    }
    this.#closeBefore(time);
    if (!run.running) return;
    run.advanceTo(time);
    run.step();
    if (!run.running) return;
    // Trades carry no book: a synthetic quote at the trade price -/+ halfSpread ticks goes first (the
    // candles-mode model), so a taker after this trade pays the spread instead of a stale top.
    const g = this.#grids[k] as InstrumentGrid;
    const units = tryParseUnits(t.price, g.scale);
    const quantity = Number(t.quantity);
    if (units > 0) {
      const hs = this.#halfSpread[k] as number;
      run.session.onQuoteUnits(k, Math.max(units - hs, g.tickUnits), units + hs, t.quantity, time);
      // On the grid, a trade no order of ours can meet goes in as numbers (what onTrade would read).
      if (!run.session.onQuietTrade(k, units, quantity)) run.session.onTrade(k, t, units);
    } else run.session.onTrade(k, t);
    run.trades++;
    const ms = run.spec.intervalMs;
    const openTime = time - (time % ms);
    const c = this.#open[k];
    if (c && c.openTime === openTime) {
      if (price > c.high) c.high = price;
      if (price < c.low) c.low = price;
      c.close = price;
      c.volume += volume;
    } else {
      this.#open[k] = { openTime, open: price, high: price, low: price, close: price, volume };
    }
    run.deliver();
    if (this.#first) {
      this.#first = false;
      run.sample(time, false);
    }
    run.call(() => run.driver.onTrade(k, { time, price, quantity, takerSide: t.takerSide }));
    run.deliver();
  }

  /** Closes the candles still open at the end of the data. */
  flush(): void {
    this.#closeBefore(Number.POSITIVE_INFINITY);
  }

  /** Delivers every open candle whose close time is before `time`, in (close time, instrument) order. */
  #closeBefore(time: number): void {
    const run = this.#run;
    const ms = run.spec.intervalMs;
    for (;;) {
      let next = Number.POSITIVE_INFINITY;
      for (const c of this.#open) if (c && c.openTime + ms - 1 < next) next = c.openTime + ms - 1;
      if (!(next < time) || !run.running) return;
      run.advanceTo(next);
      run.step();
      this.#open.forEach((c, k) => {
        if (!c || c.openTime + ms - 1 !== next) return;
        this.#open[k] = null;
        const event: CandleEvent = {
          intervalSeconds: this.#intervalSeconds,
          openTime: c.openTime,
          open: c.open,
          high: c.high,
          low: c.low,
          close: c.close,
          volume: Number(formatScaled(c.volume, AMOUNT_SCALE)),
        };
        run.callCandle(k, event);
        run.deliver();
      });
      run.sample(next, true);
    }
  }
}
