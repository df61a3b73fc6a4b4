'use client';

import type { FeedState, FeedStatus } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { useTRPC } from '@/engine/react';
import { retryMarketCall } from './market-errors';

const tones: Record<FeedState, BadgeTone> = {
  live: 'green',
  subscribing: 'blue',
  connecting: 'blue',
  stale: 'amber',
  reconnecting: 'amber',
  stopped: 'red',
};

/** A venue with several connections shows its worst one. */
const severity: readonly FeedState[] = [
  'live',
  'subscribing',
  'connecting',
  'stale',
  'reconnecting',
  'stopped',
];

function worst(feeds: readonly FeedStatus[]): FeedState {
  return feeds.reduce<FeedState>(
    (acc, f) => (severity.indexOf(f.state) > severity.indexOf(acc) ? f.state : acc),
    'live',
  );
}

/** The engine's feed connections, one badge per venue, polled every few seconds. */
export function FeedBadges() {
  const trpc = useTRPC();
  const feeds = useQuery(
    trpc.market.feeds.queryOptions(undefined, { refetchInterval: 3_000, retry: retryMarketCall }),
  );
  if (feeds.isPending) return null;
  if (feeds.isError) return <span className="text-xs text-zinc-500">Feed status unavailable</span>;
  if (feeds.data.length === 0) return <span className="text-xs text-zinc-500">No feeds running</span>;

  const byVenue = new Map<string, FeedStatus[]>();
  for (const f of feeds.data) byVenue.set(f.venue, [...(byVenue.get(f.venue) ?? []), f]);
  return (
    <ul className="flex flex-wrap items-center gap-1.5" aria-label="Feed status">
      {[...byVenue.entries()].map(([venue, list]) => {
        const state = worst(list);
        return (
          <li key={venue} className="group relative">
            <Badge
              tone={tones[state]}
              caps={false}
              tabIndex={0}
              data-testid={`feed-badge-${venue}`}
              data-state={state}
              className="cursor-default gap-1.5 font-mono"
            >
              <span
                aria-hidden="true"
                className={`size-1.5 rounded-full bg-current ${state === 'live' ? 'animate-pulse' : ''}`}
              />
              {venue} <span className="opacity-70">{state}</span>
            </Badge>
            <FeedDetails feeds={list} />
          </li>
        );
      })}
    </ul>
  );
}

function FeedDetails({ feeds }: { feeds: readonly FeedStatus[] }) {
  return (
    <div
      role="tooltip"
      className="invisible absolute top-full right-0 z-30 mt-1.5 w-72 rounded-md border border-zinc-700 bg-zinc-950 p-2.5 text-[11px] text-zinc-300 shadow-xl group-focus-within:visible group-hover:visible"
    >
      {feeds.map((f) => (
        <dl
          key={f.connectionId}
          className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-0.5 not-first:mt-2 not-first:border-t not-first:border-zinc-800 not-first:pt-2"
        >
          <dt className="text-zinc-500">Endpoint</dt>
          <dd className="truncate font-mono" title={f.endpoint}>
            {f.endpoint}
          </dd>
          <dt className="text-zinc-500">State</dt>
          <dd>{f.state}</dd>
          <dt className="text-zinc-500">Lag</dt>
          <dd className="font-mono">{f.lagMs === null ? '—' : `${Math.round(f.lagMs)} ms`}</dd>
          <dt className="text-zinc-500">Rate</dt>
          <dd className="font-mono">{f.messageRate.toFixed(1)} msg/s</dd>
          <dt className="text-zinc-500">Reconnects</dt>
          <dd className="font-mono">{f.reconnects}</dd>
          <dt className="text-zinc-500">Gaps · dups</dt>
          <dd className="font-mono">
            {f.gaps} · {f.duplicates}
            {f.malformed > 0 && ` · ${f.malformed} malformed`}
          </dd>
          {f.lastError && (
            <>
              <dt className="text-zinc-500">Last error</dt>
              <dd className="text-rose-300">{f.lastError}</dd>
            </>
          )}
        </dl>
      ))}
    </div>
  );
}
