import type { Instrument } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { assetDecimals, formatAmountDown } from '../trade/asset-precision';
import { statusText } from '../trade/order-status';
import { checkTicket } from '../trade/order-ticket-rules';

const instrument = (base: string, lotSize: string): Instrument => ({
  venue: 'binance',
  symbol: `${base}-USDT`,
  venueSymbol: `${base}USDT`,
  base,
  quote: 'USDT',
  tickSize: '0.01',
  lotSize,
  minNotional: '5',
  status: 'trading',
});

describe('balances at their asset precision', () => {
  it('uses cents for cent currencies and the finest lot for a traded base', () => {
    const list = [instrument('BTC', '0.00001'), instrument('ETH', '0.0001'), instrument('BTC', '0.000001')];
    expect(assetDecimals('USDT', list)).toBe(2);
    expect(assetDecimals('BTC', list)).toBe(6);
    expect(assetDecimals('ETH', list)).toBe(4);
    expect(assetDecimals('XYZ', list)).toBe(8);
  });

  it('rounds down, never showing more than there is', () => {
    expect(formatAmountDown('9347.9529003961', 2)).toBe('9,347.95');
    expect(formatAmountDown('0.4227583404', 6)).toBe('0.422758');
    expect(formatAmountDown('0.999', 2)).toBe('0.99');
    expect(formatAmountDown('12', 2)).toBe('12.00');
  });
});

describe('order status words', () => {
  it('never calls an untriggered stop filled or resting', () => {
    expect(statusText({ type: 'stop_market', status: 'new' })).toBe('pending (stop)');
    expect(statusText({ type: 'stop_limit', status: 'new' })).toBe('pending (stop)');
    expect(statusText({ type: 'stop_market', status: 'filled' })).toBe('filled');
    expect(statusText({ type: 'limit', status: 'partially_filled' })).toBe('partially filled');
  });
});

describe('limits with their unit', () => {
  it('says the minimum notional in the quote currency', () => {
    const check = checkTicket(
      {
        side: 'buy',
        type: 'limit',
        quantity: '0.00001',
        price: '60000',
        stopPrice: '',
        timeInForce: 'GTC',
        postOnly: false,
      },
      { tickSize: '0.01', lotSize: '0.00001', minNotional: '5', quote: 'USDT' },
      null,
    );
    expect(check.issues.form?.message).toBe(
      'The order is worth less than the minimum of 5 USDT: raise the quantity.',
    );
  });
});
