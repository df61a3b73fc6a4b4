import { z } from 'zod';

/**
 * The chart's panes stacked top to bottom (price, each indicator pane, volume) in pixels, and what a drag
 * on the divider between two of them does. Sizes are remembered as each pane's share of the height, so
 * a layout made on a laptop still fits a phone; a pane missing from the stored shares gets its default.
 */

export interface PaneBox {
  key: string;
  top: number;
  height: number;
}

export interface PaneFrame {
  /** Above the first pane (the price axis's top label needs it). */
  top: number;
  /** Below the last pane: the time axis labels and the zoom slider. */
  bottom: number;
  /** Between two panes: where the divider is grabbed. */
  gap: number;
  /** No pane is dragged or squeezed below this. */
  min: number;
}

export const paneFrame: PaneFrame = { top: 12, bottom: 52, gap: 12, min: 36 };

const defaultShare = { price: 0.7, volume: 0.14, indicator: 0.16 } as const;

/** Pane keys in stacking order: price, indicator panes by kind (`rsi`, `rsi-2` for a second), volume. */
export function paneKeys(indicatorKinds: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const middle = indicatorKinds.map((kind) => {
    const n = (seen.get(kind) ?? 0) + 1;
    seen.set(kind, n);
    return n === 1 ? kind : `${kind}-${n}`;
  });
  return ['price', ...middle, 'volume'];
}

function defaultWeight(key: string): number {
  return key === 'price'
    ? defaultShare.price
    : key === 'volume'
      ? defaultShare.volume
      : defaultShare.indicator;
}

/** Heights for `weights` summing to `total`, none below `min` (unless even shares would be). */
function distribute(total: number, weights: readonly number[], min: number): number[] {
  const n = weights.length;
  if (n === 0) return [];
  if (total <= n * min)
    return spread(
      total,
      weights.map(() => 1),
    );
  const pinned = new Set<number>();
  for (;;) {
    const free = total - pinned.size * min;
    const freeWeight = weights.reduce((s, w, i) => (pinned.has(i) ? s : s + w), 0);
    const next = weights.findIndex((w, i) => !pinned.has(i) && (free * w) / freeWeight < min);
    if (next < 0) {
      const shares = spread(
        free,
        weights.map((w, i) => (pinned.has(i) ? 0 : w)),
      );
      return shares.map((h, i) => (pinned.has(i) ? min : h));
    }
    pinned.add(next);
  }
}

/** Whole pixels in proportion to `weights`, summing exactly to `total` (cumulative rounding). */
function spread(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  let acc = 0;
  let prev = 0;
  return weights.map((w) => {
    acc += w;
    const edge = sum > 0 ? Math.round((total * acc) / sum) : 0;
    const h = edge - prev;
    prev = edge;
    return h;
  });
}

/** The panes laid out in a chart `height` pixels tall, from stored shares (others at their default). */
export function layoutPanes(
  keys: readonly string[],
  shares: Readonly<Record<string, number>>,
  height: number,
  frame: PaneFrame = paneFrame,
): PaneBox[] {
  const room = Math.max(0, Math.floor(height) - frame.top - frame.bottom - frame.gap * (keys.length - 1));
  const weights = keys.map((k) => {
    const s = shares[k];
    return s !== undefined && s > 0 ? s : defaultWeight(k);
  });
  const heights = distribute(room, weights, frame.min);
  let top = frame.top;
  return keys.map((key, i) => {
    const box = { key, top, height: heights[i] ?? 0 };
    top += box.height + frame.gap;
    return box;
  });
}

/**
 * The divider below pane `index` moved by `dy` pixels: that pane and the next trade height, neither
 * going below `min`; the others stay where they are.
 */
export function dragDivider(
  boxes: readonly PaneBox[],
  index: number,
  dy: number,
  min = paneFrame.min,
): PaneBox[] {
  const above = boxes[index];
  const below = boxes[index + 1];
  if (!above || !below) return [...boxes];
  const lo = Math.min(0, min - above.height);
  const hi = Math.max(0, below.height - min);
  const d = Math.round(Math.min(hi, Math.max(lo, dy)));
  return boxes.map((b, i) => {
    if (i === index) return { ...b, height: b.height + d };
    if (i === index + 1) return { ...b, top: b.top + d, height: b.height - d };
    return b;
  });
}

/** Where the divider below pane `index` is drawn: the middle of the gap. */
export function dividerY(boxes: readonly PaneBox[], index: number): number {
  const above = boxes[index];
  const below = boxes[index + 1];
  if (!above || !below) return 0;
  return (above.top + above.height + below.top) / 2;
}

/** Each pane's share of the panes' height, to store. */
export function sharesOf(boxes: readonly PaneBox[]): Record<string, number> {
  const total = boxes.reduce((s, b) => s + b.height, 0);
  const out: Record<string, number> = {};
  if (total <= 0) return out;
  for (const b of boxes) out[b.key] = Math.round((b.height / total) * 10_000) / 10_000;
  return out;
}

const storedShares = z.record(z.string().max(32), z.number().positive().max(1));

/** The stored shares, or none when absent or not what this version wrote. */
export function parseShares(raw: string | null): Record<string, number> {
  if (!raw) return {};
  try {
    const parsed = storedShares.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/**
 * The boxes in ECharts grid order: grid 0 is price, grid 1 volume, grids 2… the indicator panes (the
 * order the chart option builds them in), whereas `boxes` are top to bottom.
 */
export function gridOrder<T>(boxes: readonly T[]): T[] {
  if (boxes.length < 2) return [...boxes];
  return [boxes[0] as T, boxes[boxes.length - 1] as T, ...boxes.slice(1, -1)];
}
