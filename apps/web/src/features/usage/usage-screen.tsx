'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { TierBadge } from '@/components/tier-badge';
import { Card } from '@/components/ui/card';
import { describeEngineError, engineErrorCode } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { UsageHistoryChart } from './usage-chart';
import { fmt, limitBanner, todayMeters } from './usage-view';

/** Today's usage and the last 30 days against the plan's limits, with a banner near or at a limit. */
export function UsageScreen() {
  const trpc = useTRPC();
  // Refreshed every 15 s: the page must not itself eat a visible share of a FREE budget.
  const today = useQuery({ ...trpc.usage.today.queryOptions(), refetchInterval: 15_000 });
  const history = useQuery({ ...trpc.usage.history.queryOptions({ days: 30 }), refetchInterval: 60_000 });

  if (today.isError) {
    const problem = describeEngineError(today.error);
    return (
      <div
        role="alert"
        data-testid={engineErrorCode(today.error) === 'RATE_LIMITED' ? 'usage-limit-banner' : 'usage-error'}
        className="rounded-lg border border-amber-500/30 bg-amber-500/10 px-4 py-3 text-sm text-amber-200"
      >
        {problem.message}{' '}
        <Link href="/pricing" className="underline">
          See plans
        </Link>
      </div>
    );
  }
  if (today.isPending) return <Card title="Today">Loading…</Card>;

  const u = today.data;
  const banner = limitBanner(u);
  return (
    <div className="space-y-6">
      {banner && (
        <div
          role="alert"
          data-testid="usage-limit-banner"
          className="rounded-lg border border-amber-500/30 bg-amber-500/10 px-4 py-3 text-sm text-amber-200"
        >
          {banner}{' '}
          <Link href="/pricing" className="font-medium underline">
            See plans
          </Link>
        </div>
      )}
      <Card
        title="Today (UTC)"
        description="Counted by the engine as calls arrive; stored every few seconds."
        aside={<TierBadge tier={u.tier} data-testid="usage-tier" />}
      >
        <dl className="grid grid-cols-2 gap-4 sm:grid-cols-4">
          {todayMeters(u).map((m) => (
            <div key={m.label} data-testid={m.testId}>
              <dt className="text-xs text-zinc-400">{m.label}</dt>
              <dd className="mt-1 font-mono text-lg text-zinc-100">
                <span data-testid={`${m.testId}-used`}>{fmt(m.used)}</span>
                {m.limit !== null && <span className="text-sm text-zinc-500"> / {fmt(m.limit)}</span>}
              </dd>
              {m.limit !== null && m.limit > 0 && (
                <div className="mt-1 h-1 rounded bg-zinc-800">
                  <div
                    className="h-1 rounded bg-emerald-400"
                    style={{ width: `${Math.min(100, (m.used / m.limit) * 100)}%` }}
                  />
                </div>
              )}
            </div>
          ))}
        </dl>
      </Card>
      <Card
        title="Rate limits of your plan"
        description="Every answer also carries them in the RateLimit headers."
      >
        <ul className="grid gap-1 text-sm text-zinc-300 sm:grid-cols-2">
          <li>
            Per API key: {fmt(u.limits.perKey.limit)} per {u.limits.perKey.windowSeconds} s, burst{' '}
            {fmt(u.limits.perKey.burst)}
          </li>
          <li>
            Per workspace: {fmt(u.limits.perTenant.limit)} per {u.limits.perTenant.windowSeconds} s
          </li>
          <li>
            Orders: {fmt(u.limits.orders.limit)} per {u.limits.orders.windowSeconds} s
          </li>
          <li>Live subscriptions: {fmt(u.limits.wsSubscriptions)}</li>
        </ul>
      </Card>
      <Card title="Last 30 days">
        <div className="h-64" data-testid="usage-history-chart">
          {history.data ? <UsageHistoryChart days={history.data.days} /> : 'Loading…'}
        </div>
      </Card>
    </div>
  );
}
