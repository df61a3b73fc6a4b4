import type { FillView, OrderView } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { prependFill, upsertOpenOrder } from './account-cache';

const order = (id: string, over: Partial<OrderView> = {}): OrderView => ({
  id,
  accountId: 'a',
  clientOrderId: null,
  venue: 'binance',
  symbol: 'BTC-USDT',
  side: 'buy',
  type: 'limit',
  timeInForce: 'GTC',
  postOnly: false,
  quantity: '0.01',
  price: '60000',
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

const fill = (id: string, time: number): FillView => ({
  id,
  orderId: 'o',
  accountId: 'a',
  venue: 'binance',
  symbol: 'BTC-USDT',
  side: 'buy',
  price: '60000',
  quantity: '0.01',
  quote: '600',
  fee: '0.6',
  feeAsset: 'USDT',
  liquidity: 'taker',
  time,
});

describe('upsertOpenOrder', () => {
  it('adds a new order on top, replaces a partial fill in place and drops a filled or canceled one', () => {
    let list = upsertOpenOrder([], order('1'));
    list = upsertOpenOrder(list, order('2', { createdAt: 2 }));
    expect(list.map((o) => o.id)).toEqual(['2', '1']);
    list = upsertOpenOrder(list, order('1', { status: 'partially_filled', updatedAt: 3 }));
    expect(list.find((o) => o.id === '1')?.status).toBe('partially_filled');
    expect(upsertOpenOrder(list, order('2', { status: 'canceled', updatedAt: 4 })).map((o) => o.id)).toEqual([
      '1',
    ]);
  });

  it('keeps the newer view when an older update arrives late', () => {
    const list = [order('1', { status: 'partially_filled', updatedAt: 5 })];
    expect(upsertOpenOrder(list, order('1', { updatedAt: 2 }))[0]?.status).toBe('partially_filled');
  });
});

describe('prependFill', () => {
  it('adds each fill once, newest first, up to the size kept', () => {
    let list = prependFill([], fill('a', 1));
    list = prependFill(list, fill('b', 2));
    list = prependFill(list, fill('a', 1));
    expect(list.map((f) => f.id)).toEqual(['b', 'a']);
    expect(prependFill(list, fill('c', 3), 2).map((f) => f.id)).toEqual(['c', 'b']);
  });
});
