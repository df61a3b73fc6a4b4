import type { CoverageView } from '@qt/api';
import { describe, expect, it } from 'vitest';
import { coverageWarning, extentWarning } from './range-coverage-model';

const MIN = 60_000;
const base: CoverageView = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  interval: '1m',
  fromMs: 0,
  toMs: 100 * MIN,
  stored: [{ fromMs: 0, toMs: 100 * MIN, candles: 100 }],
  missing: [],
  storedCandles: 100,
  expectedCandles: 100,
  truncated: false,
};

describe('coverageWarning', () => {
  it('is quiet for a covered range', () => {
    expect(coverageWarning(base, 200 * MIN, MIN)).toBeNull();
  });

  it('names the holes of the range', () => {
    const c = { ...base, missing: [{ fromMs: 10 * MIN, toMs: 30 * MIN }], storedCandles: 80 };
    expect(coverageWarning(c, 200 * MIN, MIN)).toEqual({
      stored: 80,
      expected: 100,
      missing: [{ from: 10 * MIN, to: 30 * MIN }],
    });
  });

  it('does not count the candle still open at "now" as a hole', () => {
    const c = {
      ...base,
      toMs: 100 * MIN,
      missing: [{ fromMs: 99 * MIN, toMs: 100 * MIN }],
      storedCandles: 99,
    };
    expect(coverageWarning(c, 100 * MIN + 5_000, MIN)).toBeNull();
    // ...but a longer hole at the end is one, up to the settled minute.
    const gap = { ...c, missing: [{ fromMs: 90 * MIN, toMs: 100 * MIN }] };
    expect(coverageWarning(gap, 100 * MIN + 5_000, MIN)?.missing).toEqual([
      { from: 90 * MIN, to: 98 * MIN + 5_000 },
    ]);
  });
});

describe('extentWarning', () => {
  const extent = { first: 50_000, last: 80_000, candles: 31, more: false };

  it('flags the part before the oldest and after the newest stored candle', () => {
    expect(extentWarning(extent, { from: 0, to: 120_000 }, 1_000_000, 1_000)?.missing).toEqual([
      { from: 0, to: 50_000 },
      { from: 81_000, to: 120_000 },
    ]);
  });

  it('says nothing about the start when older pages were not read', () => {
    expect(extentWarning({ ...extent, more: true }, { from: 0, to: 81_000 }, 1_000_000, 1_000)).toBeNull();
  });
});
