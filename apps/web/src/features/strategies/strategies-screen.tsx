'use client';

import type { DeploymentView, StrategyView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { type ReactNode, useState } from 'react';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useTRPC } from '@/engine/react';
import { MarketState } from '../markets/market-state';
import { liveQuery } from '../trade/use-account-feed';
import { DeployForm } from './deploy-form';
import { DeploymentLogPanel } from './deployment-log-panel';
import { DeploymentPnlPanel } from './deployment-pnl-panel';
import { DeploymentsPanel } from './deployments-panel';
import { NewFromExampleForm, UploadStrategyForm } from './new-strategy-forms';
import { describeStrategyProblem } from './strategy-errors';
import { kib, StrategyList } from './strategy-list';
import { exampleOf } from './strategy-params';
import { useDeployments } from './use-deployments';

type NewDialog = 'example' | 'upload';

/**
 * The Strategies screen: the tenant's strategies (from an example or an uploaded .wasm), a deploy form
 * for the selected one, every deployment with live metrics and controls, and the selected one's log.
 * The selected strategy is kept in the URL (`?strategy=`), replaced like the Markets selection.
 */
export function StrategiesScreen({ initialStrategyId }: { initialStrategyId: string | null }) {
  const trpc = useTRPC();
  const strategies = useQuery(trpc.strategies.list.queryOptions(undefined, { staleTime: 15_000 }));
  const examples = useQuery(trpc.strategies.examples.queryOptions(undefined, { staleTime: 10 * 60_000 }));
  const accounts = useQuery(trpc.paperAccounts.list.queryOptions(undefined, liveQuery));
  const deployments = useDeployments();
  const [strategyId, setStrategyId] = useState(initialStrategyId);
  const [deploymentId, setDeploymentId] = useState<string | null>(null);
  const [dialog, setDialog] = useState<NewDialog | null>(null);

  const list = strategies.data ?? [];
  const strategy = list.find((s) => s.id === strategyId) ?? list[0] ?? null;
  const deploymentList = deployments.list.data ?? [];
  const deployment =
    deploymentList.find((d) => d.id === deploymentId) ??
    deploymentList.find((d) => d.strategyId === strategy?.id) ??
    null;

  function selectStrategy(id: string) {
    setStrategyId(id);
    window.history.replaceState(null, '', `?strategy=${id}`);
  }
  function created(s: StrategyView) {
    setDialog(null);
    selectStrategy(s.id);
  }

  let main: ReactNode;
  if (strategies.isPending) main = <MarketState title="Loading strategies…" />;
  else if (strategies.isError) {
    const problem = describeStrategyProblem(strategies.error);
    main = (
      <MarketState
        title="Strategies could not be loaded"
        tone="error"
        testId="strategies-problem"
        code={problem.code}
      >
        {problem.message}
      </MarketState>
    );
  } else if (!strategy)
    main = (
      <div data-testid="strategies-onboarding" className="mx-auto max-w-md py-10 text-center">
        <h2 className="text-base font-semibold text-zinc-50">Your first strategy</h2>
        <p className="mt-1 mb-5 text-sm leading-relaxed text-zinc-400">
          Start from one of the SDK's examples, or upload a WebAssembly module built with the AssemblyScript
          SDK (or Rust, or C). It runs sandboxed: no files, no network, only the documented host calls.
        </p>
        <div className="flex justify-center gap-2">
          <Button size="sm" onClick={() => setDialog('example')}>
            New from example
          </Button>
          <Button size="sm" variant="secondary" onClick={() => setDialog('upload')}>
            Upload .wasm
          </Button>
        </div>
      </div>
    );
  else
    main = (
      <StrategyDetail
        strategy={strategy}
        accountsLoading={accounts.isPending}
        deploy={
          <DeployForm
            key={strategy.id}
            strategy={strategy}
            // The example it was made from: its first version (versions come newest first).
            example={exampleOf(strategy.versions.at(-1)?.source, examples.data ?? [])}
            accounts={accounts.data ?? []}
            onDeployed={(d: DeploymentView) => setDeploymentId(d.id)}
          />
        }
      />
    );

  return (
    <div data-wide-page className="flex flex-col gap-3">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <h1 className="pb-1 text-lg font-semibold tracking-tight text-zinc-50">Strategies</h1>
        <div className="flex gap-2">
          <Button size="sm" onClick={() => setDialog('example')} data-testid="strategy-new-example">
            New from example
          </Button>
          <Button
            size="sm"
            variant="secondary"
            onClick={() => setDialog('upload')}
            data-testid="strategy-upload"
          >
            Upload .wasm
          </Button>
        </div>
      </div>
      <div className="grid grid-cols-1 gap-3 lg:grid-cols-[18rem_minmax(0,1fr)]">
        <div className="h-72 lg:h-auto lg:min-h-[28rem]">
          <StrategyList strategies={list} selectedId={strategy?.id ?? null} onSelect={selectStrategy} />
        </div>
        <section className="min-h-[28rem] rounded-xl border border-zinc-800 bg-zinc-900/60">{main}</section>
      </div>
      {/* Side by side only from 1536 px: below, the deployments table needs the full width for its controls. */}
      <div className="grid grid-cols-1 gap-3 2xl:grid-cols-[minmax(0,1fr)_26rem]">
        <div className="h-80">
          <DeploymentsPanel
            deployments={deploymentList}
            loading={deployments.list.isPending}
            live={deployments.liveStatus === 'pending'}
            strategies={list}
            examples={examples.data ?? []}
            accounts={accounts.data ?? []}
            selectedId={deployment?.id ?? null}
            onSelect={setDeploymentId}
          />
        </div>
        <div className="flex min-w-0 flex-col gap-3">
          <DeploymentPnlPanel deployment={deployment} />
          <div className="h-80">
            <DeploymentLogPanel deployment={deployment} />
          </div>
        </div>
      </div>
      <Dialog
        open={dialog === 'example'}
        onClose={() => setDialog(null)}
        title="New strategy from an example"
        description="A copy of one of the SDK's examples, built to WebAssembly, that you can deploy and backtest."
      >
        <NewFromExampleForm onCreated={created} />
      </Dialog>
      <Dialog
        open={dialog === 'upload'}
        onClose={() => setDialog(null)}
        title="Upload a WebAssembly strategy"
        description="The engine checks its imports, exports and memory against the sandbox's rules before storing it."
      >
        <UploadStrategyForm onCreated={created} suggestedName="" />
      </Dialog>
    </div>
  );
}

