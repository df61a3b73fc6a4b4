import { describe, expect, it } from 'vitest';
import { isLedgerError, Ledger, type Posting, paperAccount } from '../../src/ledger/index.ts';
import { ALICE, free, limitBuy, T0, u } from './fixtures.ts';

const FREE = paperAccount(ALICE, 'free');
const LOCKED = paperAccount(ALICE, 'locked');

function posting(id: string, entries: [account: string, asset: string, amount: string][]): Posting {
  return {
    id,
    type: 'fill',
    accountId: ALICE,
    orderId: null,
    fillId: null,
    time: T0,
    entries: entries.map(([account, asset, amount]) => ({ type: 'fill', account, asset, amount: u(amount) })),
    fill: null,
    order: null,
  };
}

describe('Ledger.apply netting and live reads', () => {
  it('accountBalances is the live per-asset map of one bucket, the same figures as balances()', () => {
    const ledger = new Ledger();
    expect(ledger.accountBalances(FREE).size).toBe(0);
    ledger.deposit({ id: 'd1', accountId: ALICE, asset: 'USDT', amount: u('1000'), time: T0 });
    ledger.lockOrder(limitBuy());
    const liveFree = ledger.accountBalances(FREE);
    const liveLocked = ledger.accountBalances(LOCKED);
    for (const b of ledger.balances(ALICE)) {
      expect(liveFree.get(b.asset) ?? 0n).toBe(b.free);
      expect(liveLocked.get(b.asset) ?? 0n).toBe(b.locked);
    }
    ledger.deposit({ id: 'd2', accountId: ALICE, asset: 'BTC', amount: u('2'), time: T0 });
    expect(ledger.accountBalances(FREE).get('BTC')).toBe(u('2'));
  });

  it('nets entries per (account, asset) before checking: a pass-through through an empty bucket applies', () => {
    const ledger = new Ledger();
    // +5 then -5 on the same empty bucket nets to zero: never negative, so it applies.
    ledger.apply(
      posting('p1', [
        ['venue:sim', 'BTC', '-5'],
        [FREE, 'BTC', '5'],
        [FREE, 'BTC', '-5'],
        ['venue:sim', 'BTC', '5'],
      ]),
    );
    expect(free(ledger, ALICE, 'BTC')).toBe(0n);
    expect(ledger.reconcile().ok).toBe(true);
  });

  it('refuses on the first short bucket by account, then asset, in order of first appearance', () => {
    const ledger = new Ledger();
    ledger.deposit({ id: 'd1', accountId: ALICE, asset: 'ETH', amount: u('1'), time: T0 });
    // free ETH is covered; free BTC (the free bucket's next asset) is checked before locked USDT.
    const entries: [string, string, string][] = [
      [FREE, 'ETH', '-1'],
      [LOCKED, 'USDT', '-1'],
      [FREE, 'BTC', '-1'],
      ['venue:sim', 'ETH', '1'],
      ['venue:sim', 'USDT', '1'],
      ['venue:sim', 'BTC', '1'],
    ];
    const error = (() => {
      try {
        ledger.apply(posting('p2', entries));
      } catch (e) {
        return e;
      }
    })();
    expect(isLedgerError(error, 'LEDGER_INSUFFICIENT_FUNDS')).toBe(true);
    expect((error as Error).message).toBe(
      'Not enough BTC: 0 available, 1 needed. Deposit more or reduce the amount.',
    );
    expect(ledger.journal()).toHaveLength(1);
    expect(free(ledger, ALICE, 'ETH')).toBe(u('1'));
  });
});
