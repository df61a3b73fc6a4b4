import type { PositionView } from '@qt/shared';
import { formatAmount as fmt } from '../amounts.ts';
import {
  applyFillToPosition,
  emptyPosition,
  type Position,
  type PositionFill,
  unrealizedPnl,
} from './position.ts';
import { toPositionView } from './views.ts';

export interface TimedFill extends PositionFill {
  /** ms since epoch. */
  readonly time: number;
}

/** Mark prices keyed `<venue>:<symbol>` (the same symbol can trade on several venues). */
export type VenueMarks = ReadonlyMap<string, bigint>;

export const marketKey = (venue: string, symbol: string): string => `${venue}:${symbol}`;

export interface DeploymentPnl {
  positions: PositionView[];
  /** Realized PnL net of fees, summed over the instruments (in the account's quote asset). */
  realizedPnl: string;
  /** Null while any open position has no mark price. */
  unrealizedPnl: string | null;
  fees: string;
  /** Realized + unrealized (null with the unrealized). */
  netPnl: string | null;
  fills: number;
  /** Realized PnL net of fees after fills, oldest first, at most ~`maxPoints` (evenly thinned, last kept). */
  curve: { time: number; pnl: string }[];
}

/**
 * A deployment's own result, folded fill by fill in commit order: its fills (the orders it placed, told
 * apart by their client order id) applied to positions of its own with the same exact rules as the
 * account's (`applyFillToPosition`), so manual trades on the same account and other deployments never
 * count. Incremental, so a caller can keep one per deployment and add only the fills committed since;
 * memory is the positions plus the curve, which is thinned as it grows (every other point dropped when it
 * reaches twice `maxPoints`).
 */
export class DeploymentPnlFold {
  readonly #accountId: string;
  readonly #maxPoints: number;
  readonly #positions = new Map<string, Position>();
  #realized = 0n;
  #fills = 0;
  #curve: { time: number; pnl: bigint }[] = [];
  /** Every `#stride`-th fill becomes a curve point (doubles each time the curve is thinned). */
  #stride = 1;
  #last: { time: number; pnl: bigint } | null = null;

  constructor(accountId: string, maxPoints = 500) {
    this.#accountId = accountId;
    this.#maxPoints = Math.max(2, maxPoints);
  }

  get fills(): number {
    return this.#fills;
  }

  add(f: TimedFill): void {
    const key = marketKey(f.venue, f.symbol);
    const before = this.#positions.get(key) ?? emptyPosition(this.#accountId, f.venue, f.symbol);
    const after = applyFillToPosition(before, f);
    this.#positions.set(key, after);
    this.#realized += after.grossRealizedPnl - before.grossRealizedPnl - f.fee;
    this.#last = { time: f.time, pnl: this.#realized };
    if (this.#fills % this.#stride === 0) {
      this.#curve.push(this.#last);
      if (this.#curve.length >= 2 * this.#maxPoints) {
        this.#curve = this.#curve.filter((_, i) => i % 2 === 0);
        this.#stride *= 2;
      }
    }
    this.#fills++;
  }

  result(marks: VenueMarks): DeploymentPnl {
    let fees = 0n;
    let unrealized: bigint | null = 0n;
    const views: PositionView[] = [];
    for (const p of this.#positions.values()) {
      fees += p.fees;
      const mark = marks.get(marketKey(p.venue, p.symbol));
      // toPositionView looks the mark up by symbol: give it this position's own venue's mark only.
      views.push(toPositionView(p, mark === undefined ? new Map() : new Map([[p.symbol, mark]])));
      if (p.quantity === 0n) continue;
      unrealized = mark === undefined || unrealized === null ? null : unrealized + unrealizedPnl(p, mark);
    }
    const curve = [...this.#curve];
    if (this.#last && curve.at(-1) !== this.#last) curve.push(this.#last);
    return {
      positions: views,
      realizedPnl: fmt(this.#realized),
      unrealizedPnl: unrealized === null ? null : fmt(unrealized),
      fees: fmt(fees),
      netPnl: unrealized === null ? null : fmt(this.#realized + unrealized),
      fills: this.#fills,
      curve: curve.map((c) => ({ time: c.time, pnl: fmt(c.pnl) })),
    };
  }
}

/** The fold over a whole list of fills (in commit order). */
export function deploymentPnl(
  accountId: string,
  fills: Iterable<TimedFill>,
  marks: VenueMarks,
  maxPoints = 500,
): DeploymentPnl {
  const fold = new DeploymentPnlFold(accountId, maxPoints);
  for (const f of fills) fold.add(f);
  return fold.result(marks);
}
