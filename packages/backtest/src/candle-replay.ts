import type { Trade } from '@qt/shared';
import type { BacktestRun } from './backtest-run.ts';
import { type CandleInput, gridOf, type InstrumentGrid, PathCandle } from './candle-path.ts';
import { BacktestError } from './errors.ts';

const SYNTHETIC = 'synthetic';

/**
 * Candles mode: candles arrive merged across instruments in open-time order; the candles of one open
 * time form a bar and are replayed together, point by point of their paths (candle-path.ts), so the
 * replay clock only moves forward.
 *
 * The hot path allocates only each candle's CandleEvent (the strategy may keep it): paths live in one
 * PathCandle per instrument, and a path trade that cannot touch an order of ours reaches the matcher as
 * units (PaperSession.onQuietTrade); only the others are built as Trade objects from the candle's texts.
 */
export class CandleReplay {
  readonly #run: BacktestRun;
  readonly #grids: InstrumentGrid[];
  readonly #halfSpread: number[];
  readonly #prevClose: number[];
  readonly #intervalSeconds: number;
  readonly #trades: Trade[];
  readonly #paths: PathCandle[];
  readonly #inBar: boolean[];
  #bar: PathCandle[] = [];
  /** The other bar array: the one being replayed while #bar collects (no allocation per bar). */
  #spare: PathCandle[] = [];
  #barTime = -1;
  #first = true;

  constructor(run: BacktestRun) {
    this.#run = run;
    this.#grids = run.spec.instruments.map(gridOf);
    this.#halfSpread = this.#grids.map((g) => g.tickUnits * run.spec.halfSpreadTicks);
    this.#prevClose = this.#grids.map(() => Number.NaN);
    this.#intervalSeconds = run.spec.intervalMs / 1000;
    this.#paths = run.spec.instruments.map((_, k) => new PathCandle(k));
    this.#inBar = run.spec.instruments.map(() => false);
    this.#trades = run.spec.instruments.map((inst) => ({
      venue: inst.venue,
      symbol: inst.symbol,
      venueSymbol: inst.venueSymbol,
      tradeId: SYNTHETIC,
      price: '0',
      quantity: '0',
      takerSide: 'buy',
      exchangeTime: 0,
      receiveTime: 0,
    }));
  }

  push(c: CandleInput): void {
    const run = this.#run;
    const k = this.#instrumentOf(c);
    if ('interval' in c && c.interval !== run.spec.interval) {
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `A ${c.interval} candle in a ${run.spec.interval} backtest.`,
      );
    }
    const t = c.openTime;
    if (t < this.#barTime) {
      throw new BacktestError(
        'BACKTEST_DATA_OUT_OF_ORDER',
        `Candles must come in open-time order: ${t} after ${this.#barTime}.`,
        { openTime: t, previous: this.#barTime },
      );
    }
    if (t < run.spec.start || t + run.spec.intervalMs > run.spec.end) return;
    if (t !== this.#barTime) {
      this.flush();
      this.#barTime = t;
    } else if (this.#inBar[k]) {
      throw new BacktestError('BACKTEST_DATA_INVALID', `Two candles for instrument ${k} at ${t}.`);
    }
    const path = this.#paths[k] as PathCandle;
    path.read(c, this.#grids[k] as InstrumentGrid, this.#intervalSeconds);
    this.#inBar[k] = true;
    this.#bar.push(path);
  }

  /** Replays the buffered bar (call at the end of the data too). */
  flush(): void {
    const bar = this.#bar;
    if (bar.length === 0) return;
    this.#bar = this.#spare;
    // (A one-candle bar is the common case: pop() is cheaper than setting the length.)
    while (this.#bar.length > 0) this.#bar.pop();
    this.#spare = bar;
    for (const c of bar) this.#inBar[c.instrument] = false;
    this.#replay(bar);
  }

  #replay(bar: PathCandle[]): void {
    const run = this.#run;
    const session = run.session;
    const ms = run.spec.intervalMs;
    const openTime = (bar[0] as PathCandle).openTime;
    const n = bar.length;
    run.candles += n;
    for (let i = 0; i < 4; i++) {
      const t = openTime + Math.floor((i * ms) / 4);
      run.advanceTo(t);
      run.step();
      if (!run.running) return;
      for (let j = 0; j < n; j++) {
        const c = bar[j] as PathCandle;
        const k = c.instrument;
        const p = c.units[i] as number;
        const tick = (this.#grids[k] as InstrumentGrid).tickUnits;
        const hs = this.#halfSpread[k] as number;
        const bid = Math.max(p - hs, tick);
        if (Number.isNaN(c.quantityUnits)) session.onQuoteUnits(k, bid, p + hs, c.quantity, t);
        else session.onQuoteSizeUnits(k, bid, p + hs, c.quantityUnits, c.quantityScale, t);
      }
      if (run.hasPendingActions) run.submitPending();
      for (let j = 0; j < n; j++) {
        const c = bar[j] as PathCandle;
        const k = c.instrument;
        const p = c.units[i] as number;
        if (session.onQuietTrade(k, p, c.size)) continue;
        const prev = i === 0 ? (this.#prevClose[k] as number) : (c.units[i - 1] as number);
        // One trade object per instrument, rewritten per point: the matcher reads a trade during the call
        // and keeps nothing of it.
        const trade = this.#trades[k] as Trade;
        trade.price = c.text(i);
        trade.quantity = c.quantity;
        trade.takerSide = Number.isNaN(prev) || p >= prev ? 'buy' : 'sell';
        trade.exchangeTime = t;
        trade.receiveTime = t;
        session.onTrade(k, trade, p);
      }
      run.deliver();
      if (this.#first) {
        // The curve starts at the first open, so the first bar's move counts in the returns.
        this.#first = false;
        run.sample(t, false);
      }
    }
    const closeTime = openTime + ms - 1;
    run.advanceTo(closeTime);
    run.step();
    for (let j = 0; j < n; j++) {
      const c = bar[j] as PathCandle;
      this.#prevClose[c.instrument] = c.units[3];
      run.callCandle(c.instrument, c.event as NonNullable<PathCandle['event']>);
    }
    run.deliver();
    run.sample(closeTime, true);
  }

  #instrumentOf(c: CandleInput): number {
    if ('instrument' in c) {
      if (c.instrument >= 0 && c.instrument < this.#grids.length && Number.isInteger(c.instrument))
        return c.instrument;
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `Candle for unknown instrument index ${c.instrument}.`,
      );
    }
    const k = this.#run.instrumentIndex.get(`${c.venue}|${c.symbol}`);
    if (k === undefined) {
      throw new BacktestError(
        'BACKTEST_DATA_INVALID',
        `Candle for ${c.venue} ${c.symbol}, which the spec does not list.`,
      );
    }
    return k;
  }
}