function StrategyDetail({
  strategy,
  deploy,
  accountsLoading,
}: {
  strategy: StrategyView;
  deploy: ReactNode;
  accountsLoading: boolean;
}) {
  // Versions come newest first.
  const latest = strategy.versions[0];
  return (
    <div data-testid="strategy-detail" data-strategy-id={strategy.id} className="flex h-full flex-col">
      <header className="flex flex-wrap items-start justify-between gap-3 border-b border-zinc-800 px-4 py-3">
        <div className="min-w-0">
          <h2 className="text-sm font-semibold text-zinc-50">{strategy.name}</h2>
          {strategy.description && <p className="mt-0.5 text-xs text-zinc-400">{strategy.description}</p>}
          {latest && (
            <p className="mt-1 font-mono text-[11px] text-zinc-500">
              latest v{latest.version} · {kib(latest.sizeBytes)} · memory ≤ {latest.memoryPages} pages ·
              callbacks: {latest.callbacks.join(', ') || 'on candle only'}
            </p>
          )}
        </div>
        <div className="flex flex-col items-end gap-1">
          <Link
            href={`/backtests?strategy=${strategy.id}`}
            className="text-xs font-medium text-emerald-400 hover:text-emerald-300"
            data-testid="strategy-backtest-link"
          >
            Backtest it →
          </Link>
          {latest?.hasSource && (
            <Link
              href={`/strategies/${strategy.id}/edit`}
              className="text-xs font-medium text-emerald-400 hover:text-emerald-300"
              data-testid="strategy-edit-link"
            >
              Edit source →
            </Link>
          )}
        </div>
      </header>
      <div className="p-4">
        <h3 className="mb-3 text-xs font-semibold tracking-wider text-zinc-400 uppercase">Deploy to paper</h3>
        {accountsLoading ? <p className="text-sm text-zinc-400">Loading paper accounts…</p> : deploy}
      </div>
    </div>
  );
}
