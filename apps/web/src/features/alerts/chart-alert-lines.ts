import type { AlertView } from '@qt/shared';

/** A price alert drawn on the chart: a horizontal line at `level`, draggable to move it. */
export interface AlertLine {
  alertId: string;
  level: string;
  label: string;
}

const levelOps = new Set(['crosses', 'crossesUp', 'crossesDown', 'above', 'below']);

/** The active single-level price alerts of one market, as lines (other alerts have no one level to draw). */
export function alertLinesOf(alerts: readonly AlertView[], venue: string, symbol: string): AlertLine[] {
  const out: AlertLine[] = [];
  for (const a of alerts) {
    if (a.state !== 'active' || a.venue !== venue || a.symbol !== symbol) continue;
    const c = a.condition;
    if (c.kind !== 'price' || typeof c.value !== 'string' || !levelOps.has(String(c.op))) continue;
    out.push({ alertId: a.id, level: c.value, label: a.name });
  }
  return out;
}

/**
 * A chart position as a price level on the tick grid. The position is a float by nature (a pixel mapped
 * through the axis); it becomes a decimal string here, once, rounded to the instrument's decimals, and
 * only that string reaches the engine.
 */
export function levelAt(axisValue: number, decimals: number): string | null {
  if (!Number.isFinite(axisValue) || axisValue <= 0) return null;
  const d = Math.max(0, Math.min(12, Math.trunc(decimals)));
  return axisValue.toFixed(d);
}

export const alertLineColor = '#f59e0b';

/** The markLine series that draws the lines (its own series, so the last-price line is untouched). */
export function alertLinesSeries(lines: readonly AlertLine[], format: (level: string) => string) {
  return {
    id: 'alert-lines',
    name: 'Alerts',
    type: 'line',
    data: [] as number[],
    xAxisIndex: 0,
    yAxisIndex: 0,
    silent: true,
    markLine: {
      symbol: 'none',
      silent: true,
      animation: false,
      lineStyle: { color: alertLineColor, type: 'dotted', width: 1.5 },
      label: {
        position: 'insideStartTop',
        color: alertLineColor,
        fontSize: 11,
        formatter: (p: { data?: { name?: string } }) => p.data?.name ?? '',
      },
      data: lines.map((l) => ({ yAxis: Number(l.level), name: `Alert ${format(l.level)}` })),
    },
  };
}
