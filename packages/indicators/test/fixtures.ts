/** Seeded test data: OHLCV series shaped to hit the edge cases that break indicator code. */

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Ohlcv {
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  time: Float64Array;
}

/**
 * A geometric random walk (1% per bar) with: flat stretches (high = low = close, so ranges, true ranges
 * and variances are exactly 0), gaps of up to +/-8% between bars (true range > high - low), bars with zero
 * volume, and 1-minute bar times.
 */
export function randomOhlcv(seed: number, n: number): Ohlcv {
  const rnd = mulberry32(seed);
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  const time = new Float64Array(n);
  let price = 50 + rnd() * 100;
  let flatLeft = 0;
  for (let i = 0; i < n; i++) {
    time[i] = 1_700_000_000_000 + i * 60_000;
    if (flatLeft === 0 && rnd() < 0.01) flatLeft = 5 + Math.floor(rnd() * 40);
    if (flatLeft > 0) {
      flatLeft--;
      high[i] = price;
      low[i] = price;
      close[i] = price;
      volume[i] = rnd() < 0.5 ? 0 : Math.floor(rnd() * 10);
      continue;
    }
    const gap = rnd() < 0.03 ? (rnd() - 0.5) * 0.16 : 0;
    const open = price * (1 + gap);
    const c = open * Math.exp((rnd() - 0.5) * 0.02 * 2);
    const h = Math.max(open, c) * (1 + rnd() * 0.01);
    const l = Math.min(open, c) * (1 - rnd() * 0.01);
    high[i] = h;
    low[i] = l;
    close[i] = c;
    volume[i] = rnd() < 0.05 ? 0 : Math.round(rnd() * 1000 * 100) / 100;
    price = c;
  }
  return { high, low, close, volume, time };
}

/** The seeded series every reference test runs on (lengths chosen to exceed every lookback used). */
export const SERIES: ReadonlyArray<{ name: string; data: Ohlcv }> = [1, 2, 3, 4].map((seed) => ({
  name: `seed ${seed}`,
  data: randomOhlcv(seed, seed === 4 ? 3000 : 700),
}));

/** Index of the first non-NaN value, or -1. */
export function firstDefined(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i] as number)) return i;
  return -1;
}
