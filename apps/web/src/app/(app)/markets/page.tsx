import type { Metadata } from 'next';
import { parseSelection } from '@/features/markets/market-selection';
import { MarketsScreen } from '@/features/markets/markets-screen';

export const metadata: Metadata = { title: 'Markets' };

export default async function MarketsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  return <MarketsScreen initial={parseSelection(await searchParams)} />;
}
