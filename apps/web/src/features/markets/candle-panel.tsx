'use client';

import dynamic from 'next/dynamic';
import { type ReactNode, useState } from 'react';
import { ChartAlertDialog } from '@/features/alerts/chart-alert-dialog';
import { useChartAlerts } from '@/features/alerts/use-alerts';
import type { CockpitLayer } from '@/features/cockpit/order-lines';
import type { DrawnState } from './candle-chart';
import type { ChartCandle } from './chart-intervals';
import { compareDecimal, formatDecimal } from './decimal-text';
import { useFeedStatus } from './feed-badges';
import { type VenueDataState, venueDataState } from './feed-badges-state';
import { IndicatorOverlayPicker } from './indicator-overlay-picker';
import { useIndicatorOverlays } from './indicator-overlays-store';
import { LastPrice } from './last-price';
import { describeMarketProblem } from './market-errors';
import type { MarketSelection } from './market-selection';
import { MarketProblemState, MarketState } from './market-state';
import { useCandles } from './use-candles';

// ECharts is large and needs a canvas: load it in the browser only, in its own chunk.
const CandleChart = dynamic(() => import('./candle-chart'), {
  ssr: false,
  loading: () => <MarketState title="Loading chart…" />,
});

export interface CandlePanelProps {
  selection: MarketSelection;
  priceDecimals: number;
  /** Trade screen: the account's orders, entry and fills drawn on the chart. */
  cockpit?: CockpitLayer | undefined;
  /** Trade screen: drawn over the chart (the confirmation of a dragged order line). */
  chartOverlay?: ReactNode;
}

/** Chart card for one selection (mount it keyed by the selection): legend with the last price, then the chart. */
export function CandlePanel({ selection, priceDecimals, cockpit, chartOverlay }: CandlePanelProps) {
  const candles = useCandles(selection);
  const [drawn, setDrawn] = useState<DrawnState>({
    candles: 0,
    lastClose: '',
    updates: 0,
    lastCloseY: null,
    alertLines: 0,
  });
  const chartAlerts = useChartAlerts(selection.venue, selection.symbol);
  const [proposedLevel, setProposedLevel] = useState<string | null>(null);
  const [overlays, setOverlays] = useIndicatorOverlays();
  const { book } = candles;
  const last = book.last();
  const problem = candles.error
    ? describeMarketProblem(candles.error, selection.symbol, selection.venue)
    : null;

  let body: ReactNode;
  if (problem) body = <MarketProblemState problem={problem} />;
  else if (!candles.ready) body = <MarketState title="Loading candles…" />;
  else if (book.length === 0)
    body = (
      <MarketState title="No data yet for this symbol" testId="markets-empty">
        Candles appear as soon as the first trade on {selection.venue} arrives.
      </MarketState>
    );
  else
    body = (
      <CandleChart
        book={book}
        revision={candles.revision}
        priceDecimals={priceDecimals}
        overlays={overlays}
        onNearLeftEdge={candles.loadOlder}
        alertLines={chartAlerts.lines}
        onPriceClick={setProposedLevel}
        onAlertMove={chartAlerts.move}
        onDraw={setDrawn}
        cockpit={cockpit}
      />
    );

  return (
    <section className="flex min-h-0 flex-col rounded-xl border border-zinc-800 bg-zinc-900/60">
      <header className="flex flex-wrap items-center gap-x-5 gap-y-1 border-b border-zinc-800 px-3 py-2">
        <div className="flex items-baseline gap-2">
          <h2 className="font-mono text-sm font-semibold text-zinc-100">{selection.symbol}</h2>
          <span className="text-xs text-zinc-500">
            {selection.venue} · {selection.interval}
          </span>
        </div>
        <LastPrice value={last?.close ?? null} decimals={priceDecimals} />
        {last && <CandleLegend candle={last} decimals={priceDecimals} />}
        <IndicatorOverlayPicker overlays={overlays} onChange={setOverlays} />
        <LiveIndicator
          status={candles.liveStatus}
          paging={candles.loadingOlder}
          pagingFailed={!!candles.olderError}
          hasProblem={!!problem}
          venue={selection.venue}
        />
      </header>
      <div
        data-testid="markets-chart"
        data-candles={drawn.candles}
        data-last-close={drawn.lastClose}
        data-updates={drawn.updates}
        data-last-close-y={drawn.lastCloseY ?? ''}
        data-alert-lines={drawn.alertLines}
        data-overlays={overlays.map((o) => o.kind).join(' ')}
        className="relative min-h-[420px] flex-1"
      >
        {body}
        {chartOverlay}
      </div>
      <ChartAlertDialog
        level={proposedLevel}
        symbol={selection.symbol}
        decimals={priceDecimals}
        onCreate={chartAlerts.create}
        onClose={() => setProposedLevel(null)}
      />
    </section>
  );
}

function CandleLegend({ candle, decimals }: { candle: ChartCandle; decimals: number }) {
  const up = compareDecimal(candle.close, candle.open) >= 0;
  const value = up ? 'text-emerald-300' : 'text-rose-300';
  const field = (label: string, v: string) => (
    <span key={label}>
      <span className="text-zinc-500">{label}</span> <span className={value}>{v}</span>
    </span>
  );
  return (
    <div className="flex flex-wrap gap-x-3 font-mono text-[11px]">
      {field('O', formatDecimal(candle.open, decimals))}
      {field('H', formatDecimal(candle.high, decimals))}
      {field('L', formatDecimal(candle.low, decimals))}
      {field('C', formatDecimal(candle.close, decimals))}
      {field('Vol', candle.baseVolume)}
    </div>
  );
}

const liveLabels: Record<string, { text: string; dot: string; title: string }> = {
  pending: { text: 'Live', dot: 'bg-emerald-400', title: 'Receiving live updates' },
  error: { text: 'Live stopped', dot: 'bg-rose-400', title: 'Live updates stopped; reload to retry' },
};
const connecting = { text: 'Connecting', dot: 'bg-amber-400', title: 'Connecting to live updates' };
// The subscription being open is not enough for a green dot: the venue's feed must deliver (feed status).
const byFeed: Partial<Record<VenueDataState, { text: string; dot: string; title: string }>> = {
  waiting: {
    text: 'No live data',
    dot: 'bg-zinc-500',
    title: 'Subscribed, but the venue feed delivers nothing (see the feed badges)',
  },
  simulated: {
    text: 'Simulated',
    dot: 'bg-violet-400',
    title: 'Prices from the bundled exchange simulator, not a venue',
  },
};

interface LiveIndicatorProps {
  status: string;
  paging: boolean;
  pagingFailed: boolean;
  hasProblem: boolean;
  venue: string;
}

function LiveIndicator({ status, paging, pagingFailed, hasProblem, venue }: LiveIndicatorProps) {
  const feeds = useFeedStatus();
  if (hasProblem) return null;
  const label =
    (status === 'pending' && byFeed[venueDataState(feeds.data, venue)]) || liveLabels[status] || connecting;
  return (
    <span className="ml-auto flex items-center gap-3 text-[11px] text-zinc-500">
      {paging && <span>Loading older candles…</span>}
      {pagingFailed && !paging && <span className="text-rose-300">Older candles could not be loaded</span>}
      <span className="flex items-center gap-1.5" title={label.title} data-testid="markets-live">
        <span aria-hidden="true" className={`size-1.5 rounded-full ${label.dot}`} />
        {label.text}
      </span>
    </span>
  );
}
