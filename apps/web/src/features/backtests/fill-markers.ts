import type { BacktestResultView, InstrumentRef } from '@qt/shared';

type Fill = BacktestResultView['fills'][number];

export interface FillMarker {
  /** Index of the candle the fill happened in (the chart's category axis). */
  index: number;
  /** For plotting only; the tooltip shows the exact decimal strings. */
  price: number;
  side: 'buy' | 'sell';
  fill: Fill;
}

/**
 * Places an instrument's fills on its candles: each at the candle whose [openTime, openTime + interval)
 * holds the fill's time. Fills outside the loaded candles (before the first, or after the last closed)
 * are left out rather than pinned to the wrong bar.
 */
export function fillMarkers(
  fills: readonly Fill[],
  instrument: InstrumentRef,
  openTimes: readonly number[],
  intervalMs: number,
): FillMarker[] {
  const markers: FillMarker[] = [];
  const first = openTimes[0];
  const last = openTimes.at(-1);
  if (first === undefined || last === undefined) return markers;
  for (const fill of fills) {
    if (fill.venue !== instrument.venue || fill.symbol !== instrument.symbol) continue;
    if (fill.time < first || fill.time >= last + intervalMs) continue;
    const index = lastAtOrBefore(openTimes, fill.time);
    const open = openTimes[index];
    // A gap in the candles (no trades for a while): the fill belongs to no loaded bar.
    if (open === undefined || fill.time >= open + intervalMs) continue;
    markers.push({ index, price: Number(fill.price), side: fill.side, fill });
  }
  return markers;
}

/** Binary search: the last index whose value is <= t (the array is ascending, t >= its first value). */
function lastAtOrBefore(sorted: readonly number[], t: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((sorted[mid] ?? Number.POSITIVE_INFINITY) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
