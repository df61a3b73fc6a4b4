'use client';

import type { ListingDetailView } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useEffect, useRef, useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { accessText, CHECKOUT_POLL_MS, entitlementWait, formatDay } from '../billing/billing-view';
import { CheckoutBanner } from '../billing/checkout-banner';
import { formatPrice } from '../billing/money';
import { clearCheckoutParam, useElapsedSince } from '../billing/use-checkout-wait';
import { MarketState } from '../markets/market-state';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { ListingDeployForm } from './listing-deploy-form';
import { ListingReviews } from './listing-reviews';
import { ListingStatusBadge } from './listing-status';
import { EarlierTrackRecords, PanelCard, TrackRecordPanel, VerifiedPanel } from './verified-panel';

const VERIFY_POLL_MS = 2_000;

function isVerifying(d: ListingDetailView | undefined): boolean {
  if (!d) return false;
  const run = d.verified?.status;
  return d.listing.status === 'verifying' || run === 'queued' || run === 'running';
}

/**
 * One listing: what it does (the seller's Markdown, sanitized by the server), the platform's verified
 * backtest and the forward paper record, reviews, and the buyer's actions: subscribe (free at once, paid
 * through Checkout), deploy when entitled, cancel. After Checkout the page polls until the webhook made
 * the entitlement: the redirect itself proves nothing.
 */
export function ListingScreen({
  listingId,
  returnedFromCheckout,
}: {
  listingId: string;
  returnedFromCheckout: boolean;
}) {
  const trpc = useTRPC();
  const [waiting, setWaiting] = useState(returnedFromCheckout);
  const elapsed = useElapsedSince(waiting);
  const detail = useQuery(
    trpc.marketplace.get.queryOptions(
      { listingId },
      {
        // Fast while waiting for the webhook after Checkout; slower while the platform verifies the listing.
        refetchInterval: (q) =>
          waiting ? CHECKOUT_POLL_MS : isVerifying(q.state.data) ? VERIFY_POLL_MS : false,
        refetchOnWindowFocus: 'always',
      },
    ),
  );
  const wait = returnedFromCheckout
    ? entitlementWait({ entitled: detail.data?.viewer.entitled, elapsedMs: elapsed })
    : null;
  const settled = useRef(false);
  useEffect(() => {
    if (!wait || wait === 'waiting' || settled.current) return;
    settled.current = true;
    setWaiting(false);
    if (wait === 'confirmed') clearCheckoutParam();
  }, [wait]);

  if (detail.isPending) return <MarketState title="Loading listing…" />;
  if (detail.isError)
    return <StrategyProblemBox problem={describeBillingProblem(detail.error)} testId="listing-problem" />;
  const d = detail.data;
  const { listing } = d;
  return (
    <div className="flex flex-col gap-5" data-testid="listing-screen" data-listing-id={listing.id}>
      <Link href="/marketplace" className="text-xs text-zinc-400 hover:text-zinc-200">
        ← Marketplace
      </Link>
      {wait && (
        <CheckoutBanner wait={wait} confirmedText="Payment confirmed: you can deploy this strategy now." />
      )}
      <header className="flex flex-col gap-3 sm:flex-row sm:items-start sm:justify-between">
        <div className="min-w-0">
          <h1 className="text-2xl font-semibold tracking-tight text-zinc-50" data-testid="listing-title">
            {listing.title}
          </h1>
          <p className="mt-1 text-sm text-zinc-400">
            by {listing.sellerName} · {listing.subscribers} subscriber{listing.subscribers === 1 ? '' : 's'}
            {listing.rating.average !== null &&
              ` · ★ ${listing.rating.average.toFixed(1)} (${listing.rating.count})`}
          </p>
          {listing.summary && <p className="mt-2 text-sm text-zinc-300">{listing.summary}</p>}
          <div className="mt-2 flex flex-wrap gap-1.5">
            {listing.status !== 'published' && <ListingStatusBadge status={listing.status} />}
            {listing.tags.map((t) => (
              <Badge key={t} caps={false}>
                {t}
              </Badge>
            ))}
            {listing.instruments.map((i) => (
              <Badge key={`${i.venue}:${i.symbol}`} tone="blue" caps={false}>
                {i.venue}:{i.symbol}
              </Badge>
            ))}
            <Badge caps={false}>{listing.intervals.join(' · ')}</Badge>
          </div>
        </div>
        <BuyBox detail={d} />
      </header>

      <VerifiedPanel verified={d.verified} />
      {d.trackRecord ? (
        <TrackRecordPanel track={d.trackRecord} earlier={d.earlierTrackRecords} />
      ) : (
        (d.earlierTrackRecords?.length ?? 0) > 0 && (
          // No current record, but earlier ones: still shown, so detaching a record never hides it.
          <PanelCard
            title="Forward paper record"
            testId="track-record-panel"
            label={
              <Badge tone="violet" caps={false}>
                Forward paper trading, from our ledger
              </Badge>
            }
          >
            <p className="text-sm text-zinc-400">No deployment is attached now.</p>
            <EarlierTrackRecords records={d.earlierTrackRecords ?? []} />
          </PanelCard>
        )
      )}

      {d.viewer.entitled && (
        <PanelCard title="Deploy to paper" testId="listing-deploy" label={null}>
          <ListingDeployForm detail={d} />
        </PanelCard>
      )}

      <PanelCard title="About this strategy" testId="listing-description" label={null}>
        {d.descriptionHtml ? (
          <div
            className="listing-prose text-sm leading-relaxed text-zinc-300 [&_a]:text-emerald-400 [&_a]:underline [&_code]:rounded [&_code]:bg-zinc-800 [&_code]:px-1 [&_h1]:text-lg [&_h1]:font-semibold [&_h1]:text-zinc-100 [&_h2]:mt-4 [&_h2]:font-semibold [&_h2]:text-zinc-100 [&_h3]:mt-3 [&_h3]:font-semibold [&_li]:ml-5 [&_ol]:list-decimal [&_p]:mt-2 [&_pre]:overflow-x-auto [&_pre]:rounded [&_pre]:bg-zinc-950 [&_pre]:p-3 [&_ul]:list-disc"
            // Only this field, and only because the engine renders it from Markdown with raw HTML disabled
            // and links limited to http(s)/mailto (the listing contract): nothing else here is HTML.
            // biome-ignore lint/security/noDangerouslySetInnerHtml: server-sanitized HTML, see above
            dangerouslySetInnerHTML={{ __html: d.descriptionHtml }}
          />
        ) : (
          <p className="text-sm text-zinc-500">The seller wrote no description.</p>
        )}
      </PanelCard>

      <ListingReviews detail={d} />
    </div>
  );
}

