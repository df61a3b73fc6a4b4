'use client';

import type { BacktestStatus } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from '@/engine/react';

export const finishedStatuses: readonly BacktestStatus[] = ['completed', 'failed', 'cancelled'];
export const isFinished = (s: BacktestStatus) => finishedStatuses.includes(s);

/**
 * One backtest: its result from `backtests.get`, and while it runs, `onProgress` written into that
 * cached result (status and progress), then one refetch when it finishes for the curves and metrics.
 * Mount it keyed by the backtest id.
 */
export function useBacktest(backtestId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const input = { backtestId };
  const key = trpc.backtests.get.queryKey(input);
  const result = useQuery(
    trpc.backtests.get.queryOptions(input, {
      staleTime: 30_000,
      // The stream carries progress; this slow poll only matters if the socket cannot connect at all.
      refetchInterval: (q) => (q.state.data && !isFinished(q.state.data.backtest.status) ? 5_000 : false),
    }),
  );
  const running = !!result.data && !isFinished(result.data.backtest.status);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: key }),
      queryClient.invalidateQueries(trpc.backtests.list.queryFilter()),
    ]);
  const progress = useSubscription(
    trpc.backtests.onProgress.subscriptionOptions(input, {
      enabled: running,
      // Progress made before the stream opened (or while it was down) comes from a fresh read.
      onStarted: () => queryClient.invalidateQueries({ queryKey: key }),
      onData: (p) => {
        queryClient.setQueryData(key, (current) =>
          current
            ? {
                ...current,
                backtest: {
                  ...current.backtest,
                  status: p.status,
                  progress: p.progress,
                  queuePosition: p.queuePosition,
                  reason: p.reason,
                },
              }
            : current,
        );
        if (isFinished(p.status)) void refresh();
      },
    }),
  );
  const cancel = useMutation(
    trpc.backtests.cancel.mutationOptions({
      onSuccess: (backtest) => {
        queryClient.setQueryData(key, (current) => (current ? { ...current, backtest } : current));
        void refresh();
      },
    }),
  );
  return { result, running, progressStatus: progress.status, cancel };
}
