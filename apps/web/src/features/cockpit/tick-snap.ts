import { divRound, formatScaled, parseScaled, scaleOf, significantScaleOf } from '@qt/shared';

/**
 * A dragged position (a float by nature: a pixel mapped through the price axis) as a price on the
 * instrument's tick grid. It becomes a decimal string here, once, at the nearest tick; only that string
 * reaches the engine. Null off the chart (not finite) or at or below zero.
 */
export function snapToTick(axisValue: number, tickSize: string): string | null {
  if (!Number.isFinite(axisValue) || axisValue <= 0) return null;
  const tickScale = scaleOf(tickSize);
  // Four digits finer than the tick is plenty for a pointer position, and stays within toFixed's range.
  const scale = Math.min(20, Math.max(tickScale, significantScaleOf(tickSize)) + 4);
  const tick = parseScaled(tickSize, scale);
  if (tick <= 0n) return null;
  const value = parseScaled(axisValue.toFixed(scale), scale);
  const snapped = divRound(value, tick, 'halfUp') * tick;
  if (snapped <= 0n) return null;
  return formatScaled(snapped, scale, significantScaleOf(tickSize));
}
