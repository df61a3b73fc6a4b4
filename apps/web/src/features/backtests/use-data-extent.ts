'use client';

import type { InstrumentRef, StrategyInterval } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useTRPCClient } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';
import { extentOf } from './backtest-range';

/** One page, the largest `market.candles` serves: the newest 1,500 candles are plenty for a default. */
const PAGE = 1_500;

/**
 * Where stored closed candles of one instrument and interval are: the newest page of `market.candles`
 * (no range), its oldest and newest closed candle, and whether older ones exist. Null when none are
 * stored, so the form can say so before a run fails with BACKTEST_NO_DATA.
 */
export function useDataExtent(instrument: InstrumentRef | undefined, interval: StrategyInterval) {
  const client = useTRPCClient();
  return useQuery({
    queryKey: ['backtest-extent', instrument?.venue, instrument?.symbol, interval],
    enabled: instrument !== undefined,
    staleTime: 30_000,
    retry: retryMarketCall,
    queryFn: async () => {
      if (!instrument) return null;
      const page = await client.market.candles.query({
        venue: instrument.venue,
        symbol: instrument.symbol,
        interval,
        limit: PAGE,
      });
      return extentOf(page.candles, page.nextBefore !== null);
    },
  });
}
