'use client';

import type { BacktestResultView, BacktestView } from '@qt/shared';
import dynamic from 'next/dynamic';
import type { ReactNode } from 'react';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { formatCandleTime } from '../markets/chart-theme';
import { MarketState } from '../markets/market-state';
import { instrumentsText } from '../strategies/deployment-state';
import { describeStrategyProblem } from '../strategies/strategy-errors';
import { paramsText } from '../strategies/strategy-params';
import { StrategyProblemBox } from '../strategies/strategy-problem-box';
import { backtestTones } from './backtest-list';
import { type MetricTone, metricCards } from './backtest-metrics';
import { BacktestNotes } from './backtest-notes';
import { BacktestOrders } from './backtest-orders';
import { precisionOf } from './backtest-report';
import { backtestStatusLabel } from './backtest-status';
import { BacktestTrades } from './backtest-trades';
import { useBacktest } from './use-backtest';
import { useRangeCandles } from './use-range-candles';

// ECharts needs a canvas: browser only, in its own chunk.
const chartLoading = () => <MarketState title="Loading chart…" />;
const EquityChart = dynamic(() => import('./backtest-charts').then((m) => m.EquityChart), {
  ssr: false,
  loading: chartLoading,
});
const FillsChart = dynamic(() => import('./backtest-charts').then((m) => m.FillsChart), {
  ssr: false,
  loading: chartLoading,
});

/** One backtest: progress while it runs, then its metrics, equity and drawdown, and fills on the candles. */
export function BacktestResult({ backtestId }: { backtestId: string }) {
  const { result, running, cancel } = useBacktest(backtestId);
  if (result.isPending) return <MarketState title="Loading backtest…" />;
  if (result.isError) {
    const problem = describeStrategyProblem(result.error);
    return (
      <MarketState
        title="The backtest could not be loaded"
        tone="error"
        code={problem.code}
        testId="backtest-problem"
      >
        {problem.message}
      </MarketState>
    );
  }
  const { backtest } = result.data;
  return (
    <div className="flex flex-col gap-3" data-testid="backtest-result" data-backtest-id={backtest.id}>
      <Summary backtest={backtest} />
      <Progress
        backtest={backtest}
        running={running}
        cancelling={cancel.isPending}
        onCancel={() => cancel.mutate({ backtestId })}
      />
      {cancel.isError && (
        <StrategyProblemBox problem={describeStrategyProblem(cancel.error)} testId="cancel-error" />
      )}
      {backtest.status === 'failed' && (
        <StrategyProblemBox
          testId="backtest-failed"
          problem={{
            code: null,
            title: 'The backtest failed',
            message: backtest.reason ?? 'No reason given.',
            fieldErrors: {},
          }}
        />
      )}
      {backtest.status === 'cancelled' && (
        <p className="text-sm text-zinc-400" data-testid="backtest-cancelled">
          Cancelled{backtest.reason ? `: ${backtest.reason}` : '.'}
        </p>
      )}
      {backtest.status === 'completed' && <Completed result={result.data} />}
    </div>
  );
}

function Summary({ backtest }: { backtest: BacktestView }) {
  return (
    <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 text-xs text-zinc-400">
      <span className="text-sm font-semibold text-zinc-100">
        {backtest.strategyName} <span className="font-normal text-zinc-500">v{backtest.version}</span>
      </span>
      <span className="font-mono">{instrumentsText(backtest.instruments)}</span>
      <span>{backtest.interval}</span>
      <span>
        {formatCandleTime(backtest.from, '1s', true)} → {formatCandleTime(backtest.to, '1s', true)}
      </span>
      <span className="font-mono">{paramsText(backtest.params)}</span>
    </div>
  );
}

function Progress({
  backtest,
  running,
  cancelling,
  onCancel,
}: {
  backtest: BacktestView;
  running: boolean;
  cancelling: boolean;
  onCancel: () => void;
}) {
  const pct = Math.round((backtest.status === 'completed' ? 1 : backtest.progress) * 100);
  const bar =
    backtest.status === 'failed'
      ? 'bg-rose-400'
      : backtest.status === 'cancelled'
        ? 'bg-zinc-500'
        : 'bg-emerald-400';
  return (
    <div
      className="flex items-center gap-3"
      data-testid="backtest-progress"
      data-status={backtest.status}
      data-progress={backtest.progress}
    >
      <Badge tone={backtestTones[backtest.status]} data-testid="backtest-status">
        {backtestStatusLabel(backtest, 'done')}
      </Badge>
      <div
        role="progressbar"
        aria-label="Backtest progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
        className="h-2 flex-1 overflow-hidden rounded-full bg-zinc-800"
      >
        <div
          className={`h-full rounded-full transition-[width] duration-300 ${bar}`}
          style={{ width: `${pct}%` }}
        />
      </div>
      <span className="w-10 text-right font-mono text-xs text-zinc-300">{pct}%</span>
      {running && (
        <Button
          size="sm"
          variant="danger"
          onClick={onCancel}
          disabled={cancelling}
          data-testid="backtest-cancel"
        >
          {cancelling ? 'Cancelling…' : 'Cancel'}
        </Button>
      )}
    </div>
  );
}

