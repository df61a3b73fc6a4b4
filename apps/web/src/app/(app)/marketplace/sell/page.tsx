import type { Metadata } from 'next';
import Link from 'next/link';
import { PageHeader } from '@/components/page-header';
import { SellScreen } from '@/features/marketplace/sell-screen';

export const metadata: Metadata = { title: 'Sell strategies' };

export default function SellPage() {
  return (
    <>
      <Link href="/marketplace" className="mb-2 inline-block text-xs text-zinc-400 hover:text-zinc-200">
        ← Marketplace
      </Link>
      <PageHeader
        title="Sell strategies"
        description="Publish sealed strategies with platform-verified numbers."
      />
      <SellScreen />
    </>
  );
}
