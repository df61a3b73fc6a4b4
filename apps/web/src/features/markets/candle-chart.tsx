'use client';

import { BarChart, CandlestickChart, LineChart, ScatterChart } from 'echarts/charts';
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
import { type PointerEvent as ReactPointerEvent, useEffect, useMemo, useRef, useState } from 'react';
import {
  type AlertLine,
  alertLineColor,
  alertLinesSeries,
  levelAt,
} from '@/features/alerts/chart-alert-lines';
import { fillMarkersSeries, orderLinesSeries, tagWidth } from '@/features/cockpit/chart-layers';
import { type CockpitLayer, fillPointsOf, type OrderLine } from '@/features/cockpit/order-lines';
import { snapToTick } from '@/features/cockpit/tick-snap';
import type { ChartBook } from './candle-book';
import {
  baseChartOption,
  chartData,
  latestWindow,
  nextZoom,
  showsLatest,
  type ZoomWindow,
} from './chart-option';
import { chartColors, formatCandleTime } from './chart-theme';
import { formatDecimal } from './decimal-text';
import { isPane, type Overlay, overlayData, withOverlays } from './indicator-overlays';
import { type OverlayLegendRow, overlayLegendRows } from './indicator-overlays-legend';
import {
  dividerY,
  dragDivider,
  gridOrder,
  layoutPanes,
  type PaneBox,
  paneKeys,
  parseShares,
  sharesOf,
} from './pane-layout';

