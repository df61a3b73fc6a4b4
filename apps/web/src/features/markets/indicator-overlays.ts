import { computeIndicator, type IndicatorName, indicatorCatalog, parseIndicatorParams } from '@qt/indicators';
import type { ChartCandle } from './chart-intervals';
import { chartColors as c } from './chart-theme';

/**
 * Indicator overlays on the Markets chart, computed in the browser from the candles already loaded
 * (batch form of @qt/indicators, so the values match what strategies and alerts see). Overlays on price
 * share the price grid; oscillators get panes of their own between price and volume.
 */
export const overlayKinds = [
  'sma',
  'ema',
  'bbands',
  'rsi',
  'macd',
] as const satisfies readonly IndicatorName[];
export type OverlayKind = (typeof overlayKinds)[number];

export interface Overlay {
  id: string;
  kind: OverlayKind;
  params: Record<string, number>;
  color: string;
}

export const overlayNames: Record<OverlayKind, string> = {
  sma: 'SMA',
  ema: 'EMA',
  bbands: 'Bollinger',
  rsi: 'RSI',
  macd: 'MACD',
};

/** Chart presets (the usual trader defaults; the catalog's are TA-Lib's, e.g. a 5-bar Bollinger). */
const presets: Record<OverlayKind, Record<string, number>> = {
  sma: { period: 20 },
  ema: { period: 50 },
  bbands: { period: 20, nbDevUp: 2, nbDevDn: 2 },
  rsi: { period: 14 },
  macd: { fast: 12, slow: 26, signal: 9 },
};

const palette = ['#fbbf24', '#38bdf8', '#a78bfa', '#e879f9', '#fb923c', '#a3e635'];
export const MAX_OVERLAYS = 6;
/** Oscillator panes below price: more would squeeze the candles to nothing. */
export const MAX_PANES = 2;

export const isPane = (kind: OverlayKind) => !indicatorCatalog[kind].overlay;

/** Adds an overlay with its preset parameters, or returns the list unchanged (with why) at a limit. */
export function addOverlay(
  list: readonly Overlay[],
  kind: OverlayKind,
  id: string,
): { list: Overlay[]; refused: string | null } {
  if (list.length >= MAX_OVERLAYS) return { list: [...list], refused: `At most ${MAX_OVERLAYS} indicators.` };
  if (isPane(kind) && list.filter((o) => isPane(o.kind)).length >= MAX_PANES)
    return { list: [...list], refused: `At most ${MAX_PANES} indicator panes (RSI, MACD) at a time.` };
  const used = new Set(list.map((o) => o.color));
  const color = palette.find((p) => !used.has(p)) ?? palette[list.length % palette.length] ?? c.label;
  return { list: [...list, { id, kind, params: { ...presets[kind] }, color }], refused: null };
}

/** The parameters in catalog order, as the chip shows and edits them: `20`, `20 2 2`, `12 26 9`. */
export function overlayParamsText(o: Overlay): string {
  return indicatorCatalog[o.kind].params.map((p) => String(o.params[p.name] ?? p.default)).join(' ');
}

export function overlayLabel(o: Overlay): string {
  return `${overlayNames[o.kind]} ${overlayParamsText(o)}`;
}

export type ParsedOverlayParams =
  | { ok: true; params: Record<string, number> }
  | { ok: false; message: string };

/**
 * Reads a chip's edited text (numbers in catalog order, spaces or commas between) into parameters,
 * checked by the indicators package itself so the ranges are the ones strategies are held to.
 * Numbers left off keep their current value.
 */
export function parseOverlayParams(o: Overlay, text: string): ParsedOverlayParams {
  const specs = indicatorCatalog[o.kind].params;
  const parts = text.trim() === '' ? [] : text.trim().split(/[\s,]+/);
  if (parts.length > specs.length)
    return { ok: false, message: `${overlayNames[o.kind]} takes ${specs.map((s) => s.name).join(', ')}.` };
  const params: Record<string, number> = { ...o.params };
  for (const [i, part] of parts.entries()) {
    const spec = specs[i];
    const value = Number(part);
    if (!spec) continue;
    if (!/^[-+]?(\d+\.?\d*|\.\d+)$/.test(part) || !Number.isFinite(value))
      return { ok: false, message: `${spec.name} must be a number.` };
    params[spec.name] = value;
  }
  try {
    return { ok: true, params: parseIndicatorParams(o.kind, params) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : 'Invalid parameters.' };
  }
}

/** Gaps (warm-up NaN) as ECharts' "no value" marker, so lines start where the indicator does. */
const EMPTY = '-';
function plot(values: Float64Array | undefined): (number | string)[] {
  if (!values) return [];
  return Array.from(values, (v) => (Number.isFinite(v) ? v : EMPTY));
}

interface SeriesData {
  id: string;
  data: (number | string)[];
}

/**
 * Each overlay's series for the candles shown, by series id. Prices become floats here for drawing only,
 * as the candles themselves do in chartData.
 */
