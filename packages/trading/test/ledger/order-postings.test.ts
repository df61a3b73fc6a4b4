import { describe, expect, it } from 'vitest';
import {
  affordableQuantity,
  FEE_ACCOUNT,
  type FillInput,
  fillPosting,
  isBalanced,
  Ledger,
  orderUnlockPosting,
  remainingReservation,
  sumByAsset,
  venueAccount,
} from '../../src/ledger/index.ts';
import { ALICE, free, limitBuy, limitSell, locked, snapshot, T0, u } from './fixtures.ts';

function funded(usdt = '100', btc = '1'): Ledger {
  const ledger = new Ledger();
  ledger.deposit({ id: 'du', accountId: ALICE, asset: 'USDT', amount: u(usdt), time: T0 });
  ledger.deposit({ id: 'db', accountId: ALICE, asset: 'BTC', amount: u(btc), time: T0 });
  return ledger;
}

const fill = (over: Partial<FillInput> & Pick<FillInput, 'fillId'>): FillInput => ({
  orderId: 'o-buy',
  price: u('100'),
  quantity: u('0.5'),
  feeRate: u('0.001'),
  time: T0,
  ...over,
});

describe('locking for an order', () => {
  it('locks price x quantity plus the fee reserve at the taker rate for a limit buy', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    expect(locked(ledger, ALICE, 'USDT')).toBe(u('50.05'));
    expect(free(ledger, ALICE, 'USDT')).toBe(u('49.95'));
    expect(remainingReservation(ledger.order('o-buy') ?? expect.fail())).toBe(u('50.05'));
  });

  it('rounds a buy reservation up to the unit', () => {
    const ledger = funded();
    // 0.5 units of quote: the reservation rounds up to 1 unit, and its fee reserve to 1 unit.
    ledger.lockOrder(limitBuy({ limitPrice: 1n, quantity: u('0.5') }));
    expect(locked(ledger, ALICE, 'USDT')).toBe(2n);
  });

  it('locks the caller-given quote budget plus its fee reserve for a market buy', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy({ limitPrice: null, quoteBudget: u('50.5') }));
    expect(locked(ledger, ALICE, 'USDT')).toBe(u('50.5505'));
  });

  it('locks the base quantity for a sell', () => {
    const ledger = funded();
    ledger.lockOrder(limitSell());
    expect(locked(ledger, ALICE, 'BTC')).toBe(u('0.5'));
    expect(free(ledger, ALICE, 'BTC')).toBe(u('0.5'));
  });

  it('refuses an order whose reservation exceeds free, changing nothing', () => {
    const ledger = funded('50.049999999999999999');
    const before = snapshot(ledger);
    expect(() => ledger.lockOrder(limitBuy())).toThrow(
      expect.objectContaining({ code: 'LEDGER_INSUFFICIENT_FUNDS' }),
    );
    expect(() => ledger.lockOrder(limitSell({ quantity: u('1.1') }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_INSUFFICIENT_FUNDS' }),
    );
    expect(snapshot(ledger)).toBe(before);
    expect(ledger.order('o-buy')).toBeUndefined();
  });

  it('refuses a buy with both or neither of a limit price and a quote budget', () => {
    const ledger = funded();
    expect(() => ledger.lockOrder(limitBuy({ quoteBudget: u('1') }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_INPUT' }),
    );
    expect(() => ledger.lockOrder(limitBuy({ limitPrice: null }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_INPUT' }),
    );
  });
});

describe('booking fills', () => {
  it('books a buy fill as trade legs against the venue and a fee from the quote reserve', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    const { posting, fill: booked } = ledger.fill(fill({ fillId: 'f1', quantity: u('0.2'), price: u('99') }));
    expect(booked).toMatchObject({ quote: u('19.8'), fee: u('0.0198'), feeAsset: 'USDT' });
    expect(isBalanced(posting.entries)).toBe(true);
    expect(ledger.balance(venueAccount('sim'), 'USDT')).toBe(u('19.8'));
    expect(ledger.balance(venueAccount('sim'), 'BTC')).toBe(-u('0.2'));
    expect(ledger.balance(FEE_ACCOUNT, 'USDT')).toBe(u('0.0198'));
    expect(free(ledger, ALICE, 'BTC')).toBe(u('1.2'));
    expect(locked(ledger, ALICE, 'USDT')).toBe(u('50.05') - u('19.8198'));
  });

  it('releases price improvement and the unused fee reserve when the last fill completes a buy', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    ledger.fill(fill({ fillId: 'f1', quantity: u('0.2'), price: u('99'), feeRate: u('0.0005') }));
    const last = ledger.fill(fill({ fillId: 'f2', quantity: u('0.3'), price: u('100') }));
    expect(last.order.status).toBe('closed');
    const release = last.posting.entries.filter((e) => e.type === 'order_unlock' && e.amount > 0n);
    expect(release).toEqual([
      { type: 'order_unlock', account: `paper:${ALICE}:free`, asset: 'USDT', amount: u('0.2101') },
    ]);
    expect(locked(ledger, ALICE, 'USDT')).toBe(0n);
    expect(free(ledger, ALICE, 'USDT')).toBe(u('100') - u('49.8') - u('0.0399'));
    expect(ledger.openOrders()).toEqual([]);
  });

  it('books a sell fill with the fee taken from its proceeds', () => {
    const ledger = funded();
    ledger.lockOrder(limitSell());
    const { fill: booked, order } = ledger.fill(fill({ fillId: 'f1', orderId: 'o-sell', price: u('101') }));
    expect(booked).toMatchObject({ quote: u('50.5'), fee: u('0.0505') });
    expect(order.status).toBe('closed');
    expect(free(ledger, ALICE, 'USDT')).toBe(u('100') + u('50.4495'));
    expect(free(ledger, ALICE, 'BTC')).toBe(u('0.5'));
    expect(locked(ledger, ALICE, 'BTC')).toBe(0n);
  });

  it('rounds a fee up to the unit', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy({ limitPrice: u('1'), quantity: 3n }));
    // 3 units of quote at 0.1%: 0.003 units of fee, booked as 1 unit.
    const { fill: booked } = ledger.fill(fill({ fillId: 'f1', price: u('1'), quantity: 3n }));
    expect(booked).toMatchObject({ quote: 3n, fee: 1n });
    expect(ledger.balance(FEE_ACCOUNT, 'USDT')).toBe(1n);
  });

  it('rounds an order quote once so three fills never cost more than reserved', () => {
    const ledger = funded();
    // 15 units at 0.1: 1.5 units of quote, reserved as 2. Rounding each 0.5-unit fill up would cost 3.
    ledger.lockOrder(limitBuy({ limitPrice: u('0.1'), quantity: 15n, takerFeeRate: 0n }));
    const quotes = ['f1', 'f2', 'f3'].map(
      (fillId) => ledger.fill(fill({ fillId, price: u('0.1'), quantity: 5n, feeRate: 0n })).fill.quote,
    );
    expect(quotes).toEqual([1n, 0n, 1n]);
    expect(ledger.order('o-buy')?.filledQuote).toBe(2n);
    expect(ledger.totals().get('USDT')).toBe(0n);
  });

  it('rounds a sell quote down and never charges a fee above the proceeds', () => {
    const ledger = funded();
    ledger.lockOrder(limitSell({ limitPrice: null, quantity: 3n, takerFeeRate: u('1') }));
    const f = ledger.fill(
      fill({ fillId: 'f1', orderId: 'o-sell', price: u('0.5'), quantity: 1n, feeRate: u('1') }),
    );
    expect(f.fill).toMatchObject({ quote: 0n, fee: 0n });
    const g = ledger.fill(
      fill({ fillId: 'f2', orderId: 'o-sell', price: u('0.5'), quantity: 2n, feeRate: u('1') }),
    );
    expect(g.fill).toMatchObject({ quote: 1n, fee: 1n });
  });

  it('refuses fills beyond the order: quantity, limit price, fee rate', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    const before = snapshot(ledger);
    for (const bad of [
      fill({ fillId: 'x1', quantity: u('0.6') }),
      fill({ fillId: 'x2', price: u('100.01') }),
      fill({ fillId: 'x3', feeRate: u('0.0011') }),
    ]) {
      expect(() => ledger.fill(bad)).toThrow(
        expect.objectContaining({ code: 'LEDGER_RESERVATION_EXCEEDED' }),
      );
    }
    expect(snapshot(ledger)).toBe(before);
  });

  it('refuses a market buy fill that costs more than the budget, and says how much fits', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy({ limitPrice: null, quoteBudget: u('50.5') }));
    expect(() => ledger.fill(fill({ fillId: 'x', price: u('102') }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_RESERVATION_EXCEEDED' }),
    );
    const order = ledger.order('o-buy') ?? expect.fail();
    const fits = affordableQuantity(order, u('102'));
    expect(fits).toBe((u('50.5') * 10n ** 18n) / u('102'));
    ledger.fill(fill({ fillId: 'f1', price: u('102'), quantity: fits }));
    expect(affordableQuantity(ledger.order('o-buy') ?? expect.fail(), u('102'))).toBe(0n);
    expect(() => ledger.fill(fill({ fillId: 'f2', price: u('102'), quantity: 1n }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_RESERVATION_EXCEEDED' }),
    );
  });

  it('refuses a fill for an order the ledger does not hold or has closed', () => {
    const ledger = funded();
    expect(() => ledger.fill(fill({ fillId: 'f1' }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_ORDER_CONFLICT' }),
    );
    ledger.lockOrder(limitBuy());
    ledger.fill(fill({ fillId: 'f1' }));
    expect(() => ledger.fill(fill({ fillId: 'f2', quantity: 1n }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_ORDER_CONFLICT' }),
    );
  });
});

describe('unlocking on cancel or expiry', () => {
  it('releases the remainder of a partially filled buy, fee reserve included', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    ledger.fill(fill({ fillId: 'f1', quantity: u('0.2'), price: u('99') }));
    const { posting } = ledger.unlockOrder({ orderId: 'o-buy', time: T0 });
    expect(posting.type).toBe('order_unlock');
    expect([...sumByAsset(posting.entries).values()]).toEqual([0n]);
    expect(locked(ledger, ALICE, 'USDT')).toBe(0n);
    expect(free(ledger, ALICE, 'USDT')).toBe(u('100') - u('19.8198'));
    expect(ledger.order('o-buy')?.status).toBe('closed');
  });

  it('unlocks once: a repeated cancel changes nothing', () => {
    const ledger = funded();
    ledger.lockOrder(limitSell());
    ledger.unlockOrder({ orderId: 'o-sell', time: T0 });
    const before = snapshot(ledger);
    expect(ledger.unlockOrder({ orderId: 'o-sell', time: T0 + 5 }).applied).toBe(false);
    expect(snapshot(ledger)).toBe(before);
  });

  it('refuses a posting built from an order state the ledger has moved past', () => {
    const ledger = funded();
    ledger.lockOrder(limitBuy());
    const stale = ledger.order('o-buy') ?? expect.fail();
    ledger.fill(fill({ fillId: 'f1', quantity: u('0.1') }));
    expect(() => ledger.apply(fillPosting(stale, fill({ fillId: 'f2', quantity: u('0.1') })))).toThrow(
      expect.objectContaining({ code: 'LEDGER_ORDER_CONFLICT' }),
    );
    expect(() => ledger.apply(orderUnlockPosting(stale, { orderId: 'o-buy', time: T0 }))).toThrow(
      expect.objectContaining({ code: 'LEDGER_ORDER_CONFLICT' }),
    );
  });
});
