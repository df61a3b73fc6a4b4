import type { BacktestResultView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { fillMarkers } from './fill-markers';

type Fill = BacktestResultView['fills'][number];
const btc = { venue: 'binance', symbol: 'BTC-USDT' };
const fill = (time: number, side: 'buy' | 'sell', price = '100.5', symbol = 'BTC-USDT'): Fill => ({
  time,
  venue: 'binance',
  symbol,
  side,
  price,
  quantity: '0.1',
  fee: '0.01',
});

describe('fillMarkers', () => {
  const opens = [1000, 2000, 3000, 5000]; // 4000 is a gap: no candle

  it('puts each fill on the candle whose interval holds its time', () => {
    const markers = fillMarkers(
      [fill(1000, 'buy'), fill(2999, 'sell', '101.25'), fill(5999, 'buy')],
      btc,
      opens,
      1000,
    );
    expect(markers.map((m) => [m.index, m.side, m.price])).toEqual([
      [0, 'buy', 100.5],
      [1, 'sell', 101.25],
      [3, 'buy', 100.5],
    ]);
  });

  it('leaves out fills before, after or between the loaded candles, and of other instruments', () => {
    const markers = fillMarkers(
      [fill(999, 'buy'), fill(4500, 'buy'), fill(6000, 'sell'), fill(1500, 'buy', '1', 'ETH-USDT')],
      btc,
      opens,
      1000,
    );
    expect(markers).toEqual([]);
  });

  it('has no markers without candles', () => {
    expect(fillMarkers([fill(1000, 'buy')], btc, [], 1000)).toEqual([]);
  });
});
