import { divRound, type OrderSide } from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';

/**
 * A position per (account, venue, symbol), built from fills. Exact: it keeps the quote cost of the open
 * quantity (`costBasis`) rather than an average price, so no rounding accumulates in it.
 *
 * Rounding rules (units of 1e-18):
 * - A reducing fill takes the share closeQty / |quantity| of the cost basis, rounded half-even; the
 *   residue stays in the basis, and closing the whole position takes the whole basis. So once a position
 *   is flat, the realized PnL is exactly the quote received minus the quote paid, to the unit.
 * - A fill that flips the position (long through zero to short) splits its quote the same way.
 * - The average entry price is |costBasis| / |quantity| rounded half-even (display only, never re-used).
 * - Unrealized PnL is mark x quantity rounded down (toward -inf: never overstated) minus the basis.
 * Fills carry the quote and fee the ledger booked (`BookedFill`), so positions and balances agree.
 */
export interface Position {
  readonly accountId: string;
  readonly venue: string;
  readonly symbol: string;
  /** Signed base quantity: > 0 long, < 0 short. */
  readonly quantity: bigint;
  /** Quote paid for the open quantity (long, > 0) or received for it (short, < 0). */
  readonly costBasis: bigint;
  /** Realized PnL before fees, in the quote asset. */
  readonly grossRealizedPnl: bigint;
  /** Fees paid on every fill of the position, in the quote asset. */
  readonly fees: bigint;
}

export interface PositionFill {
  readonly fillId: string;
  readonly accountId: string;
  readonly venue: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly quantity: bigint;
  /** The fill's quote amount as booked by the ledger. */
  readonly quote: bigint;
  /** The fill's fee as booked by the ledger (always in the quote asset). */
  readonly fee: bigint;
}

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

export function emptyPosition(accountId: string, venue: string, symbol: string): Position {
  return { accountId, venue, symbol, quantity: 0n, costBasis: 0n, grossRealizedPnl: 0n, fees: 0n };
}

/** The position after `fill`: reduces first (realizing PnL), then opens or extends with the rest. */
export function applyFillToPosition(p: Position, fill: PositionFill): Position {
  const qty = fill.quantity;
  const dir = fill.side === 'buy' ? 1n : -1n;
  let { quantity, costBasis, grossRealizedPnl } = p;
  let openQty = qty;
  let openQuote = fill.quote;
  if (quantity !== 0n && quantity > 0n !== dir > 0n) {
    const held = abs(quantity);
    // biome-ignore lint/complexity/useMathMinMax: bigint operands (Math.min throws on bigint)
    const closeQty = qty < held ? qty : held;
    const removed = closeQty === held ? costBasis : divRound(costBasis * closeQty, held, 'halfEven');
    const closeQuote = closeQty === qty ? fill.quote : divRound(fill.quote * closeQty, qty, 'halfEven');
    // Long: sold for closeQuote what cost `removed`. Short: bought back for closeQuote what brought -removed.
    grossRealizedPnl += quantity > 0n ? closeQuote - removed : -removed - closeQuote;
    costBasis -= removed;
    quantity += dir * closeQty;
    openQty = qty - closeQty;
    openQuote = fill.quote - closeQuote;
  }
  quantity += dir * openQty;
  costBasis += dir * openQuote;
  return { ...p, quantity, costBasis, grossRealizedPnl, fees: p.fees + fill.fee };
}

/** Realized PnL net of every fee paid on the position (opening fees count as soon as they are paid). */
export function realizedPnl(p: Position): bigint {
  return p.grossRealizedPnl - p.fees;
}

/** Weighted average entry price of the open quantity, half-even to the unit; null when flat. */
export function averageEntryPrice(p: Position): bigint | null {
  if (p.quantity === 0n) return null;
  return divRound(abs(p.costBasis) * AMOUNT_ONE, abs(p.quantity), 'halfEven');
}

/** What closing at `markPrice` would realize, before fees: floor(mark x quantity) - costBasis. */
export function unrealizedPnl(p: Position, markPrice: bigint): bigint {
  return divRound(markPrice * p.quantity, AMOUNT_ONE, 'floor') - p.costBasis;
}
