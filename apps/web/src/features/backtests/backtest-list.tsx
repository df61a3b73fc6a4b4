'use client';

import type { BacktestView } from '@qt/shared';
import { Badge, type BadgeTone } from '@/components/ui/badge';
import { formatCandleTime } from '../markets/chart-theme';
import { cell, DataTable, EmptyRows, firstCell, TradePanel } from '../trade/trade-panel';
import { backtestStatusLabel } from './backtest-status';

export const backtestTones: Record<BacktestView['status'], BadgeTone> = {
  queued: 'blue',
  running: 'blue',
  completed: 'green',
  failed: 'red',
  cancelled: 'neutral',
};

const percent = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${v > 0 ? '+' : ''}${(v * 100).toFixed(2)}%`;

/** Past backtests, newest first; a click shows one. */
export function BacktestList({
  backtests,
  loading,
  selectedId,
  onSelect,
}: {
  backtests: readonly BacktestView[];
  loading: boolean;
  selectedId: string | null;
  onSelect: (backtestId: string) => void;
}) {
  return (
    <TradePanel title="Past backtests" testId="backtest-list">
      {loading ? (
        <EmptyRows>Loading backtests…</EmptyRows>
      ) : backtests.length === 0 ? (
        <EmptyRows>No backtests yet.</EmptyRows>
      ) : (
        <DataTable head={['Strategy', 'Range', 'Status', 'Return']}>
          {backtests.map((b) => (
            <tr
              key={b.id}
              data-testid="backtest-row"
              data-backtest-id={b.id}
              data-status={b.status}
              aria-selected={b.id === selectedId}
              onClick={() => onSelect(b.id)}
              className={`cursor-pointer ${b.id === selectedId ? 'bg-zinc-800/70' : 'hover:bg-zinc-800/40'}`}
            >
              <td className={firstCell}>
                <span className="font-sans">{b.strategyName}</span>
                <span className="ml-1 text-zinc-500">v{b.version}</span>
                <div className="text-[10px] text-zinc-500">
                  {b.instruments.map((i) => i.symbol).join(', ')} · {b.interval}
                </div>
              </td>
              <td className={`${cell} text-zinc-400`}>
                {formatCandleTime(b.from, '1m', true)}
                <div className="text-[10px] text-zinc-500">→ {formatCandleTime(b.to, '1m', true)}</div>
              </td>
              <td className={cell}>
                <Badge tone={backtestTones[b.status]}>{backtestStatusLabel(b)}</Badge>
              </td>
              <td
                className={`${cell} ${(b.metrics?.totalReturn ?? 0) > 0 ? 'text-emerald-300' : (b.metrics?.totalReturn ?? 0) < 0 ? 'text-rose-300' : ''}`}
              >
                {percent(b.metrics?.totalReturn)}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </TradePanel>
  );
}
