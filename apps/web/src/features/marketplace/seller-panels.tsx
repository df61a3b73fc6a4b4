'use client';

import type { SellerDashboardView, SellerStatusView } from '@qt/shared';
import { useMutation } from '@tanstack/react-query';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import { useTRPC } from '@/engine/react';
import { describeBillingProblem } from '../billing/billing-errors';
import { formatDay } from '../billing/billing-view';
import { formatCents } from '../billing/money';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';

/** Payouts through Stripe Connect (Express): needed for paid listings, not for free ones. */
export function SellerStatusCard({ status }: { status: SellerStatusView }) {
  const trpc = useTRPC();
  const onboard = useMutation(
    trpc.marketplace.sellerOnboarding.mutationOptions({
      onSuccess: ({ url }) => window.location.assign(url),
    }),
  );
  const ready = status.onboarded && status.chargesEnabled;
  return (
    <Card
      title="Payouts"
      description={`Paid listings are charged through Stripe; the platform keeps ${status.feePercent}% of each invoice and the rest goes to your connected account.`}
      aside={
        <Badge tone={ready ? 'green' : 'amber'} caps={false} data-testid="seller-status" data-ready={ready}>
          {ready ? 'Ready to sell' : status.onboarded ? 'Setup incomplete' : 'Not set up'}
        </Badge>
      }
    >
      <dl className="grid grid-cols-2 gap-2 text-xs sm:grid-cols-3">
        <Flag term="Account" on={status.onboarded} />
        <Flag term="Charges" on={status.chargesEnabled} />
        <Flag term="Payouts" on={status.payoutsEnabled} />
      </dl>
      {!ready && (
        <div className="mt-3 space-y-2">
          <Button
            size="sm"
            data-testid="seller-onboard"
            disabled={onboard.isPending || onboard.isSuccess}
            onClick={() => onboard.mutate()}
          >
            {onboard.isPending || onboard.isSuccess
              ? 'Opening Stripe…'
              : status.onboarded
                ? 'Finish setting up payouts'
                : 'Set up payouts'}
          </Button>
          <p className="text-xs text-zinc-500">Free listings need no payout account.</p>
          {onboard.isError && (
            <StrategyProblemBox
              problem={describeBillingProblem(onboard.error)}
              testId="seller-onboard-error"
            />
          )}
        </div>
      )}
    </Card>
  );
}

function Flag({ term, on }: { term: string; on: boolean }) {
  return (
    <div className="flex items-center gap-1.5">
      <span aria-hidden="true" className={`size-2 rounded-full ${on ? 'bg-emerald-400' : 'bg-zinc-600'}`} />
      <dt className="text-zinc-400">{term}</dt>
      <dd className="sr-only">{on ? 'enabled' : 'not enabled'}</dd>
    </div>
  );
}

/** Revenue at a glance, per listing, and the connected account's recent money movements. */
export function SellerDashboard({ dashboard }: { dashboard: SellerDashboardView }) {
  const money = (c: number) => formatCents(c, dashboard.currency);
  const figures: [string, string, string][] = [
    ['subscribers', 'Subscribers', String(dashboard.subscribers)],
    ['mrr', 'MRR', money(dashboard.mrrCents)],
    ['gross', 'Gross', money(dashboard.grossCents)],
    ['fees', 'Platform fees', money(-dashboard.feesCents)],
    ['refunds', 'Refunds', money(-dashboard.refundsCents)],
    ['net', 'Net', money(dashboard.netCents)],
    ['balance', 'Balance', money(dashboard.balanceCents)],
  ];
  return (
    <Card
      title="Sales"
      description="MRR counts yearly prices as a twelfth per month. Net is after Stripe's and the platform's fees and refunds."
    >
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4 lg:grid-cols-7" data-testid="seller-figures">
        {figures.map(([key, label, value]) => (
          <div
            key={key}
            className="rounded-lg border border-zinc-800 bg-zinc-950/40 px-3 py-2"
            data-testid={`seller-${key}`}
          >
            <dt className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">{label}</dt>
            <dd className="mt-0.5 font-mono text-sm text-zinc-100 tabular-nums">{value}</dd>
          </div>
        ))}
      </dl>
      {dashboard.listings.length > 0 && (
        <div className="relative -mx-5 mt-4 overflow-x-auto">
          <table className="w-full min-w-[28rem] text-sm" data-testid="seller-listing-table">
            <thead className="text-left text-xs text-zinc-500">
              <tr>
                <th className="px-5 py-2 font-medium">Listing</th>
                <th className="px-2 py-2 text-right font-medium">Subscribers</th>
                <th className="px-5 py-2 text-right font-medium">MRR</th>
              </tr>
            </thead>
            <tbody>
              {dashboard.listings.map((l) => (
                <tr key={l.listing.id} className="border-t border-zinc-800">
                  <td className="px-5 py-2 text-zinc-200">{l.listing.title}</td>
                  <td className="px-2 py-2 text-right font-mono">{l.subscribers}</td>
                  <td className="px-5 py-2 text-right font-mono">{money(l.mrrCents)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3 className="mt-5 text-xs font-semibold tracking-wider text-zinc-400 uppercase">Transactions</h3>
      {dashboard.transactions.length === 0 ? (
        <p className="mt-2 text-sm text-zinc-400" data-testid="seller-no-transactions">
          No payments yet.
        </p>
      ) : (
        <div className="relative -mx-5 mt-2 overflow-x-auto">
          <table className="w-full min-w-[36rem] text-sm" data-testid="seller-transactions">
            <thead className="text-left text-xs text-zinc-500">
              <tr>
                <th className="px-5 py-2 font-medium">Date</th>
                <th className="px-2 py-2 font-medium">Type</th>
                <th className="px-2 py-2 font-medium">Description</th>
                <th className="px-2 py-2 text-right font-medium">Amount</th>
                <th className="px-2 py-2 text-right font-medium">Fee</th>
                <th className="px-5 py-2 text-right font-medium">Net</th>
              </tr>
            </thead>
            <tbody>
              {dashboard.transactions.map((t) => (
                <tr key={t.id} className="border-t border-zinc-800">
                  <td className="px-5 py-2 text-zinc-300">{formatDay(t.created)}</td>
                  <td className="px-2 py-2 text-xs text-zinc-400">{t.type}</td>
                  <td className="px-2 py-2 text-xs text-zinc-400">{t.description ?? '—'}</td>
                  <td className="px-2 py-2 text-right font-mono">{formatCents(t.amountCents, t.currency)}</td>
                  <td className="px-2 py-2 text-right font-mono text-zinc-400">
                    {formatCents(t.feeCents, t.currency)}
                  </td>
                  <td className="px-5 py-2 text-right font-mono">{formatCents(t.netCents, t.currency)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
