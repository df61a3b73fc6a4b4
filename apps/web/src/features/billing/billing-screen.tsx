'use client';

import type { BillingInterval, BillingOverview, PaidTier } from '@qt/shared';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { TierBadge } from '@/components/tier-badge';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { useTRPC } from '@/engine/react';
import { MarketState } from '../markets/market-state';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { describeBillingProblem } from './billing-errors';
import {
  accessText,
  CHECKOUT_POLL_MS,
  checkoutWait,
  forgetCheckout,
  formatDay,
  recallCheckout,
} from './billing-view';
import { CheckoutBanner } from './checkout-banner';
import { InvoicesTable } from './invoices-table';
import { formatCents } from './money';
import { UpgradeCard } from './upgrade-card';
import { clearCheckoutParam, useElapsedSince } from './use-checkout-wait';

export interface BillingScreenProps {
  /** `?checkout=` from Stripe's success redirect: the page waits for the webhook to grant the tier. */
  returnedFromCheckout: boolean;
  /** `?upgrade=PRO&interval=year` from the Plans page: preselects the upgrade card. */
  upgrade: { tier: PaidTier; interval: BillingInterval } | null;
}

/**
 * The tenant's plan and payments: tier and subscription state, the next invoice, past invoices, a payment
 * problem, and the ways to Stripe's hosted pages (Checkout to upgrade, the portal for the rest). The
 * browser's return from Checkout grants nothing: the tier changes when the engine has the webhook.
 */
export function BillingScreen({ returnedFromCheckout, upgrade }: BillingScreenProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [pending] = useState(() =>
    // Server rendering has no storage; the wait only starts in the browser anyway.
    returnedFromCheckout && typeof window !== 'undefined' ? recallCheckout(window.sessionStorage) : null,
  );
  const [waiting, setWaiting] = useState(returnedFromCheckout);
  const elapsed = useElapsedSince(waiting);
  const overview = useQuery(
    trpc.billing.overview.queryOptions(undefined, {
      refetchInterval: waiting ? CHECKOUT_POLL_MS : false,
      refetchOnWindowFocus: 'always',
    }),
  );
  const wait = returnedFromCheckout
    ? checkoutWait({
        overview: overview.data,
        target: pending?.target ?? null,
        from: pending?.from ?? null,
        elapsedMs: elapsed,
      })
    : null;
  const settled = useRef(false);
  useEffect(() => {
    if (!wait || wait === 'waiting' || settled.current) return;
    settled.current = true;
    setWaiting(false);
    if (wait === 'confirmed') {
      forgetCheckout(window.sessionStorage);
      clearCheckoutParam();
      // The tier shows elsewhere too (top bar, usage limits): let every screen read it again.
      void queryClient.invalidateQueries();
    }
  }, [wait, queryClient]);

  return (
    <div className="flex flex-col gap-5" data-testid="billing-screen">
      {wait && (
        <CheckoutBanner
          wait={wait}
          confirmedText={`Payment confirmed: your workspace is on ${overview.data?.tier ?? 'the new plan'} now.`}
        />
      )}
      {overview.isPending ? (
        <Card>
          <MarketState title="Loading your plan…" />
        </Card>
      ) : overview.isError ? (
        <Card>
          <StrategyProblemBox problem={describeBillingProblem(overview.error)} testId="billing-problem" />
        </Card>
      ) : (
        <Overview overview={overview.data} preselect={upgrade} />
      )}
    </div>
  );
}

function Overview({
  overview,
  preselect,
}: {
  overview: BillingOverview;
  preselect: BillingScreenProps['upgrade'];
}) {
  return (
    <>
      {overview.paymentProblem && (
        <div
          role="alert"
          data-testid="billing-payment-problem"
          className="rounded-lg border border-amber-500/30 bg-amber-500/10 px-4 py-3 text-sm text-amber-100"
        >
          <p className="font-medium">There is a problem with a payment</p>
          <p className="mt-0.5 text-amber-100/80">{overview.paymentProblem}</p>
          <div className="mt-2">
            <PortalButton label="Update payment method" testId="billing-fix-payment" />
          </div>
        </div>
      )}
      <div className="grid gap-5 lg:grid-cols-2">
        <CurrentPlan overview={overview} />
        <NextInvoice overview={overview} />
      </div>
      {overview.tier !== 'ENTERPRISE' && (
        <UpgradeCard
          current={overview.tier}
          hasPlan={overview.plan !== null && overview.plan.access !== 'ended'}
          preselect={preselect}
        />
      )}
      <Card title="Invoices" description="Every invoice Stripe sent this workspace, newest first.">
        <InvoicesTable invoices={overview.invoices} />
      </Card>
      {overview.stripeMode !== 'live' && (
        <p className="text-xs text-zinc-500" data-testid="billing-mode">
          {overview.stripeMode === 'emulator'
            ? 'Payments run against the built-in Stripe emulator: no real money moves. Pay with the test card 4242 4242 4242 4242.'
            : 'Stripe test mode: no real money moves. Pay with the test card 4242 4242 4242 4242.'}
        </p>
      )}
    </>
  );
}

