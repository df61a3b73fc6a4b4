import type { BackfillJobView, BackfillProgressView, CoverageView } from '@qt/api';

const MINUTE = 60_000;
const DAY = 86_400_000;

/**
 * The start of a "last N days" coverage window. The engine refuses a start older than the tier's
 * depth measured at ITS clock, a moment later: at the very edge the start is moved a few minutes
 * inside, so the default window never fails for being a millisecond too old.
 */
export function coverageFrom(now: number, days: number, historyDays: number): number {
  const span = Math.min(days, historyDays) * DAY;
  const margin = days >= historyDays ? 5 * MINUTE : 0;
  return Math.floor((now - span + margin) / MINUTE) * MINUTE;
}

export interface TimelineSegment {
  /** `open`: the candle still forming at the window's end (the live feed writes it when it closes). */
  kind: 'stored' | 'missing' | 'open';
  fromMs: number;
  toMs: number;
  candles: number | null;
  /** Position and width in the window, 0..100 (for a CSS bar). */
  left: number;
  width: number;
}

/**
 * The candle still forming at the window's end shows as missing in storage; it is not a gap. It is the
 * last missing range when that ends at the window's end and is at most one interval long.
 */
export function isOpenTail(
  c: CoverageView,
  range: { fromMs: number; toMs: number },
  intervalMs: number,
): boolean {
  return range.toMs >= c.toMs && range.toMs - range.fromMs <= intervalMs;
}

/** Milliseconds of each interval coverage serves. */
export const coverageIntervalMs: Record<string, number> = {
  '1m': 60_000,
  '5m': 300_000,
  '15m': 900_000,
  '1h': 3_600_000,
  '4h': 14_400_000,
  '1d': 86_400_000,
};

/** Gaps that are real (the forming candle left out) and the candles that should be stored by now. */
export function settled(c: CoverageView): { gaps: CoverageView['missing']; expected: number } {
  const ms = coverageIntervalMs[c.interval] ?? 60_000;
  const gaps = c.missing.filter((m) => !isOpenTail(c, m, ms));
  const open = c.missing.length - gaps.length;
  return { gaps, expected: Math.max(c.storedCandles, c.expectedCandles - open) };
}

/** Stored runs and gaps of a coverage answer in time order, placed on the window for a bar. */
export function timeline(c: CoverageView): TimelineSegment[] {
  const ms = coverageIntervalMs[c.interval] ?? 60_000;
  const span = Math.max(1, c.toMs - c.fromMs);
  const place = (fromMs: number, toMs: number) => ({
    left: ((Math.max(fromMs, c.fromMs) - c.fromMs) / span) * 100,
    width: ((Math.min(toMs, c.toMs) - Math.max(fromMs, c.fromMs)) / span) * 100,
  });
  const segments: TimelineSegment[] = [
    ...c.stored.map((r) => ({ kind: 'stored' as const, ...r, ...place(r.fromMs, r.toMs) })),
    ...c.missing.map((r) => ({
      kind: isOpenTail(c, r, ms) ? ('open' as const) : ('missing' as const),
      ...r,
      candles: null,
      ...place(r.fromMs, r.toMs),
    })),
  ];
  return segments.sort((a, b) => a.fromMs - b.fromMs);
}

/** Share of the expected candles that are stored, as a whole percent (floor; "100" only when complete). */
export function coveredPercent(c: Pick<CoverageView, 'storedCandles' | 'expectedCandles'>): number {
  if (c.expectedCandles <= 0) return 0;
  if (c.storedCandles >= c.expectedCandles) return 100;
  return Math.floor((c.storedCandles * 100) / c.expectedCandles);
}

/** "3d 4h", "2h 5m", "45m": how long a range is, to the minute. */
export function formatSpan(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / MINUTE));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return `${m}m`;
}

/**
 * A job list with one progress event applied (status, cursor, progress, candles, error). An event for a
 * job the list does not hold (queued elsewhere, e.g. by the API) is reported so the list can be fetched.
 */
export function applyProgress(
  jobs: readonly BackfillJobView[],
  p: BackfillProgressView,
): { jobs: BackfillJobView[]; known: boolean } {
  let known = false;
  const next = jobs.map((j) => {
    if (j.id !== p.jobId) return j;
    known = true;
    // Events can arrive after a fresher list was fetched: progress never goes back.
    if (p.progressBp < j.progressBp && p.status === j.status) return j;
    return {
      ...j,
      status: p.status,
      progressBp: p.progressBp,
      cursorMs: p.cursorMs,
      candlesWritten: p.candlesWritten,
      error: p.error,
    };
  });
  return { jobs: next, known };
}

export const isOpenJob = (j: Pick<BackfillJobView, 'status'>) =>
  j.status === 'queued' || j.status === 'running';
