import { MAX_PROCEDURE_WEIGHT, type RateBudget } from '@qt/shared';

/**
 * GCRA (the generic cell rate algorithm), the arithmetic both bucket stores share: the Lua script in Redis
 * (`redis-buckets.ts`) and the per-instance fallback in memory (`MemoryBuckets` below) compute exactly
 * this, in integer microseconds.
 *
 * A bucket is one number, its theoretical arrival time (TAT): when it would be full again if nothing else
 * arrived. A request of weight `cost` moves the TAT `cost * emission` later; it is allowed when the new
 * TAT is at most `tolerance = burst * emission` ahead of now. So at most `burst` units pass at once from
 * a full bucket, and `limit` units per window pass sustained, with no window boundary to game (a fixed
 * window lets 2x the limit through around each boundary; GCRA never does).
 */
export interface BucketSpec {
  /** Microseconds to earn back one unit: windowSeconds * 1e6 / limit (rounded; at least 1). */
  emissionUs: number;
  /** burst * emissionUs. */
  toleranceUs: number;
  cost: number;
}

/** The burst (units at once) a spec allows. */
export function burstOf(spec: BucketSpec): number {
  return Math.round(spec.toleranceUs / spec.emissionUs);
}

export function bucketSpec(budget: RateBudget, cost: number, fraction = 1): BucketSpec {
  // `fraction` scales the rate and the burst (the Redis-down fallback runs at a fraction of the tier).
  const limit = Math.max(1, budget.limit * fraction);
  // Scaled down, the burst still holds the heaviest call (clamped up to it, never above the tier's own
  // burst): otherwise a call could be refused for ever with a Retry-After that never comes true.
  const floor = fraction < 1 ? Math.min(MAX_PROCEDURE_WEIGHT, budget.burst) : 1;
  const burst = Math.max(1, floor, Math.floor(budget.burst * fraction));
  const emissionUs = Math.max(1, Math.round((budget.windowSeconds * 1_000_000) / limit));
  return { emissionUs, toleranceUs: emissionUs * burst, cost };
}

/** One bucket's answer. */
export interface BucketOutcome {
  allowed: boolean;
  /** Units left now (after this request when allowed). */
  remaining: number;
  /** Microseconds until the bucket is full again. */
  resetUs: number;
  /** Microseconds until this request would be allowed (0 when allowed). */
  retryUs: number;
  /** The TAT to store when every bucket of the request allows it. */
  newTat: number;
}

/** `tat`: the stored TAT or null (a full bucket). Pure: the caller stores `newTat`. */
export function gcra(tat: number | null, nowUs: number, spec: BucketSpec): BucketOutcome {
  const base = tat === null || tat < nowUs ? nowUs : tat;
  const newTat = base + spec.emissionUs * spec.cost;
  const allowAt = newTat - spec.toleranceUs;
  if (allowAt > nowUs) {
    return {
      allowed: false,
      remaining: Math.max(0, Math.floor((spec.toleranceUs - (base - nowUs)) / spec.emissionUs)),
      resetUs: base - nowUs,
      retryUs: allowAt - nowUs,
      newTat: base,
    };
  }
  return {
    allowed: true,
    remaining: Math.floor((spec.toleranceUs - (newTat - nowUs)) / spec.emissionUs),
    resetUs: newTat - nowUs,
    retryUs: 0,
    newTat,
  };
}

/**
 * Several buckets charged together (key, tenant, orders): all or nothing, so a request refused by the
 * tenant's bucket does not spend the key's. `allowed` is the request's answer; `buckets` says each
 * bucket's state after it (a bucket that had room for a refused request reports itself uncharged).
 */
export interface TakeResult {
  allowed: boolean;
  buckets: BucketOutcome[];
}

export interface BucketStore {
  take(keys: readonly string[], specs: readonly BucketSpec[]): Promise<TakeResult>;
}

/** Charges every bucket or none; `tats` are the stored TATs (null: full). Shared by both stores' tests. */
export function takeAll(
  tats: readonly (number | null)[],
  nowUs: number,
  specs: readonly BucketSpec[],
): TakeResult {
  const buckets = specs.map((spec, i) => gcra(tats[i] ?? null, nowUs, spec));
  const allowed = buckets.every((b) => b.allowed);
  if (allowed) return { allowed, buckets };
  return {
    allowed,
    buckets: buckets.map((b, i) => {
      if (!b.allowed) return b;
      const spec = specs[i] as BucketSpec;
      const newTat = b.newTat - spec.emissionUs * spec.cost;
      return {
        ...b,
        remaining: b.remaining + spec.cost,
        resetUs: b.resetUs - spec.emissionUs * spec.cost,
        newTat,
      };
    }),
  };
}

/**
 * Buckets in this process: the embedded single-instance default, and the fallback while Redis is
 * unreachable. Bounded: at most `maxBuckets` (oldest dropped first; a dropped bucket restarts full, which
 * only errs towards allowing, and only for callers idle longest).
 */
export class MemoryBuckets implements BucketStore {
  readonly #tats = new Map<string, number>();
  readonly #nowMs: () => number;
  readonly #maxBuckets: number;

  constructor(nowMs: () => number, maxBuckets = 100_000) {
    this.#nowMs = nowMs;
    this.#maxBuckets = maxBuckets;
  }

  get size(): number {
    return this.#tats.size;
  }

  async take(keys: readonly string[], specs: readonly BucketSpec[]): Promise<TakeResult> {
    return this.takeSync(keys, specs);
  }

  takeSync(keys: readonly string[], specs: readonly BucketSpec[]): TakeResult {
    const now = Math.round(this.#nowMs() * 1000);
    const result = takeAll(
      keys.map((k) => this.#tats.get(k) ?? null),
      now,
      specs,
    );
    if (!result.allowed) return result;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      // Re-inserted so the map's order is least recently used first.
      this.#tats.delete(key);
      this.#tats.set(key, (result.buckets[i] as BucketOutcome).newTat);
    }
    while (this.#tats.size > this.#maxBuckets) {
      const oldest = this.#tats.keys().next().value;
      if (oldest === undefined) break;
      this.#tats.delete(oldest);
    }
    return result;
  }
}
