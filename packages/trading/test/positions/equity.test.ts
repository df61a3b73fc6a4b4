import { describe, expect, it } from 'vitest';
import { accountEquity, valueIn } from '../../src/positions/index.ts';
import { u } from '../ledger/fixtures.ts';

const prices = new Map([
  ['BTC-USDT', u('64000.12')],
  ['USDT-EUR', u('0.9')],
]);

describe('account equity', () => {
  it('marks free and locked balances of every asset to the quote currency', () => {
    const equity = accountEquity(
      [
        { asset: 'BTC', free: u('0.25'), locked: u('0.25') },
        { asset: 'USDT', free: u('100'), locked: u('50') },
      ],
      'USDT',
      prices,
    );
    expect(equity).toEqual({ complete: true, equity: u('32150.06') });
  });

  it('converts through the inverse pair, rounding down', () => {
    expect(valueIn(u('10'), 'EUR', 'USDT', prices)).toBe(u('11.111111111111111111'));
  });

  it('names the assets it cannot price instead of returning a partial figure', () => {
    const equity = accountEquity(
      [
        { asset: 'DOGE', free: 1n, locked: 0n },
        { asset: 'SHIB', free: 0n, locked: 0n },
        { asset: 'USDT', free: u('1'), locked: 0n },
      ],
      'USDT',
      prices,
    );
    expect(equity).toEqual({ complete: false, equity: null, unpriced: ['DOGE'] });
  });
});
