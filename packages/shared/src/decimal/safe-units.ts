import { DecimalError } from './errors.ts';

/**
 * The `number` fast path: units of 10^-scale held in a double, which is exact for every integer with
 * |n| <= 2^53 - 1 (`Number.MAX_SAFE_INTEGER`). Parsing and formatting here never compute with a
 * fraction: digits are accumulated as an integer (`n * 10 + d`), each step checked to stay below 2^53,
 * so the result is either the exact count of units or a refusal. Sums of such units stay exact while
 * they stay below 2^53; callers that add many (volumes) must check or carry (see the kline aggregator).
 */

export const MAX_SAFE_UNITS = Number.MAX_SAFE_INTEGER;

const CH_0 = 48;
const CH_DOT = 46;
const CH_MINUS = 45;
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/**
 * Units of `s` at `scale` as a safe integer, or NaN when `s` is malformed, has more significant decimals
 * than `scale` (trailing zeros beyond it are fine), or does not fit in 2^53. Never throws, never
 * allocates: made for the per-trade path. `scale` must be 0..15.
 */
export function tryParseUnits(s: string, scale: number): number {
  const n = s.length;
  let i = 0;
  let negative = false;
  if (n > 0 && s.charCodeAt(0) === CH_MINUS) {
    negative = true;
    i = 1;
  }
  if (i >= n) return Number.NaN;
  let units = 0;
  let frac = -1; // decimals consumed so far; -1 before the point
  let digitsBefore = 0;
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - CH_0;
    if (d >= 0 && d <= 9) {
      if (frac < 0) digitsBefore++;
      else if (frac >= scale) {
        if (d !== 0) return Number.NaN; // a significant digit beyond the scale
        frac++;
        continue;
      } else frac++;
      units = units * 10 + d;
      if (units > MAX_SAFE_UNITS) return Number.NaN;
      continue;
    }
    if (d === CH_DOT - CH_0 && frac < 0 && digitsBefore > 0 && i < n - 1) {
      frac = 0;
      continue;
    }
    return Number.NaN;
  }
  const used = frac < 0 ? 0 : Math.min(frac, scale);
  if (used < scale) {
    units *= POW10[scale - used] ?? Number.NaN;
    if (!(units <= MAX_SAFE_UNITS)) return Number.NaN;
  }
  return negative && units !== 0 ? -units : units;
}

/** Like `tryParseUnits`, but says why it refused. */
export function parseUnits(s: string, scale: number): number {
  if (!Number.isInteger(scale) || scale < 0 || scale >= POW10.length) {
    throw new DecimalError(
      'invalid-argument',
      `The number fast path takes a scale from 0 to 15, not ${scale}.`,
    );
  }
  const units = tryParseUnits(s, scale);
  if (!Number.isNaN(units)) return units;
  if (!/^-?\d+(\.\d+)?$/.test(s)) {
    throw new DecimalError('malformed', `"${s}" is not a decimal number (write it like 123.45).`, s);
  }
  const dot = s.indexOf('.');
  if (dot >= 0 && /[1-9]/.test(s.slice(dot + 1 + scale))) {
    throw new DecimalError('too-many-decimals', `"${s}" has more than ${scale} decimals.`, s);
  }
  throw new DecimalError('out-of-range', `"${s}" at ${scale} decimals does not fit a safe integer.`, s);
}

/** Canonical string of `units` (a safe integer) at `scale`, trailing fractional zeros dropped. */
export function formatUnits(units: number, scale: number): string {
  if (!Number.isSafeInteger(units)) {
    throw new DecimalError('out-of-range', `${units} is not a safe integer count of units.`);
  }
  const negative = units < 0;
  let digits = String(negative ? -units : units); // a safe integer prints without exponent
  if (scale > 0) {
    if (digits.length <= scale) digits = '0'.repeat(scale - digits.length + 1) + digits;
    const cut = digits.length - scale;
    let end = digits.length;
    while (end > cut && digits.charCodeAt(end - 1) === CH_0) end--;
    digits = end > cut ? `${digits.slice(0, cut)}.${digits.slice(cut, end)}` : digits.slice(0, cut);
  }
  return negative ? `-${digits}` : digits;
}
