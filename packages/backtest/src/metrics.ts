import { annualisedGate, type ReportNote } from './report.ts';

/**
 * Performance statistics of a backtest, from its equity samples (one per bar) and its round trips.
 * Statistics are floating point (they are estimates, not money); money figures stay exact elsewhere.
 *
 * - totalReturn: last equity / first equity - 1.
 * - CAGR: (last / first)^(1 / years) - 1, years = (last time - first time) / 365 days; null under one bar.
 * - Sharpe: mean(r) / stdev(r) x sqrt(barsPerYear), r the simple return between consecutive samples,
 *   stdev the sample standard deviation (n - 1), risk-free rate 0, barsPerYear = 365 days / interval
 *   (crypto trades around the clock). Null with fewer than 2 returns or no variation.
 * - Sortino: mean(r) / sqrt(mean(min(r, 0)^2)) x sqrt(barsPerYear) (target 0); null without a down bar.
 * - maxDrawdown: the largest (peak - equity) / peak; maxDrawdownDurationMs: the longest time spent below
 *   a previous peak (from the peak's sample to the sample that regains it, or to the last sample).
 * - winRate: round trips with pnl > 0 / round trips; profitFactor: sum of gains / |sum of losses| (null
 *   without a losing trip).
 * - exposure: share of bars that ended with a non-zero position on some instrument.
 * - The short-run rule (report.ts `annualisedGate`): CAGR, Sharpe and Sortino are null when the samples
 *   span less than 30 days or give fewer than 30 returns, and a RUN_TOO_SHORT note says so.
 */
export interface PerformanceMetrics {
  totalReturn: number | null;
  cagr: number | null;
  sharpe: number | null;
  sortino: number | null;
  maxDrawdown: number;
  maxDrawdownDurationMs: number;
  winRate: number | null;
  profitFactor: number | null;
  exposure: number | null;
}

export const YEAR_MS = 365 * 86_400_000;

export function barsPerYear(intervalMs: number): number {
  return YEAR_MS / intervalMs;
}

export interface DrawdownStats {
  /** Drawdown after each sample, as a fraction of the running peak (0 at a new high). */
  curve: number[];
  max: number;
  maxDurationMs: number;
}

export function drawdowns(times: readonly number[], equity: readonly number[]): DrawdownStats {
  const curve: number[] = new Array(equity.length);
  let peak = Number.NEGATIVE_INFINITY;
  let peakTime = 0;
  let max = 0;
  let maxDurationMs = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i] as number;
    const t = times[i] as number;
    if (e >= peak) {
      peak = e;
      peakTime = t;
      curve[i] = 0;
      continue;
    }
    const dd = peak > 0 ? (peak - e) / peak : 0;
    curve[i] = dd;
    if (dd > max) max = dd;
    if (t - peakTime > maxDurationMs) maxDurationMs = t - peakTime;
  }
  return { curve, max, maxDurationMs };
}

export function returnsOf(equity: readonly number[]): number[] {
  const out: number[] = new Array(Math.max(0, equity.length - 1));
  for (let i = 1; i < equity.length; i++) {
    const prev = equity[i - 1] as number;
    out[i - 1] = prev > 0 ? (equity[i] as number) / prev - 1 : 0;
  }
  return out;
}

export function sharpe(returns: readonly number[], perYear: number): number | null {
  const n = returns.length;
  if (n < 2) return null;
  const mean = sum(returns) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i] as number;
    ss += (r - mean) * (r - mean);
  }
  const sd = Math.sqrt(ss / (n - 1));
  return sd > 0 ? (mean / sd) * Math.sqrt(perYear) : null;
}

export function sortino(returns: readonly number[], perYear: number): number | null {
  const n = returns.length;
  if (n < 2) return null;
  const mean = sum(returns) / n;
  let down = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i] as number;
    if (r < 0) down += r * r;
  }
  const dd = Math.sqrt(down / n);
  return dd > 0 ? (mean / dd) * Math.sqrt(perYear) : null;
}

export function cagr(first: number, last: number, years: number): number | null {
  if (!(years > 0) || !(first > 0)) return null;
  return (last / first) ** (1 / years) - 1;
}

export function tripStats(pnls: readonly number[]): { winRate: number | null; profitFactor: number | null } {
  if (pnls.length === 0) return { winRate: null, profitFactor: null };
  let wins = 0;
  let gains = 0;
  let losses = 0;
  for (let i = 0; i < pnls.length; i++) {
    const p = pnls[i] as number;
    if (p > 0) {
      wins++;
      gains += p;
    } else losses -= p;
  }
  return { winRate: wins / pnls.length, profitFactor: losses > 0 ? gains / losses : null };
}

export function computeMetrics(input: {
  times: readonly number[];
  equity: readonly number[];
  intervalMs: number;
  tripPnls: readonly number[];
  barsWithPosition: number;
  bars: number;
}): PerformanceMetrics & { drawdownCurve: number[]; notes: ReportNote[] } {
  const { times, equity } = input;
  const first = equity[0];
  const last = equity[equity.length - 1];
  const returns = returnsOf(equity);
  const perYear = barsPerYear(input.intervalMs);
  const dd = drawdowns(times, equity);
  const spanMs = times.length > 1 ? (times[times.length - 1] as number) - (times[0] as number) : 0;
  const years = spanMs / YEAR_MS;
  const tooShort = annualisedGate(spanMs, returns.length);
  return {
    totalReturn: first !== undefined && last !== undefined && first > 0 ? last / first - 1 : null,
    cagr: !tooShort && first !== undefined && last !== undefined ? cagr(first, last, years) : null,
    sharpe: tooShort ? null : sharpe(returns, perYear),
    sortino: tooShort ? null : sortino(returns, perYear),
    maxDrawdown: dd.max,
    maxDrawdownDurationMs: dd.maxDurationMs,
    ...tripStats(input.tripPnls),
    exposure: input.bars > 0 ? input.barsWithPosition / input.bars : null,
    drawdownCurve: dd.curve,
    notes: tooShort ? [tooShort] : [],
  };
}

/**
 * Indexed loops here, not for...of: these run once per backtest, too few times to be optimised, and an
 * unoptimised for...of allocates an iterator result (and a boxed double) per element: over a year of 1m
 * returns that was a tenth of the run's allocations. The order of the sums is unchanged (same bits).
 */
function sum(xs: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] as number;
  return s;
}
