import { createIndicator, type StreamingIndicator } from '@qt/indicators';
import type { KlineInterval } from '@qt/shared';
import type { AlertCandle } from './types.ts';

/** Volumes a series keeps for volume-spike conditions (the schema caps `bars` at this). */
export const MAX_VOLUME_BARS = 500;

/**
 * Where an instance is in its warm-up from storage (see AlertEvaluator.takeWarmups):
 * - `none`: fed by live closes only (no seed wanted, or the engine never asked);
 * - `wanted`: created (or restored not ready) and not seeded yet; still fed by live closes meanwhile;
 * - `queued`: handed to the engine (takeWarmups), waiting for a read slot; still fed by live closes (a
 *   queue of reads can take long, and an instance silent all that time would miss its alerts' bars);
 * - `seeding`: its stored read started (beginWarmup): it was reset, live closes are NOT pushed into it
 *   but logged on its series, and merged with the stored candles by open time when the read completes
 *   (or, on a series that has seen no live close yet, when its first live close arrives);
 * - `done`: seeded (or the seed was given up): fed by live closes.
 */
export type WarmupState = 'none' | 'wanted' | 'queued' | 'seeding' | 'done';

/** One indicator instance shared by every alert on the same (series, indicator, parameters). */
export class SharedIndicator {
  readonly ind: StreamingIndicator;
  /** Outputs after the previous closed bar and after the latest one (NaN during warm-up). */
  readonly prev: Float64Array;
  readonly cur: Float64Array;
  /**
   * Closed bars it needs before `prev` and `cur` both hold values: outputs start after `lookback` bars,
   * and a crossing compares two of them.
   */
  readonly needed: number;
  /** Bars pushed since it was created or reset. */
  pushed = 0;
  warmup: WarmupState = 'none';
  /** Identifies the seed in flight: a completion for an older request (or another evaluator) is ignored. */
  seedToken = 0;

  constructor(
    readonly key: string,
    readonly kind: 'rsi' | 'macd' | 'bbands' | 'ema',
    readonly params: Record<string, number>,
  ) {
    this.ind = createIndicator(kind, params);
    this.prev = new Float64Array(this.ind.outputs.length).fill(Number.NaN);
    this.cur = new Float64Array(this.ind.outputs.length).fill(Number.NaN);
    this.needed = this.ind.lookback + 2;
  }

  /** Closed bars pushed before `cur` holds values (a level test on it, like RSI above, can fire). */
  get neededForCur(): number {
    return this.ind.lookback + 1;
  }

  get ready(): boolean {
    return this.pushed >= this.needed;
  }

  push(high: number, low: number, close: number, volume: number, time: number): void {
    this.prev.set(this.cur);
    this.ind.push(high, low, close, volume, time);
    for (let i = 0; i < this.cur.length; i++) this.cur[i] = this.ind.value(i);
    this.pushed++;
  }

  /** Back to a fresh instance (before a seed is pushed: the seed is its whole history). */
  reset(): void {
    this.ind.reset();
    this.prev.fill(Number.NaN);
    this.cur.fill(Number.NaN);
    this.pushed = 0;
  }
}

/** A closed bar as the indicators take it (doubles: what `push` reads). */
export interface SeedBar {
  openTime: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * Live closes a series keeps: the last RECENT_LIVE_BARS always (storage may not have the
 * newest ones yet when a seed is read: the persister is another consumer of the same stream), and every
 * close while an instance is seeding, up to MAX_SEED_LIVE_LOG (then the oldest are dropped).
 */
export const RECENT_LIVE_BARS = 8;
export const MAX_SEED_LIVE_LOG = 10_000;

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
  /** Instances of this series in state `seeding`: while > 0 its live closes are logged in `liveLog`. */
  seeding = 0;
  /** Live closes applied lately (ascending open times, see RECENT_LIVE_BARS); not stored in snapshots. */
  liveLog: SeedBar[] = [];
  /**
   * Stored closed candles read for seeds while the series had seen no live close (by open time, at most
   * WARMUP_MAX_CANDLES), kept aside until its first live close: only those opening before it are applied
   * then. Applying them at once would move the series past bars the alert consumer has not delivered yet
   * (the persister runs ahead of it, and a NATS replay starts behind it), and those bars would then be
   * counted late and their firings lost.
   */
  adopted: Map<number, AlertCandle> | null = null;
  /** Instances whose seed waits for that first live close (state `seeding`), with their seed length. */
  awaiting: { ind: SharedIndicator; limit: number }[] = [];

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

  /** Records a live close for seeds (bounded: the oldest go first). */
  logLive(bar: SeedBar): void {
    this.liveLog.push(bar);
    if (this.liveLog.length > (this.seeding > 0 ? MAX_SEED_LIVE_LOG : RECENT_LIVE_BARS)) this.liveLog.shift();
  }

  /** A seed finished: back to the recent bars only once none is in flight. */
  seedDone(): void {
    this.seeding--;
    if (this.seeding === 0 && this.liveLog.length > RECENT_LIVE_BARS)
      this.liveLog = this.liveLog.slice(-RECENT_LIVE_BARS);
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
