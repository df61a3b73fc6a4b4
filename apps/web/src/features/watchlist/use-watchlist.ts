'use client';

import type { WatchlistEntry, WatchlistMarketInput } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '@/engine/react';

/** The person's watchlist and its changes; each change answers with the whole list, which replaces the cache. */
export function useWatchlist() {
  const trpc = useTRPC();
  const client = useQueryClient();
  const list = useQuery(trpc.watchlist.list.queryOptions(undefined, { staleTime: 30_000 }));
  const key = trpc.watchlist.list.queryKey();
  const store = (entries: WatchlistEntry[]) => client.setQueryData(key, entries);
  const add = useMutation(trpc.watchlist.add.mutationOptions({ onSuccess: store }));
  const remove = useMutation(trpc.watchlist.remove.mutationOptions({ onSuccess: store }));
  const reorder = useMutation(trpc.watchlist.reorder.mutationOptions({ onSuccess: store }));
  const entries = list.data ?? [];
  return {
    entries,
    isLoading: list.isLoading,
    error: list.error ?? add.error ?? remove.error ?? reorder.error,
    busy: add.isPending || remove.isPending || reorder.isPending,
    has: (m: WatchlistMarketInput) => entries.some((e) => e.venue === m.venue && e.symbol === m.symbol),
    // Only the two fields: the inputs are strict, and callers pass selections that carry more (interval).
    add: (m: WatchlistMarketInput) => add.mutate({ venue: m.venue, symbol: m.symbol }),
    remove: (m: WatchlistMarketInput) => remove.mutate({ venue: m.venue, symbol: m.symbol }),
    /** Moves the entry at `from` by `by` places (up: -1, down: +1). */
    move(from: number, by: -1 | 1) {
      const to = from + by;
      if (to < 0 || to >= entries.length) return;
      const order = entries.map(({ venue, symbol }) => ({ venue, symbol }));
      const [moved] = order.splice(from, 1);
      if (moved) order.splice(to, 0, moved);
      reorder.mutate({ entries: order });
    },
  };
}
