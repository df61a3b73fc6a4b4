import type { ChartCandle } from './chart-intervals';
import { chartColors as c, formatCandleTime } from './chart-theme';

/** Candles visible when a chart opens; the rest is a zoom or pan away. */
export const INITIAL_VISIBLE = 120;

export interface ZoomWindow {
  start: number;
  end: number;
}

/**
 * The parts of the option that do not change with the data: two grids (price above, volume below) on
 * one category axis, zoomed together by the mouse wheel, dragging and the slider. `rangeMode: value`
 * keeps the window on the same candles when data is added, instead of the same percentage.
 */
export function baseChartOption(opts: {
  interval: string;
  priceDecimals: number;
  /** The tooltip for the candle that opened at `openTime` (the hovered category, as the crosshair shows). */
  tooltip: (openTime: number) => string;
  /** A logarithmic price axis (equal ratios, equal heights) instead of a linear one. */
  logScale?: boolean;
}) {
  // Axis ticks are plotting positions, not prices anyone trades at: a float format is fine here.
  const axisPrice = new Intl.NumberFormat('en-US', {
    minimumFractionDigits: opts.priceDecimals,
    maximumFractionDigits: opts.priceDecimals,
  });
  const axisLabel = {
    color: c.label,
    fontSize: 11,
    formatter: (value: string) => formatCandleTime(Number(value), opts.interval),
  };
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' },
    axisPointer: { link: [{ xAxisIndex: 'all' }], label: { backgroundColor: '#27272a', color: c.text } },
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'cross', lineStyle: { color: c.crosshair, type: 'dashed' } },
      backgroundColor: c.tooltipBg,
      borderColor: c.tooltipBorder,
      textStyle: { color: c.text, fontSize: 12 },
      padding: [6, 10],
      // By the hovered category (the candle's open time), not by data index: the book can gain or drop
      // candles between two redraws (1s candles, trimming), and an index would then name a neighbour
      // while the crosshair label still shows the category's time.
      formatter: (params: { axisValue?: string | number }[]) => opts.tooltip(Number(params[0]?.axisValue)),
    },
    grid: [
      { left: 8, right: 72, top: 12, height: '68%' },
      { left: 8, right: 72, top: '78%', bottom: 52 },
    ],
    xAxis: [0, 1].map((gridIndex) => ({
      type: 'category',
      gridIndex,
      data: [] as string[],
      boundaryGap: true,
      axisLine: { lineStyle: { color: c.axis } },
      axisTick: { show: false },
      axisLabel: gridIndex === 0 ? { show: false } : axisLabel,
      axisPointer: {
        label: {
          show: gridIndex === 1,
          formatter: (p: { value: string }) => formatCandleTime(Number(p.value), opts.interval, true),
        },
      },
      splitLine: { show: false },
    })),
    yAxis: [
      {
        type: opts.logScale ? 'log' : 'value',
        scale: true,
        position: 'right',
        splitNumber: 6,
        axisLine: { show: false },
        axisLabel: { color: c.label, fontSize: 11, formatter: (v: number) => axisPrice.format(v) },
        axisPointer: { label: { formatter: (p: { value: number }) => axisPrice.format(p.value) } },
        splitLine: { lineStyle: { color: c.grid } },
      },
      {
        gridIndex: 1,
        position: 'right',
        splitNumber: 2,
        axisLine: { show: false },
        axisLabel: { show: false },
        axisPointer: { label: { show: false } },
        splitLine: { show: false },
      },
    ],
    dataZoom: [
      { id: 'inside', type: 'inside', xAxisIndex: [0, 1], rangeMode: ['value', 'value'], minValueSpan: 10 },
      {
        id: 'slider',
        type: 'slider',
        xAxisIndex: [0, 1],
        rangeMode: ['value', 'value'],
        bottom: 8,
        height: 20,
        borderColor: c.axis,
        backgroundColor: 'transparent',
        fillerColor: 'rgba(63, 63, 70, 0.35)',
        dataBackground: { lineStyle: { color: c.axis }, areaStyle: { color: 'rgba(63, 63, 70, 0.3)' } },
        handleStyle: { color: '#52525b', borderColor: '#71717a' },
        moveHandleStyle: { color: '#52525b' },
        textStyle: { color: c.label, fontSize: 10 },
        labelFormatter: (_: number, value: string) => formatCandleTime(Number(value), opts.interval, true),
      },
    ],
    series: [
      {
        id: 'candles',
        name: 'Price',
        type: 'candlestick',
        data: [] as number[][],
        itemStyle: { color: c.up, color0: c.down, borderColor: c.up, borderColor0: c.down },
        barMaxWidth: 14,
      },
      {
        id: 'volume',
        name: 'Volume',
        type: 'bar',
        xAxisIndex: 1,
        yAxisIndex: 1,
        data: [] as unknown[],
        barMaxWidth: 14,
      },
    ],
  };
}

