import type { SeedBar } from './bar-series.ts';

/**
 * The bars an indicator instance is seeded with: the closed candles read from storage and the live closes
 * its series applied while that read was in flight, as ONE history, ascending by open time with one bar
 * per open time. A live close wins over the stored version of the same bar: it is the version the
 * series' other instances and its alerts saw (a stored one may be a later revision). Bars after `through`
 * (the series' last applied bar) are left out: storage can be ahead of the alert consumer (the persister
 * is another consumer of the same stream), and such a bar will still arrive live and be pushed then, so
 * taking it here would apply it twice. Only the newest `max` are kept.
 */
export function mergeSeed(
  stored: readonly SeedBar[],
  live: readonly SeedBar[],
  through: number,
  max: number,
): SeedBar[] {
  const byOpen = new Map<number, SeedBar>();
  for (const bar of stored) if (bar.openTime <= through) byOpen.set(bar.openTime, bar);
  for (const bar of live) if (bar.openTime <= through) byOpen.set(bar.openTime, bar);
  const bars = [...byOpen.values()].sort((a, b) => a.openTime - b.openTime);
  return bars.length > max ? bars.slice(bars.length - max) : bars;
}

/** A stored candle as a seed bar; null when a price or volume is not a finite number. */
export function seedBarOf(c: {
  openTime: number;
  high: string;
  low: string;
  close: string;
  baseVolume: string;
}): SeedBar | null {
  const bar = {
    openTime: c.openTime,
    high: Number(c.high),
    low: Number(c.low),
    close: Number(c.close),
    volume: Number(c.baseVolume),
  };
  const finite =
    Number.isFinite(bar.openTime) &&
    Number.isFinite(bar.high) &&
    Number.isFinite(bar.low) &&
    Number.isFinite(bar.close) &&
    Number.isFinite(bar.volume);
  return finite ? bar : null;
}
