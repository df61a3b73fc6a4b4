import type { Metadata } from 'next';
import { StrategiesScreen } from '@/features/strategies/strategies-screen';
import { uuidParam } from '@/features/strategies/uuid-param';

export const metadata: Metadata = { title: 'Strategies' };

export default async function StrategiesPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  return <StrategiesScreen initialStrategyId={uuidParam((await searchParams).strategy)} />;
}
