import {
  type BacktestNoteView,
  type BacktestReportView,
  type BacktestView,
  formatScaled,
  parseScaled,
  significantScaleOf,
} from '@qt/shared';
import { formatDecimal } from '../markets/decimal-text';
import { intervalMs } from './backtest-range';

/** "6 min", "2 h 5 min", "3.5 days": the same words as the engine's notes. */
export function spanText(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 2 * 86_400_000) {
    const h = Math.floor(ms / 3_600_000);
    const m = Math.round((ms - h * 3_600_000) / 60_000);
    return m > 0 ? `${h} h ${m} min` : `${h} h`;
  }
  return `${Math.round((ms / 86_400_000) * 10) / 10} days`;
}

export const tooShortNote = (notes: readonly BacktestNoteView[] | undefined) =>
  notes?.find((n) => n.code === 'RUN_TOO_SHORT');

/** What an annualised card says instead of a number: "n/a — run too short (6 min; … ≥ 30 days)". */
export function tooShortText(note: BacktestNoteView): string {
  const span = note.details.spanMs ?? 0;
  const minDays = Math.round((note.details.minSpanMs ?? 30 * 86_400_000) / 86_400_000);
  return `n/a — run too short (${spanText(span)}; annualised figures need ≥ ${minDays} days)`;
}

/**
 * A decimal at a step's precision (a tick or lot size: "0.01" → 2 decimals), rounded half-even on the
 * digits (averages of several fills have more decimals than a tick), grouped in thousands. Never a float.
 */
export function atStep(value: string, step: string | undefined): string {
  if (step === undefined) return formatDecimal(value, 0);
  const decimals = significantScaleOf(step);
  return formatDecimal(formatScaled(parseScaled(value, decimals, 'halfEven'), decimals, decimals), decimals);
}

export type Precision = (
  venue: string,
  symbol: string,
) => { tick: string | undefined; lot: string | undefined };

/** Tick and lot sizes of the report's instruments, looked up by venue and symbol. */
export function precisionOf(report: BacktestReportView | undefined): Precision {
  const list = report?.instruments ?? [];
  return (venue, symbol) => {
    const i = list.find((x) => x.venue === venue && x.symbol === symbol);
    return { tick: i?.tickSize, lot: i?.lotSize };
  };
}

/** Money in the quote currency: two decimals at least, every digit the ledger gave kept. */
export const money = (value: string) => formatDecimal(value, 2);

export interface CoverageLine {
  instrument: string;
  requested: string;
  used: string;
  complete: boolean;
}

/** Requested range against the candles really used, per instrument, in words for the coverage card. */
export function coverageLines(
  backtest: Pick<BacktestView, 'from' | 'to' | 'interval'>,
  report: BacktestReportView,
  time: (ms: number) => string,
): CoverageLine[] {
  const ms = intervalMs[backtest.interval];
  const expected = Math.floor((backtest.to - backtest.from) / ms);
  const requested = `${time(backtest.from)} → ${time(backtest.to)} · ${expected.toLocaleString('en-US')} candles expected`;
  return report.coverage.map((c) => {
    const instrument = `${c.venue}:${c.symbol}`;
    if (c.firstCandle === null || c.lastCandle === null) {
      return { instrument, requested, used: 'no candles', complete: false };
    }
    const gaps =
      c.gaps > 0
        ? ` · ${c.missing.toLocaleString('en-US')} missing in ${c.gaps} gap${c.gaps === 1 ? '' : 's'}`
        : '';
    const used = `${time(c.firstCandle)} → ${time(c.lastCandle + ms)} · ${c.candles.toLocaleString('en-US')} candles${gaps}`;
    return { instrument, requested, used, complete: c.candles >= expected && c.gaps === 0 };
  });
}
