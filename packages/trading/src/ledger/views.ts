import { AMOUNT_SCALE, type BalanceView, formatScaled } from '@qt/shared';
import type { AccountBalance } from './ledger.ts';

/** A balance as the API shows it: canonical decimal strings (no trailing zeros, no exponent). */
export function toBalanceView(b: AccountBalance): BalanceView {
  return {
    asset: b.asset,
    free: formatScaled(b.free, AMOUNT_SCALE),
    locked: formatScaled(b.locked, AMOUNT_SCALE),
    total: formatScaled(b.free + b.locked, AMOUNT_SCALE),
  };
}
