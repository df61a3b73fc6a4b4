'use client';

import type { ListingSummaryView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { Select } from '@/components/ui/select';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { formatPrice } from '../billing/money';
import { instrumentsText } from '../strategies/deployment-state';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { useDeployments } from '../strategies/use-deployments';
import { percentText, shortHash } from './listing-filters';
import { ListingStatusBadge } from './listing-status';
import { statsMarketText } from './track-record-model';

/** The seller's listings, with their state and the controls that apply to each. */
export function MyListings({ listings }: { listings: readonly ListingSummaryView[] }) {
  if (listings.length === 0)
    return (
      <p className="text-sm text-zinc-400" data-testid="my-listings-empty">
        You have not published anything yet: use the form below.
      </p>
    );
  return (
    <ul className="divide-y divide-zinc-800" data-testid="my-listings">
      {listings.map((l) => (
        <MyListingRow key={l.id} listing={l} />
      ))}
    </ul>
  );
}

function MyListingRow({ listing }: { listing: ListingSummaryView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.marketplace.myListings.queryKey() });
  const update = useMutation(trpc.marketplace.update.mutationOptions({ onSuccess: refresh }));
  const [attaching, setAttaching] = useState(false);
  const canToggle = listing.status === 'published' || listing.status === 'unlisted';
  // The engine says why a listing waits or failed (e.g. which candles verification waits for).
  const reason = listing.statusReason?.trim() || null;
  const statsOn = statsMarketText(listing);
  return (
    <li className="py-3" data-testid="my-listing" data-listing-id={listing.id} data-status={listing.status}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="flex flex-wrap items-center gap-2 text-sm">
            <Link href={`/marketplace/${listing.id}`} className="font-medium text-zinc-100 hover:underline">
              {listing.title}
            </Link>
            <ListingStatusBadge status={listing.status} />
          </p>
          <p className="mt-0.5 text-xs text-zinc-500">
            {formatPrice(listing.price.amountCents, listing.price.currency, listing.price.interval)} ·{' '}
            {listing.subscribers} subscriber{listing.subscribers === 1 ? '' : 's'} ·{' '}
            <span className="font-mono">{instrumentsText(listing.instruments)}</span> ·{' '}
            <span className="font-mono">sha256 {shortHash(listing.moduleSha256)}</span>
            {listing.stats && ` · verified return ${percentText(listing.stats.totalReturn, true)}`}
            {listing.stats && statsOn && (
              <span className="font-mono" data-testid="my-listing-stats-market">
                {' '}
                on {statsOn}
              </span>
            )}
          </p>
          {listing.status === 'verifying' && (
            <p className="mt-1 text-xs text-sky-300" role="status" data-testid="my-listing-verifying-reason">
              {reason ??
                'The platform is running its backtest of this version; the listing is published when it finishes.'}
            </p>
          )}
          {listing.status === 'verification_failed' &&
            (reason ? (
              <p className="mt-1 text-xs text-rose-300" role="alert" data-testid="my-listing-failed-reason">
                {reason}
              </p>
            ) : (
              <FailedReason listingId={listing.id} />
            ))}
        </div>
        <div className="flex flex-wrap gap-2">
          {canToggle && (
            <Button
              variant="secondary"
              size="sm"
              data-testid="my-listing-visibility"
              disabled={update.isPending}
              onClick={() =>
                update.mutate({
                  listingId: listing.id,
                  visibility: listing.status === 'published' ? 'unlisted' : 'published',
                })
              }
            >
              {listing.status === 'published' ? 'Unlist' : 'Publish again'}
            </Button>
          )}
          {listing.status !== 'verification_failed' && (
            <Button
              variant="ghost"
              size="sm"
              data-testid="my-listing-attach"
              aria-expanded={attaching}
              onClick={() => setAttaching((a) => !a)}
            >
              Track record…
            </Button>
          )}
        </div>
      </div>
      {update.isError && (
        <StrategyProblemBox problem={describeBillingProblem(update.error)} testId="my-listing-error" />
      )}
      {attaching && <AttachTrackRecord listingId={listing.id} onDone={() => setAttaching(false)} />}
    </li>
  );
}

/**
 * Why the platform's backtest failed, for an engine whose summary carries no `statusReason`: from the
 * listing's verified record.
 */
function FailedReason({ listingId }: { listingId: string }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.marketplace.get.queryOptions({ listingId }, { staleTime: 60_000 }));
  return (
    <p className="mt-1 text-xs text-rose-300" role="alert" data-testid="my-listing-failed-reason">
      {detail.data?.verified?.reason ?? (detail.isPending ? 'Verification failed…' : 'Verification failed.')}
    </p>
  );
}

/**
 * Attach one of the seller's running deployments as the listing's forward record. Only a deployment of
 * the listing's own version is accepted (the engine checks; the choice here is the running ones).
 */
function AttachTrackRecord({ listingId, onDone }: { listingId: string; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { list } = useDeployments();
  const strategies = useQuery(trpc.strategies.list.queryOptions(undefined, { staleTime: 15_000 }));
  // Only deployments of the tenant's own strategies: a listing deployment bought from someone else
  // carries the listing's id as its strategyId and could never be this listing's record.
  const own = new Set((strategies.data ?? []).map((s) => s.id));
  const running = (list.data ?? []).filter((d) => d.state === 'running' && own.has(d.strategyId));
  const [deploymentId, setDeploymentId] = useState('');
  const attach = useMutation(
    trpc.marketplace.attachTrackRecord.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.marketplace.myListings.queryKey() });
        void queryClient.invalidateQueries({ queryKey: trpc.marketplace.get.queryKey({ listingId }) });
        onDone();
      },
    }),
  );
  const chosen = deploymentId || running[0]?.id || '';
  return (
    <div className="mt-3 space-y-2 rounded-lg border border-zinc-800 p-3" data-testid="attach-track-record">
      <p className="text-xs text-zinc-400">
        Show a live paper deployment of this exact version as the listing's forward record. Its equity is
        sampled from our ledger, not reported by you.
      </p>
      {list.isPending || strategies.isPending ? (
        <p className="text-xs text-zinc-500">Loading deployments…</p>
      ) : running.length === 0 ? (
        <p className="text-xs text-zinc-400" data-testid="attach-none">
          No running deployment. Deploy this version on{' '}
          <Link href="/strategies" className="text-emerald-400 hover:text-emerald-300">
            Strategies
          </Link>{' '}
          first.
        </p>
      ) : (
        <div className="flex flex-wrap items-end gap-2">
          <Select
            label="Running deployment"
            className="w-72 max-w-full"
            data-testid="attach-deployment"
            value={chosen}
            onChange={(e) => setDeploymentId(e.target.value)}
          >
            {running.map((d) => (
              <option key={d.id} value={d.id}>
                {d.strategyName} v{d.version} · {instrumentsText(d.instruments)} · {d.interval}
              </option>
            ))}
          </Select>
          <Button
            size="sm"
            data-testid="attach-submit"
            disabled={attach.isPending || !chosen}
            onClick={() => attach.mutate({ listingId, deploymentId: chosen })}
          >
            Attach
          </Button>
        </div>
      )}
      <Button
        variant="ghost"
        size="sm"
        data-testid="attach-detach"
        disabled={attach.isPending}
        onClick={() => attach.mutate({ listingId, deploymentId: null })}
      >
        Detach the current record
      </Button>
      {attach.isError && (
        <StrategyProblemBox problem={describeBillingProblem(attach.error)} testId="attach-error" />
      )}
    </div>
  );
}
