'use client';

import type { Quote } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';

/**
 * The venue's best bid and ask for one instrument: `market.quote` once, then `market.onQuote` (the engine
 * conflates it to at most ~10 pushes a second, so every push can be drawn). Null until the venue sent one.
 */
export function useBestBidAsk(venue: string, symbol: string): Quote | null {
  const trpc = useTRPC();
  const initial = useQuery(
    trpc.market.quote.queryOptions(
      { venue, symbol },
      { staleTime: Number.POSITIVE_INFINITY, gcTime: 0, refetchOnWindowFocus: false, retry: retryMarketCall },
    ),
  );
  const [live, setLive] = useState<Quote | null>(null);
  useSubscription(
    trpc.market.onQuote.subscriptionOptions(
      { venue, symbol },
      {
        enabled: !initial.isError,
        onData: (q) => {
          if (q.venue === venue && q.symbol === symbol) setLive(q);
        },
      },
    ),
  );
  const fromQuery = initial.data ?? null;
  if (live && (!fromQuery || live.receiveTime >= fromQuery.receiveTime)) return live;
  return fromQuery;
}
