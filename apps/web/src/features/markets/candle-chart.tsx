'use client';

import { BarChart, CandlestickChart, LineChart } from 'echarts/charts';
import {
  AxisPointerComponent,
  DataZoomComponent,
  GridComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { CandleBook } from './candle-book';
import { baseChartOption, chartData, nextZoom, type ZoomWindow } from './chart-option';
import { formatCandleTime } from './chart-theme';
import { formatDecimal } from './decimal-text';
import { type Overlay, overlayData, withOverlays } from './indicator-overlays';

// Only the pieces this chart draws, not all of ECharts (the full build is ~1 MB).
echarts.use([
  CandlestickChart,
  LineChart,
  BarChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  DataZoomComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

/** Within this many candles of the oldest one loaded, the previous page is fetched. */
const LEFT_EDGE = 5;

export interface CandleChartProps {
  book: CandleBook;
  /** Changes whenever the book did (throttled); the chart redraws from the book then. */
  revision: number;
  priceDecimals: number;
  /** Indicators drawn over price or in panes below it, computed from the book's candles. */
  overlays?: readonly Overlay[];
  onNearLeftEdge: () => void;
  /** After each draw: what is on screen now (the browser test reads it from the container). */
  onDraw: (drawn: DrawnState) => void;
}

export interface DrawnState {
  candles: number;
  lastClose: string;
  updates: number;
}

type Instance = ReturnType<typeof echarts.init>;

interface DataZoomEvent {
  start?: number;
  end?: number;
  startValue?: number;
  endValue?: number;
  batch?: DataZoomEvent[];
}

/**
 * The candlestick and volume chart. Data goes straight to the ECharts instance (not through React
 * props, which echarts-for-react would deep-compare on every update); React only says when to redraw.
 */
export default function CandleChart({
  book,
  revision,
  priceDecimals,
  overlays = noOverlays,
  onNearLeftEdge,
  onDraw,
}: CandleChartProps) {
  const [chart, setChart] = useState<Instance | null>(null);
  const zoom = useRef<ZoomWindow | null>(null);
  const drawn = useRef({ length: 0, frontShift: 0 });
  const edgeHandler = useRef(onNearLeftEdge);
  edgeHandler.current = onNearLeftEdge;
  const drawHandler = useRef(onDraw);
  drawHandler.current = onDraw;

  const option = useMemo(
    () =>
      withOverlays(
        baseChartOption({
          interval: book.key.interval,
          priceDecimals,
          tooltip: (i) => candleTooltip(book, i, priceDecimals),
        }),
        overlays,
      ),
    [book, priceDecimals, overlays],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: `revision` is the signal that the book changed; a new `option` (overlays changed) was applied without data, so it is drawn again.
  useEffect(() => {
    if (!chart) return;
    const after = { length: book.length, frontShift: book.frontShift };
    // The window is always set by value: a pan or zoom reports percentages, and ECharts would keep those
    // (drifting the view as candles are added) if not told otherwise on every draw.
    zoom.current = nextZoom(zoom.current, drawn.current, after);
    drawn.current = after;
    const last = book.last();
    const label = last ? formatDecimal(last.close, priceDecimals) : null;
    const data = chartData(book.candles, label, zoom.current);
    const series = [...data.series, ...overlayData(overlays, book.candles)];
    chart.setOption({ ...data, series, xAxis: option.xAxis.map(() => data.xAxis[0]) }, { silent: true });
    drawHandler.current({ candles: book.length, lastClose: last?.close ?? '', updates: book.liveUpdates });
  }, [chart, book, revision, priceDecimals, option, overlays]);

  const events = useMemo(
    () => ({
      datazoom: (e: DataZoomEvent) => {
        const z = e.batch?.[0] ?? e;
        const last = Math.max(0, book.length - 1);
        const start = z.startValue ?? Math.round(((z.start ?? 0) / 100) * last);
        const end = z.endValue ?? Math.round(((z.end ?? 100) / 100) * last);
        zoom.current = { start, end };
        if (start <= LEFT_EDGE) edgeHandler.current();
      },
    }),
    [book],
  );

  return (
    <ReactEChartsCore
      echarts={echarts}
      option={option}
      onEvents={events}
      onChartReady={setChart}
      // Overlays added or removed change the grids and series: replace the option rather than merge it.
      notMerge
      style={{ height: '100%', width: '100%' }}
      opts={{ renderer: 'canvas' }}
    />
  );
}

const noOverlays: readonly Overlay[] = [];

function candleTooltip(book: CandleBook, index: number, decimals: number): string {
  const k = book.candles[index];
  if (!k) return '';
  const row = (label: string, value: string) =>
    `<div style="display:flex;justify-content:space-between;gap:16px"><span style="color:#a1a1aa">${label}</span><span>${value}</span></div>`;
  const price = (v: string) => formatDecimal(v, decimals);
  return [
    `<div style="color:#a1a1aa;margin-bottom:4px">${formatCandleTime(k.openTime, k.interval, true)}${k.closed ? '' : ' · open'}</div>`,
    row('Open', price(k.open)),
    row('High', price(k.high)),
    row('Low', price(k.low)),
    row('Close', price(k.close)),
    row('Volume', k.baseVolume),
    row('Trades', String(k.tradeCount)),
  ].join('');
}
