'use client';

import type { ListingSummaryView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Card } from '@/components/ui/card';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { MarketState } from '../markets/market-state';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { MyListings } from './my-listings';
import { PublishForm } from './publish-form';
import { SellerDashboard, SellerStatusCard } from './seller-panels';

const VERIFY_POLL_MS = 2_000;
const ONBOARDING_POLL_MS = 3_000;

/**
 * Selling: payouts (Stripe Connect), sales figures, the seller's listings with their verification state,
 * and the form that publishes a strategy version. While a listing is being verified its row refreshes
 * every two seconds until the platform's backtest is done.
 */
export function SellScreen() {
  const trpc = useTRPC();
  const status = useQuery(
    trpc.marketplace.sellerStatus.queryOptions(undefined, {
      refetchOnWindowFocus: 'always',
      // Back from Stripe's onboarding, the flags arrive with the account.updated webhook: look again until then.
      refetchInterval: (q) => (q.state.data && !q.state.data.chargesEnabled ? ONBOARDING_POLL_MS : false),
    }),
  );
  const mine = useQuery(
    trpc.marketplace.myListings.queryOptions(undefined, {
      refetchInterval: (q) => (q.state.data?.some((l) => l.status === 'verifying') ? VERIFY_POLL_MS : false),
    }),
  );
  const onboarded = status.data?.onboarded ?? false;
  const dashboard = useQuery(
    trpc.marketplace.sellerDashboard.queryOptions(undefined, { enabled: onboarded }),
  );
  const strategies = useQuery(trpc.strategies.list.queryOptions(undefined, { staleTime: 15_000 }));
  const [published, setPublished] = useState<ListingSummaryView | null>(null);

  return (
    <div className="flex flex-col gap-5" data-testid="sell-screen">
      {status.isPending ? (
        <Card>
          <MarketState title="Loading seller status…" />
        </Card>
      ) : status.isError ? (
        <StrategyProblemBox problem={describeBillingProblem(status.error)} testId="seller-status-error" />
      ) : (
        <SellerStatusCard status={status.data} />
      )}

      {onboarded &&
        (dashboard.isPending ? (
          <Card>
            <MarketState title="Loading sales…" />
          </Card>
        ) : dashboard.isError ? (
          <StrategyProblemBox
            problem={describeBillingProblem(dashboard.error)}
            testId="seller-dashboard-error"
          />
        ) : (
          <SellerDashboard dashboard={dashboard.data} />
        ))}

      <Card title="My listings">
        {mine.isPending ? (
          <MarketState title="Loading your listings…" />
        ) : mine.isError ? (
          <StrategyProblemBox problem={describeBillingProblem(mine.error)} testId="my-listings-error" />
        ) : (
          <MyListings listings={mine.data} />
        )}
      </Card>

      <Card
        title="Publish a strategy"
        description="Buyers run the sealed module in our sandbox and never get its bytes. The listing is pinned to the version's SHA-256; its numbers are computed by the platform."
      >
        {published && (
          <p
            role="status"
            data-testid="publish-done"
            data-listing-id={published.id}
            className="mb-4 rounded-md border border-emerald-500/30 bg-emerald-500/10 px-3 py-2 text-sm text-emerald-200"
          >
            “{published.title}” is {published.status === 'verifying' ? 'being verified' : published.status}.{' '}
            <Link href={`/marketplace/${published.id}`} className="font-medium underline underline-offset-2">
              Open the listing
            </Link>
          </p>
        )}
        {strategies.isPending ? (
          <MarketState title="Loading strategies…" />
        ) : strategies.isError ? (
          <StrategyProblemBox
            problem={describeBillingProblem(strategies.error)}
            testId="publish-strategies-error"
          />
        ) : strategies.data.length === 0 ? (
          <p className="text-sm text-zinc-400" data-testid="publish-no-strategy">
            You have no strategy to publish.{' '}
            <Link href="/strategies" className="text-emerald-400 hover:text-emerald-300">
              Create one on Strategies
            </Link>{' '}
            first.
          </p>
        ) : (
          <PublishForm
            strategies={strategies.data}
            sellerReady={Boolean(status.data?.onboarded && status.data.chargesEnabled)}
            onPublished={setPublished}
          />
        )}
      </Card>
    </div>
  );
}
