import { AMOUNT_SCALE, formatScaled, parseScaled } from '@qt/shared';
import type { ReduceOnlyCause } from './codes.ts';
import type { RiskLimits } from './limits.ts';
import { SlidingWindowLimiter } from './sliding-window.ts';

export const DAY_MS = 86_400_000;

/** Days since the epoch in UTC; day d runs [d x DAY_MS, (d + 1) x DAY_MS). */
export function utcDay(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

export interface ReduceOnlyState {
  readonly cause: ReduceOnlyCause;
  /** When it started (engine clock); it ends at the next 00:00 UTC. */
  readonly since: number;
  /** The loss that triggered it, in basis points of the day's starting capital (rounded half up). */
  readonly lossBps: number;
}

/** Plain JSON for persisting the state across engine restarts (amounts as decimal strings). */
export interface RiskStateSnapshot {
  readonly day: number | null;
  readonly dayStartEquity: string | null;
  readonly reduceOnly: ReduceOnlyState | null;
  readonly secondWindow: readonly number[];
  readonly minuteWindow: readonly number[];
}

/**
 * What the engine remembers per account between orders: the two rate windows, the UTC day it is in with
 * that day's starting equity, and whether the account is reduce-only. Reduce-only is sticky for the rest
 * of the UTC day (equity recovering intraday does not lift it) and is lifted by the first look at the
 * account on a later day.
 */
export class RiskState {
  readonly perSecond: SlidingWindowLimiter;
  readonly perMinute: SlidingWindowLimiter;
  #day: number | null = null;
  #dayStartEquity: bigint | null = null;
  #reduceOnly: ReduceOnlyState | null = null;

  constructor(limits: Pick<RiskLimits, 'maxOrdersPerSecond' | 'maxOrdersPerMinute'>) {
    this.perSecond = new SlidingWindowLimiter(limits.maxOrdersPerSecond, 1_000);
    this.perMinute = new SlidingWindowLimiter(limits.maxOrdersPerMinute, 60_000);
  }

  get day(): number | null {
    return this.#day;
  }

  get dayStartEquity(): bigint | null {
    return this.#dayStartEquity;
  }

  get reduceOnly(): ReduceOnlyState | null {
    return this.#reduceOnly;
  }

  /** Follows limit changes without forgetting recent orders. */
  applyLimits(limits: Pick<RiskLimits, 'maxOrdersPerSecond' | 'maxOrdersPerMinute'>): void {
    this.perSecond.resize(limits.maxOrdersPerSecond);
    this.perMinute.resize(limits.maxOrdersPerMinute);
  }

  /**
   * Moves to the UTC day of `now`. On a new day the snapshot is the ledger's day-start equity when the
   * caller has it, else the equity seen now, and reduce-only is lifted. Within a day, a day-start equity
   * from the ledger replaces the engine's own snapshot (the ledger knows better).
   */
  rollDay(now: number, equity: bigint, dayStartEquity?: bigint): void {
    const day = utcDay(now);
    if (this.#day === null || day > this.#day) {
      this.#day = day;
      this.#dayStartEquity = dayStartEquity ?? equity;
      this.#reduceOnly = null;
    } else if (dayStartEquity !== undefined) {
      this.#dayStartEquity = dayStartEquity;
    }
  }

  enterReduceOnly(state: ReduceOnlyState): void {
    this.#reduceOnly ??= state;
  }

  /**
   * An admin's override from the dashboard (after raising or removing the daily-loss limit, say). If the
   * loss is still beyond the limit in effect, the next look at the account enters reduce-only again.
   */
  liftReduceOnly(): void {
    this.#reduceOnly = null;
  }

  snapshot(): RiskStateSnapshot {
    return {
      day: this.#day,
      dayStartEquity: this.#dayStartEquity === null ? null : formatScaled(this.#dayStartEquity, AMOUNT_SCALE),
      reduceOnly: this.#reduceOnly,
      secondWindow: this.perSecond.times(),
      minuteWindow: this.perMinute.times(),
    };
  }

  static restore(
    snapshot: RiskStateSnapshot,
    limits: Pick<RiskLimits, 'maxOrdersPerSecond' | 'maxOrdersPerMinute'>,
  ): RiskState {
    const state = new RiskState(limits);
    state.#day = snapshot.day;
    state.#dayStartEquity =
      snapshot.dayStartEquity === null ? null : parseScaled(snapshot.dayStartEquity, AMOUNT_SCALE);
    state.#reduceOnly = snapshot.reduceOnly;
    for (const t of snapshot.secondWindow.slice(-limits.maxOrdersPerSecond)) state.perSecond.record(t);
    for (const t of snapshot.minuteWindow.slice(-limits.maxOrdersPerMinute)) state.perMinute.record(t);
    return state;
  }
}
