import type { Metadata } from 'next';
import { PageHeader } from '@/components/page-header';
import { MarketplaceScreen } from '@/features/marketplace/marketplace-screen';

export const metadata: Metadata = { title: 'Marketplace' };

export default function MarketplacePage() {
  return (
    <>
      <PageHeader title="Marketplace" description="Strategies from other traders, with verified backtests." />
      <MarketplaceScreen />
    </>
  );
}
