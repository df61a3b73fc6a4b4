'use client';

import type { BacktestView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useState } from 'react';
import { useTRPC } from '@/engine/react';
import { MarketState } from '../markets/market-state';
import { describeStrategyProblem } from '../strategies/strategy-errors';
import { BacktestForm } from './backtest-form';
import { BacktestList } from './backtest-list';
import { BacktestResult } from './backtest-result';

export interface BacktestsSelection {
  strategyId: string | null;
  backtestId: string | null;
}

/**
 * The Backtest screen: the run form and the list of past runs on the left, the selected run on the right
 * (progress while it runs, then metrics and charts). Both choices live in the URL query.
 */
export function BacktestsScreen({ initial }: { initial: BacktestsSelection }) {
  const trpc = useTRPC();
  const strategies = useQuery(trpc.strategies.list.queryOptions(undefined, { staleTime: 15_000 }));
  const examples = useQuery(trpc.strategies.examples.queryOptions(undefined, { staleTime: 10 * 60_000 }));
  const backtests = useQuery(trpc.backtests.list.queryOptions({}, { staleTime: 10_000 }));
  const [selection, setSelection] = useState(initial);
  const list = strategies.data ?? [];
  const strategyId = list.some((s) => s.id === selection.strategyId)
    ? selection.strategyId
    : (list[0]?.id ?? null);
  const backtestId = selection.backtestId ?? backtests.data?.[0]?.id ?? null;

  function change(next: Partial<BacktestsSelection>) {
    const merged = { ...selection, ...next };
    setSelection(merged);
    const q = new URLSearchParams();
    if (merged.strategyId) q.set('strategy', merged.strategyId);
    if (merged.backtestId) q.set('backtest', merged.backtestId);
    window.history.replaceState(null, '', `?${q.toString()}`);
  }

  let form: ReactNode;
  if (strategies.isPending) form = <p className="text-sm text-zinc-400">Loading strategies…</p>;
  else if (strategies.isError) {
    const problem = describeStrategyProblem(strategies.error);
    form = (
      <MarketState title="Strategies could not be loaded" tone="error" code={problem.code}>
        {problem.message}
      </MarketState>
    );
  } else if (!strategyId)
    form = (
      <p className="text-sm text-zinc-400" data-testid="backtest-no-strategy">
        There is nothing to backtest yet.{' '}
        <Link href="/strategies" className="font-medium text-emerald-400 hover:text-emerald-300">
          Create a strategy from an example or upload one
        </Link>
        .
      </p>
    );
  else
    form = (
      <BacktestForm
        strategies={list}
        examples={examples.data ?? []}
        strategyId={strategyId}
        onStrategy={(id) => change({ strategyId: id })}
        onStarted={(b: BacktestView) => change({ backtestId: b.id })}
      />
    );

  return (
    <div data-wide-page className="flex flex-col gap-3">
      <h1 className="pb-1 text-lg font-semibold tracking-tight text-zinc-50">Backtest</h1>
      <div className="grid grid-cols-1 gap-3 xl:grid-cols-[30rem_minmax(0,1fr)]">
        <div className="flex flex-col gap-3">
          <section className="rounded-xl border border-zinc-800 bg-zinc-900/60 p-4">{form}</section>
          <div className="h-80">
            <BacktestList
              backtests={backtests.data ?? []}
              loading={backtests.isPending}
              selectedId={backtestId}
              onSelect={(id) => change({ backtestId: id })}
            />
          </div>
        </div>
        <section className="min-h-[28rem] rounded-xl border border-zinc-800 bg-zinc-900/60 p-4">
          {backtestId ? (
            <BacktestResult key={backtestId} backtestId={backtestId} />
          ) : (
            <MarketState title="No backtest selected" testId="backtest-empty">
              Pick a strategy, a range of stored data and its parameters, then Run: progress shows here, then
              the equity curve and the trades on the chart.
            </MarketState>
          )}
        </section>
      </div>
    </div>
  );
}
