import type { OwnerVisitor } from './move-group.ts';

/**
 * Price levels of one market, kept sorted, each pointing at the alert (slot) that owns it. A trade moving
 * the price from p0 to p1 visits only the levels in [min(p0, p1), max(p0, p1)]: two binary searches and a
 * walk over the levels actually crossed, so the cost per trade does not grow with the alerts on the symbol.
 *
 * The search runs on doubles, widened by a relative MARGIN on each side: a level's double and a price's
 * double are each within an ulp or two of the exact values, so every level inside the exact range is
 * inside the widened one, and the few extra ones visited are evaluated exactly (bigint units) and do
 * not fire. Bigint comparisons are runtime calls in V8, several times a double comparison, and the
 * trade's price need not be parsed to units at all unless an alert is looked at.
 * Adds append and mark the array unsorted; it is sorted once before the next query.
 */
export class SortedThresholds {
  #keys: bigint[] = [];
  #keysF = new Float64Array(0);
  #owners: number[] = [];
  #sorted = true;

  get size(): number {
    return this.#keys.length;
  }

  add(key: bigint, owner: number): void {
    this.#keys.push(key);
    this.#owners.push(owner);
    this.#sorted = false;
  }

  /** Drops every level of `owner` (O(n): alerts are removed rarely compared with trades). */
  removeOwner(owner: number): void {
    const keep = this.#owners.map((o) => o !== owner);
    this.#keys = this.#keys.filter((_, i) => keep[i]);
    this.#owners = this.#owners.filter((_, i) => keep[i]);
    this.#sorted = false;
  }

  /** Visits every level in [lo, hi] (the prices' doubles; both included), and possibly a few just outside. */
  visitRange(loF: number, hiF: number, visitor: OwnerVisitor): void {
    if (!this.#sorted) this.#sort();
    const keysF = this.#keysF;
    const owners = this.#owners;
    const n = keysF.length;
    const hi = hiF + Math.abs(hiF) * MARGIN;
    for (let i = lowerBoundF(keysF, loF - Math.abs(loF) * MARGIN); i < n && (keysF[i] as number) <= hi; i++) {
      visitor.visit(owners[i] as number);
    }
  }

  #sort(): void {
    const order = this.#keys.map((_, i) => i);
    const keys = this.#keys;
    order.sort((a, b) => {
      const ka = keys[a] as bigint;
      const kb = keys[b] as bigint;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
    this.#keys = order.map((i) => keys[i] as bigint);
    const owners = this.#owners;
    this.#owners = order.map((i) => owners[i] as number);
    this.#keysF = Float64Array.from(this.#keys, unitsToDouble);
    this.#sorted = true;
  }
}

const SCALE_F = 1e18;
/** Relative widening of a searched range: far above the few ulps (2^-52 each) the doubles can be off. */
const MARGIN = 1e-12;

/**
 * The double nearest to units x 10^-18. Number(bigint) is correctly rounded, the division by 1e18 rounds
 * once more: within a few ulps of the value, which the searches' MARGIN covers.
 */
export function unitsToDouble(units: bigint): number {
  return Number(units) / SCALE_F;
}

/** First index whose value is >= `x`. */
export function lowerBoundF(values: Float64Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