const toneClass: Record<MetricTone, string> = {
  up: 'text-emerald-300',
  down: 'text-rose-300',
  neutral: 'text-zinc-100',
};

function Completed({ result }: { result: BacktestResultView }) {
  const { backtest } = result;
  const first = backtest.instruments[0];
  return (
    <>
      {backtest.metrics && (
        <dl data-testid="backtest-metrics" className="grid grid-cols-2 gap-2 sm:grid-cols-3 xl:grid-cols-6">
          {metricCards(backtest.metrics, quoteOf(backtest)).map((m) => (
            <div
              key={m.key}
              data-testid={`metric-${m.key}`}
              title={m.hint}
              className="rounded-lg border border-zinc-800 bg-zinc-950/40 px-3 py-2"
            >
              <dt className="text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">{m.label}</dt>
              <dd className={`mt-0.5 font-mono text-sm break-all tabular-nums ${toneClass[m.tone]}`}>
                <MetricValue value={m.value} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      {result.report && (
        <ChartCard title="Before reading the numbers">
          <BacktestNotes backtest={backtest} report={result.report} />
        </ChartCard>
      )}
      <ChartCard title="Equity and drawdown">
        <div
          data-testid="backtest-equity-chart"
          data-points={result.equity.length}
          data-buy-and-hold-points={result.report?.buyAndHold?.curve.length ?? 0}
          className="relative h-80"
        >
          {result.equity.length === 0 ? (
            <MarketState title="No equity points">The range held no candles to replay.</MarketState>
          ) : (
            <EquityChart result={result} />
          )}
        </div>
      </ChartCard>
      {result.report && (
        <ChartCard
          title="Round trips"
          aside={<span className="text-[11px] text-zinc-500">{result.report.totals.trips}</span>}
        >
          <BacktestTrades report={result.report} quote={quoteOf(backtest)} />
        </ChartCard>
      )}
      {first && <FillsCard result={result} instrument={first} />}
      <ChartCard
        title="Orders"
        aside={<span className="text-[11px] text-zinc-500">{result.orders.length}</span>}
      >
        <BacktestOrders
          orders={result.orders}
          {...(result.report ? { precision: precisionOf(result.report) } : {})}
        />
      </ChartCard>
    </>
  );
}

/** "n/a — run too short (…)" reads as n/a at the card's size, the reason small beneath it. */
function MetricValue({ value }: { value: string }) {
  const na = /^n\/a( — .*)$/.exec(value);
  if (!na) return <>{value}</>;
  return (
    <>
      n/a
      <span className="block font-sans text-[10px] leading-tight break-normal text-zinc-500">{na[1]}</span>
    </>
  );
}

function FillsCard({
  result,
  instrument,
}: {
  result: BacktestResultView;
  instrument: BacktestView['instruments'][number];
}) {
  const { backtest } = result;
  const candles = useRangeCandles(instrument, backtest.interval, backtest.from, backtest.to);
  const count = result.fills.filter(
    (f) => f.venue === instrument.venue && f.symbol === instrument.symbol,
  ).length;
  let body: ReactNode;
  if (candles.isPending) body = <MarketState title="Loading candles…" />;
  else if (candles.isError) {
    const problem = describeStrategyProblem(candles.error);
    body = (
      <MarketState title="Candles could not be loaded" tone="error" code={problem.code}>
        {problem.message}
      </MarketState>
    );
  } else if (candles.data.candles.length === 0)
    body = <MarketState title="No stored candles in this range" />;
  else body = <FillsChart result={result} instrument={instrument} candles={candles.data.candles} />;
  return (
    <ChartCard
      title={`Fills on ${instrument.venue}:${instrument.symbol}`}
      aside={
        <span className="text-[11px] text-zinc-500">
          {count} fill{count === 1 ? '' : 's'}
          {candles.data?.truncated ? ' · newest candles of the range shown' : ''}
        </span>
      }
    >
      <div
        data-testid="backtest-fills-chart"
        data-fills={count}
        data-candles={candles.data?.candles.length ?? 0}
        className="relative h-96"
      >
        {body}
      </div>
    </ChartCard>
  );
}

function ChartCard({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  return (
    <section className="rounded-xl border border-zinc-800 bg-zinc-900/60">
      <header className="flex min-h-9 items-center justify-between gap-3 border-b border-zinc-800 px-3 py-1.5">
        <h3 className="text-xs font-semibold tracking-wider text-zinc-400 uppercase">{title}</h3>
        {aside}
      </header>
      <div className="p-1">{children}</div>
    </section>
  );
}

/** The currency equity and money metrics are in: the one the backtest was run with. */
function quoteOf(backtest: BacktestView): string {
  return backtest.quoteCurrency;
}
