import { fillSchema, ManualClock, orderSchema } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  type MatchingEvent,
  PaperMatchingEngine,
  toFillView,
  toOrderView,
} from '../../src/matching/index.ts';
import { BTC, harness, request, u } from './harness.ts';

describe('market orders', () => {
  it('take the best ask within its size, as taker, with the venue taker fee', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '2');
    const o = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderFilled']);
    const [fill] = h.fills(o.id);
    expect(fill).toMatchObject({
      id: `${o.id}:1`,
      price: u('101'),
      quantity: u('0.5'),
      quote: u('50.5'),
      fee: u('0.0505'),
      feeRate: u('0.001'),
      feeAsset: 'USDT',
      liquidity: 'taker',
      tradeId: null,
    });
    const last = h.of(o.id).at(-1);
    expect(last?.order).toMatchObject({ status: 'filled', filledQuantity: u('0.5'), averagePrice: u('101') });
  });

  it('walk modelled levels beyond the top size, then fill the rest at the slippage cap', () => {
    const h = harness({ slippage: { levels: 2, depthTrades: 2 } });
    for (let i = 0; i < 3; i++) h.trade('100.50', '1');
    h.quote('100.00', '0.1', '101.00', '0.1');
    const buy = h.place({ side: 'buy', type: 'market', quantity: '5' });
    expect(h.fills(buy.id).map((f) => [f.price, f.quantity])).toEqual([
      [u('101'), u('0.1')],
      [u('101.01'), u('2')],
      [u('101.02'), u('2')],
      [u('101.50'), u('0.9')], // 101 x 1.005 = 101.505, rounded down to the tick inside the cap
    ]);
    const sell = h.place({ side: 'sell', type: 'market', quantity: '5' });
    expect(h.fills(sell.id).map((f) => [f.price, f.quantity])).toEqual([
      [u('100'), u('0.1')],
      [u('99.99'), u('2')],
      [u('99.98'), u('2')],
      [u('99.50'), u('0.9')],
    ]);
  });

  it('do not take the same quoted size twice before the next quote', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    h.place({ side: 'buy', type: 'market', quantity: '1' });
    const second = h.place({ side: 'buy', type: 'market', quantity: '0.05' });
    expect(h.fills(second.id)[0]?.price).toBe(u('101.01'));
    h.quote('100.00', '1', '101.00', '1');
    const third = h.place({ side: 'buy', type: 'market', quantity: '0.05' });
    expect(h.fills(third.id)[0]?.price).toBe(u('101'));
  });

  it('is rejected without any market data', () => {
    const h = harness();
    const o = h.place({ side: 'buy', type: 'market', quantity: '1' });
    expect(o.status).toBe('rejected');
    expect(h.events).toMatchObject([{ type: 'orderRejected', reason: 'MARKET_NO_DATA' }]);
  });

  it.each(['GTC', 'IOC', 'FOK'] as const)('fills entirely with time in force %s', (tif) => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'sell', type: 'market', quantity: '2', timeInForce: tif });
    expect(h.of(o.id).at(-1)?.order.status).toBe('filled');
  });

  it('uses the last trade as the top of book when there is no quote', () => {
    const h = harness();
    h.trade('100.00', '1');
    const o = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(h.fills(o.id)[0]).toMatchObject({ price: u('100'), quantity: u('0.5') });
  });
});

