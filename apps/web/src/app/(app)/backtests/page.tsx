import type { Metadata } from 'next';
import { BacktestsScreen } from '@/features/backtests/backtests-screen';
import { uuidParam } from '@/features/strategies/uuid-param';

export const metadata: Metadata = { title: 'Backtest' };

export default async function BacktestsPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const query = await searchParams;
  return (
    <BacktestsScreen
      initial={{ strategyId: uuidParam(query.strategy), backtestId: uuidParam(query.backtest) }}
    />
  );
}