/**
 * The data part of the option. Numbers here are for plotting only (pixel positions); the exact decimal
 * strings stay in the book and are what the tooltip and the price label show.
 */
export function chartData(
  candles: readonly ChartCandle[],
  lastLabel: string | null,
  zoom: ZoomWindow | null,
) {
  const times: string[] = new Array(candles.length);
  const ohlc: number[][] = new Array(candles.length);
  const volume: { value: number; itemStyle: { color: string } }[] = new Array(candles.length);
  candles.forEach((k, i) => {
    const close = Number(k.close);
    const open = Number(k.open);
    times[i] = String(k.openTime);
    ohlc[i] = [open, close, Number(k.low), Number(k.high)];
    volume[i] = {
      value: Number(k.baseVolume),
      itemStyle: { color: close >= open ? c.upVolume : c.downVolume },
    };
  });
  const last = candles[candles.length - 1];
  const lastUp = last ? Number(last.close) >= Number(last.open) : true;
  const lastColor = lastUp ? c.up : c.down;
  return {
    xAxis: [{ data: times }, { data: times }],
    series: [
      {
        id: 'candles',
        data: ohlc,
        markLine: last
          ? {
              symbol: 'none',
              silent: true,
              animation: false,
              data: [{ yAxis: Number(last.close) }],
              lineStyle: { color: lastColor, type: 'dashed', width: 1, opacity: 0.8 },
              // Inside the plot, above the line at its right end: at `end` the tag sat over the price axis
              // and hid the labels next to it.
              label: {
                position: 'insideEndTop',
                formatter: () => lastLabel ?? '',
                color: '#09090b',
                backgroundColor: lastColor,
                padding: [2, 4],
                borderRadius: 2,
                fontSize: 11,
                fontWeight: 600,
              },
            }
          : { data: [] },
      },
      { id: 'volume', data: volume },
    ],
    ...(zoom && {
      dataZoom: [
        { id: 'inside', startValue: zoom.start, endValue: zoom.end },
        { id: 'slider', startValue: zoom.start, endValue: zoom.end },
      ],
    }),
  };
}

/**
 * Where the zoom window goes after the book changed: moved with candles added or dropped at the front,
 * following the newest candle if it was showing it, and the newest INITIAL_VISIBLE on first draw.
 */
export function nextZoom(
  current: ZoomWindow | null,
  before: { length: number; frontShift: number },
  after: { length: number; frontShift: number },
): ZoomWindow | null {
  if (after.length === 0) return null;
  const lastIndex = after.length - 1;
  if (!current || before.length === 0) {
    return { start: Math.max(0, after.length - INITIAL_VISIBLE), end: lastIndex };
  }
  const shift = after.frontShift - before.frontShift;
  const following = current.end >= before.length - 1;
  const start = current.start + shift;
  const end = current.end + shift;
  if (following) {
    const grow = lastIndex - end;
    return { start: Math.max(0, start + grow), end: lastIndex };
  }
  return { start: Math.max(0, start), end: Math.min(lastIndex, Math.max(0, end)) };
}

/** Whether the window shows the newest candle (new candles then scroll it along). */
export function showsLatest(zoom: ZoomWindow | null, length: number): boolean {
  return zoom === null || length === 0 || zoom.end >= length - 1;
}

/** "Back to live": the same number of candles, ending on the newest one. */
export function latestWindow(zoom: ZoomWindow | null, length: number): ZoomWindow | null {
  if (length === 0) return null;
  const last = length - 1;
  const width = zoom ? Math.max(0, zoom.end - zoom.start) : INITIAL_VISIBLE - 1;
  return { start: Math.max(0, last - width), end: last };
}
