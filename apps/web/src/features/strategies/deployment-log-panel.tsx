'use client';

import type { DeploymentView, StrategyLogLineView } from '@qt/shared';
import { useEffect, useRef } from 'react';
import { clockTime } from '../trade/fills-panel';
import { EmptyRows, TradePanel } from '../trade/trade-panel';
import { useDeploymentLog } from './use-deployment-log';

const levelColours: Record<StrategyLogLineView['level'], string> = {
  debug: 'text-zinc-500',
  info: 'text-sky-300',
  warn: 'text-amber-300',
  error: 'text-rose-300',
};

/** The selected deployment's log, newest at the bottom, following new lines while scrolled to the end. */
export function DeploymentLogPanel({ deployment }: { deployment: DeploymentView | null }) {
  return (
    <TradePanel
      title={deployment ? `Log · ${deployment.strategyName} v${deployment.version}` : 'Log'}
      testId="deployment-log"
    >
      {deployment ? (
        <LogLines
          key={deployment.id}
          deploymentId={deployment.id}
          dropped={deployment.metrics.droppedLogLines}
        />
      ) : (
        <EmptyRows>Select a deployment to see what its strategy logs.</EmptyRows>
      )}
    </TradePanel>
  );
}

function LogLines({ deploymentId, dropped }: { deploymentId: string; dropped: number }) {
  const { lines, history, liveStatus } = useDeploymentLog(deploymentId);
  const box = useRef<HTMLDivElement>(null);
  const following = useRef(true);

  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll after each batch of new lines.
  useEffect(() => {
    const el = box.current;
    if (el && following.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  if (history.isPending && lines.length === 0) return <EmptyRows>Loading log…</EmptyRows>;
  return (
    <div
      ref={box}
      className="h-full overflow-auto px-3 py-2 font-mono text-[11px] leading-5"
      data-live={liveStatus === 'pending'}
      onScroll={(e) => {
        const el = e.currentTarget;
        following.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
      }}
    >
      {dropped > 0 && (
        <p className="text-amber-300/80">
          {dropped} lines were dropped: the strategy logged faster than its log budget allows.
        </p>
      )}
      {lines.length === 0 ? (
        <p className="text-zinc-500">Nothing logged yet.</p>
      ) : (
        lines.map((l) => (
          <div key={l.key} data-testid="log-line" className="flex gap-2 whitespace-pre-wrap">
            <span className="shrink-0 text-zinc-600">{clockTime(l.time)}</span>
            <span className={`w-10 shrink-0 uppercase ${levelColours[l.level]}`}>{l.level}</span>
            <span className="min-w-0 break-words text-zinc-200">{l.message}</span>
          </div>
        ))
      )}
    </div>
  );
}
