import { describe, expect, it } from 'vitest';
import type { Overlay } from './indicator-overlays';
import { overlayLegendRows } from './indicator-overlays-legend';

const sma: Overlay = { id: 'a', kind: 'sma', params: { period: 20 }, color: '#fbbf24' };
const rsi: Overlay = { id: 'b', kind: 'rsi', params: { period: 14 }, color: '#38bdf8' };
const data = [
  { id: 'ov-a-value', data: ['-', 64000.123, 64010.5] },
  { id: 'ov-b-value', data: ['-', '-', 55.5555] },
];

describe('indicator legend', () => {
  it('shows the newest values by default, at the price decimals on price and two in panes', () => {
    expect(overlayLegendRows([sma, rsi], data, null, 1)).toEqual([
      { id: 'a', label: 'SMA 20', color: '#fbbf24', values: '64010.5' },
      { id: 'b', label: 'RSI 14', color: '#38bdf8', values: '55.56' },
    ]);
  });

  it('shows the values at the crosshair, with a dash while an indicator warms up', () => {
    const rows = overlayLegendRows([sma, rsi], data, 1, 2);
    expect(rows.map((r) => r.values)).toEqual(['64000.12', '—']);
  });
});
