import type { BacktestMetricsView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { metricCards } from './backtest-metrics';

const base: BacktestMetricsView = {
  totalReturn: 0.0523,
  cagr: 12.5,
  sharpe: 1.234,
  sortino: null,
  maxDrawdown: 0.031,
  winRate: 0.6,
  profitFactor: 1.8,
  exposure: 0.25,
  startEquity: '10000',
  endEquity: '10523.4',
  fees: '3.2',
  orders: 8,
  fills: 8,
  rejections: 1,
  roundTrips: 4,
  candles: 7200,
  trades: 0,
};

const byKey = (m: BacktestMetricsView) => Object.fromEntries(metricCards(m, 'USDT').map((c) => [c.key, c]));

describe('metricCards', () => {
  it('counts trades instead of candles for a run that replayed trades', () => {
    expect(byKey({ ...base, trades: 15_000 }).candles).toMatchObject({ label: 'Trades', value: '15,000' });
  });

  it('shows ratios as percentages and money as exact decimals', () => {
    const cards = byKey(base);
    expect(cards.totalReturn).toMatchObject({ value: '+5.23%', tone: 'up' });
    expect(cards.endEquity).toMatchObject({ value: '10,523.40 USDT', tone: 'up' });
    expect(cards.fees?.value).toBe('3.20 USDT');
    expect(cards.sharpe?.value).toBe('1.23');
    expect(cards.candles).toMatchObject({ label: 'Candles', value: '7,200' });
    expect(cards.fills).toMatchObject({ value: '8 / 8', hint: '1 rejected' });
  });

  it('shows drawdown as a loss whichever sign the engine uses', () => {
    expect(byKey(base).maxDrawdown?.value).toBe('-3.10%');
    expect(byKey({ ...base, maxDrawdown: -0.031 }).maxDrawdown?.value).toBe('-3.10%');
  });

  it('shows a dash for what the run cannot define, and a loss in red', () => {
    const cards = byKey({ ...base, sortino: null, winRate: null, totalReturn: -0.01, endEquity: '9900' });
    expect(cards.sortino?.value).toBe('—');
    expect(cards.winRate?.value).toBe('—');
    expect(cards.totalReturn).toMatchObject({ value: '-1.00%', tone: 'down' });
    expect(cards.endEquity?.tone).toBe('down');
  });

  it('says "n/a — run too short" on the annualised cards when the engine withheld them', () => {
    const note = {
      code: 'RUN_TOO_SHORT',
      message: 'CAGR, Sharpe and Sortino are not shown: the run covers 6 min with 360 returns; …',
      details: { spanMs: 360_000, returns: 360, minSpanMs: 30 * 86_400_000, minReturns: 30 },
    };
    const cards = byKey({ ...base, cagr: null, sharpe: null, sortino: null, notes: [note] });
    for (const key of ['cagr', 'sharpe', 'sortino']) {
      expect(cards[key]).toMatchObject({
        value: 'n/a — run too short (6 min; annualised figures need ≥ 30 days)',
        tone: 'neutral',
        hint: note.message,
      });
    }
    // Other notes leave the cards alone.
    expect(byKey({ ...base, notes: [{ ...note, code: 'DATA_GAPS' }] }).sharpe?.value).toBe('1.23');
  });
});
