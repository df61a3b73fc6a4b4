import type { FillPoint, OrderLine } from './order-lines';

/**
 * The cockpit's ECharts pieces: one markLine series for the order and entry lines (its own series, so the
 * last-price and alert lines are untouched) and one scatter series for the fills. Prices become floats
 * here only to be drawn.
 */
export function orderLinesSeries(lines: readonly OrderLine[]) {
  return {
    id: 'order-lines',
    name: 'Orders',
    type: 'line',
    data: [] as number[],
    xAxisIndex: 0,
    yAxisIndex: 0,
    silent: true,
    markLine: {
      symbol: 'none',
      silent: true,
      animation: false,
      label: { show: false },
      data: lines.map((l) => ({
        yAxis: Number(l.price),
        lineStyle: { color: l.color, type: l.kind === 'limit' ? 'solid' : 'dashed', width: 1, opacity: 0.9 },
      })),
    },
  };
}

export function fillMarkersSeries(points: readonly FillPoint[]) {
  return {
    id: 'fill-markers',
    name: 'Fills',
    type: 'scatter',
    xAxisIndex: 0,
    yAxisIndex: 0,
    silent: true,
    z: 5,
    symbolSize: 9,
    data: points.map((p) => ({
      value: [p.index, p.price],
      symbol: 'triangle',
      symbolRotate: p.side === 'buy' ? 0 : 180,
      itemStyle: { color: p.side === 'buy' ? '#34d399' : '#fb7185', borderColor: '#09090b', borderWidth: 1 },
    })),
  };
}

/** A tag's width for its text (11 px monospace: ~6.7 px a character, plus padding). */
export const tagWidth = (text: string) => Math.ceil((text.length + 2) * 6.7) + 14;
