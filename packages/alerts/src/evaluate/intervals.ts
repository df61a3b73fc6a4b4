import type { KlineInterval } from '@qt/shared';

/** Bar length per interval; bars are UTC-aligned: a timestamp's bar is floor(ts / length). */
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
