'use client';

import type { CoverageView } from '@qt/api';
import { formatCandleTime } from '../markets/chart-theme';
import { coveredPercent, formatSpan, settled, timeline } from './coverage-model';

/** Ranges listed under the bar; the bar itself always shows all of them. */
const LISTED = 8;

const time = (ms: number) => formatCandleTime(ms, '1m', true);

const segmentTone = {
  stored: { label: 'Stored', bar: 'bg-emerald-500/70', text: 'text-emerald-300' },
  missing: { label: 'Missing', bar: 'bg-amber-500/40', text: 'text-amber-300' },
  open: { label: 'Forming', bar: 'bg-zinc-500/40', text: 'text-zinc-400' },
} as const;

/** One series' coverage: a summary line, a bar of stored runs and gaps over the window, and the ranges. */
export function CoverageSummary({ coverage }: { coverage: CoverageView }) {
  const segments = timeline(coverage);
  const { gaps, expected } = settled(coverage);
  const percent = coveredPercent({ storedCandles: coverage.storedCandles, expectedCandles: expected });
  return (
    <div
      className="flex flex-col gap-2"
      data-testid="history-coverage"
      data-stored-candles={coverage.storedCandles}
      data-expected-candles={expected}
      data-stored-ranges={coverage.stored.length}
      data-missing-ranges={gaps.length}
    >
      <p className="text-xs text-zinc-400">
        <span className="font-mono text-zinc-100">{coverage.storedCandles.toLocaleString('en-US')}</span> of{' '}
        <span className="font-mono">{expected.toLocaleString('en-US')}</span> {coverage.interval} candles
        stored ({percent}%) · {coverage.stored.length} stored range
        {coverage.stored.length === 1 ? '' : 's'} · {gaps.length} gap
        {gaps.length === 1 ? '' : 's'}
        {coverage.truncated && <span className="text-amber-300"> · only the first runs are listed</span>}
      </p>
      <div
        className="relative h-3 w-full overflow-hidden rounded bg-zinc-800"
        role="img"
        aria-label={`${percent}% of the window is stored`}
      >
        {segments.map((s) => (
          <span
            key={`${s.kind}:${s.fromMs}`}
            className={`absolute inset-y-0 ${segmentTone[s.kind].bar}`}
            style={{ left: `${s.left}%`, width: `max(1px, ${s.width}%)` }}
            title={`${segmentTone[s.kind].label}: ${time(s.fromMs)} → ${time(s.toMs)}`}
          />
        ))}
      </div>
      <div className="flex justify-between font-mono text-[10px] text-zinc-500">
        <span>{time(coverage.fromMs)}</span>
        <span>{time(coverage.toMs)}</span>
      </div>
      <ol className="flex flex-col gap-0.5 font-mono text-[11px]" aria-label="Stored and missing ranges">
        {segments.slice(0, LISTED).map((s) => (
          <li
            key={`${s.kind}:${s.fromMs}`}
            className="flex flex-wrap gap-x-2"
            data-testid="history-range"
            data-kind={s.kind}
            data-from={s.fromMs}
            data-to={s.toMs}
          >
            <span className={`w-14 ${segmentTone[s.kind].text}`}>
              {segmentTone[s.kind].label.toLowerCase()}
            </span>
            <span className="text-zinc-300">
              {time(s.fromMs)} → {time(s.toMs)}
            </span>
            <span className="text-zinc-500">
              {formatSpan(s.toMs - s.fromMs)}
              {s.candles !== null && ` · ${s.candles.toLocaleString('en-US')} candles`}
            </span>
          </li>
        ))}
        {segments.length > LISTED && (
          <li className="text-zinc-500">and {segments.length - LISTED} more ranges (see the bar)</li>
        )}
      </ol>
    </div>
  );
}
