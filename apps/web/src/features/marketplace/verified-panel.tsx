'use client';

import type { TrackRecordView, VerifiedBacktestView } from '@qt/shared';
import dynamic from 'next/dynamic';
import type { ReactNode } from 'react';
import { Badge } from '@/components/ui/badge';
import { CopyButton } from '@/components/ui/copy-button';
import { type MetricTone, metricCards } from '../backtests/backtest-metrics';
import { formatDay } from '../billing/billing-view';
import { MarketState } from '../markets/market-state';
import { drawdownText, percentText } from './listing-filters';
import { endedReasonText, marketText, trackRecordUntil } from './track-record-model';

const EquityDrawdownChart = dynamic(() => import('./listing-charts').then((m) => m.EquityDrawdownChart), {
  ssr: false,
  loading: () => <MarketState title="Loading chart…" />,
});

const toneClass: Record<MetricTone, string> = {
  up: 'text-emerald-300',
  down: 'text-rose-300',
  neutral: 'text-zinc-100',
};

/** A window edge to the minute: verification windows can be hours (1s candles) or a month. */
const momentOf = (ms: number) =>
  new Date(ms).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const bpsText = (bps: number) => `${bps} bps (${(bps / 100).toFixed(2)}%)`;

export function PanelCard({
  title,
  label,
  testId,
  children,
}: {
  title: string;
  label: ReactNode;
  testId: string;
  children: ReactNode;
}) {
  return (
    <section
      className="rounded-xl border border-zinc-800 bg-zinc-900/60"
      data-testid={testId}
      aria-label={title}
    >
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-zinc-800 px-4 py-3">
        <h2 className="text-sm font-semibold text-zinc-100">{title}</h2>
        {label}
      </header>
      <div className="space-y-4 p-4">{children}</div>
    </section>
  );
}

/**
 * The platform's own backtest of the pinned module: its window, fee model and numbers, and the full hash
 * of the module it ran, so a buyer can see the figures belong to exactly what they would run.
 */
export function VerifiedPanel({ verified }: { verified: VerifiedBacktestView | null }) {
  if (!verified)
    return (
      <PanelCard
        title="Verified backtest"
        testId="verified-panel"
        label={<Badge tone="blue">Computed by the platform</Badge>}
      >
        <p className="text-sm text-zinc-400" data-testid="verified-pending">
          The platform has not run this listing's backtest yet.
        </p>
      </PanelCard>
    );
  const quote = verified.instrument.symbol.split('-').at(-1) ?? '';
  return (
    <PanelCard
      title="Verified backtest"
      testId="verified-panel"
      label={
        <Badge tone="blue" data-testid="verified-label">
          Computed by the platform
        </Badge>
      }
    >
      <dl className="grid gap-x-6 gap-y-1 text-xs sm:grid-cols-2">
        <Row term="Window">
          {momentOf(verified.from)} → {momentOf(verified.to)}
          {verified.label && (
            // What the window means for the figures (e.g. data after the upload): a buyer's key question.
            <span className="block text-sky-300" data-testid="verified-window-label">
              {verified.label}
            </span>
          )}
        </Row>
        <Row term="Market">
          <span className="font-mono">
            {verified.instrument.venue}:{verified.instrument.symbol}
          </span>{' '}
          · {verified.interval}
        </Row>
        <Row term="Fees">
          maker {bpsText(verified.feesBps.maker)}, taker {bpsText(verified.feesBps.taker)}
        </Row>
        <Row term="Status">
          <span data-testid="verified-status" data-status={verified.status}>
            {verified.status === 'completed' ? `verified ${formatDay(verified.verifiedAt)}` : verified.status}
          </span>
        </Row>
      </dl>
      <div>
        <p className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">Module sha256</p>
        <div className="mt-1 flex flex-wrap items-center gap-2">
          <code className="min-w-0 font-mono text-xs break-all text-zinc-200" data-testid="verified-sha256">
            {verified.moduleSha256}
          </code>
          <CopyButton text={verified.moduleSha256} label="Copy hash" testId="verified-sha256-copy" />
        </div>
      </div>
      {verified.status === 'failed' && (
        <p role="alert" className="text-sm text-rose-300" data-testid="verified-failed">
          {verified.reason ?? 'The verification backtest failed.'}
        </p>
      )}
      {(verified.status === 'queued' || verified.status === 'running') && (
        <p className="text-sm text-zinc-400" role="status">
          Running the standard backtest…
        </p>
      )}
      {verified.metrics && (
        <p className="-mb-2 text-xs text-zinc-500" data-testid="verified-metrics-market">
          Figures on{' '}
          <span className="font-mono text-zinc-300">
            {marketText(verified.instrument, verified.interval)}
          </span>
        </p>
      )}
      {verified.metrics && (
        <dl data-testid="verified-metrics" className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-4">
          {metricCards(verified.metrics, quote).map((m) => (
            <div
              key={m.key}
              data-testid={`verified-metric-${m.key}`}
              title={m.hint}
              className="rounded-lg border border-zinc-800 bg-zinc-950/40 px-3 py-2"
            >
              <dt className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">{m.label}</dt>
              <dd className={`mt-0.5 font-mono text-sm break-all tabular-nums ${toneClass[m.tone]}`}>
                {m.value}
              </dd>
            </div>
          ))}
        </dl>
      )}
      <div className="relative h-72" data-testid="verified-chart" data-points={verified.equity.length}>
        {verified.equity.length === 0 ? (
          <MarketState title="No equity points yet" />
        ) : (
          <EquityDrawdownChart equity={verified.equity} drawdown={verified.drawdown} />
        )}
      </div>
    </PanelCard>
  );
}