// Only the pieces this chart draws, not all of ECharts (the full build is ~1 MB).
echarts.use([
  CandlestickChart,
  LineChart,
  BarChart,
  ScatterChart,
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
  book: ChartBook;
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
  /** The Trade screen's account drawn on the chart: open orders, the entry line, fills. */
  cockpit?: CockpitLayer | undefined;
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
  cockpit,
}: CandleChartProps) {
  const [chart, setChart] = useState<Instance | null>(null);
  const [logScale, setLogScale] = useState(readLogScale);
  const [following, setFollowing] = useState(true);
  const wrapper = useRef<HTMLDivElement>(null);
  // Pane sizes: the stored shares, laid out in the chart's measured height; while a divider is dragged,
  // the boxes under the pointer (applied to the grids directly, the option is rebuilt on release).
  const [shares, setShares] = useState(readShares);
  const [height, setHeight] = useState(0);
  const [dragBoxes, setDragBoxes] = useState<PaneBox[] | null>(null);
  const paneDrag = useRef<{ index: number; startY: number; start: PaneBox[]; last: PaneBox[] } | null>(null);
  const keys = useMemo(() => paneKeys(overlays.filter((o) => isPane(o.kind)).map((o) => o.kind)), [overlays]);
  const panes = useMemo(
    () => (height > 0 ? layoutPanes(keys, shares, height) : null),
    [keys, shares, height],
  );
  /** The legend's setter (its own state, so a crosshair move re-renders the legend, not the chart). */
  const legend = useRef<(rows: OverlayLegendRow[]) => void>(() => {});
  const legendData = useRef<{ id: string; data: (number | string)[] }[]>([]);
  const hovered = useRef<number | null>(null);
  const orderDragging = useRef<string | null>(null);
  const orderTagIds = useRef(new Set<string>());
  const orderMove = useRef(cockpit?.onOrderMove);
  orderMove.current = cockpit?.onOrderMove;
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
      withPaneBoxes(
        withOverlays(
          baseChartOption({
            interval: book.key.interval,
            priceDecimals,
            tooltip: (openTime) => candleTooltip(book, openTime, priceDecimals),
            logScale,
          }),
          overlays,
        ),
        panes,
      ),
    [book, priceDecimals, overlays, logScale, panes],
  );

  useEffect(() => {
    const box = wrapper.current;
    if (!box) return;
    const measure = () => setHeight(box.clientHeight);
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  // While a divider is dragged only the grids move (every axis keeps its grid's left and right, so the
  // time axes stay aligned); rebuilding the whole option on each pointer move would redraw everything.
  useEffect(() => {
    if (!chart || !dragBoxes) return;
    chart.setOption(
      { grid: gridOrder(dragBoxes).map((b) => ({ top: b.top, height: b.height })) },
      {
        silent: true,
      },
    );
  }, [chart, dragBoxes]);

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
    const indicators = overlayData(overlays, book.candles);
    legendData.current = indicators;
    legend.current(overlayLegendRows(overlays, indicators, hovered.current, priceDecimals));
    const lines = cockpit?.lines ?? noOrderLines;
    const fills = cockpit ? fillPointsOf(cockpit.fills, book.key.venue, book.key.symbol, book.candles) : [];
    const series = [
      ...data.series,
      ...indicators,
      alertLinesSeries(alertLines, format),
      orderLinesSeries(lines),
      fillMarkersSeries(fills),
    ];
    const extent = linesExtent(lines, last?.close ?? null);
    const priceHeight = panes?.[0]?.height ?? 0;
    chart.setOption(
      {
        ...data,
        series,
        xAxis: option.xAxis.map(() => data.xAxis[0]),
        // The price axis stretches to the account's lines near the market, so an order a little away
        // from the candles shown is still on screen to be seen and dragged; a line it stretched to is
        // kept EDGE_ROOM px inside the pane, so its tag is not under the divider to the pane below.
        yAxis: [
          {
            min: extent ? (v: AxisExtent) => stretched(v, extent, 'min', priceHeight) : null,
            max: extent ? (v: AxisExtent) => stretched(v, extent, 'max', priceHeight) : null,
          },
        ],
      },
      { silent: true },
    );
    const tags = orderTags(chart, lines, orderTagIds.current, orderDragging, orderMove, cockpit?.tickSize);
    const lastTag = label ? lastPriceTagBox(chart, label) : null;
    // Alert handles stop short of the last-price tag at the right end of the price pane.
    const handlesRight = Math.min(
      chart.getWidth() - AXIS_WIDTH,
      lastTag ? lastTag.x : Number.POSITIVE_INFINITY,
    );
    chart.setOption(
      {
        graphic: [
          ...alertHandles(
            chart,
            alertLines,
            handles.current,
            dragging,
            moveHandler,
            priceDecimals,
            format,
            handlesRight,
          ),
          ...tags.graphic,
        ],
      },
      { silent: true },
    );
    setFollowing(showsLatest(zoom.current, book.length));
    const box = wrapper.current;
    if (box) {
      box.dataset.orderLines = JSON.stringify(tags.drawn);
      box.dataset.fillMarkers = String(fills.length);
      box.dataset.lastTag = lastTag ? JSON.stringify(lastTag) : '';
      box.dataset.interval = book.key.interval;
      box.dataset.openTimes = JSON.stringify(book.candles.slice(-6).map((k) => k.openTime));
    }
    const y = last ? chart.convertToPixel({ yAxisIndex: 0 }, Number(last.close)) : Number.NaN;
    drawHandler.current({
      candles: book.length,
      lastClose: last?.close ?? '',
      updates: book.liveUpdates,
      lastCloseY: Number.isFinite(y) ? Math.round(y) : null,
      alertLines: alertLines.length,
    });
  }, [chart, book, revision, priceDecimals, option, overlays, alertLines, cockpit, panes]);

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
        setFollowing(showsLatest(zoom.current, book.length));
        if (start <= LEFT_EDGE) edgeHandler.current();
      },
      // The legend follows the crosshair's candle, and goes back to the newest when the pointer leaves.
      updateAxisPointer: (e: { axesInfo?: { axisDim?: string; value?: number }[] }) => {
        const x = e.axesInfo?.find((a) => a.axisDim === 'x');
        const index = typeof x?.value === 'number' ? x.value : null;
        if (index === hovered.current) return;
        hovered.current = index;
        legend.current(overlayLegendRows(overlays, legendData.current, index, priceDecimals));
      },
    }),
    [book, overlays, priceDecimals],
  );

  function backToLive() {
    zoom.current = latestWindow(zoom.current, book.length);
    if (chart && zoom.current) {
      const z = { startValue: zoom.current.start, endValue: zoom.current.end };
      chart.setOption(
        {
          dataZoom: [
            { id: 'inside', ...z },
            { id: 'slider', ...z },
          ],
        },
        { silent: true },
      );
    }
    setFollowing(true);
  }

  function startPaneDrag(index: number, e: ReactPointerEvent<HTMLDivElement>) {
    if (!panes) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    paneDrag.current = { index, startY: e.clientY, start: panes, last: panes };
  }

  function movePaneDrag(e: ReactPointerEvent<HTMLDivElement>) {
    const drag = paneDrag.current;
    if (!drag) return;
    drag.last = dragDivider(drag.start, drag.index, e.clientY - drag.startY);
    setDragBoxes(drag.last);
  }

  function keepPanes(boxes: readonly PaneBox[]) {
    const next = { ...shares, ...sharesOf(boxes) };
    writeShares(next);
    setShares(next);
    setDragBoxes(null);
  }

  function endPaneDrag() {
    const drag = paneDrag.current;
    if (!drag) return;
    paneDrag.current = null;
    if (drag.last !== drag.start) keepPanes(drag.last);
  }

  function resetPanes() {
    paneDrag.current = null;
    writeShares(null);
    setShares({});
    setDragBoxes(null);
  }

  function nudgePanes(index: number, e: { key: string; preventDefault(): void }) {
    const step = e.key === 'ArrowUp' ? -PANE_KEY_STEP : e.key === 'ArrowDown' ? PANE_KEY_STEP : 0;
    if (!panes || step === 0) return;
    e.preventDefault();
    keepPanes(dragDivider(panes, index, step));
  }

  function toggleLog() {
    setLogScale((on) => {
      writeLogScale(!on);
      return !on;
    });
  }

  const control =
    'rounded border border-zinc-700 bg-zinc-900/90 px-1.5 py-0.5 text-[10px] font-semibold tracking-wide text-zinc-300 hover:border-zinc-500 hover:text-zinc-100';
  const boxes = dragBoxes ?? panes;
  return (
    <div
      ref={wrapper}
      className="relative h-full w-full"
      data-testid="chart-canvas"
      data-log-scale={logScale}
      data-following={following}
      data-panes={boxes ? JSON.stringify(boxes) : ''}
    >
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
      <OverlayLegend register={legend} />
      {boxes?.slice(0, -1).map((above, i) => {
        const below = boxes[i + 1];
        return (
          // biome-ignore lint/a11y/useSemanticElements: an <hr> cannot be dragged or focused to resize.
          <div
            key={`${above.key}|${below?.key}`}
            role="separator"
            aria-orientation="horizontal"
            aria-label={`Resize the ${above.key} and ${below?.key} panes`}
            aria-valuenow={above.height}
            tabIndex={0}
            data-testid="chart-pane-divider"
            data-index={i}
            title="Drag to resize the panes · double-click to reset"
            className="group absolute z-10 flex cursor-row-resize touch-none items-center outline-none"
            style={{
              top: dividerY(boxes, i) - DIVIDER_GRAB / 2,
              height: DIVIDER_GRAB,
              left: 8,
              right: AXIS_WIDTH,
            }}
            onPointerDown={(e) => startPaneDrag(i, e)}
            onPointerMove={movePaneDrag}
            onPointerUp={endPaneDrag}
            onPointerCancel={endPaneDrag}
            onDoubleClick={resetPanes}
            onKeyDown={(e) => nudgePanes(i, e)}
          >
            <div className="h-px w-full bg-transparent group-hover:bg-sky-500/60 group-focus-visible:bg-sky-500/80" />
          </div>
        );
      })}
      {/*
        Under the price axis, beside the zoom slider: no pane is there, so the button never covers a price
        label or the last-price tag (at the top right it did, whenever the price stood near the top).
      */}
      <div className="absolute flex gap-1" style={{ right: 4, bottom: 30 }}>
        <button
          type="button"
          className={`${control} ${logScale ? 'border-sky-500/60 text-sky-300' : ''}`}
          aria-pressed={logScale}
          onClick={toggleLog}
          data-testid="chart-log-scale"
          title="Logarithmic price scale: equal percentage moves look equally tall"
        >
          LOG
        </button>
      </div>
      {!following && (
        <button
          type="button"
          className={`${control} absolute`}
          style={{ right: AXIS_WIDTH + 4, bottom: 56 }}
          onClick={backToLive}
          data-testid="chart-back-to-live"
          title="Scroll to the newest candle and follow it again"
        >
          Back to live ⇥
        </button>
      )}
    </div>
  );
}

