import type { DeploymentPnlView } from '@qt/shared';

/** The sign of a decimal string: the tone of a PnL figure (exact: no parse to a float). */
export function signOf(value: string | null): -1 | 0 | 1 {
  if (value === null) return 0;
  if (value.startsWith('-')) return /[1-9]/.test(value) ? -1 : 0;
  return /[1-9]/.test(value) ? 1 : 0;
}

/**
 * An SVG polyline for the PnL curve in a `width` x `height` box (display only, so floats are fine here:
 * nothing computed from them is shown as a number). The zero line's y, for a baseline; null without points.
 */
export function curvePath(
  curve: DeploymentPnlView['curve'],
  width: number,
  height: number,
): { points: string; zeroY: number } | null {
  if (curve.length === 0) return null;
  const ys = curve.map((c) => Number(c.pnl));
  const lo = Math.min(0, ...ys);
  const hi = Math.max(0, ...ys);
  const span = hi - lo || 1;
  const t0 = curve[0]?.time ?? 0;
  const tSpan = (curve.at(-1)?.time ?? t0) - t0 || 1;
  const y = (v: number) => height - ((v - lo) / span) * height;
  const points = curve
    .map((c, i) => {
      const x = curve.length === 1 ? width : ((c.time - t0) / tSpan) * width;
      return `${x.toFixed(1)},${y(ys[i] as number).toFixed(1)}`;
    })
    .join(' ');
  return { points, zeroY: y(0) };
}
