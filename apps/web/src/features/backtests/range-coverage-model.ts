import type { CoverageView } from '@qt/api';
import type { DataExtent, TimeRange } from './backtest-range';

export interface CoverageWarning {
  /** Candles of the range that are stored and expected (null when only the extent was known). */
  stored: number | null;
  expected: number | null;
  /** The holes, in time order (the first few are named in the warning). */
  missing: TimeRange[];
}

/**
 * The holes of a backtest range from `history.coverage`. The candle still open at the range's end (or
 * just closed and not yet written) is not a hole: the live feed owns it, and warning about it would make
 * every "up to now" range look uncovered.
 */
export function coverageWarning(c: CoverageView, now: number, intervalMs: number): CoverageWarning | null {
  const settled = now - 2 * intervalMs;
  const missing = c.missing
    .map((m) => ({ from: m.fromMs, to: Math.min(m.toMs, Math.max(m.fromMs, settled)) }))
    .filter((m) => m.to > m.from);
  if (missing.length === 0) return null;
  return { stored: c.storedCandles, expected: c.expectedCandles, missing };
}

/**
 * The same from the stored extent alone (1s candles, which coverage does not serve): the parts of the
 * range before the oldest or after the newest stored candle. Older pages not read (`more`) may hold the
 * start, so no warning about the start then.
 */
export function extentWarning(
  extent: DataExtent,
  range: TimeRange,
  now: number,
  intervalMs: number,
): CoverageWarning | null {
  const missing: TimeRange[] = [];
  if (!extent.more && range.from < extent.first) missing.push({ from: range.from, to: extent.first });
  const end = Math.min(range.to, now - 2 * intervalMs);
  const after = extent.last + intervalMs;
  if (end > after) missing.push({ from: Math.max(after, range.from), to: end });
  return missing.length === 0 ? null : { stored: null, expected: null, missing };
}
