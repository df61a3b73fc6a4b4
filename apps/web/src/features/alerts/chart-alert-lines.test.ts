import type { AlertView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { alertLinesOf, alertLinesSeries, levelAt } from './chart-alert-lines';

const alert = (over: Partial<AlertView>): AlertView => ({
  id: '6f1c2d3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f',
  name: 'a',
  venue: 'binance',
  symbol: 'BTC-USDT',
  condition: { kind: 'price', op: 'crosses', value: '65000.5' },
  trigger: { mode: 'once' },
  expiresAt: null,
  message: '',
  channels: [],
  state: 'active',
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

describe('price alert lines on the chart', () => {
  it('draws the active price-level alerts of the shown market only', () => {
    const lines = alertLinesOf(
      [
        alert({ id: '1' }),
        alert({ id: '2', state: 'paused' }),
        alert({ id: '3', symbol: 'ETH-USDT' }),
        alert({ id: '4', condition: { kind: 'range', op: 'entersRange', low: '1', high: '2' } }),
        alert({ id: '5', condition: { kind: 'rsi', op: 'above', value: 70 } }),
      ],
      'binance',
      'BTC-USDT',
    );
    expect(lines).toEqual([{ alertId: '1', level: '65000.5', label: 'a' }]);
    const series = alertLinesSeries(lines, (l) => `[${l}]`);
    expect(series.markLine.data).toEqual([{ yAxis: 65000.5, name: 'Alert [65000.5]' }]);
  });

  it('turns a clicked position into a level on the tick grid, and nothing for no position', () => {
    expect(levelAt(65000.12345, 2)).toBe('65000.12');
    expect(levelAt(0.000123456, 6)).toBe('0.000123');
    expect(levelAt(42.7, 0)).toBe('43');
    expect(levelAt(Number.NaN, 2)).toBeNull();
    expect(levelAt(-1, 2)).toBeNull();
  });
});
