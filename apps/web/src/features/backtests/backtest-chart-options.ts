import type { Kline } from '@qt/shared';
import { chartColors as c, formatCandleTime } from '../markets/chart-theme';
import type { FillMarker } from './fill-markers';

const tooltipStyle = {
  backgroundColor: c.tooltipBg,
  borderColor: c.tooltipBorder,
  textStyle: { color: c.text, fontSize: 12 },
  padding: [6, 10],
};
const axisLabel = { color: c.label, fontSize: 11 };
const equityFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/**
 * Equity above, drawdown below, on one time axis zoomed together; with `buyAndHold`, a dashed line of the
 * same start equity held in the first instrument, beside the equity. The values are the engine's per-bar
 * numbers, for drawing only (the metric cards and the report show the exact figures).
 */
export function equityChartOption(
  equity: readonly [number, number][],
  drawdown: readonly [number, number][],
  buyAndHold?: { label: string; curve: readonly [number, number][] } | null,
) {
  const ddPercent = drawdown.map(([t, v]) => [t, -Math.abs(v) * 100] as const);
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
    axisPointer: { link: [{ xAxisIndex: 'all' }], label: { backgroundColor: '#27272a', color: c.text } },
    tooltip: { trigger: 'axis', ...tooltipStyle },
    legend: {
      data: buyAndHold ? ['Equity', buyAndHold.label] : ['Equity'],
      textStyle: { color: c.label, fontSize: 11 },
      top: 0,
      right: 72,
    },
    grid: [
      { left: 8, right: 72, top: 24, height: '55%' },
      { left: 8, right: 72, top: '72%', bottom: 40 },
    ],
    xAxis: [0, 1].map((gridIndex) => ({
      type: 'time',
      gridIndex,
      axisLine: { lineStyle: { color: c.axis } },
      axisLabel: gridIndex === 0 ? { show: false } : axisLabel,
      splitLine: { show: false },
    })),
    yAxis: [
      {
        scale: true,
        position: 'right',
        axisLabel: { ...axisLabel, formatter: (v: number) => equityFormat.format(v) },
        splitLine: { lineStyle: { color: c.grid } },
      },
      {
        gridIndex: 1,
        position: 'right',
        max: 0,
        splitNumber: 2,
        axisLabel: { ...axisLabel, formatter: (v: number) => `${v.toFixed(1)}%` },
        splitLine: { lineStyle: { color: c.grid } },
      },
    ],
    dataZoom: [
      { type: 'inside', xAxisIndex: [0, 1] },
      {
        type: 'slider',
        xAxisIndex: [0, 1],
        bottom: 6,
        height: 18,
        borderColor: c.axis,
        backgroundColor: 'transparent',
        fillerColor: 'rgba(63, 63, 70, 0.35)',
        textStyle: { color: c.label, fontSize: 10 },
      },
    ],
    series: [
      {
        id: 'equity',
        name: 'Equity',
        type: 'line',
        showSymbol: false,
        data: equity,
        lineStyle: { color: c.up, width: 1.5 },
        areaStyle: { color: 'rgba(52, 211, 153, 0.08)' },
      },
      {
        id: 'drawdown',
        name: 'Drawdown %',
        type: 'line',
        xAxisIndex: 1,
        yAxisIndex: 1,
        showSymbol: false,
        data: ddPercent,
        lineStyle: { color: c.down, width: 1 },
        areaStyle: { color: 'rgba(251, 113, 133, 0.18)' },
      },
      ...(buyAndHold
        ? [
            {
              id: 'buyAndHold',
              name: buyAndHold.label,
              type: 'line',
              showSymbol: false,
              data: buyAndHold.curve,
              lineStyle: { color: c.label, width: 1, type: 'dashed' },
            },
          ]
        : []),
    ],
  };
}

/** The first instrument's candles with the backtest's fills on them: green up-triangles buy, red down sell. */
export function fillsChartOption(
  candles: readonly Kline[],
  markers: readonly FillMarker[],
  interval: string,
) {
  const times = candles.map((k) => String(k.openTime));
  const point = (side: 'buy' | 'sell') =>
    markers
      .filter((m) => m.side === side)
      .map((m) => ({
        value: [m.index, m.price],
        fill: m.fill,
      }));
  const marker = (side: 'buy' | 'sell') => ({
    id: `${side}s`,
    name: side === 'buy' ? 'Buys' : 'Sells',
    type: 'scatter',
    data: point(side),
    symbol: 'triangle',
    symbolSize: 11,
    symbolRotate: side === 'buy' ? 0 : 180,
    symbolOffset: [0, side === 'buy' ? 10 : -10],
    itemStyle: { color: side === 'buy' ? c.up : c.down, borderColor: '#09090b', borderWidth: 1 },
    z: 5,
    tooltip: {
      trigger: 'item',
      formatter: (p: { data: { fill: FillMarker['fill'] } }) =>
        `${p.data.fill.side.toUpperCase()} ${p.data.fill.quantity} @ ${p.data.fill.price}<br/><span style="color:#a1a1aa">${formatCandleTime(p.data.fill.time, '1s', true)} · fee ${p.data.fill.fee}</span>`,
    },
  });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'cross' }, ...tooltipStyle },
    legend: { data: ['Buys', 'Sells'], textStyle: { color: c.label, fontSize: 11 }, top: 0, right: 72 },
    grid: { left: 8, right: 72, top: 24, bottom: 40 },
    xAxis: {
      type: 'category',
      data: times,
      boundaryGap: true,
      axisLine: { lineStyle: { color: c.axis } },
      axisLabel: { ...axisLabel, formatter: (v: string) => formatCandleTime(Number(v), interval) },
    },
    yAxis: { scale: true, position: 'right', axisLabel, splitLine: { lineStyle: { color: c.grid } } },
    dataZoom: [
      { type: 'inside' },
      {
        type: 'slider',
        bottom: 6,
        height: 18,
        borderColor: c.axis,
        textStyle: { color: c.label, fontSize: 10 },
      },
    ],
    series: [
      {
        id: 'candles',
        name: 'Price',
        type: 'candlestick',
        data: candles.map((k) => [Number(k.open), Number(k.close), Number(k.low), Number(k.high)]),
        itemStyle: { color: c.up, color0: c.down, borderColor: c.up, borderColor0: c.down },
        barMaxWidth: 12,
      },
      marker('buy'),
      marker('sell'),
    ],
  };
}
