import { DecimalError } from './errors.ts';

/**
 * Exact fixed-point decimals: a value is a `bigint` count of units of 10^-scale (scale 2: "12.34" is
 * 1234n). Home-made on purpose: these run per trade on the aggregation and matching hot paths, where
 * decimal.js / big.js allocate an object (and a digit array) per operation and per intermediate, and
 * where we only ever need add, compare, multiply-then-rescale and one explicit rounding step. A
 * scaled integer is the whole model; the code below is small enough to read in one sitting.
 * See `safe-units.ts` for the `number` fast path when the units provably fit in 2^53.
 */

/**
 * How to drop digits: toward zero (`down`), away from zero (`up`), toward -inf (`floor`), toward +inf
 * (`ceil`), to nearest with ties away from zero (`halfUp`), or to nearest with ties to even
 * (`halfEven`, banker's rounding).
 */
export type RoundingMode = 'down' | 'up' | 'floor' | 'ceil' | 'halfUp' | 'halfEven';

const CH_0 = 48;
const CH_9 = 57;
const CH_DOT = 46;
const CH_MINUS = 45;

/** Largest scale the helpers accept; far above any venue's precision, low enough to stay cheap. */
export const MAX_SCALE = 36;

const POW10: bigint[] = [];
for (let i = 0, p = 1n; i <= MAX_SCALE * 2 + 2; i++, p *= 10n) POW10.push(p);

/** 10^n as a bigint (cached for the scales we use). */
export function pow10n(n: number): bigint {
  return POW10[n] ?? 10n ** BigInt(n);
}

function checkScale(scale: number): void {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_SCALE) {
    throw new DecimalError(
      'invalid-argument',
      `A scale is a whole number from 0 to ${MAX_SCALE}, not ${scale}.`,
    );
  }
}

/**
 * Where the decimal point is, or -1 when there is none; -2 when `s` is not a decimal string. One pass,
 * no regex, no allocation.
 */
function dotIndex(s: string): number {
  const n = s.length;
  let i = s.charCodeAt(0) === CH_MINUS ? 1 : 0;
  if (i >= n) return -2;
  let dot = -1;
  const start = i;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= CH_0 && c <= CH_9) continue;
    if (c === CH_DOT && dot < 0 && i > start && i < n - 1) {
      dot = i;
      continue;
    }
    return -2;
  }
  return dot;
}

/** True for `-?digits(.digits)?`, the only shape the helpers (and the bus schemas) accept. */
export function isDecimalString(s: string): boolean {
  return typeof s === 'string' && dotIndex(s) !== -2;
}

function malformed(s: string): DecimalError {
  return new DecimalError('malformed', `"${s}" is not a decimal number (write it like 123.45).`, s);
}

/** Number of digits after the point, as written ("0.00100000" -> 8, "5" -> 0). */
export function scaleOf(s: string): number {
  const dot = dotIndex(s);
  if (dot === -2) throw malformed(s);
  return dot < 0 ? 0 : s.length - dot - 1;
}

/** Digits after the point that matter: trailing zeros do not ("0.00100000" -> 3, "10.0" -> 0). */
export function significantScaleOf(s: string): number {
  const dot = dotIndex(s);
  if (dot === -2) throw malformed(s);
  if (dot < 0) return 0;
  let end = s.length;
  while (end > dot + 1 && s.charCodeAt(end - 1) === CH_0) end--;
  return end - dot - 1;
}

/**
 * Divides `n` by `d` (d > 0 or d < 0) and rounds the quotient with `mode`; exact integer arithmetic.
 */
export function divRound(n: bigint, d: bigint, mode: RoundingMode): bigint {
  if (d === 0n) throw new DecimalError('invalid-argument', 'Division by zero.');
  if (d < 0n) {
    n = -n;
    d = -d;
  }
  const q = n / d; // truncates toward zero
  const r = n - q * d;
  if (r === 0n) return q;
  const negative = n < 0n;
  const away = negative ? q - 1n : q + 1n;
  switch (mode) {
    case 'down':
      return q;
    case 'up':
      return away;
    case 'floor':
      return negative ? away : q;
    case 'ceil':
      return negative ? q : away;
    case 'halfUp':
    case 'halfEven': {
      const twice = (r < 0n ? -r : r) * 2n;
      if (twice > d) return away;
      if (twice < d) return q;
      if (mode === 'halfUp') return away;
      return q % 2n === 0n ? q : away;
    }
  }
}

/** Changes the scale of `units`; going down drops digits with `rounding` (throws without one if inexact). */
export function rescale(units: bigint, from: number, to: number, rounding?: RoundingMode): bigint {
  checkScale(from);
  checkScale(to);
  if (to >= from) return units * pow10n(to - from);
  const d = pow10n(from - to);
  if (rounding === undefined) {
    if (units % d !== 0n) {
      throw new DecimalError(
        'too-many-decimals',
        `${formatScaled(units, from)} has more than ${to} decimals; pass a rounding mode to drop them.`,
      );
    }
    return units / d;
  }
  return divRound(units, d, rounding);
}

/**
 * Parses a decimal string into units of 10^-scale. Without `rounding`, a string with more significant
 * decimals than `scale` is refused (`too-many-decimals`): silently losing a digit of a price is a bug.
 */
