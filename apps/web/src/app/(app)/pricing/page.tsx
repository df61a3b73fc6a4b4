import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { PricingTable } from '@/features/usage/pricing-table';

export const metadata: Metadata = { title: 'Plans' };

export default function PricingPage() {
  return (
    <>
      <PageHeader
        title="Plans"
        description="Every limit of every plan. Calls over a rate limit get HTTP 429 with Retry-After; an Enterprise contract can set its own numbers."
      />
      <PricingTable />
    </>
  );
}
