import type { BalanceView } from '@qt/shared';
import { formatAmount } from '../amounts.ts';
import type { AccountBalance } from './ledger.ts';

/** A balance as the API shows it: canonical decimal strings (no trailing zeros, no exponent). */
export function toBalanceView(b: AccountBalance): BalanceView {
  return {
    asset: b.asset,
    free: formatAmount(b.free),
    locked: formatAmount(b.locked),
    total: formatAmount(b.free + b.locked),
  };
}
