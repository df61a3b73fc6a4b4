import type { Metadata } from 'next';
import { TradeScreen } from '@/features/trade/trade-screen';
import { parseTradeSelection } from '@/features/trade/trade-selection';

export const metadata: Metadata = { title: 'Trade' };

export default async function TradePage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  return <TradeScreen initial={parseTradeSelection(await searchParams)} />;
}
