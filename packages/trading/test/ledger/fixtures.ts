import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import { type Ledger, type OrderLockInput, paperAccount } from '../../src/ledger/index.ts';

/** Units of 1e-18 from a decimal string. */
export const u = (s: string): bigint => parseScaled(s, AMOUNT_SCALE);

export const ALICE = '7f1c2d3e-0000-4000-8000-000000000001';
export const BOB = '7f1c2d3e-0000-4000-8000-000000000002';
export const T0 = 1_700_000_000_000;

export const free = (ledger: Ledger, accountId: string, asset: string): bigint =>
  ledger.balance(paperAccount(accountId, 'free'), asset);
export const locked = (ledger: Ledger, accountId: string, asset: string): bigint =>
  ledger.balance(paperAccount(accountId, 'locked'), asset);

export function limitBuy(overrides: Partial<OrderLockInput> = {}): OrderLockInput {
  return {
    orderId: 'o-buy',
    accountId: ALICE,
    venue: 'sim',
    symbol: 'BTC-USDT',
    side: 'buy',
    quantity: u('0.5'),
    limitPrice: u('100'),
    takerFeeRate: u('0.001'),
    time: T0,
    ...overrides,
  };
}

export function limitSell(overrides: Partial<OrderLockInput> = {}): OrderLockInput {
  return limitBuy({ orderId: 'o-sell', side: 'sell', ...overrides });
}

/** Balances, journal length and open orders: what "nothing changed" compares. */
export function snapshot(ledger: Ledger): string {
  const rows = [...ledger.entries()].map((e) => `${e.account}/${e.asset}=${e.amount}`).sort();
  const orders = ledger.openOrders().map((o) => `${o.orderId}@${o.seq}`);
  return JSON.stringify({ rows, orders, n: ledger.journal().length });
}
