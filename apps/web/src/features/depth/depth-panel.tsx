'use client';

import dynamic from 'next/dynamic';
import { type ReactNode, useMemo } from 'react';
import { describeMarketProblem } from '../markets/market-errors';
import { MarketProblemState, MarketState } from '../markets/market-state';
import { depthCurves } from './depth-chart-model';
import { DepthLadder } from './depth-ladder';
import { depthStateText } from './depth-state';
import { emitPricePick } from './price-pick-event';
import { useDepth } from './use-depth';

// ECharts needs a canvas: browser only, in its own chunk (shared with the candle chart's ECharts core).
const DepthChart = dynamic(() => import('./depth-chart'), {
  ssr: false,
  loading: () => <MarketState title="Loading depth chart…" />,
});

export interface DepthPanelProps {
  venue: string;
  symbol: string;
  priceDecimals: number;
  sizeDecimals: number | null;
  /** Ladder rows per side. */
  rows?: number;
  /** Clicking a ladder price announces it (the order ticket on the Trade screen takes it as its price). */
  pickable?: boolean;
}

const statusBadge = {
  live: { text: 'In sync', dot: 'bg-emerald-400' },
  syncing: { text: 'Resyncing', dot: 'bg-amber-400' },
  stale: { text: 'Stale', dot: 'bg-rose-400' },
  reconnecting: { text: 'Reconnecting', dot: 'bg-amber-400' },
  loading: { text: 'Connecting', dot: 'bg-zinc-500' },
  none: { text: 'No book', dot: 'bg-zinc-500' },
  off: { text: 'Off', dot: 'bg-zinc-500' },
} as const;

/**
 * The order book card: the ladder and the depth chart side by side, stacked on a narrow screen. Mount it
 * keyed by venue and symbol. Numbers are shown only while the book is in sync and its pushes flow; any
 * other state replaces them with what is going on (a book known wrong is never shown as live).
 */
export function DepthPanel({
  venue,
  symbol,
  priceDecimals,
  sizeDecimals,
  rows = 10,
  pickable,
}: DepthPanelProps) {
  const { depth, kind, updates, error } = useDepth(venue, symbol);
  const curves = useMemo(() => depthCurves(depth?.bids ?? [], depth?.asks ?? []), [depth]);
  const badge = statusBadge[kind];
  const live = kind === 'live' && depth !== null;

  let ladder: ReactNode;
  let chart: ReactNode;
  if (live) {
    ladder = (
      <DepthLadder
        depth={depth}
        rows={rows}
        priceDecimals={priceDecimals}
        sizeDecimals={sizeDecimals}
        onPick={pickable ? (price) => emitPricePick({ venue, symbol, price }) : undefined}
      />
    );
    chart = <DepthChart curves={curves} priceDecimals={priceDecimals} />;
  } else if (error && kind !== 'off' && !depth) {
    ladder = <MarketProblemState problem={describeMarketProblem(error, symbol, venue)} brief />;
  } else {
    const text = depthStateText[kind === 'live' ? 'none' : kind];
    ladder = (
      <MarketState title={text.title} testId="depth-state" tone={kind === 'stale' ? 'error' : 'muted'}>
        {text.detail || null}
      </MarketState>
    );
  }

  return (
    <section
      className="flex min-w-0 flex-col rounded-xl border border-zinc-800 bg-zinc-900/60"
      data-testid="depth-panel"
      data-state={kind}
      data-updates={updates}
      data-resyncs={depth?.resyncs ?? 0}
    >
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-800 px-3 py-2">
        <h2 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">Order book</h2>
        <span className="flex items-center gap-3 text-[11px] text-zinc-500">
          <span className="font-mono">
            {symbol} · {venue}
          </span>
          {depth && depth.resyncs > 0 && (
            <span title="Times the book was rebuilt from a fresh snapshot since the engine started">
              {depth.resyncs} resync{depth.resyncs === 1 ? '' : 's'}
            </span>
          )}
          <span className="flex items-center gap-1.5" data-testid="depth-status">
            <span aria-hidden="true" className={`size-1.5 rounded-full ${badge.dot}`} />
            {badge.text}
          </span>
        </span>
      </header>
      <div className="grid min-w-0 grid-cols-1 md:grid-cols-[minmax(0,22rem)_minmax(0,1fr)]">
        <div className="min-h-[14rem] min-w-0 py-1">{ladder}</div>
        {chart && (
          <div
            className="h-64 min-w-0 border-t border-zinc-800 md:h-auto md:min-h-[16rem] md:border-t-0 md:border-l"
            data-testid="depth-chart"
            data-bids={curves.bids.length}
            data-asks={curves.asks.length}
          >
            {chart}
          </div>
        )}
      </div>
    </section>
  );
}
