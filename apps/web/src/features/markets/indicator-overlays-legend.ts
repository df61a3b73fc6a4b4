import { indicatorCatalog } from '@qt/indicators';
import { isPane, type Overlay, overlayLabel } from './indicator-overlays';

/** One overlay's line in the chart legend: its name and its outputs' values at one candle. */
export interface OverlayLegendRow {
  id: string;
  label: string;
  color: string;
  values: string;
}

/**
 * The legend's rows for the candle at `index` (the crosshair's, or the newest when null), from the
 * series `overlayData` computed for the draw. Indicator values are floats by nature (they are computed
 * in floating point, like TA-Lib); they are shown at the price's decimals on price, two in panes. A
 * value still warming up shows as "—".
 */
export function overlayLegendRows(
  overlays: readonly Overlay[],
  data: readonly { id: string; data: readonly (number | string)[] }[],
  index: number | null,
  priceDecimals: number,
): OverlayLegendRow[] {
  const byId = new Map(data.map((s) => [s.id, s.data]));
  return overlays.map((o) => {
    const decimals = isPane(o.kind) ? 2 : priceDecimals;
    const values = indicatorCatalog[o.kind].outputs.map((name) => {
      const series = byId.get(`ov-${o.id}-${name}`) ?? [];
      const at = index === null ? series.length - 1 : index;
      const v = series[at];
      return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(decimals) : '—';
    });
    return { id: o.id, label: overlayLabel(o), color: o.color, values: values.join(' ') };
  });
}
