import { divRound } from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';
import type { AccountBalance } from '../ledger/ledger.ts';

/**
 * Last prices by canonical symbol ("BTC-USDT" -> units of quote per base). The caller chooses whose price
 * (the position's venue, or a reference venue); marking is a pure function of this map.
 */
export type MarkPrices = ReadonlyMap<string, bigint>;

export type EquityResult =
  | { readonly complete: true; readonly equity: bigint }
  /** Some asset has no price to the quote currency: no partial figure, since risk acts on equity. */
  | { readonly complete: false; readonly equity: null; readonly unpriced: readonly string[] };

/**
 * `amount` of `asset` in `quoteAsset`, rounded down (never overstated): directly when `asset-quote` is
 * priced, through the inverse when only `quote-asset` is; undefined when neither is.
 */
export function valueIn(
  amount: bigint,
  asset: string,
  quoteAsset: string,
  prices: MarkPrices,
): bigint | undefined {
  if (asset === quoteAsset) return amount;
  const direct = prices.get(`${asset}-${quoteAsset}`);
  if (direct !== undefined) return divRound(amount * direct, AMOUNT_ONE, 'floor');
  const inverse = prices.get(`${quoteAsset}-${asset}`);
  if (inverse !== undefined && inverse > 0n) return divRound(amount * AMOUNT_ONE, inverse, 'floor');
  return undefined;
}

/**
 * An account's equity in `quoteAsset`: every asset's free + locked (open orders still own what they
 * reserved) marked to `prices`, each asset's value rounded down.
 */
export function accountEquity(
  balances: readonly AccountBalance[],
  quoteAsset: string,
  prices: MarkPrices,
): EquityResult {
  let equity = 0n;
  const unpriced: string[] = [];
  for (const b of balances) {
    const total = b.free + b.locked;
    if (total === 0n) continue;
    const value = valueIn(total, b.asset, quoteAsset, prices);
    if (value === undefined) unpriced.push(b.asset);
    else equity += value;
  }
  return unpriced.length === 0 ? { complete: true, equity } : { complete: false, equity: null, unpriced };
}
