'use client';

import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPC, useTRPCClient } from '@/engine/react';
import type { ChartBook } from './candle-book';
import { INITIAL_VISIBLE } from './chart-option';
import { chartBookFor } from './folded-candle-book';
import { createFrameThrottle } from './frame-throttle';
import { retryMarketCall } from './market-errors';
import type { MarketSelection } from './market-selection';

const PAGE_SIZE = 500;
/** A folded interval (3m from 1m, 1w from 1d…) needs several finer candles per candle: ask for the most. */
const FOLDED_PAGE_SIZE = 1_500;
/** Older pages fetched unasked to fill the first screen of a folded interval (30s from 1s: 50 a page). */
const FILL_PAGES = 4;

/**
 * One chart's candles: the latest history page, older pages on demand, and `market.onCandle` applied as
 * it arrives. Updates go into a mutable book at once; React hears about them through `revision` at most
 * ~10 times a second. Mount it once per selection (key the component by it).
 */
export function useCandles(sel: MarketSelection) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const [book] = useState<ChartBook>(() => chartBookFor(sel));
  const [revision, setRevision] = useState(0);
  const [throttle] = useState(() => createFrameThrottle(() => setRevision((r) => r + 1)));
  useEffect(() => () => throttle.cancel(), [throttle]);

  // The engine is asked for the served interval the chart's candles come from (the same one unless folded).
  const input = book.source;
  const pageSize = book.source.interval === sel.interval ? PAGE_SIZE : FOLDED_PAGE_SIZE;
  const history = useQuery(
    trpc.market.candles.queryOptions(
      { ...input, limit: pageSize },
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
      const page = await client.market.candles.query({ ...book.source, before, limit: pageSize });
      book.prependOlder(page, before);
      throttle.schedule();
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error });
    } finally {
      loadingOlder.current = false;
    }
  }, [book, client, throttle, pageSize]);

  // A folded interval's first page may give fewer candles than a screen: fetch a few older pages.
  const filled = useRef(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `revision` says the book changed.
  useEffect(() => {
    if (pageSize === PAGE_SIZE || !book.historyLoaded || older.loading || older.error) return;
    if (book.length >= INITIAL_VISIBLE || book.nextBefore === null || filled.current >= FILL_PAGES) return;
    filled.current += 1;
    void loadOlder();
  }, [book, revision, pageSize, loadOlder, older.loading, older.error]);

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
