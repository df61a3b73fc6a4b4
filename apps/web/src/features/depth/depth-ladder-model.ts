import { type DepthLevel, formatScaled, parseScaled, scaleOf } from '@qt/shared';

/** One row of the ladder: the level, the size from the best price up to it, and its bar's share. */
export interface LadderRow {
  price: string;
  quantity: string;
  /** Sum of the sizes from the best level to this one (exact, canonical decimal). */
  cumulative: string;
  /** cumulative / the larger side's total, 0..1: only a bar width, so a float is fine here. */
  ratio: number;
}

export interface Ladder {
  /** Best (lowest) ask first. The ladder draws them reversed, so the best ask sits just above the spread. */
  asks: LadderRow[];
  /** Best (highest) bid first. */
  bids: LadderRow[];
  /** best ask - best bid, exact; null without both sides. */
  spread: string | null;
  /** (best ask + best bid) / 2, exact (one more decimal than the prices when the sum is odd). */
  mid: string | null;
  /**
   * The spread in basis points of the mid, to four decimals (rounded down: a one-tick spread on a
   * 65,000 price is 0.0015 bps); null without both sides.
   */
  spreadBps: string | null;
}

function maxScale(values: readonly string[]): number {
  let s = 0;
  for (const v of values) s = Math.max(s, scaleOf(v));
  return s;
}

/** Running sums of the sizes at one scale, as bigint units (no float ever touches a size). */
function cumulate(levels: readonly DepthLevel[], scale: number): bigint[] {
  let total = 0n;
  return levels.map((l) => {
    total += parseScaled(l.quantity, scale);
    return total;
  });
}

/** A bigint ratio as a float in [0, 1] for a bar width; exact enough for pixels. */
function share(part: bigint, whole: bigint): number {
  if (whole <= 0n) return 0;
  // Scaled to 1e6 parts first so huge totals never lose the ratio in Number's 53 bits.
  return Number((part * 1_000_000n) / whole) / 1_000_000;
}

/**
 * The ladder for the top `rows` levels of each side (levels as the engine sends them: best first). The
 * bars share one scale (the larger side's total), so the two sides can be compared at a glance.
 */
export function buildLadder(bids: readonly DepthLevel[], asks: readonly DepthLevel[], rows: number): Ladder {
  const topBids = bids.slice(0, rows);
  const topAsks = asks.slice(0, rows);
  const sizeScale = maxScale([...topBids, ...topAsks].map((l) => l.quantity));
  const bidSums = cumulate(topBids, sizeScale);
  const askSums = cumulate(topAsks, sizeScale);
  const bidTotal = bidSums.at(-1) ?? 0n;
  const askTotal = askSums.at(-1) ?? 0n;
  const whole = bidTotal > askTotal ? bidTotal : askTotal;
  const row = (l: DepthLevel, sum: bigint): LadderRow => ({
    price: l.price,
    quantity: l.quantity,
    cumulative: formatScaled(sum, sizeScale),
    ratio: share(sum, whole),
  });
  return {
    bids: topBids.map((l, i) => row(l, bidSums[i] ?? 0n)),
    asks: topAsks.map((l, i) => row(l, askSums[i] ?? 0n)),
    ...spreadAndMid(topBids[0]?.price, topAsks[0]?.price),
  };
}

/** Spread, mid and spread in basis points from the best bid and ask, exact on bigint units. */
export function spreadAndMid(
  bestBid: string | undefined,
  bestAsk: string | undefined,
): Pick<Ladder, 'spread' | 'mid' | 'spreadBps'> {
  if (bestBid === undefined || bestAsk === undefined) return { spread: null, mid: null, spreadBps: null };
  // One decimal more than the prices: half of an odd number of units is then still exact.
  const scale = maxScale([bestBid, bestAsk]) + 1;
  const bid = parseScaled(bestBid, scale);
  const ask = parseScaled(bestAsk, scale);
  const spread = ask - bid;
  const mid = (ask + bid) / 2n;
  // bps with four decimals = spread / mid * 10,000 * 10,000, rounded toward zero.
  const bps = mid > 0n ? (spread * 100_000_000n) / mid : null;
  return {
    spread: formatScaled(spread, scale),
    mid: formatScaled(mid, scale),
    spreadBps: bps === null ? null : formatScaled(bps, 4, 2),
  };
}