const LOG_KEY = 'qt.chart.logScale';
const PANES_KEY = 'qt.chart.paneShares';
/** Taller than the gap between panes (12 px), so a finger finds it; it reaches 2 px into each pane. */
const DIVIDER_GRAB = 16;
const PANE_KEY_STEP = 8;

function readShares(): Record<string, number> {
  try {
    return typeof window === 'undefined' ? {} : parseShares(window.localStorage.getItem(PANES_KEY));
  } catch {
    return {};
  }
}

/** Null forgets the layout (back to the defaults). */
function writeShares(shares: Record<string, number> | null): void {
  try {
    if (shares) window.localStorage.setItem(PANES_KEY, JSON.stringify(shares));
    else window.localStorage.removeItem(PANES_KEY);
  } catch {
    // Private mode or storage full: the layout still applies to this page.
  }
}

interface GridOption {
  grid: Record<string, unknown>[];
}

/** The grids placed in pixels as the pane layout says (the option's own percentages until measured). */
function withPaneBoxes<T extends GridOption>(option: T, panes: readonly PaneBox[] | null): T {
  if (!panes || panes.length !== option.grid.length) return option;
  const placed = gridOrder(panes);
  return {
    ...option,
    grid: option.grid.map((g, i) => {
      const { bottom: _bottom, ...rest } = g;
      return { ...rest, top: placed[i]?.top, height: placed[i]?.height };
    }),
  };
}

