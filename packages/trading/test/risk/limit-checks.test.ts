import { describe, expect, it } from 'vitest';
import { context, engineAt, limitOrder, marketOrder, outcome, u } from './fixtures.ts';

const check = (...args: Parameters<ReturnType<typeof engineAt>['engine']['check']>) =>
  engineAt().engine.check(...args);

describe('RISK_MAX_ORDER_NOTIONAL', () => {
  const limits = { maxOrderNotional: u('1000') };

  it('accepts an order worth exactly the limit and rejects one worth one unit more', () => {
    expect(outcome(check(limitOrder({ quantity: u('10'), price: u('100') }), context({}, limits)))).toBe(
      'ok',
    );
    const over = check(
      limitOrder({ quantity: u('10'), price: u('100.000000000000000001') }),
      context({}, limits),
    );
    expect(outcome(over)).toBe('RISK_MAX_ORDER_NOTIONAL');
    if (!over.ok) {
      expect(over.rejection.message).toMatch(/above the 1000 USDT limit per order\. Split it/);
      expect(over.rejection.details).toMatchObject({
        maxOrderNotional: '1000',
        notional: '1000.00000000000000001',
      });
    }
  });

  it('values a market order at the last trade price', () => {
    const ctx = context({ lastPrice: u('200') }, limits);
    expect(outcome(check(marketOrder({ quantity: u('5') }), ctx))).toBe('ok');
    expect(outcome(check(marketOrder({ quantity: u('5.000000000000000001') }), ctx))).toBe(
      'RISK_MAX_ORDER_NOTIONAL',
    );
  });

  it('values a stop-market order at its stop price', () => {
    const stop = (stopPrice: string) =>
      marketOrder({ type: 'stop_market', timeInForce: 'GTC', quantity: u('2'), stopPrice: u(stopPrice) });
    expect(outcome(check(stop('500'), context({}, limits)))).toBe('ok');
    expect(outcome(check(stop('500.01'), context({}, limits)))).toBe('RISK_MAX_ORDER_NOTIONAL');
  });

  it('checks nothing when the limit is off', () => {
    const ctx = context({}, { maxOrderNotional: null, maxPositionNotional: null });
    expect(outcome(check(limitOrder({ quantity: u('1000000') }), ctx))).toBe('ok');
  });
});

describe('RISK_MAX_POSITION (notional of the worst-case position at the order price)', () => {
  const limits = { maxPositionNotional: u('1000') };

  it('accepts a buy that takes the position exactly to the limit and rejects one unit more', () => {
    const ctx = context({ position: u('4') }, limits);
    expect(outcome(check(limitOrder({ quantity: u('6') }), ctx))).toBe('ok');
    const over = check(limitOrder({ quantity: u('6.000000000000000001') }), ctx);
    expect(outcome(over)).toBe('RISK_MAX_POSITION');
    if (!over.ok) expect(over.rejection.message).toMatch(/above the 1000 USDT position limit/);
  });

  it('counts open orders on the same side as if they filled', () => {
    const ctx = context({ position: u('4'), openBuyQuantity: u('3'), openSellQuantity: u('50') }, limits);
    expect(outcome(check(limitOrder({ quantity: u('3') }), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ quantity: u('3.1') }), ctx))).toBe('RISK_MAX_POSITION');
  });

  it('applies to short positions built by sells', () => {
    const ctx = context({ position: u('-4') }, limits);
    expect(outcome(check(limitOrder({ side: 'sell', quantity: u('6') }), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ side: 'sell', quantity: u('6.1') }), ctx))).toBe('RISK_MAX_POSITION');
  });

  it('lets an account already over its limit shrink, but not grow', () => {
    const ctx = context({ position: u('30') }, limits);
    expect(outcome(check(limitOrder({ side: 'sell', quantity: u('5') }), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ side: 'buy', quantity: u('0.1') }), ctx))).toBe('RISK_MAX_POSITION');
  });

  it('rejects a sell that flips a long into a short beyond the limit', () => {
    const ctx = context({ position: u('5') }, limits);
    expect(outcome(check(limitOrder({ side: 'sell', quantity: u('15') }), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ side: 'sell', quantity: u('15.5') }), ctx))).toBe('RISK_MAX_POSITION');
  });
});

describe('RISK_MAX_OPEN_ORDERS', () => {
  const limits = { maxOpenOrders: 5 };

  it('accepts the order that makes the count reach the limit and rejects the one after', () => {
    expect(outcome(check(limitOrder(), context({ openOrders: 4 }, limits)))).toBe('ok');
    const over = check(limitOrder(), context({ openOrders: 5 }, limits));
    expect(outcome(over)).toBe('RISK_MAX_OPEN_ORDERS');
    if (!over.ok)
      expect(over.rejection.message).toMatch(/5 open orders, the most it may have \(5\)\. Cancel/);
  });

  it('still accepts orders that never rest: market, IOC and FOK', () => {
    const ctx = context({ openOrders: 5 }, limits);
    expect(outcome(check(marketOrder(), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ timeInForce: 'IOC' }), ctx))).toBe('ok');
    expect(outcome(check(limitOrder({ timeInForce: 'FOK' }), ctx))).toBe('ok');
  });

  it('counts stop orders, which rest until they trigger', () => {
    const stop = marketOrder({ type: 'stop_market', timeInForce: 'GTC', stopPrice: u('120') });
    expect(outcome(check(stop, context({ openOrders: 5 }, limits)))).toBe('RISK_MAX_OPEN_ORDERS');
  });
});

describe('RISK_NO_REFERENCE_PRICE', () => {
  it('rejects a market order on an instrument with no last trade price', () => {
    const decision = check(marketOrder(), context({ lastPrice: null }));
    expect(outcome(decision)).toBe('RISK_NO_REFERENCE_PRICE');
    if (!decision.ok) expect(decision.rejection.message).toMatch(/Place a limit order instead/);
  });

  it('accepts limit and stop orders, which carry their own price', () => {
    expect(outcome(check(limitOrder(), context({ lastPrice: null })))).toBe('ok');
    const stop = marketOrder({ type: 'stop_market', timeInForce: 'GTC', stopPrice: u('120') });
    expect(outcome(check(stop, context({ lastPrice: null })))).toBe('ok');
  });
});
