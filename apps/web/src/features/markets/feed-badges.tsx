'use client';

import type { FeedState, FeedStatus } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { useTRPC } from '@/engine/react';
import { isSimulated, unreachable } from './feed-badges-state';
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

/** The engine's feed status, polled every few seconds (one query shared by every component using it). */
export function useFeedStatus() {
  const trpc = useTRPC();
  return useQuery(
    trpc.market.feeds.queryOptions(undefined, { refetchInterval: 3_000, retry: retryMarketCall }),
  );
}

/**
 * Said on screen when no venue can be reached (offline, or a network that blocks them): the feeds retry
 * for ever, so without this the page would just wait. Offers the simulator, as the terminal does.
 */
export function FeedProblemBanner() {
  const feeds = useFeedStatus();
  const down = unreachable(feeds.data);
  if (!down) return null;
  return (
    <div
      role="alert"
      data-testid="venues-unreachable"
      className="rounded-lg border border-amber-500/40 bg-amber-500/10 px-4 py-3 text-sm text-amber-100"
    >
      <p className="font-medium">
        The market venues cannot be reached ({down.venues.join(', ')}): there is no live market data.
      </p>
      <p className="mt-1 text-amber-200/80">
        The engine keeps retrying. To work offline, restart it on the bundled exchange simulator:{' '}
        <code className="rounded bg-zinc-950/60 px-1.5 py-0.5 font-mono text-xs text-amber-100">
          MARKET_SOURCE=simulator npm start
        </code>
      </p>
      <p className="mt-1 truncate font-mono text-[11px] text-amber-200/60" title={down.reason}>
        {down.reason}
      </p>
    </div>
  );
}

/** The engine's feed connections, one badge per venue, and a "Simulated data" badge on the simulator. */
export function FeedBadges() {
  const feeds = useFeedStatus();
  if (feeds.isPending) return null;
  if (feeds.isError) return <span className="text-xs text-zinc-500">Feed status unavailable</span>;
  if (feeds.data.length === 0) return <span className="text-xs text-zinc-500">No feeds running</span>;

  const byVenue = new Map<string, FeedStatus[]>();
  for (const f of feeds.data) byVenue.set(f.venue, [...(byVenue.get(f.venue) ?? []), f]);
  return (
    <ul className="flex flex-wrap items-center gap-1.5" aria-label="Feed status">
      {isSimulated(feeds.data) && (
        <li>
          <Badge
            tone="blue"
            caps={false}
            data-testid="simulated-data"
            title="Prices come from the bundled exchange simulator (MARKET_SOURCE=simulator), not from a venue"
          >
            Simulated data
          </Badge>
        </li>
      )}
      {[...byVenue.entries()].map(([venue, list]) => {
        const state = worst(list);
        // A simulator feed that is up is not "live": its prices are made up.
        const simulated = state === 'live' && list.some((f) => f.source === 'simulator');
        return (
          <li key={venue} className="group relative">
            <Badge
              tone={simulated ? 'violet' : tones[state]}
              caps={false}
              tabIndex={0}
              data-testid={`feed-badge-${venue}`}
              data-state={state}
              className="cursor-default gap-1.5 font-mono"
            >
              <span
                aria-hidden="true"
                className={`size-1.5 rounded-full bg-current ${state === 'live' && !simulated ? 'animate-pulse' : ''}`}
              />
              {venue} <span className="opacity-70">{simulated ? 'simulated' : state}</span>
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
