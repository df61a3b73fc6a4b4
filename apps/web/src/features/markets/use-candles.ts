'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPC, useTRPCClient } from '@/engine/react';
import { CandleBook } from './candle-book';
import { createFrameThrottle } from './frame-throttle';
import { retryMarketCall } from './market-errors';
import type { MarketSelection } from './market-selection';

const PAGE_SIZE = 500;

/**
 * One chart's candles: the latest history page, older pages on demand, and `market.onCandle` applied as
 * it arrives. Updates go into a mutable book at once; React hears about them through `revision` at most
 * ~10 times a second. Mount it once per selection (key the component by it).
 */
export function useCandles(sel: MarketSelection) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [book] = useState(() => new CandleBook(sel));
  const [revision, setRevision] = useState(0);
  const [throttle] = useState(() => createFrameThrottle(() => setRevision((r) => r + 1)));
  useEffect(() => () => throttle.cancel(), [throttle]);

  const input = { venue: sel.venue, symbol: sel.symbol, interval: sel.interval };
  const history = useQuery(
    trpc.market.candles.queryOptions(
      { ...input, limit: PAGE_SIZE },
      // The book owns the data once loaded; a background refetch would only be merged into it again.
      { staleTime: Number.POSITIVE_INFINITY, gcTime: 0, refetchOnWindowFocus: false, retry: retryMarketCall },
    ),
  );
  useEffect(() => {
    if (!history.data) return;
    book.setHistory(history.data);
    throttle.schedule();
  }, [book, throttle, history.data]);

  const live = useSubscription(
    trpc.market.onCandle.subscriptionOptions(input, {
      enabled: !history.isError,
      onData: (k) => {
        if (book.applyLive(k)) throttle.schedule();
      },
    }),
  );

  const loadingOlder = useRef(false);
  const [older, setOlder] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const loadOlder = useCallback(async () => {
    const before = book.nextBefore;
    if (loadingOlder.current || before === null || !book.historyLoaded) return;
    loadingOlder.current = true;
    setOlder({ loading: true, error: null });
    try {
      const page = await client.market.candles.query({ ...book.key, before, limit: PAGE_SIZE });
      book.prependOlder(page, before);
      throttle.schedule();
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error });
    } finally {
      loadingOlder.current = false;
    }
  }, [book, client, throttle]);

  return {
    book,
    revision,
    /** History loaded into the book (the first render after the query succeeds may not have it yet). */
    ready: book.historyLoaded,
    error: history.error,
    liveStatus: live.status,
    liveError: live.error,
    loadOlder,
    loadingOlder: older.loading,
    olderError: older.error,
  };
}
