'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useTRPC } from '@/engine/react';
import { upsertDeployment } from './deployment-state';

/**
 * The tenant's deployments, kept live by `strategies.onDeployment` (state changes and metrics) written
 * into the query cache. Each (re)start of the stream refetches the list, so a push missed while the
 * socket was down is not lost.
 */
export function useDeployments() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const key = trpc.strategies.deployments.queryKey({});
  const list = useQuery(
    trpc.strategies.deployments.queryOptions({}, { staleTime: 5_000, refetchOnWindowFocus: 'always' }),
  );
  const live = useSubscription(
    trpc.strategies.onDeployment.subscriptionOptions(
      {},
      {
        onStarted: () => queryClient.invalidateQueries({ queryKey: key }),
        onData: (d) => queryClient.setQueryData(key, (current) => upsertDeployment(current ?? [], d)),
      },
    ),
  );
  return { list, liveStatus: live.status };
}
