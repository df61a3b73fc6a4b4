'use client';

import type { Trade } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { createFrameThrottle } from './frame-throttle';
import { retryMarketCall } from './market-errors';
import { mergeTrades, TAPE_SIZE } from './trade-tape';

/** The trade tape for one venue and symbol: recent trades, then `market.onTrade`, redrawn at ~10 fps. */
export function useLiveTrades(venue: string, symbol: string) {
  const trpc = useTRPC();
  const recent = useQuery(
    trpc.market.trades.queryOptions(
      { venue, symbol, limit: TAPE_SIZE },
      { staleTime: Number.POSITIVE_INFINITY, gcTime: 0, refetchOnWindowFocus: false, retry: retryMarketCall },
    ),
  );
  const pending = useRef<Trade[]>([]);
  const [tape, setTape] = useState<Trade[]>([]);
  const [throttle] = useState(() =>
    createFrameThrottle(() => {
      const incoming = pending.current;
      pending.current = [];
      setTape((current) => mergeTrades(current, incoming));
    }),
  );
  useEffect(() => () => throttle.cancel(), [throttle]);

  useEffect(() => {
    if (!recent.data) return;
    pending.current.push(...recent.data);
    throttle.schedule();
  }, [throttle, recent.data]);

  useSubscription(
    trpc.market.onTrade.subscriptionOptions(
      { venue, symbol },
      {
        enabled: !recent.isError,
        onData: (t) => {
          if (t.venue !== venue || t.symbol !== symbol) return;
          pending.current.push(t);
          // A burst while the tab is hidden (no frames) must not grow without bound.
          if (pending.current.length > TAPE_SIZE * 4) pending.current = pending.current.slice(-TAPE_SIZE);
          throttle.schedule();
        },
      },
    ),
  );

  return { tape, loading: recent.isPending, error: recent.error };
}
