import type { Kline } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  baseInterval,
  bucketOpen,
  chartIntervals,
  foldBucket,
  foldCandles,
  intervalMs,
  isChartInterval,
  isFolded,
} from './chart-intervals';

const MIN = 60_000;
const DAY = 86_400_000;

function minute(m: number, o: string, h: string, l: string, c: string, vol: string, closed = true): Kline {
  const openTime = m * MIN;
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1m',
    openTime,
    closeTime: openTime + MIN - 1,
    open: o,
    high: h,
    low: l,
    close: c,
    baseVolume: vol,
    quoteVolume: '0.1',
    takerBuyBaseVolume: '0.05',
    tradeCount: 2,
    closed,
  };
}

describe('chart intervals', () => {
  it('offers the served intervals and folds the rest from one that divides them', () => {
    expect(chartIntervals).toEqual([
      '1s',
      '5s',
      '15s',
      '30s',
      '1m',
      '3m',
      '5m',
      '15m',
      '30m',
      '1h',
      '2h',
      '4h',
      '6h',
      '12h',
      '1d',
      '1w',
    ]);
    for (const i of chartIntervals) {
      const base = baseInterval(i);
      expect(isFolded(i)).toBe(base !== i);
      expect(isChartInterval(base), i).toBe(true);
      expect(intervalMs(i) % intervalMs(base as typeof i), i).toBe(0);
    }
    expect(isChartInterval('100ms')).toBe(false);
    expect(isChartInterval('toString')).toBe(false);
  });

  it('buckets on UTC boundaries, weeks from Monday', () => {
    expect(bucketOpen(7 * MIN + 5, '3m')).toBe(6 * MIN);
    expect(bucketOpen(13 * 3_600_000, '12h')).toBe(12 * 3_600_000);
    // 2024-01-03 (a Wednesday) is in the week of Monday 2024-01-01.
    expect(bucketOpen(Date.UTC(2024, 0, 3, 15), '1w')).toBe(Date.UTC(2024, 0, 1));
    expect(bucketOpen(Date.UTC(2024, 0, 1), '1w')).toBe(Date.UTC(2024, 0, 1));
    expect(bucketOpen(Date.UTC(2023, 11, 31, 23), '1w')).toBe(Date.UTC(2023, 11, 25));
    expect(bucketOpen(Date.UTC(2024, 0, 3), '1w') % DAY).toBe(0);
  });

  it('folds OHLCV exactly: first open, last close, extremes, decimal sums', () => {
    const k = foldBucket(
      [
        minute(3, '100.5', '101', '99.9', '100.7', '0.1'),
        minute(4, '100.7', '103.25', '100.1', '102', '0.2'),
        minute(5, '102', '102.5', '99.85', '101.1', '0.7', false),
      ],
      '3m',
      3 * MIN,
    );
    expect(k).toMatchObject({
      interval: '3m',
      openTime: 3 * MIN,
      closeTime: 6 * MIN - 1,
      open: '100.5',
      high: '103.25',
      low: '99.85',
      close: '101.1',
      baseVolume: '1', // 0.1 + 0.2 + 0.7 in binary floating point is 0.9999999999999999
      quoteVolume: '0.3',
      takerBuyBaseVolume: '0.15',
      tradeCount: 6,
      closed: false,
    });
  });

  it('is closed only when its last part is closed and ends the bucket', () => {
    expect(foldBucket([minute(3, '1', '1', '1', '1', '1')], '3m', 3 * MIN).closed).toBe(false);
    expect(foldBucket([minute(5, '1', '1', '1', '1', '1')], '3m', 3 * MIN).closed).toBe(true);
  });

  it('groups by bucket, skipping empty ones, and can leave out a partial first bucket', () => {
    const parts = [
      minute(4, '1', '2', '1', '2', '1'),
      minute(5, '2', '3', '2', '3', '1'),
      minute(6, '3', '4', '3', '4', '1'),
      minute(12, '4', '5', '4', '5', '1'),
    ];
    const all = foldCandles(parts, '3m');
    expect(all.map((k) => [k.openTime / MIN, k.open, k.close, k.baseVolume])).toEqual([
      [3, '1', '3', '2'],
      [6, '3', '4', '1'],
      [12, '4', '5', '1'],
    ]);
    expect(foldCandles(parts, '3m', true).map((k) => k.openTime / MIN)).toEqual([6, 12]);
    // A first part that opens its bucket is a whole bucket even with older parts not loaded.
    expect(foldCandles(parts.slice(2), '3m', true).map((k) => k.openTime / MIN)).toEqual([6, 12]);
    expect(foldCandles([], '3m')).toEqual([]);
  });
});
