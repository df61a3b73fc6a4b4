'use client';

import type { AlertFiringView } from '@qt/shared';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { CENTRE_SIZE, markedRead, mergeFirings, unreadCount } from './notifications';
import { useInvalidateAlerts } from './use-alerts';

/** An alert firing every second must not refetch the alert list every second: at most this often. */
const REFRESH_EVERY_MS = 2_000;

/**
 * The notification centre's data: the latest firings (first page, then `alerts.onFired` live), their
 * unread count, and marking read (shown at once; the engine's call is idempotent). A firing also refreshes
 * the alert list, so a fired `once` alert leaves the chart and shows as fired on the Alerts page.
 */
export function useNotifications() {
  const trpc = useTRPC();
  const invalidate = useInvalidateAlerts();
  const first = useQuery(trpc.alerts.history.queryOptions({ limit: CENTRE_SIZE }));
  const [firings, setFirings] = useState<AlertFiringView[]>([]);
  const refresh = useRef<ReturnType<typeof setTimeout> | null>(null);

  useEffect(() => {
    if (first.data) setFirings((current) => mergeFirings(current, first.data.items));
  }, [first.data]);
  useEffect(
    () => () => {
      if (refresh.current) clearTimeout(refresh.current);
    },
    [],
  );

  const live = useSubscription(
    trpc.alerts.onFired.subscriptionOptions(undefined, {
      onData: (f) => {
        setFirings((current) => mergeFirings(current, [f]));
        refresh.current ??= setTimeout(() => {
          refresh.current = null;
          void invalidate();
        }, REFRESH_EVERY_MS);
      },
    }),
  );

  const mark = useMutation(trpc.alerts.markRead.mutationOptions());
  return {
    firings,
    unread: unreadCount(firings),
    loading: first.isPending,
    error: first.error ?? live.error,
    liveStatus: live.status,
    markRead: (ids: string[]) => {
      if (ids.length === 0) return;
      setFirings((current) => markedRead(current, new Set(ids), Date.now()));
      mark.mutate({ firingIds: ids });
    },
    markAllRead: () => {
      setFirings((current) => markedRead(current, 'all', Date.now()));
      mark.mutate({ all: true });
    },
  };
}
