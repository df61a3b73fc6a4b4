import type { Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { baseChartOption } from './chart-option';
import {
  addOverlay,
  MAX_PANES,
  type Overlay,
  overlayData,
  overlayLabel,
  paneLayout,
  parseOverlayParams,
  withOverlays,
} from './indicator-overlays';

function candle(i: number, close: number): Kline {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime: i * 60_000,
    closeTime: i * 60_000 + 59_999,
    open: String(close),
    high: String(close + 1),
    low: String(close - 1),
    close: String(close),
    baseVolume: '1',
    quoteVolume: String(close),
    takerBuyBaseVolume: '0.5',
    tradeCount: 1,
    closed: true,
  };
}

const candles = [10, 11, 12, 13, 14, 15].map((c, i) => candle(i, c));
const base = () => baseChartOption({ interval: '1m', priceDecimals: 2, tooltip: () => '' });

function overlays(...kinds: Overlay['kind'][]): Overlay[] {
  let list: Overlay[] = [];
  kinds.forEach((k, i) => {
    list = addOverlay(list, k, `o${i}`).list;
  });
  return list;
}

describe('addOverlay', () => {
  it('adds an indicator with its chart preset and a colour of its own', () => {
    const list = overlays('sma', 'ema');
    expect(list.map(overlayLabel)).toEqual(['SMA 20', 'EMA 50']);
    expect(list[0]?.color).not.toBe(list[1]?.color);
  });

  it('refuses a third oscillator pane, saying why', () => {
    const list = overlays('rsi', 'macd');
    const third = addOverlay(list, 'rsi', 'x');
    expect(third.list).toHaveLength(MAX_PANES);
    expect(third.refused).toMatch(/panes/);
    expect(addOverlay(list, 'sma', 'y').refused).toBeNull();
  });
});

describe('parseOverlayParams', () => {
  const [sma] = overlays('sma');
  const [macd] = overlays('macd');

  it('reads numbers in catalog order and keeps the ones left off', () => {
    if (!sma || !macd) throw new Error('fixtures');
    expect(parseOverlayParams(sma, '5')).toEqual({ ok: true, params: { period: 5 } });
    expect(parseOverlayParams(macd, '8, 21')).toEqual({ ok: true, params: { fast: 8, slow: 21, signal: 9 } });
  });

  it('refuses what the indicators package refuses, with its message', () => {
    if (!sma) throw new Error('fixtures');
    const one = parseOverlayParams(sma, '1');
    expect(one.ok).toBe(false);
    if (!one.ok) expect(one.message).toMatch(/period must be an integer between 2/);
    expect(parseOverlayParams(sma, '2.5').ok).toBe(false);
    expect(parseOverlayParams(sma, 'abc').ok).toBe(false);
    expect(parseOverlayParams(sma, '5 6').ok).toBe(false);
  });
});

describe('overlayData', () => {
  it('computes each output aligned with the candles, gaps during warm-up', () => {
    const [sma] = overlays('sma');
    if (!sma) throw new Error('fixtures');
    const data = overlayData([{ ...sma, params: { period: 3 } }], candles);
    expect(data).toEqual([{ id: 'ov-o0-value', data: ['-', '-', 11, 12, 13, 14] }]);
  });

  it('gives Bollinger three bands and MACD its three outputs', () => {
    const ids = overlayData(overlays('bbands', 'macd'), candles).map((d) => d.id);
    expect(ids).toEqual([
      'ov-o0-middle',
      'ov-o0-upper',
      'ov-o0-lower',
      'ov-o1-macd',
      'ov-o1-signal',
      'ov-o1-histogram',
    ]);
  });
});

describe('withOverlays', () => {
  it('leaves the option as it is without overlays', () => {
    const option = base();
    expect(withOverlays(option, [])).toBe(option);
  });

  it('draws price overlays on the price grid and gives oscillators panes of their own', () => {
    const option = withOverlays(base(), overlays('sma', 'rsi', 'macd'));
    expect(option.grid).toHaveLength(4);
    expect(option.xAxis.map((a) => a.gridIndex)).toEqual([0, 1, 2, 3]);
    expect(option.yAxis).toHaveLength(4);
    const byId = Object.fromEntries(option.series.map((s) => [s.id, s]));
    expect(byId['ov-o0-value']).not.toHaveProperty('xAxisIndex');
    expect(byId['ov-o1-value']).toMatchObject({ xAxisIndex: 2, yAxisIndex: 2 });
    expect(byId['ov-o2-histogram']).toMatchObject({ type: 'bar', xAxisIndex: 3, yAxisIndex: 3 });
    expect(option.dataZoom.every((z) => (z.xAxisIndex as number[]).length === 4)).toBe(true);
    // The candles and volume keep their own series and axes.
    expect(byId.candles).toBeDefined();
    expect(byId.volume).toMatchObject({ xAxisIndex: 1, yAxisIndex: 1 });
  });
});

describe('paneLayout', () => {
  it('shrinks the price grid for each pane, keeping panes above the volume grid', () => {
    const two = paneLayout(2);
    expect(two.price.height).toBe('38%');
    expect(two.panes.map((p) => p.top)).toEqual(['44%', '59%']);
    expect(Number.parseFloat(two.panes[1]?.top ?? '') + 11).toBeLessThan(78);
  });
});
