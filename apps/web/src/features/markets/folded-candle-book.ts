import type { CandlesPage, Kline } from '@qt/shared';
import { CandleBook, type ChartBook } from './candle-book';
import {
  baseInterval,
  bucketOpen,
  type ChartCandle,
  type ChartInterval,
  foldBucket,
  foldCandles,
  intervalMs,
} from './chart-intervals';

/**
 * The candles of an interval the engine does not serve (3m, 1w, …), folded from a served one: a
 * CandleBook of the finer candles underneath (it merges history, paging and live updates as for any
 * chart), and the folded list on top. A live update refolds only its own bucket, so a tick costs a few
 * decimal additions, not the whole history.
 */
export class FoldedCandleBook implements ChartBook {
  private readonly parts: CandleBook;
  private items: ChartCandle[] = [];
  frontShift = 0;

  constructor(
    readonly key: { venue: string; symbol: string; interval: ChartInterval },
    maxParts = 10_000,
  ) {
    this.parts = new CandleBook({ ...key, interval: baseInterval(key.interval) }, maxParts);
  }

  get source() {
    return this.parts.key;
  }
  get candles(): readonly ChartCandle[] {
    return this.items;
  }
  get length(): number {
    return this.items.length;
  }
  get nextBefore(): number | null {
    return this.parts.nextBefore;
  }
  get historyLoaded(): boolean {
    return this.parts.historyLoaded;
  }
  get liveUpdates(): number {
    return this.parts.liveUpdates;
  }

  last(): ChartCandle | undefined {
    return this.items[this.items.length - 1];
  }

  setHistory(page: CandlesPage): void {
    this.parts.setHistory(page);
    this.refold();
  }

  prependOlder(page: CandlesPage, askedBefore: number): number {
    const before = this.items.length;
    this.parts.prependOlder(page, askedBefore);
    this.refold();
    return this.items.length - before;
  }

  applyLive(k: Kline): boolean {
    const shift = this.parts.frontShift;
    if (!this.parts.applyLive(k)) return false;
    const moved = this.parts.frontShift - shift;
    // A part inserted before all others (rare): fold again from scratch.
    if (moved > 0) this.refold();
    else {
      // Parts trimmed from the front (a full book, every new part): drop the buckets they left.
      if (moved < 0) this.dropTrimmed();
      this.refoldBucket(bucketOpen(k.openTime, this.key.interval));
    }
    return true;
  }

  /** Removes the buckets before the first part held, and the first one too when it is no longer whole. */
  private dropTrimmed(): void {
    const first = this.parts.candles[0];
    if (!first) return;
    const open = bucketOpen(first.openTime, this.key.interval);
    const whole = first.openTime === open || this.parts.nextBefore === null;
    const drop = whole ? lowerBound(this.items, open) : lowerBound(this.items, open + 1);
    if (drop === 0) return;
    this.items.splice(0, drop);
    this.frontShift -= drop;
  }

  private refold(): void {
    const parts = this.parts.candles;
    const next = foldCandles(parts, this.key.interval, this.parts.nextBefore !== null);
    const oldFirst = this.items[0]?.openTime;
    const newFirst = next[0]?.openTime;
    if (oldFirst !== undefined && newFirst !== undefined) {
      this.frontShift += countBelow(next, oldFirst) - countBelow(this.items, newFirst);
    }
    this.items = next;
  }

  /** The bucket opening at `open` folded again from its parts (one live update changed one of them). */
  private refoldBucket(open: number): void {
    const parts = this.parts.candles;
    const end = open + intervalMs(this.key.interval);
    const from = lowerBound(parts, open);
    let to = from;
    while (to < parts.length && (parts[to] as Kline).openTime < end) to++;
    // The first bucket of a book with older parts not loaded is left out (see foldCandles).
    const first = parts[0];
    const partial =
      first &&
      this.parts.nextBefore !== null &&
      first.openTime !== open &&
      bucketOpen(first.openTime, this.key.interval) === open;
    if (partial || from === to) return;
    const folded = foldBucket(parts.slice(from, to), this.key.interval, open);
    const items = this.items;
    const i = lowerBound(items, open);
    if (items[i]?.openTime === open) items[i] = folded;
    else {
      items.splice(i, 0, folded);
      if (i === 0 && items.length > 1) this.frontShift += 1;
    }
  }
}

function countBelow(items: readonly ChartCandle[], openTime: number): number {
  return lowerBound(items, openTime);
}

function lowerBound(items: readonly { openTime: number }[], openTime: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid]?.openTime ?? 0) < openTime) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The book a chart of `interval` reads: served candles as they come, or folded from finer ones. */
export function chartBookFor(key: { venue: string; symbol: string; interval: ChartInterval }): ChartBook {
  const base = baseInterval(key.interval);
  return base === key.interval ? new CandleBook({ ...key, interval: base }) : new FoldedCandleBook(key);
}
