import { describe, expect, it } from 'vitest';
import {
  EXTERNAL_ACCOUNT,
  isLedgerError,
  Ledger,
  sumByAsset,
  toBalanceView,
} from '../../src/ledger/index.ts';
import { ALICE, free, snapshot, T0, u } from './fixtures.ts';

const deposit = (ledger: Ledger, id: string, amount: string, asset = 'USDT') =>
  ledger.deposit({ id, accountId: ALICE, asset, amount: u(amount), time: T0 });

describe('deposits and withdrawals', () => {
  it('credits a deposit to free from the external account, summing to zero', () => {
    const ledger = new Ledger();
    const { posting } = deposit(ledger, 'd1', '1000.5');
    expect(free(ledger, ALICE, 'USDT')).toBe(u('1000.5'));
    expect(ledger.balance(EXTERNAL_ACCOUNT, 'USDT')).toBe(-u('1000.5'));
    expect(posting.id).toBe('deposit:d1');
    expect([...sumByAsset(posting.entries).values()]).toEqual([0n]);
  });

  it('withdraws up to the whole free balance', () => {
    const ledger = new Ledger();
    deposit(ledger, 'd1', '10');
    ledger.withdraw({ id: 'w1', accountId: ALICE, asset: 'USDT', amount: u('10'), time: T0 });
    expect(free(ledger, ALICE, 'USDT')).toBe(0n);
    expect(ledger.totals().get('USDT')).toBe(0n);
  });

  it('refuses to withdraw more than free with LEDGER_INSUFFICIENT_FUNDS and changes nothing', () => {
    const ledger = new Ledger();
    deposit(ledger, 'd1', '10');
    const before = snapshot(ledger);
    let error: unknown;
    try {
      ledger.withdraw({
        id: 'w1',
        accountId: ALICE,
        asset: 'USDT',
        amount: u('10.000000000000000001'),
        time: T0,
      });
    } catch (err) {
      error = err;
    }
    expect(isLedgerError(error, 'LEDGER_INSUFFICIENT_FUNDS')).toBe(true);
    expect((error as Error).message).toContain('10 available, 10.000000000000000001 needed');
    expect(snapshot(ledger)).toBe(before);
    expect(ledger.posting('withdrawal:w1')).toBeUndefined();
  });

  it('refuses to withdraw an asset never deposited', () => {
    const ledger = new Ledger();
    expect(() => ledger.withdraw({ id: 'w', accountId: ALICE, asset: 'BTC', amount: 1n, time: T0 })).toThrow(
      expect.objectContaining({ code: 'LEDGER_INSUFFICIENT_FUNDS' }),
    );
  });

  it('refuses zero and negative amounts', () => {
    const ledger = new Ledger();
    expect(() => deposit(ledger, 'd0', '0')).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_INPUT' }),
    );
    expect(() => deposit(ledger, 'd0', '-1')).toThrow(
      expect.objectContaining({ code: 'LEDGER_INVALID_INPUT' }),
    );
  });

  it('applies a deposit id once, and returns the first result on a retry', () => {
    const ledger = new Ledger();
    const first = deposit(ledger, 'd1', '5');
    const again = deposit(ledger, 'd1', '5');
    expect(again.applied).toBe(false);
    expect(again.posting).toBe(first.posting);
    expect(free(ledger, ALICE, 'USDT')).toBe(u('5'));
  });

  it('refuses a retried deposit id carrying another amount', () => {
    const ledger = new Ledger();
    deposit(ledger, 'd1', '5');
    expect(() => deposit(ledger, 'd1', '6')).toThrow(
      expect.objectContaining({ code: 'LEDGER_IDEMPOTENCY_CONFLICT' }),
    );
  });

  it('returns the first result of a retried withdrawal even once funds no longer cover it', () => {
    const ledger = new Ledger();
    deposit(ledger, 'd1', '5');
    const w = { id: 'w1', accountId: ALICE, asset: 'USDT', amount: u('5'), time: T0 };
    ledger.withdraw(w);
    expect(ledger.withdraw(w).applied).toBe(false);
    expect(free(ledger, ALICE, 'USDT')).toBe(0n);
  });

  it('formats balances as canonical decimal strings', () => {
    const ledger = new Ledger();
    deposit(ledger, 'd1', '1000.50');
    deposit(ledger, 'd2', '0.00000001', 'BTC');
    expect(ledger.balances(ALICE).map(toBalanceView)).toEqual([
      { asset: 'BTC', free: '0.00000001', locked: '0', total: '0.00000001' },
      { asset: 'USDT', free: '1000.5', locked: '0', total: '1000.5' },
    ]);
  });
});