/** Price, and what the caller can do: subscribe, or see their access and cancel it. */
function BuyBox({ detail }: { detail: ListingDetailView }) {
  const { listing, viewer } = detail;
  const { price } = listing;
  return (
    <div
      className="w-full shrink-0 rounded-xl border border-zinc-800 bg-zinc-900/60 p-4 sm:w-72"
      data-testid="listing-buy"
    >
      <p className="font-mono text-xl text-zinc-50" data-testid="listing-price">
        {formatPrice(price.amountCents, price.currency, price.interval)}
      </p>
      {price.trialDays > 0 &&
        (viewer.trialAvailable || viewer.isSeller ? (
          <p className="text-xs text-sky-300">{price.trialDays}-day free trial</p>
        ) : (
          <p className="text-xs text-zinc-400" data-testid="listing-trial-used">
            Your team has used this listing&apos;s free trial: billing starts on the first day.
          </p>
        ))}
      <div className="mt-3">
        {viewer.isSeller ? (
          <p className="text-sm text-zinc-400" data-testid="listing-own">
            This is your listing.{' '}
            <Link href="/marketplace/sell" className="text-emerald-400 hover:text-emerald-300">
              Manage it
            </Link>
          </p>
        ) : viewer.access && viewer.access !== 'ended' && viewer.access !== 'none' ? (
          <Subscribed detail={detail} />
        ) : (
          <SubscribeButton detail={detail} />
        )}
      </div>
    </div>
  );
}

