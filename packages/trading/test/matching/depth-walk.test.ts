import { describe, expect, it } from 'vitest';
import type { DepthLevel, DepthSide, DepthView } from '../../src/matching/index.ts';
import { BTC, encode, harness, u } from './harness.ts';

/** A live book as the engine hands it to the matcher: levels best first, a count of resets. */
class TestBook implements DepthView {
  resets = 1;
  fresh = true;
  asks: DepthLevel[] = [];
  bids: DepthLevel[] = [];
  live = true;
  reads = 0;

  /** A frame that leaves a side showing these levels (sizes equal to before count as untouched). */
  set(side: DepthSide, levels: Array<[price: string, quantity: string]>): this {
    const out = levels.map(([p, q]) => ({ price: u(p), quantity: u(q) }));
    if (side === 'ask') this.asks = out;
    else this.bids = out;
    return this;
  }

  /** A snapshot or a lost socket: the engine's book was rebuilt. */
  reset(): this {
    this.resets++;
    return this;
  }

  *levels(side: DepthSide): Iterable<DepthLevel> {
    for (const l of side === 'ask' ? this.asks : this.bids) {
      this.reads++;
      yield l;
    }
  }

  source = (): DepthView | null => (this.live ? this : null);
}

const priced = (fills: Array<{ price: bigint; quantity: bigint; pricedBy: string }>) =>
  fills.map((f) => [f.price, f.quantity, f.pricedBy]);

function withBook() {
  const h = harness();
  const book = new TestBook()
    .set('ask', [
      ['101.00', '0.5'],
      ['101.02', '0.3'],
      ['101.05', '1'],
    ])
    .set('bid', [
      ['100.00', '0.4'],
      ['99.97', '0.2'],
      ['99.90', '1'],
    ]);
  h.engine.setDepthSource('binance', 'BTC-USDT', book.source);
  // The quote's sizes differ from the book's: with a live book they must not matter.
  h.quote('100.00', '5', '101.00', '5');
  return { h, book };
}

