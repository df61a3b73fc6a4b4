import { divRound, type OrderSide } from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';

/**
 * What an order holds in the ledger, and everything needed to book its next fill exactly. Persisted with
 * the order (and carried by each of its postings), so an engine restart resumes it to the unit.
 *
 * A buy reserves quote in two parts: `notionalCap` for what fills may cost and `feeCap` for their fees
 * (the taker rate applied to the whole cap), so a fill can always pay its fee. A sell reserves its base
 * quantity (`notionalCap` is then the base quantity and `feeCap` is 0: a sell pays its fee from proceeds).
 */
export interface OrderReservation {
  readonly orderId: string;
  readonly accountId: string;
  readonly venue: string;
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly side: OrderSide;
  /** Buy: fills at or below; sell: fills at or above. Null for market orders. */
  readonly limitPrice: bigint | null;
  readonly quantity: bigint;
  /** Highest fee rate a fill may charge (buys: the rate the fee reserve was sized with). */
  readonly maxFeeRate: bigint;
  /** The asset held in `locked`: quote for a buy, base for a sell. */
  readonly lockedAsset: string;
  readonly notionalCap: bigint;
  readonly feeCap: bigint;
  /** Taken out of the reservation by fills so far (buy: quote + fees; sell: base). */
  readonly consumed: bigint;
  readonly filledQuantity: bigint;
  /** Sum of the fills' quote amounts (rounded, see `order-postings.ts`). */
  readonly filledQuote: bigint;
  readonly feeTotal: bigint;
  /** Sum of price x quantity of the fills at scale 2 x AMOUNT_SCALE, unrounded. */
  readonly notionalExact: bigint;
  /** Sum of fee rate x fill quote at scale 2 x AMOUNT_SCALE, unrounded. */
  readonly feeExact: bigint;
  readonly status: 'open' | 'closed';
  /** Postings applied to this order (the lock is 1); a posting must carry the next number. */
  readonly seq: number;
}

/** What the order still holds in `locked` (0 once it is closed and the rest released). */
export function remainingReservation(r: OrderReservation): bigint {
  return r.status === 'open' ? r.notionalCap + r.feeCap - r.consumed : 0n;
}

/**
 * The most base quantity the order can still fill at `price` without exceeding what it reserved: its
 * remaining quantity, and for a buy also what the remaining quote cap buys (so a market buy's matcher caps
 * a fill here instead of being refused). The caller rounds down to the lot size.
 */
export function affordableQuantity(r: OrderReservation, price: bigint): bigint {
  if (r.status !== 'open') return 0n;
  const left = r.quantity - r.filledQuantity;
  if (r.side === 'sell' || price <= 0n) return left;
  // Largest q with ceil((notionalExact + price * q) / AMOUNT_ONE) <= notionalCap.
  const room = r.notionalCap * AMOUNT_ONE - r.notionalExact;
  const byQuote = room <= 0n ? 0n : divRound(room, price, 'floor');
  return byQuote < left ? byQuote : left;
}
