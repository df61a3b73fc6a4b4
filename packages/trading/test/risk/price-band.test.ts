import { describe, expect, it } from 'vitest';
import type { RiskOrder } from '../../src/risk/context.ts';
import { context, engineAt, limitOrder, outcome, u } from './fixtures.ts';

// Band ±5% around the last trade price 100: limit prices in [95, 105] pass.
const ctx = context({ lastPrice: u('100') }, { priceBandBps: 500 });
const check = (order: RiskOrder, c = ctx) => outcome(engineAt().engine.check(order, c));

describe('RISK_PRICE_BAND', () => {
  for (const side of ['buy', 'sell'] as const) {
    it(`accepts a ${side} limit at either edge of the band and rejects one unit beyond`, () => {
      expect(check(limitOrder({ side, price: u('105') }))).toBe('ok');
      expect(check(limitOrder({ side, price: u('95') }))).toBe('ok');
      expect(check(limitOrder({ side, price: u('105.000000000000000001') }))).toBe('RISK_PRICE_BAND');
      expect(check(limitOrder({ side, price: u('94.999999999999999999') }))).toBe('RISK_PRICE_BAND');
    });
  }

  it('says how far off the price is and what to do', () => {
    const decision = engineAt().engine.check(limitOrder({ price: u('1000') }), ctx);
    expect(decision.ok).toBe(false);
    if (decision.ok) return;
    expect(decision.rejection.message).toBe(
      'Your buy limit price 1000 USDT is 900% above the last trade price 100 USDT; prices must be within ' +
        '±5% of it. Check the price for a typo, or widen the price band in the risk settings.',
    );
    expect(decision.rejection.details).toMatchObject({ reference: 'last_price', deviationBps: 90_000 });
  });

  it('bands a stop-limit around its stop price, so a far stop stays possible', () => {
    const stopLimit = (side: 'buy' | 'sell', stopPrice: string, price: string) =>
      limitOrder({ type: 'stop_limit', side, stopPrice: u(stopPrice), price: u(price) });
    // Stop-loss 40% below the market, limit 5% under the stop: fine.
    expect(check(stopLimit('sell', '60', '57'))).toBe('ok');
    expect(check(stopLimit('sell', '60', '56.99'))).toBe('RISK_PRICE_BAND');
    expect(check(stopLimit('buy', '140', '147'))).toBe('ok');
    expect(check(stopLimit('buy', '140', '147.01'))).toBe('RISK_PRICE_BAND');
    // The stop price makes the reference even with no trade yet.
    expect(check(stopLimit('buy', '140', '147.01'), { ...ctx, lastPrice: null })).toBe('RISK_PRICE_BAND');
  });

  it('passes a limit order when there is no last price to compare with', () => {
    expect(check(limitOrder({ price: u('1000') }), { ...ctx, lastPrice: null })).toBe('ok');
  });

  it('follows an override of the band', () => {
    const wide = context({ lastPrice: u('100') }, { priceBandBps: 2_000 });
    expect(check(limitOrder({ price: u('120') }), wide)).toBe('ok');
    expect(check(limitOrder({ price: u('120.01') }), wide)).toBe('RISK_PRICE_BAND');
  });
});
