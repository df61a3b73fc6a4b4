import type { BacktestReportView } from '@qt/shared';
import { formatCandleTime } from '../markets/chart-theme';
import { cell, DataTable, EmptyRows, firstCell } from '../trade/trade-panel';
import { atStep, money, precisionOf } from './backtest-report';

/** Rows shown; the totals row covers every round trip of the run (summed exactly by the engine). */
const SHOWN = 500;

/** The exit's date only when it differs from the entry's: the table fits a laptop's width. */
function exitTime(entry: number, exit: number): string {
  const full = formatCandleTime(exit, '1s', true);
  return full.slice(0, 10) === formatCandleTime(entry, '1s', true).slice(0, 10) ? full.slice(11) : full;
}

const pnlClass = (pnl: string) =>
  pnl.startsWith('-') ? 'text-rose-300' : /[1-9]/.test(pnl) ? 'text-emerald-300' : 'text-zinc-300';

/**
 * The run's round trips (flat to flat): entry and exit, quantity and prices at the instrument's lot and
 * tick, PnL net of fees and as a percent of what the entry paid, fees; totals from the engine's exact
 * sums, never added up here in floating point.
 */
export function BacktestTrades({ report, quote }: { report: BacktestReportView; quote: string }) {
  const { trips, totals } = report;
  if (totals.trips === 0) {
    return <EmptyRows>No round trips: no position went from flat back to flat in this range.</EmptyRows>;
  }
  const precision = precisionOf(report);
  // One instrument (the usual case): its name is in the card's title, not in every row.
  const many = report.instruments.length > 1;
  // Every trip on one day (the date is in the header above): times only, so the table fits.
  const day = (ms: number) => formatCandleTime(ms, '1s', true).slice(0, 10);
  const oneDay = trips.every(
    (t) => day(t.entryTime) === day(trips[0]?.entryTime ?? 0) && day(t.exitTime) === day(t.entryTime),
  );
  const shown = trips.slice(0, SHOWN);
  return (
    <div className="max-h-96 overflow-auto" data-testid="backtest-trades" data-trips={totals.trips}>
      {totals.trips > shown.length && (
        <p className="px-3 py-1 text-[11px] text-zinc-500">
          First {shown.length} of {totals.trips} round trips; the totals cover all of them.
        </p>
      )}
      <DataTable
        head={[
          'Entry',
          'Exit',
          ...(many ? ['Symbol'] : []),
          'Side',
          'Quantity',
          'Entry price',
          'Exit price',
          `PnL ${quote}`,
          'PnL %',
          `Fees ${quote}`,
        ]}
      >
        {shown.map((t, i) => {
          const p = precision(t.venue, t.symbol);
          return (
            <tr
              // Round trips carry no id; their order is fixed for this immutable list.
              // biome-ignore lint/suspicious/noArrayIndexKey: see above.
              key={`${t.entryTime}-${i}`}
              data-testid="backtest-trade-row"
              data-pnl={t.pnl}
              className="hover:bg-zinc-800/40"
            >
              <td className={`${firstCell} text-zinc-500`} title={formatCandleTime(t.entryTime, '1s', true)}>
                {oneDay ? formatCandleTime(t.entryTime, '1s') : formatCandleTime(t.entryTime, '1s', true)}
              </td>
              <td className={`${cell} text-zinc-500`}>{exitTime(t.entryTime, t.exitTime)}</td>
              {many && <td className={cell}>{t.symbol}</td>}
              <td className={`${cell} ${t.side === 'long' ? 'text-emerald-400' : 'text-rose-400'}`}>
                {t.side}
              </td>
              <td className={cell}>{atStep(t.quantity, p.lot)}</td>
              <td className={cell} data-testid="trade-entry-price">
                {atStep(t.entryPrice, p.tick)}
              </td>
              <td className={cell}>{atStep(t.exitPrice, p.tick)}</td>
              <td className={`${cell} ${pnlClass(t.pnl)}`}>{money(t.pnl)}</td>
              <td className={`${cell} ${pnlClass(t.pnl)}`}>
                {t.pnlPercent === null ? '—' : `${t.pnlPercent}%`}
              </td>
              <td className={`${cell} text-zinc-400`}>{money(t.fees)}</td>
            </tr>
          );
        })}
        <tr
          data-testid="backtest-trade-totals"
          data-pnl={totals.pnl}
          className="border-t border-zinc-700 font-semibold"
        >
          <td className={firstCell} colSpan={many ? 7 : 6}>
            Total · {totals.trips} round trip{totals.trips === 1 ? '' : 's'} · {totals.wins} won ·{' '}
            {totals.losses} lost
          </td>
          <td className={`${cell} ${pnlClass(totals.pnl)}`}>{money(totals.pnl)}</td>
          <td className={cell} />
          <td className={`${cell} text-zinc-400`}>{money(totals.fees)}</td>
        </tr>
      </DataTable>
    </div>
  );
}