describe('takers against a live book', () => {
  it('walk three levels best first, at each level price, as taker with the taker fee', () => {
    const { h } = withBook();
    const buy = h.place({ side: 'buy', type: 'market', quantity: '1.2' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.3'), 'book'],
      [u('101.05'), u('0.4'), 'book'],
    ]);
    const last = h.of(buy.id).at(-1);
    // 50.5 + 30.306 + 40.42 = 121.226 quote; fee 0.1 % rounded up at 18 decimals.
    expect(last?.order).toMatchObject({ status: 'filled', filledQuote: u('121.226'), fees: u('0.121226') });
    const sell = h.place({ side: 'sell', type: 'market', quantity: '0.7' });
    expect(priced(h.fills(sell.id))).toEqual([
      [u('100'), u('0.4'), 'book'],
      [u('99.97'), u('0.2'), 'book'],
      [u('99.90'), u('0.1'), 'book'],
    ]);
  });

  it('do not take what an earlier order took from levels that did not change', () => {
    const { h } = withBook();
    const first = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(first.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
    const second = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(second.id))).toEqual([
      [u('101.02'), u('0.2'), 'book'],
      [u('101.05'), u('0.3'), 'book'],
    ]);
    // A quote does not change the book: the consumption stays.
    h.quote('100.00', '5', '101.00', '5');
    const third = h.place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(priced(h.fills(third.id))).toEqual([[u('101.05'), u('0.1'), 'book']]);
  });

  it('forget what was taken once the book is reset', () => {
    const { h, book } = withBook();
    h.place({ side: 'buy', type: 'market', quantity: '0.8' });
    book.reset();
    // A new quote too: what we took from the last one's size counts at its price otherwise (see below).
    h.quote('100.00', '5', '101.00', '5');
    const again = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(again.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
  });

  it('fill what the levels within the cap cannot at the cap, and never take a level beyond it', () => {
    const { h, book } = withBook();
    book.set('ask', [
      ['101.00', '0.5'],
      ['101.40', '0.5'],
      ['101.60', '10'], // beyond 101 x 1.005 = 101.505
    ]);
    const buy = h.place({ side: 'buy', type: 'market', quantity: '3' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.40'), u('0.5'), 'book'],
      [u('101.50'), u('2'), 'cap'],
    ]);
    // A book that runs out within the cap: the rest at the cap too (sell: 100 x 0.995 = 99.50).
    const sell = h.place({ side: 'sell', type: 'market', quantity: '2' });
    expect(priced(h.fills(sell.id))).toEqual([
      [u('100'), u('0.4'), 'book'],
      [u('99.97'), u('0.2'), 'book'],
      [u('99.90'), u('1'), 'book'],
      [u('99.50'), u('0.4'), 'cap'],
    ]);
  });

  it('round finer book prices away from the taker to the tick and sizes down to the lot', () => {
    const { h, book } = withBook();
    book
      .set('ask', [
        ['101.004', '0.0015'], // -> 101.01, 0.001
        ['101.009', '0.2'], // -> 101.01: one fill with the level above
        ['101.0101', '0.0009'], // less than a lot: skipped
        ['101.011', '1'], // -> 101.02
      ])
      .set('bid', [
        ['99.996', '0.3'], // -> 99.99
        ['99.9849', '1'], // -> 99.98
      ]);
    const buy = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101.01'), u('0.201'), 'book'],
      [u('101.02'), u('0.299'), 'book'],
    ]);
    // What was taken is remembered per book level: the 0.0005 left at 101.004 is still less than a lot.
    const more = h.place({ side: 'buy', type: 'market', quantity: '0.05' });
    expect(priced(h.fills(more.id))).toEqual([[u('101.02'), u('0.05'), 'book']]);
    const sell = h.place({ side: 'sell', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(sell.id))).toEqual([
      [u('99.99'), u('0.3'), 'book'],
      [u('99.98'), u('0.2'), 'book'],
    ]);
  });

  it('stop a marketable limit at its price and rest the remainder, with no fill at the cap', () => {
    const { h } = withBook();
    const buy = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '101.02' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.3'), 'book'],
    ]);
    expect(h.engine.openOrders('acc-1')).toMatchObject([{ id: buy.id, status: 'partially_filled' }]);
  });

  it('measure FOK against the book: expire untouched when it cannot fill, fill when it can', () => {
    const { h } = withBook();
    const no = h.place({ side: 'buy', type: 'limit', quantity: '1', price: '101.02', timeInForce: 'FOK' });
    expect(h.fills(no.id)).toEqual([]);
    expect(h.of(no.id).at(-1)).toMatchObject({ reason: 'FOK_NOT_FILLABLE' });
    const yes = h.place({ side: 'buy', type: 'limit', quantity: '0.8', price: '101.02', timeInForce: 'FOK' });
    expect(priced(h.fills(yes.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.3'), 'book'],
    ]);
  });

  it('walk the book for a triggered stop', () => {
    const { h } = withBook();
    const stop = h.place({ side: 'buy', type: 'stop_market', quantity: '0.6', stopPrice: '100.50' });
    h.trade('100.50', '0.01', 'buy');
    expect(priced(h.fills(stop.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
  });

  it('read only the levels the walk needs', () => {
    const { h, book } = withBook();
    book.reads = 0;
    h.place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(book.reads).toBe(1);
  });

  it('keep the source when the instrument is registered again with other tick decimals', () => {
    const { h } = withBook();
    h.engine.setInstrument({ ...BTC, tickSize: '0.001' });
    h.quote('100.000', '5', '101.000', '5');
    const buy = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
  });
});

describe('takers without a live book', () => {
  /** A fixed session of quotes, trades and orders; returns the encoded event log. */
  function session(setup: (h: ReturnType<typeof harness>) => void): string {
    const h = harness({ slippage: { levels: 2, depthTrades: 2 } });
    setup(h);
    for (let i = 0; i < 3; i++) h.trade('100.50', '1');
    h.quote('100.00', '0.1', '101.00', '0.1');
    h.place({ side: 'buy', type: 'market', quantity: '5' });
    h.place({ side: 'sell', type: 'market', quantity: '5' });
    h.place({ side: 'buy', type: 'limit', quantity: '1', price: '101.01' });
    h.place({ side: 'buy', type: 'limit', quantity: '3', price: '101.50', timeInForce: 'FOK' });
    h.trade('100.90', '2', 'sell');
    h.place({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '100.40' });
    h.trade('100.40', '0.3');
    return encode(h.events);
  }

  it('price exactly as the model does when the source has no live book, an empty side, or is removed', () => {
    const model = session(() => {});
    expect(model).toContain('"pricedBy":"model"');
    expect(model).toContain('"pricedBy":"cap"');
    const notLive = new TestBook().set('ask', [['101.00', '9']]).set('bid', [['100.00', '9']]);
    notLive.live = false;
    expect(session((h) => h.engine.setDepthSource('binance', 'BTC-USDT', notLive.source))).toBe(model);
    const empty = new TestBook();
    expect(session((h) => h.engine.setDepthSource('binance', 'BTC-USDT', empty.source))).toBe(model);
    const removed = new TestBook().set('ask', [['101.00', '9']]).set('bid', [['100.00', '9']]);
    expect(
      session((h) => {
        h.engine.setDepthSource('binance', 'BTC-USDT', removed.source);
        h.engine.setDepthSource('binance', 'BTC-USDT', null);
      }),
    ).toBe(model);
    // And the live book does change the outcome (the comparison above can fail).
    const live = new TestBook().set('ask', [['101.00', '9']]).set('bid', [['100.00', '9']]);
    expect(session((h) => h.engine.setDepthSource('binance', 'BTC-USDT', live.source))).not.toBe(model);
  });

  it('do not retake at the quote what a walk took at the same price before the book went away', () => {
    const { h, book } = withBook();
    h.quote('100.00', '1', '101.00', '1');
    h.place({ side: 'buy', type: 'market', quantity: '0.4' });
    book.live = false;
    const next = h.place({ side: 'buy', type: 'market', quantity: '0.8' });
    expect(priced(h.fills(next.id))[0]).toEqual([u('101'), u('0.6'), 'quote']);
  });
});

describe('takers never fill better than the market now', () => {
  it('a stop triggered by a trade through the book takes from the trade price on, not the passed levels', () => {
    const { h } = withBook();
    const stop = h.place({ side: 'buy', type: 'stop_market', quantity: '0.6', stopPrice: '101.04' });
    // The market bought through 101.00 and 101.02; the depth frame saying so has not come yet.
    h.trade('101.05', '0.8', 'buy');
    expect(priced(h.fills(stop.id))).toEqual([[u('101.05'), u('0.6'), 'book']]);
    const sell = h.place({ side: 'sell', type: 'stop_market', quantity: '0.5', stopPrice: '99.95' });
    h.trade('99.90', '0.7', 'sell');
    expect(priced(h.fills(sell.id))).toEqual([[u('99.90'), u('0.5'), 'book']]);
  });

  it('a quote ahead of the depth socket: the levels below its ask are not taken', () => {
    const { h } = withBook();
    h.quote('100.00', '5', '101.02', '5');
    const buy = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(buy.id))).toEqual([
      [u('101.02'), u('0.3'), 'book'],
      [u('101.05'), u('0.2'), 'book'],
    ]);
  });

  it('a book showing only levels the market passed is not walked: the model prices the order', () => {
    const { h } = withBook();
    h.quote('100.00', '5', '101.10', '5');
    const buy = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(buy.id))).toEqual([[u('101.10'), u('0.6'), 'quote']]);
  });
});

