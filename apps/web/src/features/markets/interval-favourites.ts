import { z } from 'zod';
import { type ChartInterval, chartIntervals, defaultFavouriteIntervals, intervalMs } from './chart-intervals';

/** The intervals shown as buttons, in chart order; the stored list or the defaults when there is none. */
export function parseFavourites(raw: string | null): ChartInterval[] {
  if (raw === null) return [...defaultFavouriteIntervals];
  try {
    const parsed = z
      .array(z.string().max(8))
      .max(chartIntervals.length * 2)
      .safeParse(JSON.parse(raw));
    if (!parsed.success) return [...defaultFavouriteIntervals];
    const picked = new Set(parsed.data);
    return chartIntervals.filter((i) => picked.has(i));
  } catch {
    return [...defaultFavouriteIntervals];
  }
}

/** Starred or unstarred: the favourites with `interval` added or removed, in chart order. */
export function toggleFavourite(list: readonly ChartInterval[], interval: ChartInterval): ChartInterval[] {
  const picked = new Set(list);
  if (picked.has(interval)) picked.delete(interval);
  else picked.add(interval);
  return chartIntervals.filter((i) => picked.has(i));
}

const units = [
  { label: 'Seconds', below: 60_000 },
  { label: 'Minutes', below: 3_600_000 },
  { label: 'Hours', below: 86_400_000 },
  { label: 'Days', below: Number.POSITIVE_INFINITY },
] as const;

/** Every interval by unit, for the menu. */
export function intervalGroups(): { label: string; intervals: ChartInterval[] }[] {
  const groups = units.map((u) => ({ label: u.label, intervals: [] as ChartInterval[] }));
  for (const i of chartIntervals) {
    const at = units.findIndex((u) => intervalMs(i) < u.below);
    groups[at]?.intervals.push(i);
  }
  return groups.filter((g) => g.intervals.length > 0);
}
