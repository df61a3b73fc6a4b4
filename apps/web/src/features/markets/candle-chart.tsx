'use client';

import { BarChart, CandlestickChart, LineChart } from 'echarts/charts';
import {
  AxisPointerComponent,
  DataZoomComponent,
  GraphicComponent,
  GridComponent,
  MarkLineComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';
import ReactEChartsCore from 'echarts-for-react/lib/core';
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  type AlertLine,
  alertLineColor,
  alertLinesSeries,
  levelAt,
} from '@/features/alerts/chart-alert-lines';
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
  GraphicComponent,
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
  /** Price alerts of this market, drawn as horizontal lines with a handle to drag them to a new level. */
  alertLines?: readonly AlertLine[];
  /** A click inside the price pane: the level under the pointer, on the tick grid. */
  onPriceClick?: (level: string) => void;
  /** An alert line's handle was dropped at a new level. */
  onAlertMove?: (alertId: string, level: string) => void;
  /** After each draw: what is on screen now (the browser test reads it from the container). */
  onDraw: (drawn: DrawnState) => void;
}

export interface DrawnState {
  candles: number;
  lastClose: string;
  updates: number;
  /** The last close's vertical position in the chart, in CSS pixels (for the browser test's click). */
  lastCloseY: number | null;
  alertLines: number;
}

/** Space for the price axis labels on the right of the grids (see baseChartOption). */
const AXIS_WIDTH = 72;
const HANDLE_WIDTH = 84;

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
  alertLines = noLines,
  onPriceClick,
  onAlertMove,
  onDraw,
}: CandleChartProps) {
  const [chart, setChart] = useState<Instance | null>(null);
  const zoom = useRef<ZoomWindow | null>(null);
  const drawn = useRef({ length: 0, frontShift: 0 });
  const edgeHandler = useRef(onNearLeftEdge);
  edgeHandler.current = onNearLeftEdge;
  const drawHandler = useRef(onDraw);
  drawHandler.current = onDraw;
  const clickHandler = useRef(onPriceClick);
  clickHandler.current = onPriceClick;
  const moveHandler = useRef(onAlertMove);
  moveHandler.current = onAlertMove;
  /** The alert whose handle is being dragged: redraws leave its handle where the pointer put it. */
  const dragging = useRef<string | null>(null);
  const handles = useRef(new Set<string>());

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
    const format = (level: string) => formatDecimal(level, priceDecimals);
    const series = [
      ...data.series,
      ...overlayData(overlays, book.candles),
      alertLinesSeries(alertLines, format),
    ];
    chart.setOption({ ...data, series, xAxis: option.xAxis.map(() => data.xAxis[0]) }, { silent: true });
    chart.setOption(
      {
        graphic: alertHandles(
          chart,
          alertLines,
          handles.current,
          dragging,
          moveHandler,
          priceDecimals,
          format,
        ),
      },
      { silent: true },
    );
    const y = last ? chart.convertToPixel({ yAxisIndex: 0 }, Number(last.close)) : Number.NaN;
    drawHandler.current({
      candles: book.length,
      lastClose: last?.close ?? '',
      updates: book.liveUpdates,
      lastCloseY: Number.isFinite(y) ? Math.round(y) : null,
      alertLines: alertLines.length,
    });
  }, [chart, book, revision, priceDecimals, option, overlays, alertLines]);

  // A click in the price pane (not a drag: zrender reports a click only when the pointer did not move).
  useEffect(() => {
    if (!chart) return;
    const zr = chart.getZr();
    const click = (e: { offsetX: number; offsetY: number; target?: { draggable?: unknown } | null }) => {
      if (!clickHandler.current || dragging.current || e.target?.draggable) return;
      if (!chart.containPixel({ gridIndex: 0 }, [e.offsetX, e.offsetY])) return;
      const value = chart.convertFromPixel({ yAxisIndex: 0 }, e.offsetY);
      const level = levelAt(Number(value), priceDecimals);
      if (level) clickHandler.current(level);
    };
    zr.on('click', click);
    return () => {
      zr.off('click', click);
    };
  }, [chart, priceDecimals]);

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
const noLines: readonly AlertLine[] = [];

/**
 * One draggable handle per alert line, at the right end of the price pane. ECharts's markLine cannot be
 * dragged, and a graphic element marked draggable is left alone by the chart's own pan (dataZoom), so
 * the handle is what moves; on drop its position becomes a level on the tick grid. Handles of lines that
 * went away are removed by id (graphic elements merge by id).
 */
function alertHandles(
  chart: Instance,
  lines: readonly AlertLine[],
  drawn: Set<string>,
  dragging: { current: string | null },
  onMove: { current: ((alertId: string, level: string) => void) | undefined },
  decimals: number,
  format: (level: string) => string,
) {
  const x = chart.getWidth() - AXIS_WIDTH - HANDLE_WIDTH - 4;
  const out: Record<string, unknown>[] = [];
  const now = new Set<string>();
  for (const line of lines) {
    const id = `alert-handle-${line.alertId}`;
    now.add(id);
    if (dragging.current === line.alertId) continue;
    const y = chart.convertToPixel({ yAxisIndex: 0 }, Number(line.level));
    const visible = Number.isFinite(y) && chart.containPixel({ gridIndex: 0 }, [x, y]);
    out.push({
      id,
      type: 'group',
      x,
      y: visible ? y : -1_000,
      z: 100,
      invisible: !visible,
      draggable: onMove.current ? 'vertical' : false,
      cursor: 'ns-resize',
      children: [
        {
          type: 'rect',
          shape: { x: 0, y: -9, width: HANDLE_WIDTH, height: 18, r: 3 },
          style: { fill: alertLineColor, opacity: 0.9 },
        },
        {
          type: 'text',
          x: 6,
          y: -6,
          style: { text: `⇕ ${format(line.level)}`, fill: '#09090b', fontSize: 11, fontWeight: 600 },
        },
      ],
      ondragstart: () => {
        dragging.current = line.alertId;
      },
      ondragend: function (this: { y: number }) {
        dragging.current = null;
        const value = chart.convertFromPixel({ yAxisIndex: 0 }, this.y);
        const level = levelAt(Number(value), decimals);
        if (level && level !== line.level) onMove.current?.(line.alertId, level);
      },
    });
  }
  for (const id of drawn) if (!now.has(id)) out.push({ id, $action: 'remove' });
  drawn.clear();
  for (const id of now) drawn.add(id);
  return out;
}

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
