import type { BacktestReportView, BacktestView } from '@qt/shared';
import { formatCandleTime } from '../markets/chart-theme';
import { atStep, coverageLines, money, tooShortText } from './backtest-report';

const noteTone: Record<string, string> = {
  RUN_TOO_SHORT: 'border-amber-500/40 text-amber-200',
  NO_DATA: 'border-rose-500/40 text-rose-200',
  NO_ORDERS: 'border-amber-500/40 text-amber-200',
  LATE_FIRST_ORDER: 'border-amber-500/40 text-amber-200',
};

/**
 * What to know before reading the numbers: the engine's notes (run too short to annualise, data that
 * does not cover the range, gaps, warm-up), the requested range against the candles used, and buy and
 * hold's exact end value beside the strategy's.
 */
export function BacktestNotes({ backtest, report }: { backtest: BacktestView; report: BacktestReportView }) {
  const time = (ms: number) => formatCandleTime(ms, backtest.interval === '1d' ? '1m' : '1s', true);
  const lines = coverageLines(backtest, report, time);
  const bh = report.buyAndHold;
  const tick = bh
    ? report.instruments.find((i) => i.venue === bh.venue && i.symbol === bh.symbol)?.tickSize
    : undefined;
  return (
    <div
      className="flex flex-col gap-2 p-2 text-xs"
      data-testid="backtest-notes"
      data-codes={report.notes.map((n) => n.code).join(' ')}
    >
      {report.notes.length > 0 && (
        <ul className="flex flex-col gap-1.5">
          {report.notes.map((n) => (
            <li
              key={`${n.code}-${n.message}`}
              data-testid="backtest-note"
              data-code={n.code}
              className={`rounded-md border px-2.5 py-1.5 ${noteTone[n.code] ?? 'border-zinc-700 text-zinc-300'}`}
            >
              {n.code === 'RUN_TOO_SHORT' && <span className="mr-1 font-semibold">{tooShortText(n)}.</span>}
              {n.message}
            </li>
          ))}
        </ul>
      )}
      <table className="w-full border-collapse" data-testid="backtest-coverage">
        <thead>
          <tr className="text-left text-[10px] font-semibold tracking-wider text-zinc-500 uppercase">
            <th className="py-1 pr-3">Data</th>
            <th className="py-1 pr-3">Requested</th>
            <th className="py-1">Used</th>
          </tr>
        </thead>
        <tbody>
          {lines.map((l) => (
            <tr key={l.instrument} data-testid="backtest-coverage-row" data-complete={l.complete}>
              <td className="py-1 pr-3 font-mono text-zinc-200">{l.instrument}</td>
              <td className="py-1 pr-3 font-mono text-zinc-400">{l.requested}</td>
              <td className={`py-1 font-mono ${l.complete ? 'text-zinc-200' : 'text-amber-200'}`}>
                {l.used}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-zinc-400" data-testid="backtest-warmup">
        {report.firstOrderAfterCandles === null
          ? 'No orders.'
          : `First order after ${report.firstOrderAfterCandles.toLocaleString('en-US')} candle${report.firstOrderAfterCandles === 1 ? '' : 's'}.`}
      </p>
      {bh && (
        <p className="text-zinc-400" data-testid="backtest-buy-and-hold">
          Buy & hold {bh.symbol} (no fees): {atStep(bh.startPrice, tick)} → {atStep(bh.endPrice, tick)},
          equity{' '}
          <span className="font-mono text-zinc-200">
            {money(atStep(bh.startEquity, tick ?? '0.01').replaceAll(',', ''))}
          </span>{' '}
          →{' '}
          <span className="font-mono text-zinc-200" data-testid="backtest-buy-and-hold-end">
            {money(atStep(bh.endEquity, tick ?? '0.01').replaceAll(',', ''))}
          </span>{' '}
          {backtest.quoteCurrency}
        </p>
      )}
    </div>
  );
}
