import { describe, expect, it } from 'vitest';
import {
  barsPerYear,
  cagr,
  drawdowns,
  returnsOf,
  runBacktest,
  sharpe,
  sortino,
  tripStats,
} from '../src/index.ts';
import { place, ScriptedDriver } from './fixtures/drivers.ts';
import { candle, MINUTE, spec, T0 } from './fixtures/market.ts';

describe('metrics on hand-computed cases', () => {
  it('computes simple returns between samples', () => {
    expect(returnsOf([100, 110, 99])).toEqual([110 / 100 - 1, 99 / 110 - 1]);
  });

  it('computes the maximum drawdown and the longest time under water', () => {
    // peak 120 at t=1, trough 90 at t=3 (25%), recovered at t=5: 4 ms under water; then 130 -> 117 to the end.
    const d = drawdowns([0, 1, 2, 3, 4, 5, 6, 7], [100, 120, 108, 90, 110, 125, 130, 117]);
    expect(d.max).toBeCloseTo(0.25, 12);
    expect(d.maxDurationMs).toBe(3);
    expect(d.curve.map((x) => Number(x.toFixed(6)))).toEqual(
      [0, 0, 0.1, 0.25, 1 / 12, 0, 0, 0.1].map((x) => Number(x.toFixed(6))),
    );
  });

  it('annualises Sharpe and Sortino from per-bar returns (risk-free 0, sample stdev)', () => {
    const r = [0.01, -0.02, 0.03, 0.0];
    // mean 0.005; deviations .005 -.025 .025 -.005 -> squares sum 0.0013; / 3 -> stdev sqrt(0.0013/3)
    const perYear = barsPerYear(86_400_000);
    expect(perYear).toBe(365);
    expect(sharpe(r, perYear)).toBeCloseTo((0.005 / Math.sqrt(0.0013 / 3)) * Math.sqrt(365), 10);
    // downside: only -0.02 -> sqrt(0.0004 / 4) = 0.01
    expect(sortino(r, perYear)).toBeCloseTo((0.005 / 0.01) * Math.sqrt(365), 10);
    expect(sharpe([0.01, 0.01], 365)).toBeNull();
    expect(sortino([0.01, 0.02], 365)).toBeNull();
  });

  it('computes CAGR over the sampled time span', () => {
    expect(cagr(100, 121, 2)).toBeCloseTo(0.1, 12);
    expect(cagr(100, 121, 0)).toBeNull();
  });

  it('computes win rate and profit factor of known round trips', () => {
    expect(tripStats([10, -5, 20, -5, 0])).toEqual({ winRate: 0.4, profitFactor: 3 });
    expect(tripStats([10])).toEqual({ winRate: 1, profitFactor: null });
    expect(tripStats([])).toEqual({ winRate: null, profitFactor: null });
  });

  it('books a round trip whose pnl is the spread and both fees, to the unit', async () => {
    // Buy 0.5 at candle 1's open ask 50,100.01; sell 0.5 at candle 2's open bid 50,199.99. Taker 10 bps.
    const bars = [
      candle(0, T0, 5_000_000, 5_000_000, 5_000_000, 5_000_000),
      candle(0, T0 + MINUTE, 5_010_000, 5_010_000, 5_010_000, 5_010_000),
      candle(0, T0 + 2 * MINUTE, 5_020_000, 5_020_000, 5_020_000, 5_020_000),
      candle(0, T0 + 3 * MINUTE, 5_020_000, 5_020_000, 5_020_000, 5_020_000),
    ];
    const driver = new ScriptedDriver({
      0: [place(1, 'buy', 'market', '0.5')],
      1: [place(2, 'sell', 'market', '0.5')],
    });
    const r = await runBacktest(spec(4), driver, bars);
    // buy quote 25,050.005 fee 25.050005; sell quote 25,099.995 fee 25.099995
    expect(r.roundTrips).toEqual([
      expect.objectContaining({
        side: 'long',
        entryPrice: '50100.01',
        exitPrice: '50199.99',
        quantity: '0.5',
        pnl: '-0.16',
      }),
    ]);
    expect(r.metrics.feesPaid).toEqual({ USDT: '50.15' });
    expect(r.metrics.winRate).toBe(0);
    expect(r.metrics.finalEquity).toBe('99999.84');
    expect(r.metrics.totalReturn).toBeCloseTo(-0.16 / 100_000, 12);
    // exposure: the position is held at the close of candle 1 only, of 4 bars
    expect(r.metrics.exposure).toBe(0.25);
    expect(r.balances).toEqual([
      { asset: 'BTC', free: '0', locked: '0' },
      { asset: 'USDT', free: '99999.84', locked: '0' },
    ]);
  });
});
