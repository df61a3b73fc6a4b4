import { recomputeKlines } from '@qt/market-data';
import type { CandleEvent } from '@qt/strategy-runtime';
import { describe, expect, it } from 'vitest';
import { runBacktest, serializeResult } from '../src/index.ts';
import { BaseDriver, place, ScriptedDriver } from './fixtures/drivers.ts';
import { BTC, ETH, MINUTE, randomTrades, spec, T0 } from './fixtures/market.ts';

const lastTime = (trades: readonly { exchangeTime: number }[]) =>
  trades[trades.length - 1]?.exchangeTime ?? T0;

const toEvent = (k: {
  openTime: number;
  open: string;
  high: string;
  low: string;
  close: string;
  baseVolume: string;
}): CandleEvent => ({
  intervalSeconds: 60,
  openTime: k.openTime,
  open: Number(k.open),
  high: Number(k.high),
  low: Number(k.low),
  close: Number(k.close),
  volume: Number(k.baseVolume),
});

describe('trades mode', () => {
  it('shows the strategy the candles the kline reference computes from the same trades, and every trade', async () => {
    const trades = randomTrades(3_000, 21, 5_000_000, [BTC, ETH]);
    const end = lastTime(trades) + 1;
    const bars = Math.ceil((end - T0) / MINUTE) + 1;
    const driver = new BaseDriver();
    const r = await runBacktest(
      spec(bars, { instruments: [BTC, ETH], mode: 'trades', initialBalances: { USDT: '1000' } }),
      driver,
      trades,
    );
    expect(r.status).toBe('completed');
    expect(r.metrics.tradesProcessed).toBe(3_000);
    expect(driver.tradesSeen).toHaveLength(3_000);
    const reference = recomputeKlines(trades, '1m')
      .map((k) => ({ instrument: k.symbol === BTC.symbol ? 0 : 1, candle: toEvent(k) }))
      .sort((a, b) => a.candle.openTime - b.candle.openTime || a.instrument - b.instrument);
    expect(driver.candles).toEqual(reference);
    expect(reference.length).toBeGreaterThan(100);
  });

  it('gives a candles-mode run over those candles the same candle events', async () => {
    const trades = randomTrades(1_000, 5);
    const klines = recomputeKlines(trades, '1m');
    const bars = Math.ceil((lastTime(trades) - T0) / MINUTE) + 1;
    const fromTrades = new BaseDriver();
    const fromCandles = new BaseDriver();
    await runBacktest(spec(bars, { mode: 'trades' }), fromTrades, trades);
    await runBacktest(spec(bars), fromCandles, klines);
    expect(fromCandles.candles).toEqual(fromTrades.candles);
  });

  it('fills orders against real trades, deterministically', async () => {
    const trades = randomTrades(2_000, 8);
    const bars = Math.ceil((lastTime(trades) - T0) / MINUTE) + 1;
    const run = async () => {
      const driver = new ScriptedDriver({
        2: [place(1, 'buy', 'limit', '0.05', '49950')],
        5: [place(2, 'buy', 'market', '0.05')],
        30: [place(3, 'sell', 'market', '0.1')],
      });
      return runBacktest(spec(bars, { mode: 'trades' }), driver, trades);
    };
    const a = await run();
    expect(a.fills.length).toBeGreaterThan(1);
    expect(serializeResult(await run())).toBe(serializeResult(a));
  });
});
