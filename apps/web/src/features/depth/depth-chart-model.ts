import { type DepthLevel, parseScaled, scaleOf } from '@qt/shared';

/** [price, cumulative size] points of one side, for a step area; numbers only because a chart plots numbers. */
export type DepthPoints = [number, number][];

export interface DepthCurves {
  /** From the best bid down (price falling, size growing). */
  bids: DepthPoints;
  /** From the best ask up. */
  asks: DepthPoints;
}

/**
 * The cumulative depth curves. Sums are taken exactly on bigint units and only each point is turned into
 * a number for the canvas, so rounding never accumulates along the curve.
 */
export function depthCurves(bids: readonly DepthLevel[], asks: readonly DepthLevel[]): DepthCurves {
  return { bids: curve(bids), asks: curve(asks) };
}

function curve(levels: readonly DepthLevel[]): DepthPoints {
  let scale = 0;
  for (const l of levels) scale = Math.max(scale, scaleOf(l.quantity));
  const unit = 10 ** scale;
  let total = 0n;
  return levels.map((l) => {
    total += parseScaled(l.quantity, scale);
    return [Number(l.price), Number(total) / unit];
  });
}
