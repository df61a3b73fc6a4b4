import { formatScaled, rescale } from '@qt/shared';

/** The bus schema's `decimalString` allows at most 18 decimals. */
export const MAX_OUTPUT_SCALE = 18;

/**
 * Canonical string of an exact volume held as units of 10^-scale. Exact up to 18 decimals; a quote
 * volume whose exact scale (price decimals + quantity decimals) is larger is rounded half-to-even to 18
 * decimals, the only rounding anywhere in a candle (it needs, e.g., a price with 10 decimals traded in a
 * quantity with 9).
 */
export function formatVolume(units: bigint, scale: number): string {
  if (scale <= MAX_OUTPUT_SCALE) return formatScaled(units, scale);
  return formatScaled(rescale(units, scale, MAX_OUTPUT_SCALE, 'halfEven'), MAX_OUTPUT_SCALE);
}
