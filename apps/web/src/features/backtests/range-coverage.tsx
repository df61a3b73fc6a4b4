'use client';

import type { InstrumentRef, StrategyInterval } from '@qt/shared';
import { useQuery } from '@tanstack/react-query';
import { engineErrorCode } from '@/engine/engine-error';
import { useTRPC } from '@/engine/react';
import { formatCandleTime } from '../markets/chart-theme';
import { retryMarketCall } from '../markets/market-errors';
import { type DataExtent, intervalMs } from './backtest-range';
import { type CoverageWarning, coverageWarning, extentWarning } from './range-coverage-model';

/** Holes named in the warning; the rest are counted. */
const NAMED = 3;

export interface RangeCoverageProps {
  instrument: InstrumentRef | undefined;
  interval: StrategyInterval;
  from: number | null;
  to: number | null;
  /** The newest stored page's extent (what 1s ranges are checked against: coverage does not serve 1s). */
  extent: DataExtent | null | undefined;
}

/**
 * A warning under the range when the stored candles do not cover it (the run would replay fewer candles
 * than the range suggests): from `history.coverage` for 1m and up, from the stored extent for 1s.
 */
export function RangeCoverage({ instrument, interval, from, to, extent }: RangeCoverageProps) {
  const trpc = useTRPC();
  const now = Date.now();
  const valid = instrument !== undefined && from !== null && to !== null && from < to && from < now;
  const usesCoverage = interval !== '1s';
  const coverage = useQuery(
    trpc.history.coverage.queryOptions(
      {
        venue: instrument?.venue ?? 'binance',
        symbol: instrument?.symbol ?? 'BTC-USDT',
        interval: interval === '1s' ? '1m' : interval,
        from: from ?? 0,
        to: to ?? 0,
      },
      { enabled: valid && usesCoverage, staleTime: 15_000, retry: retryMarketCall },
    ),
  );
  if (!valid || from === null || to === null) return null;
  const ms = intervalMs[interval];
  let warning: CoverageWarning | null = null;
  if (!usesCoverage) warning = extent ? extentWarning(extent, { from, to }, now, ms) : null;
  else if (coverage.data) warning = coverageWarning(coverage.data, now, ms);
  else if (coverage.isError) {
    // The engine's own words for a range beyond the tier's depth; other failures (history not running
    // on this engine) leave the stored-data line above as the only hint.
    if (engineErrorCode(coverage.error) !== 'TIER_LIMIT_REACHED') return null;
    return (
      <p
        className="text-xs text-amber-200"
        data-testid="backtest-coverage"
        data-covered="false"
        role="status"
      >
        {coverage.error.message}
      </p>
    );
  }
  if (!warning) {
    if (!usesCoverage || !coverage.data) return null;
    return (
      <p className="text-xs text-zinc-500" data-testid="backtest-coverage" data-covered="true">
        The range is covered: {coverage.data.storedCandles.toLocaleString('en-US')} stored {interval} candles.
      </p>
    );
  }
  const time = (t: number) => formatCandleTime(t, '1m', true);
  const named = warning.missing.slice(0, NAMED);
  return (
    <p
      className="text-xs text-amber-200"
      data-testid="backtest-coverage"
      data-covered="false"
      data-missing={warning.missing.length}
      role="status"
    >
      {warning.stored !== null && warning.expected !== null
        ? `Only ${warning.stored.toLocaleString('en-US')} of ${warning.expected.toLocaleString('en-US')} ${interval} candles in this range are stored. `
        : `The range reaches beyond the stored ${interval} candles. `}
      Missing: {named.map((m) => `${time(m.from)} → ${time(m.to)}`).join(', ')}
      {warning.missing.length > NAMED ? ` and ${warning.missing.length - NAMED} more` : ''}. The run replays
      only what is stored; backfill the rest on the Markets screen.
    </p>
  );
}
