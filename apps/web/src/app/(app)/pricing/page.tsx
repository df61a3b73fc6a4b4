import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '@/components/page-header';
import { PricingTable } from '@/features/usage/pricing-table';

export const metadata: Metadata = { title: 'Plans' };

const upgrades = [
  { tier: 'PRO', label: 'Upgrade to Pro' },
  { tier: 'ENTERPRISE', label: 'Upgrade to Enterprise' },
] as const;

export default function PricingPage() {
  return (
    <>
      <PageHeader
        title="Plans"
        description="Every limit of every plan. Calls over a rate limit get HTTP 429 with Retry-After; an Enterprise contract can set its own numbers."
      />
      <PricingTable />
      <div className="mt-4 flex flex-wrap items-center gap-3">
        {upgrades.map((u) => (
          <Link
            key={u.tier}
            href={`/billing?upgrade=${u.tier}`}
            data-testid={`pricing-upgrade-${u.tier.toLowerCase()}`}
            className="inline-flex h-10 items-center rounded-md bg-emerald-500 px-4 text-sm font-medium text-zinc-950 hover:bg-emerald-400 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-300"
          >
            {u.label}
          </Link>
        ))}
        <span className="text-xs text-zinc-500">
          Monthly or yearly (two months free), paid through Stripe.
        </span>
      </div>
    </>
  );
}