export function overlayData(overlays: readonly Overlay[], candles: readonly ChartCandle[]): SeriesData[] {
  if (overlays.length === 0) return [];
  const n = candles.length;
  const high = new Float64Array(n);
  const low = new Float64Array(n);
  const close = new Float64Array(n);
  const volume = new Float64Array(n);
  candles.forEach((k, i) => {
    high[i] = Number(k.high);
    low[i] = Number(k.low);
    close[i] = Number(k.close);
    volume[i] = Number(k.baseVolume);
  });
  return overlays.flatMap((o) => {
    const out = computeIndicator(o.kind, o.params, { high, low, close, volume });
    return indicatorCatalog[o.kind].outputs.map((name) => ({ id: seriesId(o, name), data: plot(out[name]) }));
  });
}

const seriesId = (o: Overlay, output: string) => `ov-${o.id}-${output}`;

/** Percent positions of the price grid, each pane and the volume grid, for `panes` oscillator panes. */
export function paneLayout(panes: number) {
  const paneHeight = 11;
  const gap = 4;
  const priceHeight = 68 - panes * (paneHeight + gap);
  return {
    price: { top: 12, height: `${priceHeight}%` },
    panes: Array.from({ length: panes }, (_, i) => ({
      top: `${2 + priceHeight + gap + i * (paneHeight + gap)}%`,
      height: `${paneHeight}%`,
    })),
  };
}

interface BaseOption {
  grid: Record<string, unknown>[];
  xAxis: Record<string, unknown>[];
  yAxis: Record<string, unknown>[];
  dataZoom: Record<string, unknown>[];
  series: Record<string, unknown>[];
}

/**
 * The chart's option with the overlays' grids, axes and (empty) series added; `overlayData` fills them.
 * Grid and axis indices 0 and 1 stay price and volume, so the base option's own series are untouched.
 */
export function withOverlays<T extends BaseOption>(base: T, overlays: readonly Overlay[]): T {
  if (overlays.length === 0) return base;
  const panes = overlays.filter((o) => isPane(o.kind));
  const layout = paneLayout(panes.length);
  const priceGrid = { ...base.grid[0], ...layout.price };
  const paneGrids = layout.panes.map((p) => ({ ...base.grid[0], ...p }));
  const priceAxis = base.xAxis[0] ?? {};
  const paneX = panes.map((_, i) => ({ ...priceAxis, gridIndex: 2 + i }));
  const paneY = panes.map((o, i) => ({
    gridIndex: 2 + i,
    position: 'right',
    scale: o.kind !== 'rsi',
    ...(o.kind === 'rsi' ? { min: 0, max: 100, interval: 50 } : { splitNumber: 2 }),
    axisLine: { show: false },
    axisLabel: { color: c.label, fontSize: 10 },
    splitLine: { lineStyle: { color: c.grid } },
  }));
  const allX = Array.from({ length: 2 + panes.length }, (_, i) => i);
  const series = overlays.flatMap((o) => {
    const pane = panes.indexOf(o);
    const axes: Record<string, number> = pane < 0 ? {} : { xAxisIndex: 2 + pane, yAxisIndex: 2 + pane };
    return seriesFor(o, axes);
  });
  return {
    ...base,
    grid: [priceGrid, base.grid[1], ...paneGrids],
    xAxis: [...base.xAxis, ...paneX],
    yAxis: [...base.yAxis, ...paneY],
    dataZoom: base.dataZoom.map((z) => ({ ...z, xAxisIndex: allX })),
    series: [...base.series, ...series],
  };
}

function seriesFor(o: Overlay, axes: Record<string, number>): Record<string, unknown>[] {
  const line = (output: string, extra: Record<string, unknown> = {}) => ({
    id: seriesId(o, output),
    name: `${overlayLabel(o)} ${output}`,
    type: 'line',
    data: [],
    showSymbol: false,
    silent: true,
    connectNulls: false,
    lineStyle: { color: o.color, width: 1.2 },
    itemStyle: { color: o.color },
    z: 3,
    ...axes,
    ...extra,
  });
  switch (o.kind) {
    case 'bbands':
      return [
        line('middle', { lineStyle: { color: o.color, width: 1, type: 'dashed' } }),
        line('upper'),
        line('lower'),
      ];
    case 'macd':
      return [
        line('macd'),
        line('signal', { lineStyle: { color: c.down, width: 1 } }),
        {
          id: seriesId(o, 'histogram'),
          name: `${overlayLabel(o)} histogram`,
          type: 'bar',
          data: [],
          silent: true,
          barMaxWidth: 6,
          itemStyle: { color: 'rgba(161, 161, 170, 0.45)' },
          ...axes,
        },
      ];
    case 'rsi':
      return [
        line('value', {
          markLine: {
            symbol: 'none',
            silent: true,
            animation: false,
            label: { show: false },
            lineStyle: { color: c.axis, type: 'dashed', width: 1 },
            data: [{ yAxis: 30 }, { yAxis: 70 }],
          },
        }),
      ];
    default:
      return [line('value')];
  }
}