function CurrentPlan({ overview }: { overview: BillingOverview }) {
  const { plan } = overview;
  const access = plan ? accessText(plan.access) : null;
  return (
    <Card
      title="Current plan"
      aside={<TierBadge tier={overview.tier} data-testid="billing-tier" data-tier={overview.tier} />}
    >
      {plan && access ? (
        <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-2 text-sm" data-testid="billing-plan">
          <dt className="text-zinc-400">Plan</dt>
          <dd className="text-zinc-100">
            {plan.tier === 'PRO' ? 'Pro' : 'Enterprise'}, billed{' '}
            {plan.interval === 'month' ? 'monthly' : 'yearly'}{' '}
            <span className="font-mono text-zinc-400">
              ({formatCents(plan.amountCents, plan.currency)} / {plan.interval})
            </span>
          </dd>
          <dt className="text-zinc-400">Status</dt>
          <dd>
            <Badge tone={access.tone} caps={false} data-testid="billing-access" data-access={plan.access}>
              {access.label}
            </Badge>
            <span className="ml-2 text-xs text-zinc-500">{access.detail}</span>
          </dd>
          {plan.trialEnd && (
            <>
              <dt className="text-zinc-400">Trial ends</dt>
              <dd className="text-zinc-100">{formatDay(plan.trialEnd)}</dd>
            </>
          )}
          <dt className="text-zinc-400">
            {plan.access === 'ended' ? 'Ended' : plan.cancelAtPeriodEnd ? 'Ends' : 'Renews'}
          </dt>
          <dd className="text-zinc-100">{formatDay(plan.currentPeriodEnd)}</dd>
        </dl>
      ) : (
        <p className="text-sm text-zinc-400" data-testid="billing-free">
          {overview.tier === 'FREE'
            ? 'The Free plan: no card needed. Upgrade below for higher limits.'
            : `Your ${overview.tier} plan is set by contract, not billed here.`}
        </p>
      )}
      {plan?.cancelAtPeriodEnd && plan.access !== 'ended' && (
        <p
          role="status"
          data-testid="billing-cancel-notice"
          className="mt-3 rounded-md border border-amber-500/30 bg-amber-500/10 px-3 py-2 text-xs text-amber-200"
        >
          Cancelled: the plan stays in effect until {formatDay(plan.currentPeriodEnd)}, then the workspace
          moves to Free. Renew it from Manage billing.
        </p>
      )}
      {plan && (
        <div className="mt-4">
          <PortalButton label="Manage billing" testId="billing-portal" />
        </div>
      )}
    </Card>
  );
}

function NextInvoice({ overview }: { overview: BillingOverview }) {
  const next = overview.nextInvoice;
  return (
    <Card title="Next invoice">
      {next ? (
        <p className="text-sm text-zinc-300" data-testid="billing-next-invoice">
          <span className="font-mono text-lg text-zinc-50">
            {formatCents(next.amountDueCents, next.currency)}
          </span>
          {next.date && <span className="ml-2 text-zinc-400">on {formatDay(next.date)}</span>}
        </p>
      ) : (
        <p className="text-sm text-zinc-400" data-testid="billing-no-next-invoice">
          Nothing due: there is no renewal scheduled.
        </p>
      )}
    </Card>
  );
}

/** Stripe's billing portal: change plan or interval (prorated), update the card, cancel at period end. */
function PortalButton({ label, testId }: { label: string; testId: string }) {
  const trpc = useTRPC();
  const portal = useMutation(
    trpc.billing.openPortal.mutationOptions({ onSuccess: ({ url }) => window.location.assign(url) }),
  );
  return (
    <div className="space-y-2">
      <Button
        variant="secondary"
        size="sm"
        data-testid={testId}
        disabled={portal.isPending || portal.isSuccess}
        onClick={() => portal.mutate()}
      >
        {portal.isPending || portal.isSuccess ? 'Opening Stripe…' : label}
      </Button>
      {portal.isError && (
        <StrategyProblemBox problem={describeBillingProblem(portal.error)} testId={`${testId}-error`} />
      )}
    </div>
  );
}
