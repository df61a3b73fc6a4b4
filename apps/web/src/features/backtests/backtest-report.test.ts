import type { BacktestReportView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { atStep, coverageLines, precisionOf, spanText, tooShortText } from './backtest-report';

const MIN = 60_000;

describe('backtest report helpers', () => {
  it('writes spans as the engine does', () => {
    expect(spanText(6 * MIN)).toBe('6 min');
    expect(spanText(125 * MIN)).toBe('2 h 5 min');
    expect(spanText(3.5 * 86_400_000)).toBe('3.5 days');
  });

  it('formats the too-short text from the note', () => {
    const note = {
      code: 'RUN_TOO_SHORT',
      message: '',
      details: { spanMs: 6 * MIN, minSpanMs: 30 * 86_400_000 },
    };
    expect(tooShortText(note)).toBe('n/a — run too short (6 min; annualised figures need ≥ 30 days)');
  });

  it('rounds prices and quantities to the tick and lot, half-even on the digits', () => {
    expect(atStep('51500.00666666666667', '0.01')).toBe('51,500.01');
    expect(atStep('0.12345', '0.0001')).toBe('0.1234'); // half-even: 4 stays
    expect(atStep('0.12355', '0.0001')).toBe('0.1236');
    expect(atStep('2', '0.001')).toBe('2.000');
    expect(atStep('1234.5', '1')).toBe('1,234'); // half-even to a whole-unit tick
    expect(atStep('-3.005', '0.01')).toBe('-3.00');
    expect(atStep('7.25', undefined)).toBe('7.25');
  });

  const report: BacktestReportView = {
    notes: [],
    coverage: [
      {
        venue: 'binance',
        symbol: 'BTC-USDT',
        firstCandle: 10 * MIN,
        lastCandle: 50 * MIN,
        candles: 38,
        missing: 3,
        gaps: 2,
        largestGaps: [],
      },
      {
        venue: 'binance',
        symbol: 'ETH-USDT',
        firstCandle: null,
        lastCandle: null,
        candles: 0,
        missing: 0,
        gaps: 0,
        largestGaps: [],
      },
    ],
    firstOrderAfterCandles: null,
    buyAndHold: null,
    trips: [],
    totals: { trips: 0, wins: 0, losses: 0, pnl: '0', fees: '0' },
    instruments: [{ venue: 'binance', symbol: 'BTC-USDT', tickSize: '0.01', lotSize: '0.00001' }],
  };

  it('sets the requested range against the candles used', () => {
    const lines = coverageLines({ from: 0, to: 60 * MIN, interval: '1m' }, report, (ms) => `t${ms / MIN}`);
    expect(lines).toEqual([
      {
        instrument: 'binance:BTC-USDT',
        requested: 't0 → t60 · 60 candles expected',
        used: 't10 → t51 · 38 candles · 3 missing in 2 gaps',
        complete: false,
      },
      {
        instrument: 'binance:ETH-USDT',
        requested: 't0 → t60 · 60 candles expected',
        used: 'no candles',
        complete: false,
      },
    ]);
  });

  it('looks up tick and lot sizes by instrument', () => {
    expect(precisionOf(report)('binance', 'BTC-USDT')).toEqual({ tick: '0.01', lot: '0.00001' });
    expect(precisionOf(report)('okx', 'BTC-USDT')).toEqual({ tick: undefined, lot: undefined });
  });
});
