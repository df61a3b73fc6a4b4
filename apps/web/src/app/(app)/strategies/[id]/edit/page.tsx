import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { StrategyEditorScreen } from '@/features/strategies/editor/strategy-editor-screen';
import { uuidParam } from '@/features/strategies/uuid-param';

export const metadata: Metadata = { title: 'Edit strategy' };

export default async function EditStrategyPage({
  params,
  searchParams,
}: {
  params: Promise<{ id: string }>;
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const strategyId = uuidParam((await params).id);
  if (!strategyId) notFound();
  const raw = (await searchParams).version;
  const version = typeof raw === 'string' && /^[1-9][0-9]{0,8}$/.test(raw) ? Number(raw) : null;
  return <StrategyEditorScreen strategyId={strategyId} version={version} />;
}