interface TextElement {
  style?: { text?: unknown; backgroundColor?: unknown };
  /** A label's text is drawn by spans whose parent is the label element (with the background). */
  parent?: TextElement | null;
  getBoundingRect?: () => {
    clone(): { x: number; y: number; width: number; height: number; applyTransform(m: unknown): void };
  };
  getComputedTransform?: () => unknown;
}

/**
 * Where ECharts drew the last-price tag (the mark line's label), in chart pixels: the alert handles keep
 * clear of it and the browser test checks that no control covers it. Read from the drawn elements, as
 * the label's size depends on the font.
 */
function lastPriceTagBox(chart: Instance, label: string) {
  try {
    const zr = chart.getZr() as unknown as { storage: { getDisplayList(update?: boolean): TextElement[] } };
    for (const span of zr.storage.getDisplayList(true)) {
      if (span.style?.text !== label) continue;
      // The tag is the one label in the up or down colour (a crosshair label can show the same price).
      const el = span.parent;
      const bg = el?.style?.backgroundColor;
      if (!el?.getBoundingRect || (bg !== chartColors.up && bg !== chartColors.down)) continue;
      const r = el.getBoundingRect().clone();
      const m = el.getComputedTransform?.();
      if (m) r.applyTransform(m);
      return {
        x: Math.round(r.x),
        y: Math.round(r.y),
        width: Math.round(r.width),
        height: Math.round(r.height),
      };
    }
  } catch {
    // A zrender without these internals: no box, the handles keep their place.
  }
  return null;
}

