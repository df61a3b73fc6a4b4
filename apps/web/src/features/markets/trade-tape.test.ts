import type { Trade } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { mergeTrades } from './trade-tape';

function trade(id: number, time: number): Trade {
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    venueSymbol: 'BTCUSDT',
    tradeId: String(id).padStart(6, '0'),
    price: '65000.00',
    quantity: '0.001',
    takerSide: id % 2 ? 'buy' : 'sell',
    exchangeTime: time,
    receiveTime: time + 5,
  };
}

describe('mergeTrades', () => {
  it('keeps the tape newest first, each trade once, capped', () => {
    const tape = mergeTrades([], [trade(1, 1000), trade(2, 2000)]);
    const next = mergeTrades(tape, [trade(2, 2000), trade(4, 4000), trade(3, 3000)], 3);
    expect(next.map((t) => Number(t.tradeId))).toEqual([4, 3, 2]);
  });
});
