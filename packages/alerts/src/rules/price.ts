import { formatScaled, parseScaled } from '@qt/shared';

/**
 * Every price, range bound, percentage and volume factor is compared as a bigint count of 10^-18 units:
 * exact for every decimal the bus accepts (at most 18 decimals), so "100.10" and "100.1" are one level and
 * a threshold equal to a trade price is equal, never a rounding error away. Binary floating point is kept
 * for indicator outputs only (the indicator package computes in f64, as TA-Lib does).
 */
export const PRICE_SCALE = 18;

/** 100 at PRICE_SCALE: percent thresholds are compared as P * ref <= move * 100 (see MoveGroup). */
export const ONE_UNIT = 10n ** BigInt(PRICE_SCALE);

const POW10: bigint[] = Array.from({ length: PRICE_SCALE + 1 }, (_, i) => 10n ** BigInt(i));

/**
 * A decimal string as exact units; throws DecimalError (an AppError, VALIDATION_FAILED) when malformed.
 * Per trade: prices of up to 15 digits (nearly all) are read digit by digit into a safe integer and
 * scaled with one bigint multiplication, instead of the general parser's string slicing.
 */
export function toUnits(decimal: string): bigint {
  const n = decimal.length;
  if (n <= 16) {
    let units = 0;
    let decimals = -1;
    let ok = n > 0;
    for (let i = 0; i < n; i++) {
      const c = decimal.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        units = units * 10 + (c - 48);
        if (decimals >= 0) decimals++;
      } else if (c === 46 && decimals < 0 && i > 0 && i < n - 1) decimals = 0;
      else {
        ok = false;
        break;
      }
    }
    if (ok && units <= Number.MAX_SAFE_INTEGER) {
      const scale = POW10[PRICE_SCALE - Math.max(decimals, 0)];
      if (scale !== undefined) return BigInt(units) * scale;
    }
  }
  return parseScaled(decimal, PRICE_SCALE);
}

export function fromUnits(units: bigint): string {
  return formatScaled(units, PRICE_SCALE);
}
