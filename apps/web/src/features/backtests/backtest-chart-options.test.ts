import type { Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { equityChartOption, fillsChartOption } from './backtest-chart-options';
import { fillMarkers } from './fill-markers';

const kline = (openTime: number, close: string): Kline => ({
  venue: 'binance',
  symbol: 'BTC-USDT',
  interval: '1s',
  openTime,
  closeTime: openTime + 999,
  open: '100',
  high: '102',
  low: '99',
  close,
  baseVolume: '1',
  quoteVolume: '100',
  takerBuyBaseVolume: '0.5',
  tradeCount: 3,
  closed: true,
});

describe('equityChartOption', () => {
  it('draws buy and hold beside the equity, dashed, on the equity axis, in the legend', () => {
    const curve: [number, number][] = [
      [1, 10_000],
      [2, 10_250.5],
    ];
    const option = equityChartOption([[1, 10_000]], [[1, 0]], { label: 'Buy & hold BTC-USDT', curve });
    const bh = option.series.find((s) => s.id === 'buyAndHold');
    expect(bh).toMatchObject({ name: 'Buy & hold BTC-USDT', type: 'line', data: curve });
    expect(bh && 'xAxisIndex' in bh).toBe(false); // the top grid, with the equity
    expect(option.legend.data).toEqual(['Equity', 'Buy & hold BTC-USDT']);
    expect(equityChartOption([[1, 10_000]], [[1, 0]], null).series.map((s) => s.id)).toEqual([
      'equity',
      'drawdown',
    ]);
  });

  it('draws equity on top and drawdown below as a negative percentage', () => {
    const option = equityChartOption(
      [
        [1, 10_000],
        [2, 9_900],
      ],
      [
        [1, 0],
        [2, 0.01],
      ],
    );
    expect(option.series[0]?.data).toEqual([
      [1, 10_000],
      [2, 9_900],
    ]);
    expect(option.series[1]?.data).toEqual([
      [1, -0],
      [2, -1],
    ]);
  });
});

describe('fillsChartOption', () => {
  it('splits the markers into a buy and a sell series at their candle and price', () => {
    const candles = [kline(1000, '101'), kline(2000, '100')];
    const markers = fillMarkers(
      [
        {
          time: 1200,
          venue: 'binance',
          symbol: 'BTC-USDT',
          side: 'buy',
          price: '100.5',
          quantity: '1',
          fee: '0.1',
        },
        {
          time: 2500,
          venue: 'binance',
          symbol: 'BTC-USDT',
          side: 'sell',
          price: '101',
          quantity: '1',
          fee: '0.1',
        },
      ],
      { venue: 'binance', symbol: 'BTC-USDT' },
      candles.map((k) => k.openTime),
      1000,
    );
    const option = fillsChartOption(candles, markers, '1s');
    const [price, buys, sells] = option.series;
    expect(price?.data).toEqual([
      [100, 101, 99, 102],
      [100, 100, 99, 102],
    ]);
    expect(buys?.data.map((d) => (d as { value: number[] }).value)).toEqual([[0, 100.5]]);
    expect(sells?.data.map((d) => (d as { value: number[] }).value)).toEqual([[1, 101]]);
  });
});
