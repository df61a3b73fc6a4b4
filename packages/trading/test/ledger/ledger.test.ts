import { describe, expect, it } from 'vitest';
import { depositPosting, type FillInput, Ledger, type Posting } from '../../src/ledger/index.ts';
import { ALICE, BOB, limitBuy, limitSell, snapshot, T0, u } from './fixtures.ts';

function tradedLedger(): Ledger {
  const ledger = new Ledger();
  ledger.deposit({ id: 'd1', accountId: ALICE, asset: 'USDT', amount: u('1000'), time: T0 });
  ledger.deposit({ id: 'd2', accountId: BOB, asset: 'BTC', amount: u('2'), time: T0 });
  ledger.lockOrder(limitBuy({ quantity: u('3') }));
  ledger.lockOrder(limitSell({ accountId: BOB, quantity: u('1.5') }));
  ledger.fill({
    fillId: 'f1',
    orderId: 'o-buy',
    price: u('99.99'),
    quantity: u('1.25'),
    feeRate: u('0.001'),
    time: T0,
  });
  ledger.fill({
    fillId: 'f2',
    orderId: 'o-sell',
    price: u('100'),
    quantity: u('1.5'),
    feeRate: 0n,
    time: T0,
  });
  return ledger;
}

const f3: FillInput = {
  fillId: 'f3',
  orderId: 'o-buy',
  price: u('98.5'),
  quantity: u('0.75'),
  feeRate: u('0.0005'),
  time: T0 + 1,
};

describe('idempotency', () => {
  it('applies a fill at most once: the redelivery returns the first booking and changes nothing', () => {
    const ledger = tradedLedger();
    const first = ledger.fill(f3);
    const before = snapshot(ledger);
    const again = ledger.fill({ ...f3, time: T0 + 99 });
    expect(again.applied).toBe(false);
    expect(again.posting).toBe(first.posting);
    expect(again.fill).toEqual(first.fill);
    expect(snapshot(ledger)).toBe(before);
  });

  it('returns the first booking of a redelivered fill even after the order closed', () => {
    const ledger = tradedLedger();
    const last = ledger.fill({ ...f3, quantity: u('1.75') });
    expect(last.order.status).toBe('closed');
    expect(ledger.fill({ ...f3, quantity: u('1.75') }).applied).toBe(false);
  });

  it('refuses a fill id redelivered with other terms', () => {
    const ledger = tradedLedger();
    ledger.fill(f3);
    expect(() => ledger.fill({ ...f3, quantity: u('0.5') })).toThrow(
      expect.objectContaining({ code: 'LEDGER_IDEMPOTENCY_CONFLICT' }),
    );
  });

  it('applies the same posting object twice as one change', () => {
    const ledger = new Ledger();
    const p = depositPosting({ id: 'x', accountId: ALICE, asset: 'ETH', amount: 7n, time: T0 });
    expect(ledger.apply(p).applied).toBe(true);
    expect(ledger.apply(p).applied).toBe(false);
    expect(ledger.balances(ALICE)).toEqual([{ asset: 'ETH', free: 7n, locked: 0n }]);
  });
});

describe('atomicity and balance checks', () => {
  it('refuses an unbalanced posting and changes nothing', () => {
    const ledger = tradedLedger();
    const before = snapshot(ledger);
    const good = depositPosting({ id: 'y', accountId: ALICE, asset: 'USDT', amount: 5n, time: T0 });
    const bad: Posting = { ...good, entries: good.entries.map((e) => ({ ...e, amount: 5n })) };
    expect(() => ledger.apply(bad)).toThrow(expect.objectContaining({ code: 'LEDGER_UNBALANCED_POSTING' }));
    expect(snapshot(ledger)).toBe(before);
  });

  it('applies none of a posting when one of its entries would overdraw a free balance', () => {
    const ledger = tradedLedger();
    const before = snapshot(ledger);
    const credit = depositPosting({ id: 'z', accountId: ALICE, asset: 'USDT', amount: 5n, time: T0 });
    const overdraw: Posting = {
      ...credit,
      entries: [
        ...credit.entries,
        { type: 'deposit', account: `paper:${BOB}:free`, asset: 'ETH', amount: -1n },
        { type: 'deposit', account: 'system:external', asset: 'ETH', amount: 1n },
      ],
    };
    expect(() => ledger.apply(overdraw)).toThrow(
      expect.objectContaining({ code: 'LEDGER_INSUFFICIENT_FUNDS' }),
    );
    expect(snapshot(ledger)).toBe(before);
  });
});

describe('reconciliation and replay', () => {
  it('conserves every asset across all accounts, system accounts included', () => {
    const ledger = tradedLedger();
    for (const total of ledger.totals().values()) expect(total).toBe(0n);
  });

  it('recomputes the live balances and reservations from the journal', () => {
    const ledger = tradedLedger();
    expect(ledger.reconcile()).toEqual({
      ok: true,
      balances: [],
      reservations: [],
      orders: [],
      unbalancedPostings: [],
    });
  });

  it('rebuilds balances and open orders exactly by replaying the journal', () => {
    const ledger = tradedLedger();
    const replayed = Ledger.replay(ledger.journal());
    expect(snapshot(replayed)).toBe(snapshot(ledger));
    expect(replayed.order('o-buy')).toEqual(ledger.order('o-buy'));
    // The replayed ledger continues the order where the original left it.
    expect(replayed.fill(f3).fill).toEqual(ledger.fill(f3).fill);
    expect(snapshot(replayed)).toBe(snapshot(ledger));
  });

  it('refuses a replay whose journal lost a posting of an order', () => {
    const journal = tradedLedger().journal();
    const withoutLock = journal.filter((p) => p.id !== 'lock:o-buy');
    expect(() => Ledger.replay(withoutLock)).toThrow(
      expect.objectContaining({ code: 'LEDGER_ORDER_CONFLICT' }),
    );
  });
});
