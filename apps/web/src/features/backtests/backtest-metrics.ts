import type { BacktestMetricsView } from '@qt/shared';
import { compareDecimal, formatDecimal } from '../markets/decimal-text';
import { tooShortNote, tooShortText } from './backtest-report';

export type MetricTone = 'up' | 'down' | 'neutral';

export interface MetricCard {
  key: string;
  label: string;
  value: string;
  tone: MetricTone;
  hint: string;
}

const NONE = '—';

/** Ratios are reported as fractions (0.052 = 5.2%); display only, never fed back into money maths. */
function percent(v: number | null, signed = false): string {
  if (v === null || !Number.isFinite(v)) return NONE;
  const text = `${(v * 100).toFixed(2)}%`;
  return signed && v > 0 ? `+${text}` : text;
}

function ratio(v: number | null): string {
  if (v === null) return NONE;
  if (v === Number.POSITIVE_INFINITY) return '∞';
  return Number.isFinite(v) ? v.toFixed(2) : NONE;
}

const toneOf = (v: number | null): MetricTone => (v === null || v === 0 ? 'neutral' : v > 0 ? 'up' : 'down');

/**
 * The result cards, in reading order. Money (equity, fees) stays a decimal string from the engine; the
 * statistics are floats by nature. A metric the run cannot define (no round trips: no win rate) is a dash.
 */
export function metricCards(m: BacktestMetricsView, quote: string): MetricCard[] {
  const equityTone: MetricTone =
    compareDecimal(m.endEquity, m.startEquity) > 0
      ? 'up'
      : compareDecimal(m.endEquity, m.startEquity) < 0
        ? 'down'
        : 'neutral';
  // Drawdown may come signed either way; it is a loss by definition, so it is shown as one.
  const drawdown = m.maxDrawdown === null ? null : -Math.abs(m.maxDrawdown);
  // A run too short to annualise: the engine withheld CAGR, Sharpe and Sortino, and the cards say why
  // instead of showing a dash that reads like "no trades".
  const short = tooShortNote(m.notes);
  const na = short ? tooShortText(short) : null;
  const annualised = (card: MetricCard): MetricCard =>
    na ? { ...card, value: na, tone: 'neutral', hint: short?.message ?? card.hint } : card;
  return [
    {
      key: 'totalReturn',
      label: 'Total return',
      value: percent(m.totalReturn, true),
      tone: toneOf(m.totalReturn),
      hint: 'End equity over start equity, minus one',
    },
    {
      key: 'endEquity',
      label: 'End equity',
      value: `${formatDecimal(m.endEquity, 2)} ${quote}`,
      tone: equityTone,
      hint: `Started at ${formatDecimal(m.startEquity, 2)} ${quote}`,
    },
    {
      key: 'maxDrawdown',
      label: 'Max drawdown',
      value: percent(drawdown),
      tone: drawdown ? 'down' : 'neutral',
      hint: 'Largest fall from a peak of equity',
    },
    annualised({
      key: 'sharpe',
      label: 'Sharpe',
      value: ratio(m.sharpe),
      tone: toneOf(m.sharpe),
      hint: 'Annualised, per-bar returns',
    }),
    annualised({
      key: 'sortino',
      label: 'Sortino',
      value: ratio(m.sortino),
      tone: toneOf(m.sortino),
      hint: 'Like Sharpe, counting only downside moves',
    }),
    annualised({
      key: 'cagr',
      label: 'CAGR',
      value: percent(m.cagr, true),
      tone: toneOf(m.cagr),
      hint: 'Annualised growth',
    }),
    {
      key: 'winRate',
      label: 'Win rate',
      value: percent(m.winRate),
      tone: 'neutral',
      hint: `${m.roundTrips} round trips`,
    },
    {
      key: 'profitFactor',
      label: 'Profit factor',
      value: ratio(m.profitFactor),
      tone: m.profitFactor === null ? 'neutral' : m.profitFactor >= 1 ? 'up' : 'down',
      hint: 'Gross profit over gross loss',
    },
    {
      key: 'exposure',
      label: 'Exposure',
      value: percent(m.exposure),
      tone: 'neutral',
      hint: 'Share of bars with a position open',
    },
    {
      key: 'fills',
      label: 'Orders / fills',
      value: `${m.orders} / ${m.fills}`,
      tone: 'neutral',
      hint: `${m.rejections} rejected`,
    },
    {
      key: 'fees',
      label: 'Fees',
      value: `${formatDecimal(m.fees, 2)} ${quote}`,
      tone: 'neutral',
      hint: 'Paid at the paper matcher’s rates',
    },
    // A trades-mode run replays trades (its candles are cut from them); a candles-mode run, bars.
    m.trades > 0
      ? {
          key: 'candles',
          label: 'Trades',
          value: m.trades.toLocaleString('en-US'),
          tone: 'neutral',
          hint: `${m.candles} candles`,
        }
      : {
          key: 'candles',
          label: 'Candles',
          value: m.candles.toLocaleString('en-US'),
          tone: 'neutral',
          hint: 'Bars replayed',
        },
  ];
}