describe('limit orders', () => {
  it('take at the ask when marketable (price improvement)', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '2');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '105.00' });
    expect(h.fills(o.id)).toMatchObject([{ price: u('101'), liquidity: 'taker' }]);
  });

  it('take up to their price, rest the remainder (GTC), then fill it as maker', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '3', price: '101.00' });
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderFilled']);
    expect(h.engine.getOrder('acc-1', o.id)).toMatchObject({
      status: 'partially_filled',
      filledQuantity: u('1'),
    });
    h.trade('100.99', '5');
    expect(h.fills(o.id).map((f) => [f.price, f.quantity, f.liquidity])).toEqual([
      [u('101'), u('1'), 'taker'],
      [u('101'), u('2'), 'maker'],
    ]);
    expect(h.of(o.id).at(-1)?.order.status).toBe('filled');
    expect(h.engine.getOrder('acc-1', o.id)).toBeUndefined();
  });

  it('IOC fills what it can now and expires the rest', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '3', price: '101.00', timeInForce: 'IOC' });
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderFilled', 'orderExpired']);
    expect(h.of(o.id).at(-1)).toMatchObject({
      reason: 'IOC_UNFILLED',
      order: { status: 'expired', filledQuantity: u('1') },
    });
  });

  it('IOC that cannot take expires with nothing', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.00', timeInForce: 'IOC' });
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderExpired']);
  });

  it('FOK fills entirely or expires with nothing', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const no = h.place({ side: 'buy', type: 'limit', quantity: '3', price: '101.00', timeInForce: 'FOK' });
    expect(h.types(no.id)).toEqual(['orderAccepted', 'orderExpired']);
    expect(h.of(no.id).at(-1)).toMatchObject({ reason: 'FOK_NOT_FILLABLE', order: { filledQuantity: 0n } });
    const yes = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '101.00', timeInForce: 'FOK' });
    expect(h.types(yes.id)).toEqual(['orderAccepted', 'orderFilled']);
    const away = h.place({ side: 'sell', type: 'limit', quantity: '1', price: '102.00', timeInForce: 'FOK' });
    expect(h.types(away.id)).toEqual(['orderAccepted', 'orderExpired']);
  });

  it('GTC rests without filling until a trade crosses it', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'sell', type: 'limit', quantity: '1', price: '102.00' });
    h.trade('101.99', '5', 'buy');
    expect(h.fills(o.id)).toEqual([]);
    h.trade('102.01', '5', 'buy');
    expect(h.fills(o.id)).toMatchObject([{ price: u('102'), quantity: u('1'), liquidity: 'maker' }]);
  });

  it('fills partially with the traded quantity, in deterministic fill ids', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.50' });
    h.trade('100.40', '0.3');
    h.trade('100.00', '0.5');
    h.trade('100.45', '1');
    expect(h.fills(o.id).map((f) => [f.id, f.quantity])).toEqual([
      ['o1:1', u('0.3')],
      ['o1:2', u('0.5')],
      ['o1:3', u('0.2')],
    ]);
    expect(h.of(o.id).map((e) => e.order.status)).toEqual([
      'new',
      'partially_filled',
      'partially_filled',
      'filled',
    ]);
    expect(h.of(o.id).at(-1)?.order).toMatchObject({ averagePrice: u('100.5'), filledQuote: u('100.5') });
  });

  it('fills the better price first and shares one trade across orders', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const low = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.20' });
    const high = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.40' });
    h.trade('100.10', '1.5');
    expect(h.fills(high.id)).toMatchObject([{ quantity: u('1') }]);
    expect(h.fills(low.id)).toMatchObject([{ quantity: u('0.5') }]);
  });
});

describe('queue model at our price', () => {
  it('lets trades at our price consume the queue ahead (the quoted size when we joined) first', () => {
    const h = harness();
    h.quote('100.00', '2', '100.05', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.00' });
    h.trade('100.00', '1.5', 'sell');
    expect(h.fills(o.id)).toEqual([]);
    h.trade('100.00', '1', 'sell');
    expect(h.fills(o.id)).toMatchObject([{ quantity: u('0.5'), price: u('100') }]);
    h.trade('100.00', '5', 'buy'); // a buyer lifting an ask at our price does not move the bid queue
    expect(h.fills(o.id)).toHaveLength(1);
    h.trade('100.00', '3', 'sell');
    expect(h.fills(o.id).map((f) => f.quantity)).toEqual([u('0.5'), u('0.5')]);
  });

  it('puts an order that improves the best bid at the front', () => {
    const h = harness();
    h.quote('100.00', '2', '100.05', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.02' });
    h.trade('100.02', '0.4', 'sell');
    expect(h.fills(o.id)).toMatchObject([{ quantity: u('0.4') }]);
  });

  it('fills our own orders at one price in arrival order', () => {
    const h = harness();
    h.quote('100.00', '0', '100.05', '1');
    const first = h.place({ side: 'sell', type: 'limit', quantity: '1', price: '100.05' });
    const second = h.place({ side: 'sell', type: 'limit', quantity: '1', price: '100.05' });
    // The ask size 1 sits ahead of both orders.
    h.trade('100.05', '1.5', 'buy');
    expect(h.fills(first.id)).toMatchObject([{ quantity: u('0.5') }]);
    expect(h.fills(second.id)).toEqual([]);
    h.trade('100.05', '1', 'buy');
    expect(h.fills(first.id).map((f) => f.quantity)).toEqual([u('0.5'), u('0.5')]);
    expect(h.fills(second.id)).toMatchObject([{ quantity: u('0.5') }]);
  });
});

describe('post-only', () => {
  it('is rejected when it would take, without being accepted', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '101.00', postOnly: true });
    expect(o).toMatchObject({ status: 'rejected', reason: 'POST_ONLY_WOULD_TAKE' });
    expect(h.types(o.id)).toEqual(['orderRejected']);
  });

  it('rests and fills as maker when it would not take', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'sell', type: 'limit', quantity: '1', price: '100.01', postOnly: true });
    h.trade('100.02', '1', 'buy');
    expect(h.fills(o.id)).toMatchObject([{ liquidity: 'maker', price: u('100.01') }]);
  });
});