export function parseScaled(s: string, scale: number, rounding?: RoundingMode): bigint {
  checkScale(scale);
  const dot = dotIndex(s);
  if (dot === -2) throw malformed(s);
  const written = dot < 0 ? 0 : s.length - dot - 1;
  const digits = dot < 0 ? s : s.slice(0, dot) + s.slice(dot + 1);
  const units = BigInt(digits); // "-0012" is fine for BigInt; digits only, so it cannot throw
  if (written === scale) return units;
  if (written < scale) return units * pow10n(scale - written);
  if (rounding === undefined) {
    const d = pow10n(written - scale);
    if (units % d !== 0n) {
      throw new DecimalError('too-many-decimals', `"${s}" has more than ${scale} decimals.`, s);
    }
    return units / d;
  }
  return divRound(units, pow10n(written - scale), rounding);
}

/**
 * Formats units of 10^-scale as the canonical decimal string: no exponent, no leading zeros, no "-0",
 * and trailing fractional zeros dropped down to `minScale` (default 0: "1.50" -> "1.5", "2.00" -> "2";
 * pass the instrument's scale to keep "0.00100000").
 */
export function formatScaled(units: bigint, scale: number, minScale = 0): string {
  checkScale(scale);
  const negative = units < 0n;
  let digits = (negative ? -units : units).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    const cut = digits.length - scale;
    let end = digits.length;
    const keep = cut + Math.min(minScale, scale);
    while (end > keep && digits.charCodeAt(end - 1) === CH_0) end--;
    digits = end > cut ? `${digits.slice(0, cut)}.${digits.slice(cut, end)}` : digits.slice(0, cut);
  }
  if (minScale > scale) digits += (scale === 0 ? '.' : '') + '0'.repeat(minScale - scale);
  return negative && units !== 0n ? `-${digits}` : digits;
}

/** The canonical form of a decimal string ("0012.3400" -> "12.34", "-0.0" -> "0"). */
export function canonicalDecimal(s: string): string {
  const scale = scaleOf(s);
  return formatScaled(parseScaled(s, scale), scale);
}

/**
 * Compares two decimal strings by value (-1, 0, 1) without converting them: sign, then integer digits,
 * then fraction digits. "1.50" and "1.5" are equal.
 */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const da = dotIndex(a);
  if (da === -2) throw malformed(a);
  const db = dotIndex(b);
  if (db === -2) throw malformed(b);
  const za = isZero(a);
  const zb = isZero(b);
  const na = !za && a.charCodeAt(0) === CH_MINUS;
  const nb = !zb && b.charCodeAt(0) === CH_MINUS;
  if (na !== nb) return na ? -1 : 1;
  const m = compareMagnitude(a, da, b, db);
  return na && m !== 0 ? (-m as -1 | 1) : m;
}

function isZero(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > CH_0 && c <= CH_9) return false;
  }
  return true;
}

function compareMagnitude(a: string, da: number, b: string, db: number): -1 | 0 | 1 {
  let ia = a.charCodeAt(0) === CH_MINUS ? 1 : 0;
  let ib = b.charCodeAt(0) === CH_MINUS ? 1 : 0;
  const ea = da < 0 ? a.length : da;
  const eb = db < 0 ? b.length : db;
  while (ia < ea - 1 && a.charCodeAt(ia) === CH_0) ia++;
  while (ib < eb - 1 && b.charCodeAt(ib) === CH_0) ib++;
  if (ea - ia !== eb - ib) return ea - ia > eb - ib ? 1 : -1;
  for (; ia < ea; ia++, ib++) {
    const d = a.charCodeAt(ia) - b.charCodeAt(ib);
    if (d !== 0) return d > 0 ? 1 : -1;
  }
  const fa = da < 0 ? 0 : a.length - da - 1;
  const fb = db < 0 ? 0 : b.length - db - 1;
  const n = Math.max(fa, fb);
  for (let k = 0; k < n; k++) {
    const ca = k < fa ? a.charCodeAt(da + 1 + k) : CH_0;
    const cb = k < fb ? b.charCodeAt(db + 1 + k) : CH_0;
    if (ca !== cb) return ca > cb ? 1 : -1;
  }
  return 0;
}

/** a + b, exact, canonical. */
export function addDecimal(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return formatScaled(parseScaled(a, scale) + parseScaled(b, scale), scale);
}

/** a - b, exact, canonical. */
export function subtractDecimal(a: string, b: string): string {
  const scale = Math.max(scaleOf(a), scaleOf(b));
  return formatScaled(parseScaled(a, scale) - parseScaled(b, scale), scale);
}

/**
 * Multiplies units at two scales and returns units at `outScale`, rounding once, at the end, with the
 * mode given (the exact product has scale aScale + bScale).
 */
export function mulScaled(
  a: bigint,
  aScale: number,
  b: bigint,
  bScale: number,
  outScale: number,
  rounding: RoundingMode,
): bigint {
  return rescale(a * b, aScale + bScale, outScale, rounding);
}

/**
 * a * b as a canonical string. Exact when `scale` is omitted (the product of two decimals always has
 * finitely many digits); rounded with `rounding` to `scale` decimals when both are given.
 */
export function mulDecimal(a: string, b: string, scale?: number, rounding?: RoundingMode): string {
  const sa = scaleOf(a);
  const sb = scaleOf(b);
  const product = parseScaled(a, sa) * parseScaled(b, sb);
  if (scale === undefined) return formatScaled(product, sa + sb);
  return formatScaled(rescale(product, sa + sb, scale, rounding), scale);
}
