import { describe, expect, it } from 'vitest';
import { PaperBook } from '../../src/account/index.ts';
import { depositPosting, orderLockPosting, orderUnlockPosting } from '../../src/ledger/index.ts';

const u = (whole: number): bigint => BigInt(whole) * 10n ** 18n;

describe('PaperBook.apply of a posting the ledger already holds', () => {
  it('changes nothing: a closed order does not come back into the open-order index', () => {
    const book = new PaperBook();
    book.apply(depositPosting({ id: 'd', accountId: 'acc', asset: 'USDT', amount: u(1_000), time: 0 }));
    const lock = orderLockPosting({
      orderId: 'o1',
      accountId: 'acc',
      venue: 'binance',
      symbol: 'BTC-USDT',
      side: 'buy',
      quantity: u(1),
      limitPrice: u(100),
      quoteBudget: null,
      takerFeeRate: 10n ** 15n,
      time: 1,
    });
    book.apply(lock);
    expect(book.exposure('acc', 'binance', 'BTC-USDT').openOrders).toBe(1);
    const reservation = book.ledger.order('o1');
    if (!reservation) throw new Error('no reservation');
    book.apply(orderUnlockPosting(reservation, { orderId: 'o1', time: 2 }));
    expect(book.exposure('acc', 'binance', 'BTC-USDT').openOrders).toBe(0);

    // The lock again (a retried write that finds it stored): the ledger ignores it, so must the index.
    expect(book.apply(lock)).toBeNull();
    expect(book.exposure('acc', 'binance', 'BTC-USDT')).toEqual({
      openOrders: 0,
      openBuyQuantity: 0n,
      openSellQuantity: 0n,
    });
    expect(book.openOrders('acc').size).toBe(0);
  });
});