describe('stop orders', () => {
  it('stop-market triggers on the last trade crossing the stop, then takes like a market order', () => {
    const h = harness();
    h.quote('99.90', '1', '100.00', '1');
    h.trade('100.00', '1', 'buy');
    const o = h.place({ side: 'buy', type: 'stop_market', quantity: '1', stopPrice: '105.00' });
    h.trade('104.99', '1', 'buy');
    expect(h.types(o.id)).toEqual(['orderAccepted']);
    h.trade('105.00', '1', 'buy');
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderTriggered', 'orderFilled']);
    expect(h.of(o.id)[1]).toMatchObject({
      triggerPrice: u('105'),
      order: { triggered: true, status: 'new' },
    });
    // The trade above the quoted ask made the quote stale: the top moves to the trade price.
    expect(h.fills(o.id)).toMatchObject([{ price: u('105'), quantity: u('1'), liquidity: 'taker' }]);
  });

  it('stop-limit triggers, takes down to its limit price and fills the rest on later trades', () => {
    const h = harness();
    h.quote('99.90', '1', '100.00', '1');
    h.trade('100.00', '1');
    const o = h.place({
      side: 'sell',
      type: 'stop_limit',
      quantity: '1',
      stopPrice: '95.00',
      price: '94.50',
    });
    h.trade('96.00', '1');
    h.quote('94.80', '0.4', '94.90', '1');
    expect(h.types(o.id)).toEqual(['orderAccepted']); // quotes never trigger a stop
    h.trade('94.90', '1');
    const fills = h.fills(o.id);
    expect(fills[0]).toMatchObject({ price: u('94.80'), quantity: u('0.4') });
    expect(fills.every((f) => f.price >= u('94.50'))).toBe(true);
    expect(fills.reduce((s, f) => s + f.quantity, 0n)).toBe(u('1'));
  });

  it('stop-limit that is not marketable once triggered rests at its limit', () => {
    const h = harness();
    h.quote('100.90', '1', '101.00', '1');
    h.trade('100.95', '1');
    const o = h.place({
      side: 'buy',
      type: 'stop_limit',
      quantity: '1',
      stopPrice: '101.00',
      price: '100.50',
    });
    h.trade('101.00', '1', 'buy');
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderTriggered']);
    h.trade('100.40', '2');
    expect(h.fills(o.id)).toMatchObject([{ price: u('100.5'), liquidity: 'maker' }]);
  });

  it('triggers at once when the last trade is already through the stop', () => {
    const h = harness();
    h.quote('99.90', '1', '100.00', '1');
    h.trade('100.00', '1');
    const o = h.place({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '101.00' });
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderTriggered', 'orderFilled']);
  });
});

