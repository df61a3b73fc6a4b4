'use client';

import type { DeploymentView, PaperAccountView, StrategyExampleView, StrategyView } from '@qt/shared';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Dialog } from '@/components/ui/dialog';
import { useTRPC } from '@/engine/react';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from '../trade/trade-panel';
import { deploymentActions, deploymentTones, instrumentsText, upsertDeployment } from './deployment-state';
import { RedeployForm } from './redeploy-form';
import { describeStrategyProblem } from './strategy-errors';
import { exampleOf, paramsText } from './strategy-params';
import { StrategyProblemBox } from './strategy-problem-box';

export interface DeploymentsPanelProps {
  deployments: readonly DeploymentView[];
  loading: boolean;
  live: boolean;
  strategies: readonly StrategyView[];
  examples: readonly StrategyExampleView[];
  accounts: readonly PaperAccountView[];
  selectedId: string | null;
  onSelect: (deploymentId: string) => void;
}

const micros = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${Math.round(v)} µs`);

/** Every deployment of the tenant with its state, live metrics and controls; a click opens its log. */
export function DeploymentsPanel(props: DeploymentsPanelProps) {
  const { deployments, loading, live, selectedId, onSelect } = props;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [redeploying, setRedeploying] = useState<DeploymentView | null>(null);
  const onSuccess = (d: DeploymentView) =>
    queryClient.setQueryData(trpc.strategies.deployments.queryKey({}), (list) =>
      upsertDeployment(list ?? [], d),
    );
  const pause = useMutation(trpc.strategies.pause.mutationOptions({ onSuccess }));
  const resume = useMutation(trpc.strategies.resume.mutationOptions({ onSuccess }));
  const stop = useMutation(trpc.strategies.stop.mutationOptions({ onSuccess }));
  const failed = [pause, resume, stop].find((m) => m.isError);
  const busy = pause.isPending || resume.isPending || stop.isPending;
  const accountName = (id: string) => props.accounts.find((a) => a.id === id)?.name ?? id.slice(0, 8);
  const redeployStrategy = props.strategies.find((s) => s.id === redeploying?.strategyId);

  return (
    <TradePanel
      title="Deployments"
      testId="deployments"
      aside={
        <span className="text-[11px] text-zinc-500" data-testid="deployments-live" data-live={live}>
          {live ? 'Metrics live' : 'Connecting…'}
        </span>
      }
    >
      {failed?.error && (
        <div className="p-2">
          <StrategyProblemBox problem={describeStrategyProblem(failed.error)} testId="deployment-error" />
        </div>
      )}
      {loading ? (
        <EmptyRows>Loading deployments…</EmptyRows>
      ) : deployments.length === 0 ? (
        <EmptyRows>
          Nothing deployed yet. Pick a strategy, choose an account and instruments, and deploy.
        </EmptyRows>
      ) : (
        <DataTable head={['Strategy', 'State', 'Account', 'Calls', 'Orders / fills', 'Traps', '']}>
          {deployments.map((d) => {
            const can = deploymentActions(d.state);
            const selected = d.id === selectedId;
            return (
              <tr
                key={d.id}
                data-testid="deployment-row"
                data-deployment-id={d.id}
                data-strategy-id={d.strategyId}
                data-state={d.state}
                data-calls={d.metrics.calls}
                data-fills={d.metrics.fills}
                aria-selected={selected}
                onClick={() => onSelect(d.id)}
                className={`cursor-pointer align-top ${selected ? 'bg-zinc-800/70' : 'hover:bg-zinc-800/40'}`}
              >
                <td className={firstCell}>
                  <span className="font-sans font-medium">{d.strategyName}</span>
                  <span className="ml-1 text-zinc-500">v{d.version}</span>
                  <div className="text-[10px] text-zinc-500">
                    {instrumentsText(d.instruments)} · {d.interval}
                  </div>
                  <div className="max-w-48 truncate text-[10px] text-zinc-500" title="Parameters">
                    {paramsText(d.params)}
                  </div>
                </td>
                <td className={cell}>
                  <Badge
                    tone={deploymentTones[d.state]}
                    data-testid="deployment-state"
                    title={d.reason ?? undefined}
                  >
                    {d.state}
                  </Badge>
                  {d.reason && (
                    <div
                      className="ml-auto max-w-48 truncate font-sans text-[10px] text-zinc-400"
                      title={d.reason}
                      data-testid="deployment-reason"
                    >
                      {d.reason}
                    </div>
                  )}
                </td>
                <td className={cell}>
                  <Link
                    href={`/trade?account=${d.accountId}${tradeMarket(d)}`}
                    className="font-sans text-emerald-400 hover:text-emerald-300"
                    title="Trades, positions and PnL of this account"
                    data-testid="deployment-account-link"
                    onClick={(e) => e.stopPropagation()}
                  >
                    {accountName(d.accountId)} ↗
                  </Link>
                </td>
                <td className={cell} title="Callbacks run, average and slowest time per call">
                  <span data-testid="deployment-calls">{d.metrics.calls}</span>
                  <div className="text-[10px] text-zinc-500">
                    {micros(d.metrics.avgCallMicros)} · max {micros(d.metrics.maxCallMicros)}
                  </div>
                </td>
                <td className={cell} title={`${d.metrics.rejected} orders rejected`}>
                  {d.metrics.orders} / {d.metrics.fills}
                  {d.metrics.rejected > 0 && (
                    <div className="text-[10px] text-rose-300">{d.metrics.rejected} rejected</div>
                  )}
                </td>
                <td className={`${cell} ${d.metrics.traps ? 'text-rose-300' : ''}`}>{d.metrics.traps}</td>
                <td className={cell} onClick={(e) => e.stopPropagation()} onKeyDown={() => {}}>
                  {/* Wraps to a second line rather than pushing Stop/Redeploy out of the panel at 1440 px. */}
                  <div className="flex min-w-[7.5rem] flex-wrap justify-end gap-1">
                    {can.pause && (
                      <Button
                        size="sm"
                        variant="ghost"
                        disabled={busy}
                        data-testid="deployment-pause"
                        onClick={() => pause.mutate({ deploymentId: d.id })}
                      >
                        Pause
                      </Button>
                    )}
                    {can.resume && (
                      <Button
                        size="sm"
                        variant="ghost"
                        disabled={busy}
                        data-testid="deployment-resume"
                        onClick={() => resume.mutate({ deploymentId: d.id })}
                      >
                        Resume
                      </Button>
                    )}
                    {can.stop && (
                      <Button
                        size="sm"
                        variant="danger"
                        disabled={busy}
                        data-testid="deployment-stop"
                        onClick={() => stop.mutate({ deploymentId: d.id })}
                      >
                        Stop
                      </Button>
                    )}
                    {props.strategies.some((s) => s.id === d.strategyId) ? (
                      <Button
                        size="sm"
                        variant="secondary"
                        data-testid="deployment-redeploy"
                        onClick={() => setRedeploying(d)}
                      >
                        Redeploy
                      </Button>
                    ) : (
                      // A marketplace listing's deployment (its strategyId is the listing's id): it runs the
                      // listing's pinned version and is deployed again from the listing.
                      <Link
                        href={`/marketplace/${d.strategyId}`}
                        className="text-sm text-sky-400 hover:underline"
                        data-testid="deployment-listing-link"
                      >
                        Listing
                      </Link>
                    )}
                  </div>
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      <Dialog
        open={!!redeploying}
        onClose={() => setRedeploying(null)}
        title={`Redeploy ${redeploying?.strategyName ?? ''}`}
        description="Restarts it on the same account and instruments with the version and parameters chosen here."
      >
        {redeploying && redeployStrategy && (
          <RedeployForm
            deployment={redeploying}
            strategy={redeployStrategy}
            example={exampleOf(redeployStrategy.versions.at(-1)?.source, props.examples)}
            onDone={(d) => {
              onSuccess(d);
              setRedeploying(null);
              onSelect(d.id);
            }}
          />
        )}
      </Dialog>
    </TradePanel>
  );
}

/** The Trade screen opens on the deployment's first instrument. */
function tradeMarket(d: DeploymentView): string {
  const first = d.instruments[0];
  return first ? `&venue=${first.venue}&symbol=${first.symbol}` : '';
}
