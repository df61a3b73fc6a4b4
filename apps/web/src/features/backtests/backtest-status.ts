import type { BacktestView } from '@qt/shared';

/** 1st, 2nd, 3rd, 4th, ..., 11th, 12th, 13th, 21st. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** The badge text of a backtest: its place in line while queued, its progress while running. */
export function backtestStatusLabel(
  b: Pick<BacktestView, 'status' | 'progress' | 'queuePosition'>,
  done = 'completed',
): string {
  if (b.status === 'queued')
    return b.queuePosition ? `queued, ${ordinal(b.queuePosition)} in line` : 'queued';
  if (b.status === 'running') return `${Math.floor(b.progress * 100)}%`;
  if (b.status === 'completed') return done;
  return b.status;
}
