import { describe, expect, it } from 'vitest';
import { runBacktest, serializeResult } from '../src/index.ts';
import { SmaCrossover } from './fixtures/drivers.ts';
import { randomCandles, spec } from './fixtures/market.ts';
import { RandomDriver } from './fixtures/random-driver.ts';

const params = { fast: 5, slow: 20, quantity: 0.5 };

async function* asAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const x of items) yield x;
}

describe('determinism', () => {
  it('gives byte-identical results for the same inputs, with a freshly constructed driver each time', async () => {
    const data = randomCandles(2_000, 11);
    const a = serializeResult(await runBacktest(spec(2_000, { params }), new SmaCrossover(), data));
    const b = serializeResult(await runBacktest(spec(2_000, { params }), new SmaCrossover(), [...data]));
    const c = serializeResult(await runBacktest(spec(2_000, { params }), new SmaCrossover(), asAsync(data)));
    expect(a.length).toBeGreaterThan(10_000);
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('is byte-identical for a strategy with limit orders, stops and cancels', async () => {
    const data = randomCandles(1_000, 5);
    const run = async () => serializeResult(await runBacktest(spec(1_000), new RandomDriver(99), data));
    const a = await run();
    expect(JSON.parse(a).metrics.orders).toBeGreaterThan(100);
    expect(await run()).toBe(a);
  });

  it('changes when the data changes (the comparison can fail)', async () => {
    const a = serializeResult(
      await runBacktest(spec(500, { params }), new SmaCrossover(), randomCandles(500, 1)),
    );
    const b = serializeResult(
      await runBacktest(spec(500, { params }), new SmaCrossover(), randomCandles(500, 2)),
    );
    expect(b).not.toBe(a);
  });
});
