import { type Instrument, ManualClock, type Trade } from '@qt/shared';
import { DEFAULT_FEE_SCHEDULE, DEFAULT_SLIPPAGE, type MatchingEvent, resolveRiskLimits } from '@qt/trading';
import { describe, expect, it } from 'vitest';
import { PaperSession } from '../src/paper-session.ts';

const BTC: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minNotional: '5',
  status: 'trading',
};

function session(events: MatchingEvent[]) {
  const clock = new ManualClock(1_000);
  const s = new PaperSession({
    clock,
    instruments: [BTC],
    quoteAsset: 'USDT',
    fees: DEFAULT_FEE_SCHEDULE,
    feeTier: 'default',
    slippage: DEFAULT_SLIPPAGE,
    latencyMs: 0,
    limits: resolveRiskLimits('PRO', {}),
    eagerQuotes: true,
    onEvent: (e) => events.push(e),
  });
  s.deposit('USDT', '1000000', clock.now());
  let n = 0;
  const trade = (price: string, quantity: string): Trade => ({
    venue: BTC.venue,
    symbol: BTC.symbol,
    venueSymbol: BTC.venueSymbol,
    tradeId: `t${++n}`,
    price,
    quantity,
    takerSide: 'buy',
    exchangeTime: clock.now(),
    receiveTime: clock.now(),
  });
  return { s, trade };
}

describe('PaperSession on the paper-account core', () => {
  it("sizes a market buy's reservation from the matcher's own top, as the engine does", () => {
    const events: MatchingEvent[] = [];
    const { s, trade } = session(events);
    s.onQuoteUnits(0, 10_000, 10_100, '5', 1_000); // 100.00 / 101.00
    s.onTrade(0, trade('105.00', '1')); // through the ask: the matcher's top moves to 105
    s.onTrade(0, trade('100.00', '1')); // last back at 100; the matcher's ask stays at 105
    // Budget from last and ask alone (101) would not cover fills from 105 up to its cap.
    expect(
      s.place({
        orderId: 'm1',
        instrument: 0,
        side: 'buy',
        type: 'market',
        quantity: '1',
        price: null,
        stopPrice: null,
        timeInForce: 'IOC',
        postOnly: false,
      }),
    ).toEqual({ ok: true });
    const fills = events.filter((e) => e.type === 'orderFilled');
    expect(fills.length).toBeGreaterThan(0);
    expect(s.positionQty[0]).toBe(10n ** 18n);
    expect(s.ledger.reconcile().ok).toBe(true);
    expect(s.balances()).toEqual([
      expect.objectContaining({ asset: 'BTC', locked: 0n }),
      expect.objectContaining({ asset: 'USDT', locked: 0n }),
    ]);
  });

  it('keeps its open-order index in the book: a resting order counts, a canceled one does not', () => {
    const events: MatchingEvent[] = [];
    const { s } = session(events);
    s.onQuoteUnits(0, 10_000, 10_100, '5', 1_000);
    const limit = {
      instrument: 0,
      side: 'buy' as const,
      type: 'limit' as const,
      quantity: '1',
      price: '99.00',
      stopPrice: null,
      timeInForce: 'GTC' as const,
      postOnly: false,
    };
    expect(s.place({ ...limit, orderId: 'l1' })).toEqual({ ok: true });
    expect(s.hasOpenOrders(0)).toBe(true);
    expect(s.book.exposure(s.accountId, 'binance', 'BTC-USDT')).toEqual({
      openOrders: 1,
      openBuyQuantity: 10n ** 18n,
      openSellQuantity: 0n,
    });
    expect(s.cancel('l1')).toBe(true);
    expect(s.hasOpenOrders(0)).toBe(false);
    expect(s.book.openOrders(s.accountId).size).toBe(0);
    expect(s.freeBalance('USDT')).toBe(1_000_000n * 10n ** 18n);
  });
});
