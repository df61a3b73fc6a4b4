'use client';

import type { StrategyLogLineView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMemo, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { LOG_LINES_KEPT, mergeLogLines } from './deployment-state';

/**
 * One deployment's log: the last lines stored, then `strategies.onLog` as lines are written. Mount it
 * keyed by the deployment, so switching deployments starts clean.
 */
export function useDeploymentLog(deploymentId: string) {
  const trpc = useTRPC();
  const history = useQuery(
    trpc.strategies.logs.queryOptions(
      { deploymentId, limit: 200 },
      { staleTime: Number.POSITIVE_INFINITY, refetchOnWindowFocus: false },
    ),
  );
  const [live, setLive] = useState<StrategyLogLineView[]>([]);
  const stream = useSubscription(
    trpc.strategies.onLog.subscriptionOptions(
      { deploymentId },
      {
        onData: (line) =>
          setLive((lines) => {
            const next = [...lines, line];
            return next.length > LOG_LINES_KEPT ? next.slice(next.length - LOG_LINES_KEPT) : next;
          }),
      },
    ),
  );
  const lines = useMemo(() => mergeLogLines(history.data ?? [], live), [history.data, live]);
  return { lines, history, liveStatus: stream.status, liveError: stream.error };
}
