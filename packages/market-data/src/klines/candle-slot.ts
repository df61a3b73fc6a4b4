import { formatUnits } from '@qt/shared';
import { sortsBefore } from './trade-order.ts';
import { formatVolume } from './volume-format.ts';

/**
 * The layout of one candle slot in the aggregator's flat state, and the exact integer arithmetic on it.
 * Numeric fields live in a Float64Array (stride F_STRIDE), the trades' own spellings in a string array
 * (stride S_STRIDE). Every number stored is an integer below 2^53, so a double holds it exactly.
 */
export const F_OPEN_TIME = 0;
export const F_STATE = 1;
export const F_HIGH = 2;
export const F_LOW = 3;
export const F_OPEN_T = 4;
export const F_CLOSE_T = 5;
export const F_BASE_LO = 6;
export const F_BASE_HI = 7;
export const F_BUY_LO = 8;
export const F_BUY_HI = 9;
export const F_QUOTE_LO = 10;
export const F_QUOTE_MID = 11;
export const F_COUNT = 12;
export const F_REVISION = 13;
export const F_DIRTY = 14;
export const F_QUOTE_TOP = 15;
/** Trade ids as numbers when they are plain integers (they usually are): no string store per trade. */
export const F_OPEN_ID = 16;
export const F_CLOSE_ID = 17;
export const F_STRIDE = 18;

export const S_OPEN = 0;
export const S_HIGH = 1;
export const S_LOW = 2;
export const S_CLOSE = 3;
export const S_OPEN_ID = 4;
export const S_CLOSE_ID = 5;
export const S_STRIDE = 6;

export const EMPTY = 0;
export const OPEN = 1;
export const CLOSED = 2;

/**
 * What a finest-interval candle had already handed to its coarser candles (see `foldInto`): its additive
 * fields at the last fold, stride D_STRIDE per finest slot.
 */
export const D_BASE_LO = 0;
export const D_BASE_HI = 1;
export const D_BUY_LO = 2;
export const D_BUY_HI = 3;
export const D_QUOTE_LO = 4;
export const D_QUOTE_MID = 5;
export const D_QUOTE_TOP = 6;
export const D_COUNT = 7;
export const D_STRIDE = 8;

/**
 * Base volumes are two safe integers, lo + hi * 2^52 with 0 <= lo < 2^52 (exact to 2^105 units, i.e.
 * 2^52 trades of the largest quantity). Quote volumes (products of two up-to-53-bit unit counts) are
 * three: lo + mid * 2^52 + top * 2^104, with lo and mid kept below 2^52.
 */
