'use client';

import type { BackfillJobView } from '@qt/api';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState } from 'react';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from '../markets/market-errors';
import { applyProgress, isOpenJob } from './coverage-model';

/** Until the tier is known: the FREE tier's depth, the smallest there is. */
const FALLBACK_HISTORY_DAYS = 90;
/** Jobs listed in the panel (newest first). */
const JOB_LIMIT = 20;

/** How far back (days) the tenant's tier may read and backfill history. */
export function useHistoryDays(): number {
  const trpc = useTRPC();
  const today = useQuery(trpc.usage.today.queryOptions(undefined, { staleTime: 60_000 }));
  return today.data?.limits.historyDays ?? FALLBACK_HISTORY_DAYS;
}

export type CoverageInterval = '1m' | '5m' | '15m' | '1h' | '4h' | '1d';
export const coverageIntervals: readonly CoverageInterval[] = ['1m', '5m', '15m', '1h', '4h', '1d'];

/** What is stored of one series over [from, now]; refreshed now and then while backfills may run. */
export function useCoverage(
  venue: string,
  symbol: string,
  interval: CoverageInterval,
  from: number,
  live: boolean,
) {
  const trpc = useTRPC();
  return useQuery(
    trpc.history.coverage.queryOptions(
      { venue, symbol, interval, from },
      {
        retry: retryMarketCall,
        staleTime: 10_000,
        refetchInterval: live ? 5_000 : 60_000,
        // The window's start moves each minute: keep showing the last answer while the next one loads.
        placeholderData: (previous) => previous,
      },
    ),
  );
}

/**
 * The tenant's backfill jobs: `history.jobs` once, then each `history.onProgress` event applied to the
 * list as it comes (the list is fetched again for a job it does not hold, and coverage is refreshed when
 * a job ends).
 */
export function useBackfillJobs() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const jobsKey = trpc.history.jobs.queryKey({ limit: JOB_LIMIT });
  const jobs = useQuery(trpc.history.jobs.queryOptions({ limit: JOB_LIMIT }, { retry: retryMarketCall }));
  const [events, setEvents] = useState(0);
  const progress = useSubscription(
    trpc.history.onProgress.subscriptionOptions(undefined, {
      enabled: !jobs.isError,
      onData: (p) => {
        setEvents((n) => n + 1);
        const list = queryClient.getQueryData<BackfillJobView[]>(jobsKey) ?? [];
        const out = applyProgress(list, p);
        if (out.known) queryClient.setQueryData(jobsKey, out.jobs);
        else void queryClient.invalidateQueries({ queryKey: jobsKey });
        if (!isOpenJob(p)) void queryClient.invalidateQueries({ queryKey: trpc.history.coverage.pathKey() });
      },
    }),
  );
  const list = jobs.data ?? [];
  return {
    jobs: list,
    loading: jobs.isPending,
    error: jobs.error,
    /** Progress events received (the browser test watches them arrive). */
    events,
    live: progress.status === 'pending',
    anyOpen: list.some(isOpenJob),
    /** Puts a job the backfill call returned at the top of the list (or refreshes it there). */
    add(job: BackfillJobView) {
      queryClient.setQueryData<BackfillJobView[]>(jobsKey, (old) => [
        job,
        ...(old ?? []).filter((j) => j.id !== job.id),
      ]);
    },
  };
}
