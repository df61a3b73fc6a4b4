import type { FillView, OrderView, PositionView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { fillPointsOf, moveQuestion, orderLinesOf } from './order-lines';

const d = { price: 1, size: 3 };
const order = (over: Partial<OrderView>): OrderView => ({
  id: '11111111-1111-4111-8111-111111111111',
  accountId: 'a',
  clientOrderId: null,
  venue: 'binance',
  symbol: 'BTC-USDT',
  side: 'buy',
  type: 'limit',
  timeInForce: 'GTC',
  postOnly: false,
  quantity: '0.01',
  price: '64000',
  stopPrice: null,
  status: 'new',
  filledQuantity: '0',
  filledQuote: '0',
  averagePrice: null,
  reason: null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
});
const position: PositionView = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  quantity: '0.02',
  averageEntryPrice: '63950.123456',
  realizedPnl: '0',
  unrealizedPnl: '12.345',
  markPrice: '64567.4',
};
const market = { venue: 'binance', symbol: 'BTC-USDT', quote: 'USDT', precision: d };

describe('order lines on the chart', () => {
  it('draws a limit at its price (remaining quantity, draggable), a stop at its trigger, and the entry with PnL', () => {
    const lines = orderLinesOf({
      ...market,
      orders: [
        order({ id: 'o1', quantity: '0.01', filledQuantity: '0.004' }),
        order({ id: 'o2', side: 'sell', type: 'stop_limit', price: '62900', stopPrice: '63000' }),
        order({ id: 'o3', symbol: 'ETH-USDT' }),
        order({ id: 'o4', status: 'filled' }),
      ],
      position,
    });
    expect(lines.map((l) => [l.id, l.kind, l.price, l.quantity, l.draggable])).toEqual([
      ['order-o1', 'limit', '64000', '0.006', true],
      ['order-o2', 'stop', '63000', '0.01', false],
      ['entry', 'entry', '63950.123456', '0.02', false],
    ]);
    expect(lines.map((l) => l.label)).toEqual([
      'Buy 0.006 @ 64,000.0 · limit',
      'Sell 0.010 · stop 63,000.0 → limit 62,900.0',
      'Entry 0.020 @ 63,950.1 · PnL +12.35 USDT',
    ]);
  });

  it('draws no entry for a flat position and colours a losing one red', () => {
    expect(orderLinesOf({ ...market, orders: [], position: { ...position, quantity: '0' } })).toEqual([]);
    const [entry] = orderLinesOf({ ...market, orders: [], position: { ...position, unrealizedPnl: '-3.2' } });
    expect(entry?.label).toBe('Entry 0.020 @ 63,950.1 · PnL -3.20 USDT');
    expect(entry?.color).toBe('#fb7185');
  });

  it('asks before a move in the words of the line', () => {
    const [line] = orderLinesOf({ ...market, orders: [order({})], position: undefined });
    if (!line) throw new Error('no line');
    expect(moveQuestion(line, '63800', d)).toBe('Move buy 0.010 @ 64,000.0 to 63,800.0?');
  });
});

describe('fill markers', () => {
  const fill = (id: string, time: number, symbol = 'BTC-USDT'): FillView => ({
    id,
    orderId: 'o',
    accountId: 'a',
    venue: 'binance',
    symbol,
    side: 'buy',
    price: '64000.5',
    quantity: '0.01',
    quote: '640',
    fee: '0.64',
    feeAsset: 'USDT',
    liquidity: 'maker',
    time,
  });
  const candles = [{ openTime: 1000 }, { openTime: 2000 }, { openTime: 3000 }];

  it('puts each fill on the candle it happened in, and leaves out fills before the chart or of other markets', () => {
    const points = fillPointsOf(
      [fill('a', 2999), fill('b', 3000), fill('c', 99_999), fill('d', 500), fill('e', 2000, 'ETH-USDT')],
      'binance',
      'BTC-USDT',
      candles,
    );
    expect(points.map((p) => [p.id, p.index, p.price])).toEqual([
      ['a', 1, 64000.5],
      ['b', 2, 64000.5],
      ['c', 2, 64000.5],
    ]);
  });
});
