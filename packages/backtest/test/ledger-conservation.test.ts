import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runBacktest } from '../src/index.ts';
import { randomCandles, spec } from './fixtures/market.ts';
import { RandomDriver } from './fixtures/random-driver.ts';

const units = (s: string) => parseScaled(s, AMOUNT_SCALE);

describe('ledger conservation under random strategies', () => {
  it('reconciles, conserves, and ends with balances equal to the initial ones plus the fills', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        async (dataSeed, strategySeed) => {
          const bars = 150;
          const r = await runBacktest(
            spec(bars, { initialBalances: { USDT: '60000', BTC: '1' } }),
            new RandomDriver(strategySeed, 0.8),
            randomCandles(bars, dataSeed),
          );
          // runBacktest throws BACKTEST_LEDGER_MISMATCH when reconcile() or conservation fails.
          expect(r.status).toBe('completed');
          let usdt = units('60000');
          let btc = units('1');
          for (const f of r.fills) {
            const sign = f.side === 'buy' ? 1n : -1n;
            btc += sign * units(f.quantity);
            usdt -= sign * units(f.quote) + units(f.fee);
          }
          const held = Object.fromEntries(r.balances.map((b) => [b.asset, units(b.free) + units(b.locked)]));
          expect(held.USDT).toBe(usdt);
          expect(held.BTC ?? 0n).toBe(btc);
          // nothing stays locked by an order that is over
          const open = r.orders.filter((o) => o.status === 'new' || o.status === 'partially_filled');
          if (open.length === 0) expect(r.balances.every((b) => b.locked === '0')).toBe(true);
          expect(r.metrics.fills).toBe(r.fills.length);
          expect(r.metrics.rejections).toBe(r.orders.filter((o) => o.status === 'rejected').length);
        },
      ),
      { numRuns: 25 },
    );
  }, 120_000);
});