/** The seller's live paper deployment, from our ledger: forward results, labelled as such, with its start. */
export function TrackRecordPanel({
  track,
  earlier = [],
}: {
  track: TrackRecordView;
  earlier?: readonly TrackRecordView[];
}) {
  const ended = endedReasonText(track);
  const until = trackRecordUntil(track);
  return (
    <PanelCard
      title="Forward paper record"
      testId="track-record-panel"
      label={
        <Badge tone="violet" caps={false} data-testid="track-record-label">
          Forward paper trading, from our ledger
        </Badge>
      }
    >
      <dl className="grid gap-x-6 gap-y-1 text-xs sm:grid-cols-2">
        <Row term="Since">
          <span data-testid="track-record-since">{formatDay(track.since)}</span>
          {track.running ? '' : until === null ? ' (stopped)' : ` until ${momentOf(until)}`}
        </Row>
        {ended && (
          <Row term="Ended">
            <span className="text-amber-200" data-testid="track-record-ended">
              {ended}
            </span>
          </Row>
        )}
        <Row term="Return">
          <span className="font-mono">{percentText(track.totalReturn, true)}</span>
        </Row>
        <Row term="Max drawdown">
          <span className="font-mono">{drawdownText(track.maxDrawdown)}</span>
        </Row>
      </dl>
      <div className="relative h-64" data-points={track.equity.length}>
        {track.equity.length === 0 ? (
          <MarketState title="No samples yet">The first equity sample is taken within a minute.</MarketState>
        ) : (
          <EquityDrawdownChart equity={track.equity} drawdown={track.drawdown} />
        )}
      </div>
      {earlier.length > 0 && <EarlierTrackRecords records={earlier} />}
    </PanelCard>
  );
}

/**
 * Forward records of deployments attached before the current one, newest first: kept visible so a seller
 * cannot swap a bad record for a fresh one unseen. Collapsed: the current record is what matters most.
 */
export function EarlierTrackRecords({ records }: { records: readonly TrackRecordView[] }) {
  return (
    <details className="rounded-lg border border-zinc-800 text-xs" data-testid="earlier-track-records">
      <summary className="cursor-pointer px-3 py-2 text-zinc-300 select-none">
        Earlier forward records ({records.length})
      </summary>
      <ul className="divide-y divide-zinc-800 border-t border-zinc-800">
        {records.map((r) => {
          const until = trackRecordUntil(r);
          const ended = endedReasonText(r);
          return (
            <li
              key={`${r.since}:${r.equity[0]?.[0] ?? ''}`}
              className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1 px-3 py-2"
              data-testid="earlier-track-record"
            >
              <span className="text-zinc-300">
                {formatDay(r.since)} →{' '}
                {r.running ? 'running' : until === null ? '—' : formatDay(new Date(until).toISOString())}
              </span>
              <span className="font-mono text-zinc-200" data-testid="earlier-track-record-return">
                {percentText(r.totalReturn, true)}
              </span>
              {ended && <span className="w-full text-zinc-500">{ended}</span>}
            </li>
          );
        })}
      </ul>
    </details>
  );
}

function Row({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="flex gap-2">
      <dt className="w-24 shrink-0 text-zinc-500">{term}</dt>
      <dd className="text-zinc-200">{children}</dd>
    </div>
  );
}
