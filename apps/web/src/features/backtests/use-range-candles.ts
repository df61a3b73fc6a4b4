'use client';

import type { InstrumentRef, Kline, StrategyInterval } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useTRPCClient } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';

const PAGE = 1_500;
/** Pages fetched at most: enough for two hours of 1s candles; a longer range shows its newest part. */
const MAX_PAGES = 6;

/**
 * The stored candles of one instrument over a backtest's range, for drawing its fills. `market.candles`
 * answers the newest page of a range first, so older pages are fetched with `before` until the range's
 * start (or MAX_PAGES, beyond which the chart would be unreadable anyway).
 */
export function useRangeCandles(
  instrument: InstrumentRef,
  interval: StrategyInterval,
  from: number,
  to: number,
) {
  const client = useTRPCClient();
  return useQuery({
    queryKey: ['backtest-candles', instrument.venue, instrument.symbol, interval, from, to],
    staleTime: Number.POSITIVE_INFINITY,
    retry: retryMarketCall,
    queryFn: async () => {
      const pages: Kline[][] = [];
      let before: number | undefined;
      let truncated = false;
      for (let i = 0; i < MAX_PAGES; i++) {
        const page = await client.market.candles.query({
          venue: instrument.venue,
          symbol: instrument.symbol,
          interval,
          from,
          to,
          limit: PAGE,
          ...(before !== undefined ? { before } : {}),
        });
        pages.unshift(page.candles);
        truncated = page.nextBefore !== null;
        if (page.nextBefore === null) break;
        before = page.nextBefore;
      }
      return { candles: pages.flat(), truncated };
    },
  });
}
