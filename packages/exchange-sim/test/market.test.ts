import { ManualClock } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { decimalsOf, formatFixed, formatPadded8, formatTrimmed } from '../src/decimal-format.ts';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';
import { TestClient, until } from './client.ts';

describe('decimal formatting', () => {
  it('prints integer units exactly as each venue does', () => {
    expect(formatFixed(1234, 2)).toBe('12.34');
    expect(formatFixed(5, 3)).toBe('0.005');
    expect(formatFixed(7, 0)).toBe('7');
    expect(formatPadded8(100, 5)).toBe('0.00100000');
    expect(formatPadded8(5, 0)).toBe('5.00000000');
    expect(formatTrimmed(421_990, 1)).toBe('42199');
    expect(formatTrimmed(1_500, 3)).toBe('1.5');
    expect(formatTrimmed(12_060_306, 8)).toBe('0.12060306');
    expect(decimalsOf('0.001')).toBe(3);
    expect(decimalsOf('1')).toBe(0);
  });
});

/** Steps a manual simulator and returns the first `count` Binance BTCUSDT trade frames. */
async function binanceTrades(sim: ExchangeSim, steps: number[], count: number): Promise<string[]> {
  const c = await TestClient.open(`${sim.urls[0]?.binance.ws}/ws/btcusdt@trade`);
  for (const ms of steps) sim.step(ms);
  await until(() => c.messages.length >= count);
  c.close();
  return c.messages.slice(0, count);
}

describe('market', () => {
  const manual = (seed: number) =>
    startExchangeSim({
      symbols: ['BTC-USDT', 'ETH-USDT'],
      tradesPerSecond: 200,
      seed,
      manual: true,
      clock: new ManualClock(1_700_000_000_000),
    });

  it('is deterministic per seed, however the time is cut into ticks', async () => {
    const [a, b, c] = await Promise.all([manual(42), manual(42), manual(43)]);
    const inOneStep = await binanceTrades(a, [1_000], 100);
    const inManySteps = await binanceTrades(
      b,
      Array.from({ length: 100 }, () => 10),
      100,
    );
    const otherSeed = await binanceTrades(c, [1_000], 100);
    expect(inManySteps).toEqual(inOneStep);
    expect(otherSeed).not.toEqual(inOneStep);
    await Promise.all([a.stop(), b.stop(), c.stop()]);
  });

  it('produces about the configured rate per venue per symbol', async () => {
    const sim = await startExchangeSim({
      symbols: ['BTC-USDT', 'ETH-USDT', 'SOL-USDT'],
      tradesPerSecond: 50,
      seed: 1,
      manual: true,
    });
    for (let i = 0; i < 600; i += 1) sim.step(100);
    const { tradesGenerated } = sim.stats();
    for (const venue of ['binance', 'okx', 'bybit']) {
      const perSymbolPerSecond = (tradesGenerated[venue] ?? 0) / 3 / 60;
      expect(perSymbolPerSecond).toBeGreaterThan(50 * 0.7);
      expect(perSymbolPerSecond).toBeLessThan(50 * 1.3);
    }
    await sim.stop();
  });

  it('keeps prices on the tick and the taker side tied to moves, with bursts of activity', async () => {
    const sim = await startExchangeSim({
      symbols: ['DOGE-USDT'],
      tradesPerSecond: 100,
      seed: 2,
      manual: true,
    });
    const c = await TestClient.open(`${sim.urls[0]?.okx.ws}/ws/v5/business`);
    c.send({ op: 'subscribe', args: [{ channel: 'trades-all', instId: 'DOGE-USDT' }] });
    await c.next();
    const perStep: number[] = [];
    for (let i = 0; i < 100; i += 1) {
      const before = sim.stats().tradesGenerated.okx ?? 0;
      sim.step(100);
      perStep.push((sim.stats().tradesGenerated.okx ?? 0) - before);
    }
    await until(() => c.messages.length > 500);
    const trades = c.messages
      .slice(1)
      .map((m) => (JSON.parse(m) as { data: Array<{ px: string; sz: string }> }).data[0]);
    for (const t of trades) {
      expect(t?.px).toMatch(/^\d+(\.\d{1,5})?$/);
      expect(Number(t?.sz)).toBeGreaterThanOrEqual(1);
    }
    // Hawkes arrivals: the count per 100 ms is overdispersed (variance well above the Poisson mean).
    const mean = perStep.reduce((s, x) => s + x, 0) / perStep.length;
    const variance = perStep.reduce((s, x) => s + (x - mean) ** 2, 0) / perStep.length;
    expect(variance).toBeGreaterThan(mean * 1.5);
    c.close();
    await sim.stop();
  });

  it('reports its throughput against a live client (logged, not asserted tightly)', async () => {
    const total = 100_000;
    const sim = await startExchangeSim({ tradesPerSecond: total / 3 / 12, seed: 1 });
    const names = sim.instruments('binance').map((i) => `${i.venueSymbol.toLowerCase()}@trade`);
    const c = await TestClient.open(`${sim.urls[0]?.binance.ws}/stream?streams=${names.join('/')}`);
    await new Promise((r) => setTimeout(r, 300));
    const s0 = sim.stats();
    const n0 = c.messages.length;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1_500));
    const dt = (performance.now() - t0) / 1000;
    const s1 = sim.stats();
    const generated = ['binance', 'okx', 'bybit'].reduce(
      (s, v) => s + (s1.tradesGenerated[v] ?? 0) - (s0.tradesGenerated[v] ?? 0),
      0,
    );
    const received = c.messages.length - n0;
    console.log(
      JSON.stringify({
        bench: 'exchange-sim.smoke',
        target: total,
        generatedPerSec: Math.round(generated / dt),
        binanceClientFramesPerSec: Math.round(received / dt),
      }),
    );
    expect(generated / dt).toBeGreaterThan(total * 0.3);
    c.close();
    await sim.stop();
  });
});