describe('a book that disagrees with the quote', () => {
  it('not fresh: walked while its best is the top, the model once the quote moved on', () => {
    const { h, book } = withBook();
    book.fresh = false;
    const quiet = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(quiet.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
    // The quote says the best ask is 100.98 now; the book has not heard from the venue for a while.
    h.quote('100.00', '5', '100.98', '5');
    const frozen = h.place({ side: 'buy', type: 'market', quantity: '0.3' });
    expect(priced(h.fills(frozen.id))).toEqual([[u('100.98'), u('0.3'), 'quote']]);
    // The same book heard from the venue just now: a quote a frame ahead of it, the book is walked.
    book.fresh = true;
    const fresh = h.place({ side: 'buy', type: 'market', quantity: '0.2' });
    expect(priced(h.fills(fresh.id))).toEqual([[u('101.02'), u('0.2'), 'book']]);
  });

  it('fresh or not: a best level farther from the top than the cap is not this market', () => {
    const { h, book } = withBook();
    book.set('ask', [
      ['102.00', '5'],
      ['102.10', '5'],
    ]);
    const buy = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(buy.id))).toEqual([[u('101'), u('0.5'), 'quote']]);
    book.set('bid', [['98.00', '5']]);
    const sell = h.place({ side: 'sell', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(sell.id))).toEqual([[u('100'), u('0.5'), 'quote']]);
    // Far on the better side, even with levels at the top behind it: a book that far behind is not trusted.
    book.set('ask', [
      ['100.40', '1'],
      ['101.00', '0.5'],
      ['101.02', '0.3'],
    ]);
    const behind = h.place({ side: 'buy', type: 'market', quantity: '0.5' });
    expect(priced(h.fills(behind.id))).toEqual([[u('101'), u('0.5'), 'quote']]);
  });
});

