import { AMOUNT_SCALE, formatScaled, parseScaled, pow10n } from '@qt/shared';

/**
 * The one home of the amount helpers every part of paper trading uses (ledger, matcher, risk, the
 * engine's order path, backtests): amounts are bigint units of 10^-AMOUNT_SCALE, never binary floats.
 */

/** 10^AMOUNT_SCALE: one whole unit (a price of 1, a quantity of 1, a fee rate of 100%). */
export const AMOUNT_ONE = pow10n(AMOUNT_SCALE);

/** Units -> the canonical decimal string the API shows (no trailing zeros, no exponent). */
export function formatAmount(units: bigint): string {
  return formatScaled(units, AMOUNT_SCALE);
}

/** A decimal string -> units; throws a DecimalError on more than AMOUNT_SCALE decimals or bad text. */
export function parseAmount(text: string): bigint {
  return parseScaled(text, AMOUNT_SCALE);
}
