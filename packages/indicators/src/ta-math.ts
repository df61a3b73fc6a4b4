import { IndicatorParamsError } from './errors.ts';

/**
 * TA-Lib's TA_EPSILON. TA-Lib treats |x| < 1e-14 as zero in RSI, ATR/NATR, ADX/DI and variance; the same
 * threshold here keeps flat stretches (where those sums decay towards zero) equal to TA-Lib's output.
 */
export const TA_EPSILON = 1e-14;

export function isZero(v: number): boolean {
  return -TA_EPSILON < v && v < TA_EPSILON;
}

/** TA-Lib's PER_TO_K: the EMA smoothing factor for a period. */
export function perToK(period: number): number {
  return 2.0 / (period + 1);
}

/** TA-Lib's upper bound for every period parameter. */
export const MAX_PERIOD = 100_000;

/**
 * Guards the class constructors (the registry validates with zod first; direct `new Sma(0)` users get the
 * same typed error instead of a silently broken indicator).
 */
export function checkPeriod(kind: string, name: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > MAX_PERIOD) {
    throw new IndicatorParamsError(
      `Indicator "${kind}": ${name} must be an integer between ${min} and ${MAX_PERIOD} (got ${value}).`,
      { kind, param: name, value },
    );
  }
}

export function checkReal(kind: string, name: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new IndicatorParamsError(
      `Indicator "${kind}": ${name} must be a number between ${min} and ${max} (got ${value}).`,
      { kind, param: name, value },
    );
  }
}
