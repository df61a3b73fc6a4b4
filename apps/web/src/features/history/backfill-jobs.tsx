'use client';

import type { BackfillJobView } from '@qt/api';
import { formatCandleTime } from '../markets/chart-theme';

const time = (ms: number) => formatCandleTime(ms, '1m', true);

const statusTone: Record<BackfillJobView['status'], string> = {
  queued: 'text-zinc-400',
  running: 'text-sky-300',
  done: 'text-emerald-300',
  failed: 'text-rose-300',
  cancelled: 'text-zinc-500',
};

/** The tenant's backfills, newest first, each with its live progress. */
export function BackfillJobs({ jobs }: { jobs: readonly BackfillJobView[] }) {
  if (jobs.length === 0) return <p className="text-xs text-zinc-500">No backfills yet.</p>;
  return (
    <ol className="flex flex-col gap-2" aria-label="Backfills">
      {jobs.map((j) => {
        const percent = (j.progressBp / 100).toFixed(j.progressBp % 100 === 0 ? 0 : 2);
        return (
          <li
            key={j.id}
            className="flex flex-col gap-1 rounded-md border border-zinc-800 bg-zinc-950/50 px-2.5 py-2"
            data-testid="backfill-job"
            data-job-id={j.id}
            data-status={j.status}
            data-progress={j.progressBp}
            data-candles={j.candlesWritten}
          >
            <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-xs">
              <span className="font-mono text-zinc-200">
                {j.venue}:{j.symbol}{' '}
                <span className="text-zinc-500">{j.kind === 'trades' ? 'trades' : j.interval}</span>
              </span>
              <span className={`font-medium ${statusTone[j.status]}`}>
                {j.status} · {percent}%
              </span>
            </div>
            <div className="h-1.5 w-full overflow-hidden rounded bg-zinc-800">
              <div
                className={`h-full ${j.status === 'failed' ? 'bg-rose-500' : 'bg-emerald-500'}`}
                style={{ width: `${j.progressBp / 100}%` }}
              />
            </div>
            <div className="flex flex-wrap justify-between gap-x-3 font-mono text-[10px] text-zinc-500">
              <span>
                {time(j.fromMs)} → {time(j.toMs)}
              </span>
              <span>
                {j.candlesWritten.toLocaleString('en-US')} {j.kind === 'trades' ? 'trades' : 'candles'}{' '}
                written
              </span>
            </div>
            {j.completeFromMs !== null && (
              <p className="text-[11px] text-amber-300">
                The venue serves only its newest trades: complete from {time(j.completeFromMs)} on.
              </p>
            )}
            {j.error && (
              <p className="text-[11px] text-rose-300" data-testid="backfill-job-error">
                {j.error}
              </p>
            )}
          </li>
        );
      })}
    </ol>
  );
}
