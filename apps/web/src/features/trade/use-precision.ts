'use client';

import { useQuery } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useTRPC } from '@/engine/react';
import { decimalsOf } from '../markets/decimal-text';
import { retryMarketCall } from '../markets/market-errors';
import { assetDecimals } from './asset-precision';

export { assetDecimals, formatAmountDown } from './asset-precision';

/** Until the instrument list says otherwise: enough for most quote currencies. */
const FALLBACK = { price: 2, size: 0 };

/**
 * Display decimals for any instrument the account traded (orders and fills span symbols), from the same
 * `market.instruments` query the pickers use (one cached list).
 */
export function usePrecision() {
  const trpc = useTRPC();
  const instruments = useQuery(
    trpc.market.instruments.queryOptions({}, { staleTime: 5 * 60_000, retry: retryMarketCall }),
  );
  const list = instruments.data;
  return useCallback(
    (venue: string, symbol: string) => {
      const i = list?.find((x) => x.venue === venue && x.symbol === symbol);
      return i ? { price: decimalsOf(i.tickSize), size: decimalsOf(i.lotSize) } : FALLBACK;
    },
    [list],
  );
}

/** `assetDecimals` over the cached instrument list. */
export function useAssetDecimals() {
  const trpc = useTRPC();
  const instruments = useQuery(
    trpc.market.instruments.queryOptions({}, { staleTime: 5 * 60_000, retry: retryMarketCall }),
  );
  const list = instruments.data;
  return useCallback((asset: string) => assetDecimals(asset, list), [list]);
}
