'use client';

import type { AlertView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';
import { useTRPC } from '@/engine/react';
import { alertLinesOf } from './chart-alert-lines';

/** Every alert of the workspace (the engine caps them per tier: a small list), refreshed on firings. */
export function useAlertList() {
  const trpc = useTRPC();
  return useQuery(trpc.alerts.list.queryOptions({}));
}

/** Refetches everything alert-shaped (list, history) after a change or a firing. */
export function useInvalidateAlerts() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.alerts.pathFilter());
}

/**
 * The chart's view of alerts: the active price lines of one market, creating one at a clicked level,
 * and moving one (the line moves at once; the engine's answer, or a refusal, settles it).
 */
export function useChartAlerts(venue: string, symbol: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invalidate = useInvalidateAlerts();
  const list = useAlertList();
  const lines = useMemo(() => alertLinesOf(list.data ?? [], venue, symbol), [list.data, venue, symbol]);
  const listKey = trpc.alerts.list.queryKey({});

  const create = useMutation(trpc.alerts.create.mutationOptions({ onSuccess: () => invalidate() }));
  const update = useMutation(
    trpc.alerts.update.mutationOptions({
      onMutate: async (input) => {
        await queryClient.cancelQueries({ queryKey: listKey });
        const before = queryClient.getQueryData<AlertView[]>(listKey);
        queryClient.setQueryData<AlertView[]>(listKey, (alerts) =>
          alerts?.map((a) =>
            a.id === input.alertId && input.condition ? { ...a, condition: input.condition } : a,
          ),
        );
        return { before };
      },
      onError: (_err, _input, context) => {
        if (context?.before) queryClient.setQueryData(listKey, context.before);
      },
      onSettled: () => invalidate(),
    }),
  );

  return {
    lines,
    create: (level: string, name: string) =>
      create.mutateAsync({
        name,
        venue,
        symbol,
        condition: { kind: 'price', op: 'crosses', value: level },
        trigger: { mode: 'once' },
        channels: [],
      }),
    creating: create.isPending,
    move: (alertId: string, level: string) => {
      const alert = list.data?.find((a) => a.id === alertId);
      if (!alert) return;
      update.mutate({ alertId, condition: { ...alert.condition, kind: 'price', value: level } });
    },
    moveError: update.error,
  };
}