function readLogScale(): boolean {
  try {
    return typeof window !== 'undefined' && window.localStorage.getItem(LOG_KEY) === '1';
  } catch {
    return false;
  }
}

function writeLogScale(on: boolean): void {
  try {
    window.localStorage.setItem(LOG_KEY, on ? '1' : '0');
  } catch {
    // Private mode or storage full: the toggle still works for this page.
  }
}

/** Each indicator's name and values at the crosshair (or the newest candle), top left of the price pane. */
function OverlayLegend({ register }: { register: { current: (rows: OverlayLegendRow[]) => void } }) {
  const [rows, setRows] = useState<OverlayLegendRow[]>([]);
  register.current = setRows;
  if (rows.length === 0) return null;
  return (
    <div
      className="pointer-events-none absolute top-1 left-2 flex flex-col gap-0.5 font-mono text-[10px]"
      data-testid="chart-overlay-legend"
    >
      {rows.map((r) => (
        <span key={r.id} data-testid="chart-overlay-legend-row" className="rounded bg-zinc-950/70 px-1">
          <span style={{ color: r.color }}>{r.label}</span> <span className="text-zinc-200">{r.values}</span>
        </span>
      ))}
    </div>
  );
}

interface AxisExtent {
  min: number;
  max: number;
}
/** Room in pixels between a line the price axis was stretched to and the pane's edge. */
const EDGE_ROOM = 24;

/** One end of the price axis: the data's, or the lines' with EDGE_ROOM beyond when they reach further. */
function stretched(v: AxisExtent, lines: AxisExtent, end: 'min' | 'max', paneHeight: number): number {
  const lo = Math.min(v.min, lines.min);
  const hi = Math.max(v.max, lines.max);
  const reaches = end === 'min' ? lines.min < v.min : lines.max > v.max;
  if (!reaches) return v[end];
  const pad = paneHeight > 3 * EDGE_ROOM ? ((hi - lo) * EDGE_ROOM) / (paneHeight - 2 * EDGE_ROOM) : 0;
  // Never down to zero or below: the log scale has no place for it.
  return end === 'min' ? Math.max(lo - pad, lo / 2) : hi + pad;
}

/** Lines further than this from the last close do not stretch the axis (they would squash the candles). */
const STRETCH_RATIO = 0.1;

function linesExtent(
  lines: readonly OrderLine[],
  lastClose: string | null,
): { min: number; max: number } | null {
  const close = Number(lastClose);
  if (!lastClose || !(close > 0)) return null;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const l of lines) {
    const p = Number(l.price);
    if (!(Math.abs(p - close) <= close * STRETCH_RATIO)) continue;
    min = Math.min(min, p);
    max = Math.max(max, p);
  }
  return Number.isFinite(min) ? { min, max } : null;
}

/**
 * A handle whose line went away is hidden, not removed: ECharts keeps a group's children as elements of
 * their own, and removing the group (`$action: 'remove'`) made the next draw throw inside the graphic
 * component. Hidden handles stay until the chart is remounted (a new market or interval), one per line
 * seen on it.
 */
function hidden(id: string): Record<string, unknown> {
  return { id, type: 'group', invisible: true, y: -1_000, draggable: false };
}

const noOverlays: readonly Overlay[] = [];
const noLines: readonly AlertLine[] = [];
const noOrderLines: readonly OrderLine[] = [];

interface TagElement {
  y: number;
  childAt(i: number): { attr(a: { style: { text: string } }): void } | undefined;
}

/**
 * One tag per order or entry line at the left of the price pane, with the line's label. A plain limit
 * order's tag can be dragged up or down (a graphic marked draggable is left alone by the chart's own pan);
 * while dragged it shows the price on the tick grid it would go to, and on drop that price is handed to
 * `onMove` (which asks before sending). Tags of lines that went away are removed by id.
 */