describe('fees', () => {
  it('charge the maker rate on resting fills and the taker rate on immediate ones (OKX 8/10 bps)', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1', 'okx');
    const maker = h.place({ venue: 'okx', side: 'buy', type: 'limit', quantity: '1', price: '100.50' });
    h.trade('100.40', '2', 'sell', 'okx');
    expect(h.fills(maker.id)).toMatchObject([{ liquidity: 'maker', fee: u('0.0804'), feeRate: u('0.0008') }]);
    const taker = h.place({ venue: 'okx', side: 'buy', type: 'market', quantity: '1' });
    expect(h.fills(taker.id)).toMatchObject([{ liquidity: 'taker', fee: u('0.101'), feeRate: u('0.001') }]);
  });

  it('come from a configurable table per venue and tier, falling back to the default tier', () => {
    const h = harness({
      fees: { binance: { default: { makerBps: 10, takerBps: 10 }, vip1: { makerBps: '7.5', takerBps: 9 } } },
    });
    h.quote('100.00', '1', '100.00', '1');
    const vip = h.place({ side: 'buy', type: 'market', quantity: '1', feeTier: 'vip1' });
    const other = h.place({ side: 'sell', type: 'market', quantity: '1', feeTier: 'nope' });
    expect(h.fills(vip.id)[0]?.fee).toBe(u('0.09'));
    expect(h.fills(other.id)[0]?.fee).toBe(u('0.1'));
  });
});

describe('latency model', () => {
  it('does not fill an order before it reaches the venue', () => {
    const h = harness({ latencyMs: 50 });
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.50' });
    expect(o).toMatchObject({ status: 'new', activeAt: 1_050 });
    expect(h.events).toEqual([]);
    h.clock.set(1_049);
    h.trade('100.40', '2');
    expect(h.types(o.id)).toEqual([]);
    h.clock.set(1_050);
    h.trade('100.40', '2');
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderFilled']);
    expect(h.fills(o.id)[0]?.time).toBe(1_050);
  });

  it('executes a market order against the quote at arrival, not at submission', () => {
    const h = harness({ latencyMs: 50 });
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'market', quantity: '1' });
    h.clock.set(1_030);
    h.quote('101.00', '1', '102.00', '1');
    h.clock.set(1_060);
    h.engine.advance();
    expect(h.fills(o.id)).toMatchObject([{ price: u('102'), time: 1_060 }]);
  });
});

describe('cancel', () => {
  it('cancels a resting order, which then never fills', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.50' });
    expect(h.engine.cancelOrder('other-account', o.id)).toBe(false);
    expect(h.engine.cancelOrder('acc-1', o.id)).toBe(true);
    expect(h.engine.cancelOrder('acc-1', o.id)).toBe(false);
    h.trade('100.00', '5');
    expect(h.types(o.id)).toEqual(['orderAccepted', 'orderCanceled']);
    expect(h.of(o.id).at(-1)?.order.status).toBe('canceled');
    expect(h.engine.restingCount('binance', 'BTC-USDT')).toBe(0);
  });

  it('cancels an order still in flight, which then never reaches the venue', () => {
    const h = harness({ latencyMs: 50 });
    h.quote('100.00', '1', '101.00', '1');
    const o = h.place({ side: 'buy', type: 'market', quantity: '1' });
    expect(h.engine.cancelOrder('acc-1', o.id)).toBe(true);
    h.clock.advance(100);
    h.engine.advance();
    expect(h.types(o.id)).toEqual(['orderCanceled']);
  });

  it('cancels all of an account, or of one venue or symbol, and leaves other accounts alone', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    h.quote('100.00', '1', '101.00', '1', 'okx');
    h.place({ side: 'buy', type: 'limit', quantity: '1', price: '99.00' });
    h.place({ side: 'sell', type: 'stop_market', quantity: '1', stopPrice: '90.00' });
    h.place({ venue: 'okx', side: 'buy', type: 'limit', quantity: '1', price: '99.00' });
    h.place({ accountId: 'acc-2', side: 'buy', type: 'limit', quantity: '1', price: '99.00' });
    expect(h.engine.cancelAll('acc-1', { venue: 'okx', symbol: 'BTC-USDT' })).toBe(1);
    expect(h.engine.openOrders('acc-1').map((o) => o.id)).toEqual(['o1', 'o2']);
    expect(h.engine.cancelAll('acc-1')).toBe(2);
    expect(h.engine.openOrders('acc-1')).toEqual([]);
    expect(h.engine.openOrders('acc-2')).toHaveLength(1);
  });
});

