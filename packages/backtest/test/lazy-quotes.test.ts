import { describe, expect, it } from 'vitest';
import { runBacktest, serializeResult } from '../src/index.ts';
import { SmaCrossover } from './fixtures/drivers.ts';
import { MINUTE, randomCandles, randomTrades, spec, T0 } from './fixtures/market.ts';
import { RandomDriver } from './fixtures/random-driver.ts';

// The hot-path shortcut: quotes reach the matcher only while an order of ours is open on the instrument
// (or right before one is placed). It must not change a single byte of the result.
describe('lazy synthetic quotes', () => {
  it('gives the same result as feeding every quote, for random orders', async () => {
    for (const seed of [1, 2, 3]) {
      const data = randomCandles(400, seed);
      const s = spec(400, {
        initialBalances: { USDT: '80000', BTC: '1' },
        latencyMs: seed === 3 ? 20_000 : 0,
      });
      const lazy = await runBacktest(s, new RandomDriver(seed * 7, 1.5), data);
      const eager = await runBacktest(s, new RandomDriver(seed * 7, 1.5), data, { eagerQuotes: true });
      expect(lazy.metrics.fills).toBeGreaterThan(20);
      expect(serializeResult(lazy)).toBe(serializeResult(eager));
    }
  });

  it('gives the same result as feeding every quote, for market orders larger than the quoted size', async () => {
    const data = randomCandles(2_000, 9);
    const s = spec(2_000, {
      params: { fast: 3, slow: 8, quantity: 3 },
      initialBalances: { USDT: '1000000' },
    });
    const lazy = await runBacktest(s, new SmaCrossover(), data);
    const eager = await runBacktest(s, new SmaCrossover(), data, { eagerQuotes: true });
    expect(lazy.metrics.fills).toBeGreaterThan(lazy.metrics.orders); // walked past the quote
    expect(serializeResult(lazy)).toBe(serializeResult(eager));
  });

  it('gives the same result as feeding every quote in trades mode', async () => {
    const trades = randomTrades(3_000, 4);
    const bars = Math.ceil(((trades[trades.length - 1]?.exchangeTime ?? T0) - T0) / MINUTE) + 1;
    const s = spec(bars, { mode: 'trades', initialBalances: { USDT: '80000', BTC: '1' } });
    const lazy = await runBacktest(s, new RandomDriver(3, 1), trades);
    const eager = await runBacktest(s, new RandomDriver(3, 1), trades, { eagerQuotes: true });
    expect(lazy.metrics.fills).toBeGreaterThan(20);
    expect(serializeResult(lazy)).toBe(serializeResult(eager));
  });
});
