import type { KlineInterval } from '@qt/shared';

/** Length of each interval in ms. Candles are aligned to the Unix epoch, so 4h and 1d cut at 00:00 UTC. */
export const intervalMs: Readonly<Record<KlineInterval, number>> = {
  '100ms': 100,
  '1s': 1_000,
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** What the aggregator maintains unless told otherwise: everything but the sub-second interval. */
export const defaultIntervals: readonly KlineInterval[] = ['1s', '1m', '5m', '15m', '1h', '4h', '1d'];

/** Open time of the candle holding `timeMs` (a non-negative exchange time). */
export function klineOpenTime(timeMs: number, interval: KlineInterval): number {
  const ms = intervalMs[interval];
  return timeMs - (timeMs % ms);
}
