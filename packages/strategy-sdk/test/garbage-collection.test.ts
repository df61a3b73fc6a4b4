import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileStrategy } from '../src/index.ts';
import { TestHost } from './lib/test-host.ts';

const PAGE = 65_536;

// Modules run on AssemblyScript's minimal runtime, whose collector never starts by itself: the SDK's
// exports collect between callbacks (assembly/gc.ts). Without that, this strategy's garbage (about 40 KiB
// per candle) would fill the 16 MiB cap in about 400 candles.
describe('garbage collection between callbacks', { timeout: 180_000 }, () => {
  it('frees what a strategy dropped, keeps what it holds, and stays far below the memory cap', async () => {
    const source = await readFile(new URL('./fixtures/garbage-strategy.as', import.meta.url), 'utf8');
    const host = await new TestHost().instantiate(await compileStrategy(source));
    expect(host.init({}, [{ name: 'binance:BTCUSDT', tickSize: 0.01, lotSize: 0.00001 }])).toBe(0);
    for (let i = 0; i < 2_000; i++) {
      const close = 100 + (i % 97) * 0.25;
      host.candle(0, i, { openTime: i * 60_000, open: close, high: close, low: close, close, volume: 1 });
    }
    expect(host.logs.filter((l) => l.level === 3)).toEqual([]);
    expect(host.logs.map((l) => l.message)).toEqual([500, 1000, 1500, 2000].map((n) => `seen ${n}`));
    // About 80 MB of garbage went through; the live ring is 256 KiB.
    expect(host.module.memory.buffer.byteLength).toBeLessThanOrEqual(64 * PAGE);
  });
});
