import { describe, expect, it } from 'vitest';
import type { SimCandle } from '../src/history/sim-candles.ts';
import { HISTORY_ID_FLOOR, minuteTrades } from '../src/history/sim-trades.ts';

const T0 = Date.UTC(2026, 1, 9, 12, 30);

function candle(over: Partial<SimCandle> = {}): SimCandle {
  return {
    openTime: T0,
    open: 6_160_000,
    high: 6_164_200,
    low: 6_158_100,
    close: 6_162_500,
    lots: 1_250,
    buyLots: 600,
    quoteUnits: 0n,
    trades: 300,
    ...over,
  };
}

describe('simulated history trades of a minute', () => {
  it('aggregate to the candle: count, open, high, low, close and volume; ids and times in order', () => {
    const c = candle();
    const trades = minuteTrades(c);
    expect(trades).toHaveLength(c.trades);
    expect(trades[0]?.ticks).toBe(c.open);
    expect(trades.at(-1)?.ticks).toBe(c.close);
    expect(Math.max(...trades.map((t) => t.ticks))).toBe(c.high);
    expect(Math.min(...trades.map((t) => t.ticks))).toBe(c.low);
    expect(trades.reduce((n, t) => n + t.lots, 0)).toBe(c.lots);
    expect(trades.every((t) => t.lots >= 1)).toBe(true);
    const buy = trades.filter((t) => t.buy).reduce((n, t) => n + t.lots, 0);
    expect(buy).toBeLessThanOrEqual(c.buyLots);
    for (let i = 1; i < trades.length; i++) {
      const [a, b] = [trades[i - 1], trades[i]] as [(typeof trades)[0], (typeof trades)[0]];
      expect(b.id).toBe(a.id + 1);
      expect(b.time).toBeGreaterThanOrEqual(a.time);
    }
    expect(trades[0]?.id).toBeGreaterThanOrEqual(HISTORY_ID_FLOOR);
    expect(trades.every((t) => t.time >= T0 && t.time < T0 + 60_000)).toBe(true);
  });

  it('are a function of the candle alone', () => {
    expect(minuteTrades(candle())).toEqual(minuteTrades(candle()));
    expect(minuteTrades(candle({ close: 6_162_600 }))).not.toEqual(minuteTrades(candle()));
  });

  it('with fewer than four trades stay within the candle high and low', () => {
    for (const trades of [1, 2, 3]) {
      const c = candle({ trades, lots: 7 });
      const out = minuteTrades(c);
      expect(out).toHaveLength(trades);
      expect(out.every((t) => t.ticks >= c.low && t.ticks <= c.high)).toBe(true);
      expect(out.reduce((n, t) => n + t.lots, 0)).toBe(7);
    }
  });
});