describe('what our takers took from a level', () => {
  it('is remembered across frames that leave the level as it was', () => {
    const { h, book } = withBook();
    h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    // A frame changing another level only (101.05); 101.00 and 101.02 still show what they showed.
    book.set('ask', [
      ['101.00', '0.5'],
      ['101.02', '0.3'],
      ['101.05', '0.7'],
    ]);
    const next = h.place({ side: 'buy', type: 'market', quantity: '0.3' });
    expect(priced(h.fills(next.id))).toEqual([
      [u('101.02'), u('0.2'), 'book'],
      [u('101.05'), u('0.1'), 'book'],
    ]);
  });

  it('is forgotten when the level shows another size (with the quote saying so)', () => {
    const { h, book } = withBook();
    h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    book.set('ask', [
      ['101.00', '0.6'],
      ['101.02', '0.3'],
      ['101.05', '1'],
    ]);
    h.quote('100.00', '0.4', '101.00', '0.6');
    const next = h.place({ side: 'buy', type: 'market', quantity: '0.7' });
    expect(priced(h.fills(next.id))).toEqual([
      [u('101'), u('0.6'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
  });

  it('is forgotten when the level leaves the book, even if it comes back with the same size', () => {
    const { h, book } = withBook();
    h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    book.set('ask', [
      ['101.02', '0.3'],
      ['101.05', '1'],
    ]);
    h.quote('100.00', '0.4', '101.02', '0.3');
    const between = h.place({ side: 'buy', type: 'market', quantity: '0.1' });
    expect(priced(h.fills(between.id))).toEqual([[u('101.02'), u('0.1'), 'book']]);
    book.set('ask', [
      ['101.00', '0.5'],
      ['101.02', '0.3'],
      ['101.05', '1'],
    ]);
    h.quote('100.00', '0.4', '101.00', '0.5');
    const back = h.place({ side: 'buy', type: 'market', quantity: '0.6' });
    expect(priced(h.fills(back.id))).toEqual([
      [u('101'), u('0.5'), 'book'],
      [u('101.02'), u('0.1'), 'book'],
    ]);
  });

  it('from the quote by a model walk while the book was away counts at the top when it comes back', () => {
    const { h, book } = withBook();
    h.quote('100.00', '0.4', '101.00', '1');
    book.live = false;
    const model = h.place({ side: 'buy', type: 'market', quantity: '0.4' });
    expect(priced(h.fills(model.id))).toEqual([[u('101'), u('0.4'), 'quote']]);
    book.reset();
    book.live = true;
    const next = h.place({ side: 'buy', type: 'market', quantity: '0.3' });
    expect(priced(h.fills(next.id))).toEqual([
      [u('101'), u('0.1'), 'book'],
      [u('101.02'), u('0.2'), 'book'],
    ]);
  });
});

describe('takerTop', () => {
  it('is the top a walk starts from: a quote finer than the tick rounded away, a trade through it', () => {
    const h = harness();
    expect(h.engine.takerTop('binance', 'BTC-USDT', 'buy')).toBeNull();
    h.quote('99.995', '1', '100.005', '1');
    expect(h.engine.takerTop('binance', 'BTC-USDT', 'buy')).toBe(u('100.01'));
    expect(h.engine.takerTop('binance', 'BTC-USDT', 'sell')).toBe(u('99.99'));
    h.trade('100.20', '0.1', 'buy');
    expect(h.engine.takerTop('binance', 'BTC-USDT', 'buy')).toBe(u('100.2'));
    expect(h.engine.takerTop('okx', 'ETH-USDT', 'buy')).toBeNull();
  });
});
