import { parseScaled } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BOOK_SCALE, OrderBook } from '../../src/books/order-book.ts';

describe('OrderBook', () => {
  it('keeps both sides sorted best first, replaces and removes levels', () => {
    const b = new OrderBook();
    b.apply('bid', '100.5', '1');
    b.apply('bid', '101', '2');
    b.apply('bid', '99', '3');
    b.apply('ask', '102', '1');
    b.apply('ask', '101.5', '4');
    b.apply('ask', '103', '5');
    expect(b.best('bid')).toEqual({ price: '101', quantity: '2' });
    expect(b.best('ask')).toEqual({ price: '101.5', quantity: '4' });
    expect(b.top('bid', 5).map((l) => l.price)).toEqual(['101', '100.5', '99']);
    expect(b.top('ask', 2).map((l) => l.price)).toEqual(['101.5', '102']);
    b.apply('bid', '101.0', '0'); // same price, other spelling: removes
    b.apply('ask', '102', '7');
    b.apply('ask', '150', '0'); // removing an unknown level is normal
    expect(b.top('bid', 5).map((l) => l.price)).toEqual(['100.5', '99']);
    expect(b.top('ask', 5)).toEqual([
      { price: '101.5', quantity: '4' },
      { price: '102', quantity: '7' },
      { price: '103', quantity: '5' },
    ]);
    expect(b.depth('ask')).toBe('16');
    expect(b.depth('bid', 1)).toBe('1');
    expect(b.crossed()).toBe(false);
  });

  it('refuses a malformed level with a typed error', () => {
    const b = new OrderBook();
    expect(() => b.apply('bid', '1e5', '1')).toThrowError(
      expect.objectContaining({ code: 'VALIDATION_FAILED' }),
    );
  });

  it('walks a side like a market order (hand-computed)', () => {
    const b = new OrderBook();
    b.apply('ask', '100', '1');
    b.apply('ask', '101', '2');
    b.apply('ask', '103', '5');
    // Buy 2.5: 1 @ 100 + 1.5 @ 101 = 251.5; average 100.6
    const w = b.walk('ask', '2.5');
    expect(w.levels).toEqual([
      { price: '100', quantity: '1' },
      { price: '101', quantity: '1.5' },
    ]);
    expect(w).toMatchObject({ filled: '2.5', notional: '251.5', averagePrice: '100.6', complete: true });
    const all = b.walk('ask', '10');
    expect(all).toMatchObject({ filled: '8', notional: '817', averagePrice: '102.125', complete: false });
    // 1 x 100 + 2 x 101 + 5 x 103 = 817; 817 / 8 = 102.125.
    expect(b.walk('bid', '1')).toMatchObject({ filled: '0', averagePrice: null, complete: false });
  });

  it('property: applying random deltas equals rebuilding from the final state', () => {
    const level = fc.record({
      bid: fc.boolean(),
      price: fc.integer({ min: 1, max: 400 }),
      qty: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.array(level, { maxLength: 400 }), (updates) => {
        const live = new OrderBook();
        const model = { bid: new Map<number, number>(), ask: new Map<number, number>() };
        for (const u of updates) {
          const side = u.bid ? 'bid' : 'ask';
          const price = `${Math.floor(u.price / 4)}.${(u.price % 4) * 25}`;
          live.apply(side, price, String(u.qty));
          if (u.qty === 0) model[side].delete(u.price);
          else model[side].set(u.price, u.qty);
        }
        // Rebuild from the final state as a snapshot would deliver it, in arbitrary order.
        const rebuilt = new OrderBook();
        for (const side of ['bid', 'ask'] as const)
          for (const [p, q] of model[side])
            rebuilt.apply(side, `${Math.floor(p / 4)}.${(p % 4) * 25}`, String(q));
        expect(live.snapshot()).toEqual(rebuilt.snapshot());
        expect(live.size('bid')).toBe(model.bid.size);
      }),
      { numRuns: 300 },
    );
  });
});

describe('OrderBook parsing', () => {
  it('reads short and long decimals exactly as parseScaled does', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^(0|[1-9]\d{0,19})(\.\d{1,18})?$/), (text) => {
        const b = new OrderBook();
        b.apply('bid', text, '1');
        const best = b.bestPrice('bid');
        if (best === null) return; // a zero price is still a level; only "0" size removes
        expect(best).toBe(parseScaled(text, BOOK_SCALE));
      }),
      { numRuns: 500 },
    );
  });
});
