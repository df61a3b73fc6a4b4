'use client';

import { useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from '@/engine/react';
import { isOpenStatus, prependFill, RECENT_LIMIT, upsertOpenOrder } from './account-cache';

/**
 * Query settings for account data that the subscriptions keep current: refetched when the tab regains
 * focus (the fallback when a push was missed while the socket was down), never polled.
 */
export const liveQuery = { staleTime: 5_000, refetchOnWindowFocus: 'always' } as const;

/**
 * Positions and PnL are marked to the last trade, which moves with every print and has no push of its
 * own: they are polled while the tab is visible, and refetched at once after a fill.
 */
export const markedQuery = { ...liveQuery, refetchInterval: 5_000 } as const;

/**
 * The account's pushes (`onBalances`, `orders.onUpdate`, `fills.onFill`) written into the query cache
 * the panels read, so every panel is live without a subscription of its own. Each (re)start of a stream
 * refetches what it feeds: a push lost while disconnected is not lost for good.
 */
export function useAccountFeed(accountId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { accountId };
  const openOrdersKey = trpc.orders.list.queryKey({ accountId, status: 'open' });
  const closedOrdersFilter = trpc.orders.list.queryFilter({ accountId, status: 'closed' });
  const fillsKey = trpc.fills.list.queryKey({ accountId, limit: RECENT_LIMIT });
  const refreshMarks = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.paperAccounts.positions.queryFilter(input)),
      queryClient.invalidateQueries(trpc.paperAccounts.pnl.queryFilter(input)),
    ]);

  const balances = useSubscription(
    trpc.paperAccounts.onBalances.subscriptionOptions(input, {
      onStarted: () => queryClient.invalidateQueries(trpc.paperAccounts.balances.queryFilter(input)),
      onData: (next) => {
        queryClient.setQueryData(trpc.paperAccounts.balances.queryKey(input), next);
        void queryClient.invalidateQueries(trpc.paperAccounts.pnl.queryFilter(input));
      },
    }),
  );

  const orders = useSubscription(
    trpc.orders.onUpdate.subscriptionOptions(input, {
      onStarted: () => queryClient.invalidateQueries(trpc.orders.list.queryFilter({ accountId })),
      onData: (order) => {
        queryClient.setQueryData(openOrdersKey, (page) =>
          page ? { ...page, orders: upsertOpenOrder(page.orders, order) } : page,
        );
        if (!isOpenStatus(order.status)) void queryClient.invalidateQueries(closedOrdersFilter);
        // Open-order and order-rate usage in the risk panel move with every order.
        void queryClient.invalidateQueries(trpc.risk.get.queryFilter(input));
      },
    }),
  );

  const fills = useSubscription(
    trpc.fills.onFill.subscriptionOptions(input, {
      onStarted: () => queryClient.invalidateQueries({ queryKey: fillsKey }),
      onData: (fill) => {
        queryClient.setQueryData(fillsKey, (page) =>
          page ? { ...page, items: prependFill(page.items, fill) } : page,
        );
        void refreshMarks();
      },
    }),
  );

  const statuses = [balances.status, orders.status, fills.status];
  const live: 'live' | 'connecting' | 'error' = statuses.includes('error')
    ? 'error'
    : statuses.every((s) => s === 'pending')
      ? 'live'
      : 'connecting';
  return { live, error: balances.error ?? orders.error ?? fills.error };
}
