import { toUnits } from '../rules/price.ts';
import { unitsToDouble } from './sorted-thresholds.ts';

/** 100 x 10^18: a percent P (units of 10^-18) holds when P x ref <= move x HUNDRED_UNITS. */
const HUNDRED_UNITS = 100n * 10n ** 18n;
/**
 * Percent distance (in percent points) within which the double estimate of the move is not trusted and
 * the exact bigint test decides. The estimate's error is ~1e-14 points; thresholds have at most 8
 * decimals (1e-8 points).
 */
const TRUST = 1e-9;

/**
 * Most trades one move window keeps. A monotonic deque holds only the running extremes, usually a handful;
 * a price falling steadily for a whole day at a high trade rate could keep every trade, so the deque is
 * capped and its oldest entries dropped (counted in `truncated`): the reference is then taken over the
 * newest MAX_WINDOW_ENTRIES extremes only.
 */
export const MAX_WINDOW_ENTRIES = 65_536;

/** Receives the alerts (slots) a trade must look at; an object, not a closure made per trade. */
export interface OwnerVisitor {
  visit(owner: number): void;
}

/**
 * Percentage-move conditions of one market sharing (windowMs, direction): one monotonic deque for the
 * window's lowest (up) or highest (down) price, and the percent thresholds of every alert sorted. The
 * thresholds that hold are a prefix of that order (the smaller the percent, the sooner it holds), so a
 * trade visits only those whose truth changed: the ones between the old and the new prefix length.
 * Per trade the work is in doubles; exact bigint arithmetic decides only ties and near-ties.
 */
export class MoveGroup {
  readonly key: string;
  #ts: number[] = [];
  /** Prices as printed (exact; parsed to units only for a near-tie) and as doubles. */
  #prices: string[] = [];
  #pricesF: number[] = [];
  #head = 0;
  #keys: bigint[] = [];
  #keysF: number[] = [];
  #owners: number[] = [];
  #sorted = true;
  /** The latest price and the window's reference (lowest or highest) as printed; '' before any trade. */
  #price = '';
  #ref = '';
  #priceUnits: bigint | null = null;
  #refUnits: bigint | null = null;
  #held = 0;
  truncated = 0;

  constructor(
    readonly windowMs: number,
    readonly direction: 'up' | 'down',
  ) {
    this.key = `${windowMs}:${direction}`;
  }

  add(percent: bigint, owner: number): void {
    this.#keys.push(percent);
    this.#owners.push(owner);
    this.#sorted = false;
  }

  removeOwner(owner: number): void {
    const keep = this.#owners.map((o) => o !== owner);
    this.#keys = this.#keys.filter((_, i) => keep[i]);
    this.#owners = this.#owners.filter((_, i) => keep[i]);
    this.#sorted = false;
  }

  get thresholds(): number {
    return this.#keys.length;
  }

