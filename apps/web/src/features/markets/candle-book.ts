import type { CandlesPage, Kline, KlineInterval } from '@qt/shared';
import type { ChartCandle } from './chart-intervals';

/** What the chart reads and the candle hook feeds: a book of served candles, or one folded from them. */
export interface ChartBook {
  /** The chart's market and interval (a folded book's interval is not one the engine serves). */
  readonly key: { venue: string; symbol: string; interval: string };
  /** What to ask the engine for: the served interval the candles come from. */
  readonly source: { venue: string; symbol: string; interval: KlineInterval };
  readonly candles: readonly ChartCandle[];
  readonly length: number;
  /** Candles added at the front minus those dropped from it (the chart moves its zoom window by it). */
  readonly frontShift: number;
  readonly nextBefore: number | null;
  readonly historyLoaded: boolean;
  readonly liveUpdates: number;
  last(): ChartCandle | undefined;
  setHistory(page: CandlesPage): void;
  prependOlder(page: CandlesPage, askedBefore: number): number;
  applyLive(k: Kline): boolean;
}

/**
 * The candles of one chart (one venue, symbol and interval), oldest first: the history pages and the
 * live updates merged into one ordered list. Mutable on purpose: live updates arrive many times a second
 * and the chart redraws from it at its own pace, so nothing is copied per update.
 */
export class CandleBook implements ChartBook {
  private items: Kline[] = [];
  /**
   * Candles added at the front minus those dropped from it, since the book was made. The chart moves its
   * zoom window by the change, so prepending history or trimming does not jump the view.
   */
  frontShift = 0;
  /** Pass as `before` for the previous page; null when there is nothing older (or not loaded yet). */
  nextBefore: number | null = null;
  historyLoaded = false;
  /** Live updates applied (the browser test watches this grow). */
  liveUpdates = 0;

  constructor(
    readonly key: { venue: string; symbol: string; interval: KlineInterval },
    private readonly maxCandles = 10_000,
  ) {}

  get source() {
    return this.key;
  }

  get candles(): readonly Kline[] {
    return this.items;
  }

  get length(): number {
    return this.items.length;
  }

  last(): Kline | undefined {
    return this.items[this.items.length - 1];
  }

  /** The first page of history. Live candles that came before it are kept where they are newer. */
  setHistory(page: CandlesPage): void {
    const before = this.items[0]?.openTime;
    const byTime = new Map<number, Kline>();
    for (const k of page.candles) byTime.set(k.openTime, k);
    for (const k of this.items) {
      const h = byTime.get(k.openTime);
      // Within one interval a candle only grows (late trades included), so more trades means newer.
      if (!h || k.tradeCount >= h.tradeCount) byTime.set(k.openTime, k);
    }
    this.items = [...byTime.values()].sort((a, b) => a.openTime - b.openTime);
    if (before !== undefined) this.frontShift += this.items.findIndex((k) => k.openTime === before);
    this.nextBefore = page.nextBefore;
    this.historyLoaded = true;
  }

  /** An older page (asked for with `before: nextBefore`); returns how many candles it added. */
  prependOlder(page: CandlesPage, askedBefore: number): number {
    const first = this.items[0]?.openTime ?? Number.POSITIVE_INFINITY;
    const older = page.candles.filter((k) => k.openTime < first).sort((a, b) => a.openTime - b.openTime);
    this.items = [...older, ...this.items];
    this.frontShift += older.length;
    // A page that does not move backwards would be asked for forever.
    this.nextBefore = page.nextBefore !== null && page.nextBefore < askedBefore ? page.nextBefore : null;
    return older.length;
  }

  /**
   * A live update: the open candle again (replace), a new one (append), or a corrected closed one
   * (replace in place). Returns false for an update this book does not take.
   */
  applyLive(k: Kline): boolean {
    const { venue, symbol, interval } = this.key;
    if (k.venue !== venue || k.symbol !== symbol || k.interval !== interval) return false;
    const items = this.items;
    const last = items[items.length - 1];
    if (!last || k.openTime > last.openTime) {
      items.push(k);
      this.trim();
    } else if (k.openTime === last.openTime) {
      items[items.length - 1] = k;
    } else {
      const i = lowerBound(items, k.openTime);
      if (items[i]?.openTime === k.openTime) items[i] = k;
      // Older than everything held while older pages exist: paging will bring it; a lone candle would leave a hole.
      else if (i === 0 && this.nextBefore !== null) return false;
      else {
        items.splice(i, 0, k);
        if (i === 0) this.frontShift += 1;
      }
    }
    this.liveUpdates += 1;
    return true;
  }

  private trim(): void {
    const excess = this.items.length - this.maxCandles;
    if (excess <= 0) return;
    this.items.splice(0, excess);
    this.frontShift -= excess;
    this.nextBefore = this.items[0]?.openTime ?? null;
  }
}

function lowerBound(items: readonly Kline[], openTime: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid]?.openTime ?? 0) < openTime) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
