/** A closed candle as the test host feeds it. */
export interface TestCandle {
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** mulberry32: a tiny seeded PRNG so every run sees the same series. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A random walk of 1-minute candles whose prices lie on a 0.25 grid: sums of such prices are exact in binary
 * floating point, so a moving average computed any way gives the same value, and the crossings the
 * reference finds are the ones the strategy must find.
 */
export function syntheticCandles(count: number, seed: number, start = 1000): TestCandle[] {
  const random = mulberry32(seed);
  const candles: TestCandle[] = [];
  let close = start;
  for (let i = 0; i < count; i++) {
    const open = close;
    close = Math.max(1, open + (Math.floor(random() * 17) - 8) * 0.25);
    const high = Math.max(open, close) + Math.floor(random() * 4) * 0.25;
    const low = Math.max(0.25, Math.min(open, close) - Math.floor(random() * 4) * 0.25);
    candles.push({
      openTime: 1_700_000_000_000 + i * 60_000,
      open,
      high,
      low,
      close,
      volume: 1 + Math.floor(random() * 100),
    });
  }
  return candles;
}