describe('validation against the instrument', () => {
  it.each([
    [{ price: '100.005' }, 'ORDER_INVALID_TICK'],
    [{ quantity: '0.0015' }, 'ORDER_INVALID_LOT'],
    [{ quantity: '0.001' }, 'ORDER_BELOW_MIN_NOTIONAL'],
    [{ price: '0' }, 'ORDER_INVALID_PRICE'],
    [{ symbol: 'ETH-USDT' }, 'MARKET_UNKNOWN_INSTRUMENT'],
  ])('rejects %o with %s', (patch, reason) => {
    const h = harness();
    const o = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '100.00', ...patch });
    expect(o).toMatchObject({ status: 'rejected', reason });
    expect(h.events).toMatchObject([{ type: 'orderRejected', reason }]);
  });

  it('checks a stop price against the tick and a market order notional against the top of book', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '1');
    expect(h.place({ side: 'sell', type: 'stop_market', quantity: '1', stopPrice: '99.999' }).reason).toBe(
      'ORDER_INVALID_TICK',
    );
    expect(h.place({ side: 'buy', type: 'market', quantity: '0.049' }).reason).toBe(
      'ORDER_BELOW_MIN_NOTIONAL',
    );
    expect(h.place({ side: 'buy', type: 'market', quantity: '0.05' }).status).toBe('filled');
  });

  it('rejects a second open order with the same id', () => {
    const h = harness();
    const req = { orderId: 'same', side: 'buy', type: 'limit', quantity: '1', price: '99.00' } as const;
    h.place(req);
    expect(h.place(req)).toMatchObject({ status: 'rejected', reason: 'ORDER_DUPLICATE_ID' });
  });
});

describe('events', () => {
  it('convert to the API order and fill views', () => {
    const h = harness();
    h.quote('100.00', '1', '101.00', '2');
    h.place({ side: 'buy', type: 'limit', quantity: '1.5', price: '101.00', clientOrderId: 'c-1' });
    const filled = h.events.find((e) => e.type === 'orderFilled');
    if (filled?.type !== 'orderFilled') throw new Error('expected a fill');
    const view = orderSchema.parse(toOrderView(filled.order));
    expect(view).toMatchObject({ quantity: '1.5', price: '101', filledQuote: '151.5', averagePrice: '101' });
    expect(fillSchema.parse(toFillView(filled.fill))).toMatchObject({ fee: '0.1515', quote: '151.5' });
  });

  it('are delivered after the work that caused them, so a listener may place orders', () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const engine: PaperMatchingEngine = new PaperMatchingEngine({
      clock,
      onEvent: (e: MatchingEvent) => {
        log.push(`${e.order.id}:${e.type}`);
        if (e.type === 'orderFilled' && e.order.id === 'a') {
          engine.placeOrder(request({ ...base, orderId: 'b', side: 'sell', type: 'market', quantity: '1' }));
        }
      },
    });
    const base = { accountId: 'x', venue: 'binance', symbol: 'BTC-USDT' };
    engine.setInstrument(BTC);
    engine.onQuote({
      ...base,
      bidPrice: '100',
      bidSize: '5',
      askPrice: '101',
      askSize: '5',
      exchangeTime: 0,
      receiveTime: 0,
    });
    engine.placeOrder(request({ ...base, orderId: 'a', side: 'buy', type: 'market', quantity: '1' }));
    expect(log).toEqual(['a:orderAccepted', 'a:orderFilled', 'b:orderAccepted', 'b:orderFilled']);
  });
});

describe('restart', () => {
  it('restores a partly filled resting order silently, continuing its totals and fill ids', () => {
    const h = harness();
    const restored = h.engine.restoreOrder({
      orderId: 'r1',
      accountId: 'acc-1',
      clientOrderId: null,
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      type: 'limit',
      timeInForce: 'GTC',
      postOnly: false,
      quantity: u('2'),
      price: u('100'),
      stopPrice: null,
      filledQuantity: u('1'),
      filledQuote: u('100'),
      fees: u('0.1'),
      notionalExact: u('100') * u('1'),
      feeExact: u('0.001') * u('100'),
      fillCount: 1,
      createdAt: 500,
      updatedAt: 600,
    });
    expect(restored).toBe(true);
    expect(h.events).toEqual([]);
    expect(h.engine.getOrder('acc-1', 'r1')).toMatchObject({
      status: 'partially_filled',
      filledQuantity: u('1'),
    });
    h.trade('99.99', '5');
    expect(h.fills('r1')).toMatchObject([{ id: 'r1:2', quantity: u('1'), fee: u('0.1') }]);
    expect(h.of('r1').at(-1)?.order).toMatchObject({
      status: 'filled',
      filledQuote: u('200'),
      fees: u('0.2'),
    });
  });
});
