'use client';

import type { BillingInterval, PaidTier, PlanPriceView, Tier } from '@qt/shared';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { useTRPC } from '@/engine/react';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { describeBillingProblem } from './billing-errors';
import { rememberCheckout } from './billing-view';
import { formatCents } from './money';

const TIER_RANK: Record<Tier, number> = { FREE: 0, PRO: 1, ENTERPRISE: 2 };
const PAID: readonly PaidTier[] = ['PRO', 'ENTERPRISE'];
const blurbs: Record<PaidTier, string> = {
  PRO: 'Higher rate limits, more paper accounts, strategies and alerts.',
  ENTERPRISE: 'The highest limits of every kind, for desks and teams.',
};

/**
 * Upgrade through Stripe Checkout. The browser sends only the tier and interval: the price is the
 * server's (looked up by key), so nothing here can change what is charged. A tenant already on a paid
 * plan changes it in the portal instead (prorated); Checkout would open a second subscription.
 */
export function UpgradeCard({
  current,
  hasPlan,
  preselect,
}: {
  current: Tier;
  hasPlan: boolean;
  preselect: { tier: PaidTier; interval: BillingInterval } | null;
}) {
  const trpc = useTRPC();
  const plans = useQuery(trpc.billing.plans.queryOptions(undefined, { staleTime: 10 * 60_000 }));
  const [interval, setChosenInterval] = useState<BillingInterval>(preselect?.interval ?? 'month');
  const [chosen, setChosen] = useState<PaidTier | null>(null);
  const checkout = useMutation(
    trpc.billing.startCheckout.mutationOptions({
      onSuccess: ({ url }, input) => {
        rememberCheckout(window.sessionStorage, { target: input.tier, from: current });
        window.location.assign(url);
      },
    }),
  );
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    // Arriving from the Plans page: bring the card (and the preselected plan's button) into view.
    if (preselect) ref.current?.querySelector<HTMLButtonElement>(`[data-tier="${preselect.tier}"]`)?.focus();
  }, [preselect]);

  const priceOf = (tier: PaidTier): PlanPriceView | undefined =>
    plans.data?.find((p) => p.tier === tier && p.interval === interval);
  const offered = PAID.filter((t) => TIER_RANK[t] > TIER_RANK[current]);

  return (
    <section ref={ref} aria-labelledby="upgrade-title" data-testid="billing-upgrade">
      <Card
        title={<span id="upgrade-title">Upgrade</span>}
        description={
          hasPlan
            ? 'You have a paid plan: switch plan or interval under Manage billing (the difference is prorated).'
            : 'Pay with a card through Stripe Checkout. Cancel any time; the plan runs to the end of the paid period.'
        }
        aside={<IntervalToggle value={interval} onChange={setChosenInterval} />}
      >
        {plans.isError && (
          <StrategyProblemBox problem={describeBillingProblem(plans.error)} testId="billing-plans-error" />
        )}
        <ul className="grid gap-3 sm:grid-cols-2">
          {offered.map((tier) => {
            const price = priceOf(tier);
            const busy = checkout.isPending || (checkout.isSuccess && chosen === tier);
            return (
              <li
                key={tier}
                className={`rounded-lg border p-4 ${preselect?.tier === tier ? 'border-emerald-500/50' : 'border-zinc-800'}`}
                data-testid={`upgrade-${tier.toLowerCase()}`}
              >
                <p className="text-sm font-semibold text-zinc-50">{tier === 'PRO' ? 'Pro' : 'Enterprise'}</p>
                <p
                  className="mt-1 font-mono text-xl text-zinc-50"
                  data-testid={`upgrade-${tier.toLowerCase()}-price`}
                >
                  {price ? formatCents(price.amountCents, price.currency) : plans.isPending ? '…' : '—'}
                  <span className="ml-1 text-xs text-zinc-400">/ {interval}</span>
                </p>
                {interval === 'year' && <p className="text-xs text-emerald-300">Two months free</p>}
                <p className="mt-2 text-xs text-zinc-400">{blurbs[tier]}</p>
                <Button
                  className="mt-3 w-full"
                  size="sm"
                  data-tier={tier}
                  data-testid={`upgrade-${tier.toLowerCase()}-button`}
                  disabled={hasPlan || busy || !price}
                  onClick={() => {
                    setChosen(tier);
                    checkout.mutate({ tier, interval });
                  }}
                >
                  {busy && chosen === tier
                    ? 'Opening Checkout…'
                    : `Upgrade to ${tier === 'PRO' ? 'Pro' : 'Enterprise'}`}
                </Button>
              </li>
            );
          })}
        </ul>
        {checkout.isError && (
          <div className="mt-3">
            <StrategyProblemBox
              problem={describeBillingProblem(checkout.error)}
              testId="billing-checkout-error"
            />
          </div>
        )}
      </Card>
    </section>
  );
}

/** Monthly / yearly as a pair of pressed-state buttons (a radio group in behaviour, Tab and Space work). */
function IntervalToggle({
  value,
  onChange,
}: {
  value: BillingInterval;
  onChange: (v: BillingInterval) => void;
}) {
  return (
    <fieldset className="flex rounded-md border border-zinc-700 p-0.5" data-testid="billing-interval">
      <legend className="sr-only">Billing interval</legend>
      {(['month', 'year'] as const).map((i) => (
        <button
          key={i}
          type="button"
          aria-pressed={value === i}
          data-testid={`billing-interval-${i}`}
          onClick={() => onChange(i)}
          className={`rounded px-2.5 py-1 text-xs font-medium focus-visible:outline-2 focus-visible:outline-emerald-300 ${
            value === i ? 'bg-zinc-700 text-zinc-50' : 'text-zinc-400 hover:text-zinc-200'
          }`}
        >
          {i === 'month' ? 'Monthly' : 'Yearly'}
        </button>
      ))}
    </fieldset>
  );
}