export const LIMB = 2 ** 52;
export const LIMB_N = 2n ** 52n;
export const MAX_SCALE = 15;
export const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** A trade id as a number if it is a plain integer below 2^53 ("0" or no leading zero), else NaN. */
export function tradeIdNumber(id: string): number {
  const n = id.length;
  if (n === 0 || n > 15 || (n > 1 && id.charCodeAt(0) === 48)) return Number.NaN;
  let v = 0;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** `sortsBefore` on trade ids held as numbers where possible (the same order: numeric for plain integers). */
export function idBefore(an: number, as: string | undefined, bn: number, bs: string | undefined): boolean {
  if (!Number.isNaN(an) && !Number.isNaN(bn)) return an < bn;
  return sortsBefore(
    Number.isNaN(an) ? (as as string) : String(an),
    Number.isNaN(bn) ? (bs as string) : String(bn),
  );
}

/** f[at] (lo) and f[at + 1] (hi) += (lo, hi); both lo < 2^52, so the sum is exact before the carry. */
export function addLimbs(f: Float64Array, at: number, lo: number, hi: number): void {
  let sum = (f[at] as number) + lo;
  let carry = hi;
  if (sum >= LIMB) {
    sum -= LIMB;
    carry += 1;
  }
  f[at] = sum;
  if (carry !== 0) f[at + 1] = (f[at + 1] as number) + carry;
}

export function addQuote(f: Float64Array, o: number, lo: number, mid: number, top: number): void {
  let sum = (f[o + F_QUOTE_LO] as number) + lo;
  let carry = mid;
  if (sum >= LIMB) {
    sum -= LIMB;
    carry += 1;
  }
  f[o + F_QUOTE_LO] = sum;
  if (carry === 0 && top === 0) return;
  let m = (f[o + F_QUOTE_MID] as number) + carry; // both below 2^52, plus 1: still exact
  let up = top;
  if (m >= LIMB) {
    m -= LIMB;
    up += 1;
  }
  f[o + F_QUOTE_MID] = m;
  if (up !== 0) f[o + F_QUOTE_TOP] = (f[o + F_QUOTE_TOP] as number) + up;
}

export function quoteValue(f: Float64Array, o: number): bigint {
  return (
    (BigInt(f[o + F_QUOTE_TOP] as number) * LIMB_N + BigInt(f[o + F_QUOTE_MID] as number)) * LIMB_N +
    BigInt(f[o + F_QUOTE_LO] as number)
  );
}

export function setQuote(f: Float64Array, o: number, v: bigint): void {
  f[o + F_QUOTE_LO] = Number(v % LIMB_N);
  f[o + F_QUOTE_MID] = Number((v / LIMB_N) % LIMB_N);
  f[o + F_QUOTE_TOP] = Number(v / LIMB_N / LIMB_N);
}

export function limbsValue(f: Float64Array, at: number): bigint {
  return BigInt(f[at + 1] as number) * LIMB_N + BigInt(f[at] as number);
}

export function scaleLimbs(f: Float64Array, at: number, factor: number): void {
  const v = limbsValue(f, at) * BigInt(factor);
  f[at] = Number(v % LIMB_N);
  f[at + 1] = Number(v / LIMB_N);
}

/** The three quote limbs at `at` (lo, mid, top) times `factor`, exactly. */
export function scaleQuoteLimbs(f: Float64Array, at: number, factor: bigint): void {
  const v =
    ((BigInt(f[at + 2] as number) * LIMB_N + BigInt(f[at + 1] as number)) * LIMB_N +
      BigInt(f[at] as number)) *
    factor;
  f[at] = Number(v % LIMB_N);
  f[at + 1] = Number((v / LIMB_N) % LIMB_N);
  f[at + 2] = Number(v / LIMB_N / LIMB_N);
}

export function limbsToString(f: Float64Array, at: number, scale: number): string {
  if (f[at + 1] === 0 && scale <= MAX_SCALE) return formatUnitsFast(f[at] as number, scale);
  return formatVolume(limbsValue(f, at), scale);
}

const ZEROS = Array.from({ length: MAX_SCALE + 1 }, (_, n) => '0'.repeat(n));
/** Below this, q * 10^scale in `formatUnitsFast` is below 2^53 whatever the division rounded to. */
const FAST_FORMAT_LIMIT = 2 ** 53 - 1e15 - 1;

/**
 * `formatUnits` for a non-negative count of units at `scale` (0..15), the same string, about 3x faster:
 * it splits off the fraction with integer arithmetic instead of slicing the printed digits (a candle
 * emission formats three volumes, and a flush of 10,000 symbols emits 80,000 candles).
 */
export function formatUnitsFast(units: number, scale: number): string {
  if (scale === 0 || !(units >= 0 && units <= FAST_FORMAT_LIMIT)) return formatUnits(units, scale);
  const p = POW10[scale] as number;
  let q = Math.floor(units / p);
  let r = units - q * p; // exact: q * p < 2^53
  if (r < 0) {
    q -= 1;
    r += p;
  } else if (r >= p) {
    q += 1;
    r -= p;
  }
  if (r === 0) return String(q);
  let digits = scale;
  while (r % 10 === 0) {
    r /= 10;
    digits--;
  }
  const rs = String(r);
  return `${q}.${ZEROS[digits - rs.length]}${rs}`;
}

/**
 * Folds what a finest-interval candle gained since its last fold into one coarser candle: OHLC merge by
 * the trade order (idempotent: folding the same candle twice changes nothing) and the additive fields'
 * increase since the last fold (dBase... below, all non-negative and limb-normalised). The result is the
 * candle the coarser interval would hold had every trade been applied to it directly: open/close are
 * the earliest/latest by (exchange time, trade id), high/low the extreme price with the spelling that
 * sorts first, volumes and counts sums, and all of these are order-independent.
 */
export function foldInto(
  f: Float64Array,
  s: string[],
  co: number,
  cso: number,
  po: number,
  pso: number,
  delta: Float64Array,
): void {
  if (f[po + F_COUNT] === 0) {
    f[po + F_HIGH] = f[co + F_HIGH] as number;
    f[po + F_LOW] = f[co + F_LOW] as number;
    f[po + F_OPEN_T] = f[co + F_OPEN_T] as number;
    f[po + F_CLOSE_T] = f[co + F_CLOSE_T] as number;
    f[po + F_OPEN_ID] = f[co + F_OPEN_ID] as number;
    f[po + F_CLOSE_ID] = f[co + F_CLOSE_ID] as number;
    s[pso + S_OPEN] = s[cso + S_OPEN] as string;
    s[pso + S_HIGH] = s[cso + S_HIGH] as string;
    s[pso + S_LOW] = s[cso + S_LOW] as string;
    s[pso + S_CLOSE] = s[cso + S_CLOSE] as string;
    s[pso + S_OPEN_ID] = s[cso + S_OPEN_ID] as string;
    s[pso + S_CLOSE_ID] = s[cso + S_CLOSE_ID] as string;
  } else {
    const ch = f[co + F_HIGH] as number;
    const ph = f[po + F_HIGH] as number;
    if (
      ch > ph ||
      (ch === ph &&
        s[cso + S_HIGH] !== s[pso + S_HIGH] &&
        sortsBefore(s[cso + S_HIGH] as string, s[pso + S_HIGH] as string))
    ) {
      f[po + F_HIGH] = ch;
      s[pso + S_HIGH] = s[cso + S_HIGH] as string;
    }
    const cl = f[co + F_LOW] as number;
    const pl = f[po + F_LOW] as number;
    if (
      cl < pl ||
      (cl === pl &&
        s[cso + S_LOW] !== s[pso + S_LOW] &&
        sortsBefore(s[cso + S_LOW] as string, s[pso + S_LOW] as string))
    ) {
      f[po + F_LOW] = cl;
      s[pso + S_LOW] = s[cso + S_LOW] as string;
    }
    const cOpenT = f[co + F_OPEN_T] as number;
    const pOpenT = f[po + F_OPEN_T] as number;
    if (
      cOpenT < pOpenT ||
      (cOpenT === pOpenT &&
        idBefore(
          f[co + F_OPEN_ID] as number,
          s[cso + S_OPEN_ID],
          f[po + F_OPEN_ID] as number,
          s[pso + S_OPEN_ID],
        ))
    ) {
      f[po + F_OPEN_T] = cOpenT;
      f[po + F_OPEN_ID] = f[co + F_OPEN_ID] as number;
      s[pso + S_OPEN] = s[cso + S_OPEN] as string;
      s[pso + S_OPEN_ID] = s[cso + S_OPEN_ID] as string;
    }
    const cCloseT = f[co + F_CLOSE_T] as number;
    const pCloseT = f[po + F_CLOSE_T] as number;
    if (
      cCloseT > pCloseT ||
      (cCloseT === pCloseT &&
        idBefore(
          f[po + F_CLOSE_ID] as number,
          s[pso + S_CLOSE_ID],
          f[co + F_CLOSE_ID] as number,
          s[cso + S_CLOSE_ID],
        ))
    ) {
      f[po + F_CLOSE_T] = cCloseT;
      f[po + F_CLOSE_ID] = f[co + F_CLOSE_ID] as number;
      s[pso + S_CLOSE] = s[cso + S_CLOSE] as string;
      s[pso + S_CLOSE_ID] = s[cso + S_CLOSE_ID] as string;
    }
  }
  addLimbs(f, po + F_BASE_LO, delta[D_BASE_LO] as number, delta[D_BASE_HI] as number);
  addLimbs(f, po + F_BUY_LO, delta[D_BUY_LO] as number, delta[D_BUY_HI] as number);
  addQuote(f, po, delta[D_QUOTE_LO] as number, delta[D_QUOTE_MID] as number, delta[D_QUOTE_TOP] as number);
  f[po + F_COUNT] = (f[po + F_COUNT] as number) + (delta[D_COUNT] as number);
}

/**
 * delta = (the candle's additive fields at `co`) - (what was folded, at `d[dOff]`), limb by limb with
 * borrows (the candle only grows, so every result is non-negative); then records the candle as folded.
 * Returns the trade count of the delta (0: nothing to fold).
 */
export function takeDelta(
  f: Float64Array,
  co: number,
  d: Float64Array,
  dOff: number,
  delta: Float64Array,
): number {
  const count = (f[co + F_COUNT] as number) - (d[dOff + D_COUNT] as number);
  if (count === 0) return 0;
  limbDelta(f, co + F_BASE_LO, d, dOff + D_BASE_LO, delta, D_BASE_LO);
  limbDelta(f, co + F_BUY_LO, d, dOff + D_BUY_LO, delta, D_BUY_LO);
  let lo = (f[co + F_QUOTE_LO] as number) - (d[dOff + D_QUOTE_LO] as number);
  let mid = (f[co + F_QUOTE_MID] as number) - (d[dOff + D_QUOTE_MID] as number);
  let top = (f[co + F_QUOTE_TOP] as number) - (d[dOff + D_QUOTE_TOP] as number);
  if (lo < 0) {
    lo += LIMB;
    mid -= 1;
  }
  if (mid < 0) {
    mid += LIMB;
    top -= 1;
  }
  delta[D_QUOTE_LO] = lo;
  delta[D_QUOTE_MID] = mid;
  delta[D_QUOTE_TOP] = top;
  delta[D_COUNT] = count;
  d[dOff + D_BASE_LO] = f[co + F_BASE_LO] as number;
  d[dOff + D_BASE_HI] = f[co + F_BASE_HI] as number;
  d[dOff + D_BUY_LO] = f[co + F_BUY_LO] as number;
  d[dOff + D_BUY_HI] = f[co + F_BUY_HI] as number;
  d[dOff + D_QUOTE_LO] = f[co + F_QUOTE_LO] as number;
  d[dOff + D_QUOTE_MID] = f[co + F_QUOTE_MID] as number;
  d[dOff + D_QUOTE_TOP] = f[co + F_QUOTE_TOP] as number;
  d[dOff + D_COUNT] = f[co + F_COUNT] as number;
  return count;
}

function limbDelta(
  f: Float64Array,
  at: number,
  d: Float64Array,
  dAt: number,
  out: Float64Array,
  outAt: number,
): void {
  let lo = (f[at] as number) - (d[dAt] as number);
  let hi = (f[at + 1] as number) - (d[dAt + 1] as number);
  if (lo < 0) {
    lo += LIMB;
    hi -= 1;
  }
  out[outAt] = lo;
  out[outAt + 1] = hi;
}
