'use client';

import { type ReactNode, useEffect, useState } from 'react';
import { Select } from '@/components/ui/select';
import { describeMarketProblem } from '../markets/market-errors';
import { MarketProblemState, MarketState } from '../markets/market-state';
import { BackfillForm } from './backfill-form';
import { BackfillJobs } from './backfill-jobs';
import { coverageFrom } from './coverage-model';
import { CoverageSummary } from './coverage-view';
import {
  type CoverageInterval,
  coverageIntervals,
  useBackfillJobs,
  useCoverage,
  useHistoryDays,
} from './use-history';

/** Windows offered ("last N days"); the tier's own depth is added when it is not one of them. */
const WINDOWS = [1, 7, 30, 90, 365, 730];

export interface HistoryPanelProps {
  venue: string;
  symbol: string;
}

/**
 * Stored history of one venue and symbol: coverage per interval over the last N days (stored ranges and
 * gaps), a backfill action, and the tenant's backfills with live progress.
 */
export function HistoryPanel({ venue, symbol }: HistoryPanelProps) {
  const historyDays = useHistoryDays();
  const [interval, setChosenInterval] = useState<CoverageInterval>('1m');
  const [days, setDays] = useState(7);
  const windows = [...new Set([...WINDOWS.filter((d) => d < historyDays), historyDays])];
  const shownDays = Math.min(days, historyDays);
  const now = useMinute();
  const from = coverageFrom(now, shownDays, historyDays);
  const jobs = useBackfillJobs();
  const coverage = useCoverage(venue, symbol, interval, from, jobs.anyOpen);

  let body: ReactNode;
  if (coverage.isError)
    body = <MarketProblemState problem={describeMarketProblem(coverage.error, symbol, venue)} brief />;
  else if (!coverage.data) body = <MarketState title="Loading coverage…" />;
  else body = <CoverageSummary coverage={coverage.data} />;

  return (
    <section
      className="flex min-w-0 flex-col rounded-xl border border-zinc-800 bg-zinc-900/60"
      data-testid="history-panel"
      data-progress-events={jobs.events}
    >
      <header className="flex flex-wrap items-end justify-between gap-2 border-b border-zinc-800 px-3 py-2">
        <div className="flex flex-col pb-1">
          <h2 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">Stored history</h2>
          <span className="font-mono text-[11px] text-zinc-500">
            {symbol} · {venue}
          </span>
        </div>
        <div className="flex items-end gap-2">
          <Select
            label="Interval"
            className="w-20"
            value={interval}
            data-testid="history-interval"
            onChange={(e) => {
              const next = coverageIntervals.find((i) => i === e.target.value);
              if (next) setChosenInterval(next);
            }}
          >
            {coverageIntervals.map((i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </Select>
          <Select
            label="Window"
            className="w-32"
            value={shownDays}
            data-testid="history-window"
            onChange={(e) => setDays(Number(e.target.value))}
          >
            {windows.map((d) => (
              <option key={d} value={d}>
                last {d} day{d === 1 ? '' : 's'}
              </option>
            ))}
          </Select>
        </div>
      </header>
      <div className="grid min-w-0 grid-cols-1 gap-4 p-3 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="min-w-0">{body}</div>
        <div className="flex min-w-0 flex-col gap-3">
          <BackfillForm
            key={`${venue}|${symbol}`}
            venue={venue}
            symbol={symbol}
            defaultFrom={from}
            onQueued={jobs.add}
          />
          {jobs.error ? (
            <p className="text-xs text-rose-300">Backfills could not be loaded.</p>
          ) : (
            <BackfillJobs jobs={jobs.jobs} />
          )}
        </div>
      </div>
    </section>
  );
}

/**
 * The current minute, moving on once a minute: the window's start follows it (a start taken per render
 * would refetch for ever, one taken once would drift out of the tier's depth on a page left open).
 */
function useMinute(): number {
  const [minute, setMinute] = useState(() => Math.floor(Date.now() / 60_000) * 60_000);
  useEffect(() => {
    const timer = setInterval(() => setMinute(Math.floor(Date.now() / 60_000) * 60_000), 10_000);
    return () => clearInterval(timer);
  }, []);
  return minute;
}
