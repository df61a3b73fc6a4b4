import { formatDecimal } from '../markets/decimal-text';

/** "+1.25%", "-0.4%", "0%": the sign always shown, so a fall and a rise read apart at a glance. */
export function formatChange(pct: string | null): string {
  if (pct === null) return '—';
  if (pct.startsWith('-')) return `${pct}%`;
  return pct === '0' ? '0%' : `+${pct}%`;
}

/** Which way a change points (colour). */
export function changeTone(pct: string | null): 'up' | 'down' | 'flat' {
  if (pct === null || pct === '0') return 'flat';
  return pct.startsWith('-') ? 'down' : 'up';
}

/**
 * A figure for a glance: thousands grouped, at most `maxDecimals` fraction digits, cut (not rounded: a
 * display must never show a value the market did not reach). The exact string goes in the title.
 */
export function shortDecimal(value: string | null, maxDecimals: number): string {
  if (value === null) return '—';
  const dot = value.indexOf('.');
  const cut =
    dot < 0 || maxDecimals < 0 ? value : value.slice(0, maxDecimals === 0 ? dot : dot + 1 + maxDecimals);
  return formatDecimal(cut, 0);
}
