import { describe, expect, it } from 'vitest';
import { checkTicket, isMultipleOf, roundDecimal, type TicketDraft } from './order-ticket-rules';

const btc = { tickSize: '0.01', lotSize: '0.00001', minNotional: '5' };
const draft = (over: Partial<TicketDraft> = {}): TicketDraft => ({
  side: 'buy',
  type: 'limit',
  quantity: '0.01',
  price: '65000.10',
  stopPrice: '',
  timeInForce: 'GTC',
  postOnly: false,
  ...over,
});

describe('checkTicket', () => {
  it('accepts a limit order on the tick and lot grid and gives its exact notional', () => {
    const check = checkTicket(draft(), btc, null);
    expect(check.issues).toEqual({});
    expect(check.notional).toBe('650.001');
    expect(check.order).toEqual({
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '65000.10',
      timeInForce: 'GTC',
      postOnly: false,
    });
  });

  it('refuses a price off the tick grid with the engine code ORDER_INVALID_TICK', () => {
    const check = checkTicket(draft({ price: '65000.005' }), btc, null);
    expect(check.issues.price?.code).toBe('ORDER_INVALID_TICK');
    expect(check.order).toBeNull();
  });

  it('refuses a quantity off the lot grid, where a float would have let 0.3 / 0.1 through', () => {
    expect(checkTicket(draft({ quantity: '0.000015' }), btc, null).issues.quantity?.code).toBe(
      'ORDER_INVALID_LOT',
    );
    expect(isMultipleOf('0.3', '0.1')).toBe(true);
    expect(isMultipleOf('0.30000000000000001', '0.1')).toBe(false);
  });

  it('refuses an order worth less than the minimum notional, valued at the last price for a market order', () => {
    const market = checkTicket(draft({ type: 'market', quantity: '0.00007', price: '' }), btc, '65000');
    expect(market.notional).toBe('4.55');
    expect(market.notionalBasis).toBe('last');
    expect(market.issues.form?.code).toBe('ORDER_BELOW_MIN_NOTIONAL');
    expect(checkTicket(draft({ quantity: '0.0001' }), btc, null).issues).toEqual({});
  });

  it('asks for a stop price on stop orders and sends no price on a stop-market order', () => {
    expect(checkTicket(draft({ type: 'stop_market' }), btc, null).issues.stopPrice?.code).toBe('REQUIRED');
    const stop = checkTicket(draft({ type: 'stop_market', stopPrice: '64000' }), btc, null);
    expect(stop.order).toMatchObject({ type: 'stop_market', stopPrice: '64000' });
    expect(stop.order).not.toHaveProperty('price');
    expect(stop.notionalBasis).toBe('stop');
  });

  it('refuses malformed, negative and zero amounts', () => {
    for (const quantity of ['abc', '-1', '0', '0.000', '1e3', '.5']) {
      expect(checkTicket(draft({ quantity }), btc, null).issues.quantity?.code).toBe('VALIDATION_FAILED');
    }
  });

  it('checks only the shape while the instrument is unknown', () => {
    expect(checkTicket(draft({ price: '65000.0001', quantity: '0.1234567' }), null, null).issues).toEqual({});
  });

  it('keeps post-only and time in force to the order types they mean something for', () => {
    const market = checkTicket(
      draft({ type: 'market', price: '', postOnly: true, timeInForce: 'FOK' }),
      btc,
      '65000',
    );
    expect(market.order).toMatchObject({ postOnly: false, timeInForce: 'GTC' });
    expect(checkTicket(draft({ postOnly: true, timeInForce: 'IOC' }), btc, null).order).toMatchObject({
      postOnly: true,
      timeInForce: 'IOC',
    });
  });
});

describe('roundDecimal', () => {
  it('rounds half up and pads to the places asked for', () => {
    expect(roundDecimal('12.345', 2)).toBe('12.35');
    expect(roundDecimal('-0.004', 2)).toBe('0.00');
    expect(roundDecimal('7', 2)).toBe('7.00');
    expect(roundDecimal('65094.590012', 4, 2)).toBe('65094.59');
  });
});
