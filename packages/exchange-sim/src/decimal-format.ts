/**
 * Prices and sizes live as integers of the instrument's smallest unit (ticks, lots); these turn them into
 * the decimal strings each venue prints. All three keep the value exact: no float formatting involved.
 */

/** `units` scaled by 10^-decimals, with exactly `decimals` fraction digits: 1234, 2 -> "12.34". */
export function formatFixed(units: number, decimals: number): string {
  const s = units.toString();
  if (decimals === 0) return s;
  if (s.length > decimals) return `${s.slice(0, s.length - decimals)}.${s.slice(s.length - decimals)}`;
  return `0.${s.padStart(decimals, '0')}`;
}

/** Fixed, then padded to 8 fraction digits, as Binance prints: 1, 3 -> "0.00100000". */
export function formatPadded8(units: number, decimals: number): string {
  const fixed = formatFixed(units, decimals);
  if (decimals >= 8) return fixed;
  return decimals === 0 ? `${fixed}.00000000` : fixed + '0'.repeat(8 - decimals);
}

/** Fixed, then trailing zeros (and a bare point) removed, as OKX prints: 1500, 3 -> "1.5". */
export function formatTrimmed(units: number, decimals: number): string {
  const fixed = formatFixed(units, decimals);
  if (decimals === 0) return fixed;
  let end = fixed.length;
  while (fixed.charCodeAt(end - 1) === 48) end -= 1;
  if (fixed.charCodeAt(end - 1) === 46) end -= 1;
  return fixed.slice(0, end);
}

/** Decimal places of a step given as 10^-n ("0.001" -> 3, "1" -> 0). */
export function decimalsOf(step: string): number {
  const dot = step.indexOf('.');
  return dot < 0 ? 0 : step.length - dot - 1;
}
