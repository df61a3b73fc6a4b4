'use client';

import type { Ticker } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';
import { tickerKey } from './symbol-options';

/**
 * The 24h figures of every market the engine follows: `market.tickers` once, then `market.onTickers`
 * (all first, then what changed, at most once a second, conflated by the engine). One map, replaced on
 * each push so React sees the change.
 */
export function useTickers(): { tickers: ReadonlyMap<string, Ticker>; error: unknown } {
  const trpc = useTRPC();
  const initial = useQuery(
    trpc.market.tickers.queryOptions(undefined, { staleTime: 60_000, retry: retryMarketCall }),
  );
  const [tickers, setTickers] = useState<ReadonlyMap<string, Ticker>>(new Map());
  useEffect(() => {
    if (initial.data) setTickers((prev) => merge(prev, initial.data, true));
  }, [initial.data]);
  const live = useSubscription(
    trpc.market.onTickers.subscriptionOptions(undefined, {
      enabled: !initial.isError,
      onData: (batch) => setTickers((prev) => merge(prev, batch, false)),
    }),
  );
  return { tickers, error: initial.error ?? live.error };
}

/** Newer figures (by `asOf`) replace older ones; a poll result never undoes a push that came first. */
function merge(
  prev: ReadonlyMap<string, Ticker>,
  batch: readonly Ticker[],
  fromQuery: boolean,
): Map<string, Ticker> {
  const next = new Map(prev);
  for (const t of batch) {
    const key = tickerKey(t.venue, t.symbol);
    const held = next.get(key);
    if (fromQuery && held && held.asOf > t.asOf) continue;
    next.set(key, t);
  }
  return next;
}