function SubscribeButton({ detail }: { detail: ListingDetailView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { listing } = detail;
  const subscribe = useMutation(
    trpc.marketplace.subscribe.mutationOptions({
      onSuccess: (r) => {
        if (r.kind === 'checkout') window.location.assign(r.url);
        else
          void queryClient.invalidateQueries({
            queryKey: trpc.marketplace.get.queryKey({ listingId: listing.id }),
          });
      },
    }),
  );
  const free = listing.price.interval === null;
  const redirecting = subscribe.isSuccess && subscribe.data.kind === 'checkout';
  return (
    <div className="space-y-2">
      {detail.viewer.access === 'ended' && (
        <p className="text-xs text-zinc-400" data-testid="listing-access-ended">
          Your subscription has ended.
        </p>
      )}
      <Button
        className="w-full"
        data-testid="listing-subscribe"
        disabled={subscribe.isPending || redirecting || listing.status !== 'published'}
        onClick={() => subscribe.mutate({ listingId: listing.id })}
      >
        {subscribe.isPending || redirecting
          ? free
            ? 'Subscribing…'
            : 'Opening Checkout…'
          : free
            ? 'Get it free'
            : 'Subscribe'}
      </Button>
      {subscribe.isError && (
        <StrategyProblemBox
          problem={describeBillingProblem(subscribe.error)}
          testId="listing-subscribe-error"
        />
      )}
    </div>
  );
}

function Subscribed({ detail }: { detail: ListingDetailView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { viewer, listing } = detail;
  const [confirming, setConfirming] = useState(false);
  const cancel = useMutation(
    trpc.marketplace.cancelSubscription.mutationOptions({
      onSuccess: () => {
        setConfirming(false);
        void queryClient.invalidateQueries({
          queryKey: trpc.marketplace.get.queryKey({ listingId: listing.id }),
        });
      },
    }),
  );
  const access = viewer.access ? accessText(viewer.access) : null;
  // The cancellation's own answer shows at once; the listing's view catches up when Stripe's webhook lands.
  const cancelled = cancel.data?.cancelAtPeriodEnd ?? viewer.cancelAtPeriodEnd;
  const until = cancel.data?.currentPeriodEnd ?? viewer.accessUntil;
  return (
    <div className="space-y-2 text-sm" data-testid="listing-subscribed" data-access={viewer.access ?? ''}>
      {access && (
        <Badge tone={access.tone} caps={false} data-testid="listing-access">
          {viewer.access === 'active' ? 'Subscribed' : access.label}
        </Badge>
      )}
      {cancelled ? (
        <p className="text-xs text-amber-200" data-testid="listing-cancel-notice" role="status">
          Cancelled: access until {formatDay(until)}.
        </p>
      ) : (
        <>
          {viewer.accessUntil && (
            <p className="text-xs text-zinc-400">Renews {formatDay(viewer.accessUntil)}.</p>
          )}
          <Button variant="ghost" size="sm" data-testid="listing-cancel" onClick={() => setConfirming(true)}>
            Cancel subscription
          </Button>
        </>
      )}
      <Dialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title="Cancel this subscription?"
        description={
          viewer.accessUntil
            ? `You keep access until ${formatDay(viewer.accessUntil)}; nothing more is charged. Deployments pause when access ends.`
            : 'Access ends now; deployments of this listing pause.'
        }
      >
        {cancel.isError && (
          <StrategyProblemBox problem={describeBillingProblem(cancel.error)} testId="listing-cancel-error" />
        )}
        <div className="mt-3 flex justify-end gap-2">
          <Button variant="ghost" size="sm" onClick={() => setConfirming(false)}>
            Keep it
          </Button>
          <Button
            variant="danger"
            size="sm"
            data-testid="listing-cancel-confirm"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate({ listingId: listing.id })}
          >
            {cancel.isPending ? 'Cancelling…' : 'Cancel subscription'}
          </Button>
        </div>
      </Dialog>
    </div>
  );
}