function orderTags(
  chart: Instance,
  lines: readonly OrderLine[],
  drawn: Set<string>,
  dragging: { current: string | null },
  onMove: { current: ((line: OrderLine, price: string) => void) | undefined },
  tickSize: string | undefined,
) {
  const graphic: Record<string, unknown>[] = [];
  const shown: { id: string; orderId: string | null; kind: string; price: string; x: number; y: number }[] =
    [];
  const now = new Set<string>();
  const x = 10;
  for (const line of lines) {
    const id = `order-tag-${line.id}`;
    now.add(id);
    const y = chart.convertToPixel({ yAxisIndex: 0 }, Number(line.price));
    const visible = Number.isFinite(y) && chart.containPixel({ gridIndex: 0 }, [x, y]);
    const width = tagWidth(line.label);
    if (visible)
      shown.push({
        id: line.id,
        orderId: line.orderId,
        kind: line.kind,
        price: line.price,
        x: x + width / 2,
        y: Math.round(y),
      });
    if (dragging.current === line.id) continue;
    const draggable = line.draggable && !!onMove.current && !!tickSize;
    graphic.push({
      id,
      type: 'group',
      x,
      y: visible ? y : -1_000,
      z: 101,
      invisible: !visible,
      draggable: draggable ? 'vertical' : false,
      cursor: draggable ? 'ns-resize' : 'default',
      children: [
        {
          id: `${id}-box`,
          type: 'rect',
          shape: { x: 0, y: -9, width, height: 18, r: 3 },
          style: { fill: '#09090b', stroke: line.color, lineWidth: 1, opacity: 0.92 },
        },
        {
          id: `${id}-text`,
          type: 'text',
          x: 7,
          y: -6,
          // Monospace, so the tag's width (tagWidth) fits its text.
          style: {
            text: `${draggable ? '⇕ ' : ''}${line.label}`,
            fill: line.color,
            fontSize: 11,
            fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace',
          },
        },
      ],
      ondragstart: () => {
        dragging.current = line.id;
      },
      ondrag: function (this: TagElement) {
        const price = tickSize
          ? snapToTick(Number(chart.convertFromPixel({ yAxisIndex: 0 }, this.y)), tickSize)
          : null;
        this.childAt(1)?.attr({ style: { text: `⇕ ${price ?? '—'}` } });
      },
      ondragend: function (this: TagElement) {
        dragging.current = null;
        const price = tickSize
          ? snapToTick(Number(chart.convertFromPixel({ yAxisIndex: 0 }, this.y)), tickSize)
          : null;
        this.childAt(1)?.attr({ style: { text: `${draggable ? '⇕ ' : ''}${line.label}` } });
        if (price && price !== line.price) onMove.current?.(line, price);
      },
    });
  }
  for (const id of drawn) if (!now.has(id)) graphic.push(hidden(id));
  for (const id of now) drawn.add(id);
  return { graphic, drawn: shown };
}

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
  right: number,
) {
  const x = right - HANDLE_WIDTH - 4;
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
          id: `${id}-box`,
          type: 'rect',
          shape: { x: 0, y: -9, width: HANDLE_WIDTH, height: 18, r: 3 },
          style: { fill: alertLineColor, opacity: 0.9 },
        },
        {
          id: `${id}-text`,
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
  for (const id of drawn) if (!now.has(id)) out.push(hidden(id));
  for (const id of now) drawn.add(id);
  return out;
}

/** The candle that opened at `openTime` (binary search: the book is in time order). */
function candleAt(book: ChartBook, openTime: number) {
  const items = book.candles;
  let lo = 0;
  let hi = items.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const t = items[mid]?.openTime ?? 0;
    if (t === openTime) return items[mid];
    if (t < openTime) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

function candleTooltip(book: ChartBook, openTime: number, decimals: number): string {
  const k = candleAt(book, openTime);
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
