import { describe, expect, it } from 'vitest';
import { harness, u } from './harness.ts';

/**
 * `detachAccount` takes an account's resting orders and stops off the book without events (the engine
 * does it when it cannot store the account's events and its buffer is full); `restoreOrder` with what
 * it returned puts them back exactly, fills so far included.
 */
describe('detaching an account', () => {
  it('takes its resting orders and stops off the book silently and puts them back with their fills', () => {
    const h = harness();
    h.trade('50000', '0.01', 'buy');
    const limit = h.place({ side: 'buy', type: 'limit', quantity: '0.01', price: '49990' });
    const stop = h.place({ side: 'sell', type: 'stop_market', quantity: '0.01', stopPrice: '49000' });
    const other = h.place({
      side: 'buy',
      type: 'limit',
      quantity: '0.01',
      price: '49990',
      accountId: 'acc-2',
    });
    h.trade('49985', '0.004', 'sell'); // partial fill of the first limit
    expect(h.fills(limit.id).map((f) => f.quantity)).toEqual([u('0.004')]);

    const before = h.events.length;
    const detached = h.engine.detachAccount('acc-1');
    expect(h.events.length).toBe(before);
    expect(detached.map((d) => [d.orderId, d.filledQuantity, d.fillCount])).toEqual([
      [limit.id, u('0.004'), 1],
      [stop.id, 0n, 0],
    ]);
    expect(h.engine.openOrders('acc-1')).toEqual([]);

    // Off the book: a trade through both touches only the other account's order.
    h.trade('48000', '1', 'sell');
    expect(h.events.slice(before).map((e) => e.order.id)).toEqual([other.id]);

    for (const d of detached) expect(h.engine.restoreOrder(d)).toBe(true);
    expect(h.engine.getOrder('acc-1', limit.id)).toMatchObject({
      status: 'partially_filled',
      filledQuantity: u('0.004'),
    });
    h.trade('48000', '1', 'sell');
    const fills = h.fills(limit.id);
    expect(fills.map((f) => f.quantity)).toEqual([u('0.004'), u('0.006')]);
    expect(fills.map((f) => f.id)).toEqual([`${limit.id}:1`, `${limit.id}:2`]);
    expect(h.types(stop.id)).toContain('orderTriggered');
  });
});
