'use client';

import type { DeploymentView } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/engine/react';
import { formatDecimal } from '../markets/decimal-text';
import { curvePath, signOf } from './deployment-pnl-model';

const tone = (v: string | null) =>
  signOf(v) > 0 ? 'text-emerald-400' : signOf(v) < 0 ? 'text-rose-400' : 'text-zinc-300';
const money = (v: string | null) => (v === null ? '—' : formatDecimal(v, 2));

/**
 * The selected deployment's own result: only the orders it placed (tagged `st.…`), so manual trades on the
 * same paper account never blur it. Polled while it runs (marks move with every print).
 */
export function DeploymentPnlPanel({ deployment }: { deployment: DeploymentView | null }) {
  const trpc = useTRPC();
  const running = deployment?.state === 'running' || deployment?.state === 'paused';
  const pnl = useQuery(
    trpc.strategies.deploymentPnl.queryOptions(
      { deploymentId: deployment?.id ?? '00000000-0000-0000-0000-000000000000' },
      { enabled: deployment !== null, refetchInterval: running ? 5_000 : false, staleTime: 2_000 },
    ),
  );
  if (!deployment) return null;
  const d = pnl.data;
  const path = d ? curvePath(d.curve, 160, 36) : null;
  return (
    <section
      className="rounded-xl border border-zinc-800 bg-zinc-900/60 px-3 py-2"
      data-testid="deployment-pnl"
      data-net={d?.netPnl ?? ''}
      data-realized={d?.realizedPnl ?? ''}
      data-fills={d?.fills ?? ''}
    >
      <div className="flex flex-wrap items-center justify-between gap-x-4 gap-y-1">
        <h3 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">
          {deployment.strategyName} v{deployment.version}: its own PnL
        </h3>
        {pnl.isError && <span className="text-xs text-rose-300">PnL unavailable: {pnl.error.message}</span>}
      </div>
      {d && (
        <div className="mt-1 flex flex-wrap items-end gap-x-5 gap-y-2 font-mono text-xs">
          <Figure
            label="Net"
            value={money(d.netPnl)}
            className={tone(d.netPnl)}
            title="Realized + unrealized, after fees"
          />
          <Figure
            label="Realized"
            value={money(d.realizedPnl)}
            className={tone(d.realizedPnl)}
            title="After fees"
          />
          <Figure
            label="Unrealized"
            value={
              d.unrealizedPnl === null && d.positions.some((p) => signOf(p.quantity) !== 0)
                ? 'no mark'
                : money(d.unrealizedPnl)
            }
            className={tone(d.unrealizedPnl)}
          />
          <Figure label="Fees" value={money(d.fees)} className="text-zinc-300" />
          <Figure
            label="Position"
            value={
              d.positions
                .filter((p) => signOf(p.quantity) !== 0)
                .map(
                  (p) =>
                    `${p.quantity} ${p.symbol.split('-')[0]}${p.averageEntryPrice ? ` @ ${formatDecimal(p.averageEntryPrice, 2)}` : ''}`,
                )
                .join(', ') || 'flat'
            }
            className="text-zinc-200"
          />
          <Figure label="Fills" value={`${d.fills}${d.truncated ? '+' : ''}`} className="text-zinc-300" />
          {path && (
            <svg
              width="160"
              height="36"
              className="shrink-0"
              role="img"
              aria-label="Realized PnL after each fill"
            >
              <line
                x1="0"
                x2="160"
                y1={path.zeroY}
                y2={path.zeroY}
                className="stroke-zinc-700"
                strokeDasharray="2 2"
              />
              <polyline
                points={path.points}
                fill="none"
                className={signOf(d.realizedPnl) < 0 ? 'stroke-rose-400' : 'stroke-emerald-400'}
                strokeWidth="1.5"
              />
            </svg>
          )}
        </div>
      )}
    </section>
  );
}

function Figure({
  label,
  value,
  className,
  title,
}: {
  label: string;
  value: string;
  className: string;
  title?: string;
}) {
  return (
    <span className="flex flex-col" title={title}>
      <span className="font-sans text-[10px] tracking-wider text-zinc-500 uppercase">{label}</span>
      <span className={className}>{value}</span>
    </span>
  );
}
