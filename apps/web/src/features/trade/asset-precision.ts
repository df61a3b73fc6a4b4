import type { Instrument } from '@qt/shared';
import { formatScaled, parseScaled } from '@qt/shared';
import { decimalsOf, formatDecimal } from '../markets/decimal-text';

/** Currencies counted in cents: their balances are shown to two decimals whatever the tick. */
const CENT_ASSETS = new Set(['USDT', 'USDC', 'USD', 'BUSD', 'FDUSD', 'TUSD', 'DAI', 'EUR', 'GBP', 'TRY']);

/**
 * Display decimals of an asset's balance: two for cent currencies; otherwise the finest lot of an
 * instrument trading it as base (what one can buy or sell of it); eight when nothing says.
 */
export function assetDecimals(asset: string, instruments: readonly Instrument[] | undefined): number {
  if (CENT_ASSETS.has(asset)) return 2;
  let best = -1;
  for (const i of instruments ?? []) if (i.base === asset) best = Math.max(best, decimalsOf(i.lotSize));
  return best >= 0 ? best : 8;
}

/**
 * A balance at `decimals`, rounded DOWN: a free balance is never shown larger than it is (so a
 * "max" read off the screen can always be spent). Grouped in thousands.
 */
export function formatAmountDown(value: string, decimals: number): string {
  return formatDecimal(formatScaled(parseScaled(value, decimals, 'down'), decimals, decimals), decimals);
}