  /** The current move as num / den (den: the reference price; 0 before any trade). */
  get num(): bigint {
    if (this.#price === '' || this.#ref === '') return 0n;
    this.#priceUnits ??= toUnits(this.#price);
    this.#refUnits ??= toUnits(this.#ref);
    return this.direction === 'up' ? this.#priceUnits - this.#refUnits : this.#refUnits - this.#priceUnits;
  }

  get den(): bigint {
    if (this.#ref === '') return 0n;
    this.#refUnits ??= toUnits(this.#ref);
    return this.#refUnits;
  }

  /** Whether `percent` (units of 10^-18) holds for the current move; exact. */
  holds(percent: bigint): boolean {
    const den = this.den;
    return den > 0n && percent * den <= this.num * HUNDRED_UNITS;
  }

  /** Takes a trade (ts never decreases) and visits the owners whose condition changed truth. */
  update(ts: number, priceF: number, price: string, visitor: OwnerVisitor): void {
    // Sort (and count what holds) against the previous move first, so the comparison below is old vs new.
    if (!this.#sorted) this.#sort();
    const prices = this.#prices;
    const pricesF = this.#pricesF;
    const times = this.#ts;
    const up = this.direction === 'up';
    while (prices.length > this.#head) {
      const last = pricesF[pricesF.length - 1] as number;
      if (last !== priceF) {
        if (up ? last < priceF : last > priceF) break;
      } else if (prices[prices.length - 1] !== price) {
        // Equal doubles, different text: "100" and "100.0", or digits beyond a double's precision.
        const exact = toUnits(prices[prices.length - 1] as string);
        const p = toUnits(price);
        if (up ? exact < p : exact > p) break;
      }
      prices.pop();
      pricesF.pop();
      times.pop();
    }
    prices.push(price);
    pricesF.push(priceF);
    times.push(ts);
    const from = ts - this.windowMs;
    while ((times[this.#head] as number) <= from) this.#head++;
    if (prices.length - this.#head > MAX_WINDOW_ENTRIES) {
      this.truncated += prices.length - this.#head - MAX_WINDOW_ENTRIES;
      this.#head = prices.length - MAX_WINDOW_ENTRIES;
    }
    if (this.#head > 1024 && this.#head * 2 > prices.length) this.#compact();
    if (price !== this.#price) {
      this.#price = price;
      this.#priceUnits = null;
    }
    const ref = prices[this.#head] as string;
    if (ref !== this.#ref) {
      this.#ref = ref;
      this.#refUnits = null;
    }
    if (this.#keys.length === 0) return;
    const refF = pricesF[this.#head] as number;
    const held = this.#countHeld(refF > 0 ? ((up ? priceF - refF : refF - priceF) / refF) * 100 : Number.NaN);
    const lo = Math.min(held, this.#held);
    const hi = Math.max(held, this.#held);
    for (let i = lo; i < hi; i++) visitor.visit(this.#owners[i] as number);
    this.#held = held;
  }

  /** The window's entries (oldest first) for a snapshot. */
  entries(): { ts: number[]; prices: string[] } {
    return { ts: this.#ts.slice(this.#head), prices: this.#prices.slice(this.#head) };
  }

  restore(ts: readonly number[], prices: readonly string[], price: string | null): void {
    this.#ts = [...ts];
    this.#prices = [...prices];
    this.#pricesF = prices.map(Number);
    this.#head = 0;
    this.#price = prices.length > 0 ? (price ?? '') : '';
    this.#ref = prices[0] ?? '';
    this.#priceUnits = null;
    this.#refUnits = null;
    this.#sort();
  }

  /**
   * How many thresholds (a prefix) hold for a move of about `approx` percent: the double estimate settles
   * every threshold farther than TRUST from it; the ones within are tested exactly.
   */
  #countHeld(approx: number): number {
    // approx is NaN when the reference is not positive (no move is defined then).
    if (Number.isNaN(approx)) return 0;
    const keysF = this.#keysF;
    let lo = upperBound(keysF, approx - TRUST);
    const hi = upperBound(keysF, approx + TRUST);
    while (lo < hi && this.holds(this.#keys[lo] as bigint)) lo++;
    return lo;
  }

  /** In place: `update` holds references to the arrays. */
  #compact(): void {
    this.#ts.splice(0, this.#head);
    this.#prices.splice(0, this.#head);
    this.#pricesF.splice(0, this.#head);
    this.#head = 0;
  }

  #sort(): void {
    const order = this.#keys.map((_, i) => i);
    const keys = this.#keys;
    order.sort((a, b) => {
      const ka = keys[a] as bigint;
      const kb = keys[b] as bigint;
      return ka < kb ? -1 : ka > kb ? 1 : a - b;
    });
    this.#keys = order.map((i) => keys[i] as bigint);
    this.#keysF = this.#keys.map(unitsToDouble);
    const owners = this.#owners;
    this.#owners = order.map((i) => owners[i] as number);
    this.#sorted = true;
    let held = 0;
    while (held < this.#keys.length && this.holds(this.#keys[held] as bigint)) held++;
    this.#held = held;
  }
}

/** Number of values <= x (values sorted ascending). */
function upperBound(values: readonly number[], x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
