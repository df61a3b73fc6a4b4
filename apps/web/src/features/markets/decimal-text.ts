import { compareDecimal as sharedCompareDecimal, significantScaleOf } from '@qt/shared';

/**
 * Display helpers for the engine's decimal strings. They work on the digits, never through a float, so
 * a price is shown and compared exactly as the venue printed it.
 */

const decimalPattern = /^(-?)(\d+)(?:\.(\d+))?$/;

interface Parts {
  negative: boolean;
  int: string;
  frac: string;
}

function parts(value: string): Parts {
  const m = decimalPattern.exec(value);
  if (!m) throw new RangeError(`not a decimal string: ${value}`);
  const int = (m[2] ?? '0').replace(/^0+(?=\d)/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const zero = /^0*$/.test(int) && frac === '';
  return { negative: m[1] === '-' && !zero, int, frac };
}

/** -1, 0 or 1 as `a` is below, equal to or above `b` (exact, on the digits). */
export const compareDecimal = sharedCompareDecimal;

/** Fraction digits of a tick or lot size: "0.01" → 2, "0.500" → 1, "1" → 0. */
export const decimalsOf = significantScaleOf;

/**
 * A decimal string padded to at least `decimals` fraction digits, with the integer part grouped in
 * thousands. Digits beyond `decimals` are kept: a display never hides part of a price.
 */
export function formatDecimal(value: string, decimals: number): string {
  const p = parts(value);
  const grouped = p.int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const frac = p.frac.padEnd(decimals, '0');
  return `${p.negative ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}
