import { billingInterval, paidTier } from '@qt/shared';
import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { BillingScreen } from '@/features/billing/billing-screen';

export const metadata: Metadata = { title: 'Billing' };

function first(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

export default async function BillingPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  const tier = paidTier.safeParse(first(query.upgrade));
  const interval = billingInterval.safeParse(first(query.interval));
  return (
    <>
      <PageHeader
        title="Billing"
        description="Your plan, invoices and payment method. Payments are handled by Stripe."
      />
      <BillingScreen
        returnedFromCheckout={Boolean(first(query.checkout))}
        upgrade={
          tier.success ? { tier: tier.data, interval: interval.success ? interval.data : 'month' } : null
        }
      />
    </>
  );
}
