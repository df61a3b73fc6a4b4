'use client';

import type { Depth } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef, useState } from 'react';
import { engineErrorCode } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { createFrameThrottle } from '../markets/frame-throttle';
import { retryMarketCall } from '../markets/market-errors';
import { type DepthViewKind, depthViewKind } from './depth-state';

/** Levels asked for per side: the engine keeps 20 by default (`MARKET_DEPTH_LEVELS`). */
export const DEPTH_LEVELS = 20;

export interface LiveDepth {
  depth: Depth | null;
  kind: DepthViewKind;
  /** Book states drawn so far (the browser test watches it grow). */
  updates: number;
  error: unknown;
}

/**
 * One venue's book for one symbol: `market.depth` once, then `market.onDepth` (conflated by the engine
 * to <= 10 pushes a second), drawn at most once per frame. Mount it keyed by venue and symbol.
 */
export function useDepth(venue: string, symbol: string): LiveDepth {
  const trpc = useTRPC();
  const input = { venue, symbol, levels: DEPTH_LEVELS };
  const initial = useQuery(
    trpc.market.depth.queryOptions(input, {
      staleTime: Number.POSITIVE_INFINITY,
      gcTime: 0,
      refetchOnWindowFocus: false,
      retry: retryMarketCall,
    }),
  );
  const latest = useRef<Depth | null>(null);
  const [shown, setShown] = useState<{ depth: Depth | null; updates: number }>({ depth: null, updates: 0 });
  const [hadPush, setHadPush] = useState(false);
  const [throttle] = useState(() =>
    createFrameThrottle(() => setShown((s) => ({ depth: latest.current, updates: s.updates + 1 }))),
  );
  useEffect(() => () => throttle.cancel(), [throttle]);

  useEffect(() => {
    const d = initial.data;
    // A push may have come first; the older of the two never replaces the newer.
    if (!d || (latest.current && latest.current.at > d.at)) return;
    latest.current = d;
    throttle.schedule();
  }, [throttle, initial.data]);

  const live = useSubscription(
    trpc.market.onDepth.subscriptionOptions(input, {
      enabled: !initial.isError,
      onData: (d) => {
        if (d.venue !== venue || d.symbol !== symbol) return;
        latest.current = d;
        setHadPush(true);
        throttle.schedule();
      },
    }),
  );

  const kind = depthViewKind({
    depth: shown.depth,
    loading: initial.isPending,
    connection: initial.isError ? 'pending' : live.status,
    hadPush,
    disabled: engineErrorCode(live.error) === 'MARKET_DATA_DISABLED',
  });
  return { depth: shown.depth, kind, updates: shown.updates, error: initial.error ?? live.error };
}
