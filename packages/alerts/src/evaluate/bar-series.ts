import { createIndicator, type StreamingIndicator } from '@qt/indicators';
import type { KlineInterval } from '@qt/shared';

/** Volumes a series keeps for volume-spike conditions (the schema caps `bars` at this). */
export const MAX_VOLUME_BARS = 500;

/** One indicator instance shared by every alert on the same (series, indicator, parameters). */
export class SharedIndicator {
  readonly ind: StreamingIndicator;
  /** Outputs after the previous closed bar and after the latest one (NaN during warm-up). */
  readonly prev: Float64Array;
  readonly cur: Float64Array;

  constructor(
    readonly key: string,
    readonly kind: 'rsi' | 'macd' | 'bbands' | 'ema',
    readonly params: Record<string, number>,
  ) {
    this.ind = createIndicator(kind, params);
    this.prev = new Float64Array(this.ind.outputs.length).fill(Number.NaN);
    this.cur = new Float64Array(this.ind.outputs.length).fill(Number.NaN);
  }

  push(high: number, low: number, close: number, volume: number, time: number): void {
    this.prev.set(this.cur);
    this.ind.push(high, low, close, volume, time);
    for (let i = 0; i < this.cur.length; i++) this.cur[i] = this.ind.value(i);
  }
}

export function indicatorKey(kind: string, params: Record<string, number>): string {
  return `${kind}(${Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join(',')})`;
}

/**
 * Closed candles of one (venue, symbol, interval): the previous and current close (exact units), the last
 * MAX_VOLUME_BARS volumes, the shared indicators, and the bar-close alerts that read them.
 */
export class BarSeries {
  lastOpenTime = Number.NEGATIVE_INFINITY;
  prevClose: bigint | null = null;
  close: bigint | null = null;
  /** The same closes as doubles (what the indicators were fed); NaN before the first. */
  prevCloseF64 = Number.NaN;
  closeF64 = Number.NaN;
  /** Oldest first, at most MAX_VOLUME_BARS. */
  volumes: bigint[] = [];
  readonly indicators = new Map<string, SharedIndicator>();
  /** Slots of the bar-close alerts on this series, in the order they were added. */
  slots: number[] = [];

  constructor(
    readonly venue: string,
    readonly symbol: string,
    readonly interval: KlineInterval,
  ) {}

  indicator(kind: SharedIndicator['kind'], params: Record<string, number>): SharedIndicator {
    const key = indicatorKey(kind, params);
    let shared = this.indicators.get(key);
    if (!shared) {
      shared = new SharedIndicator(key, kind, params);
      this.indicators.set(key, shared);
    }
    return shared;
  }

  pushVolume(volume: bigint): void {
    this.volumes.push(volume);
    if (this.volumes.length > MAX_VOLUME_BARS) this.volumes.shift();
  }

  /** Sum of the last `bars` volumes before the current bar, or null when fewer were seen. */
  volumeSum(bars: number): bigint | null {
    const v = this.volumes;
    if (v.length < bars) return null;
    let sum = 0n;
    for (let i = v.length - bars; i < v.length; i++) sum += v[i] as bigint;
    return sum;
  }
}
