import type { Liquidity, OrderSide, OrderStatus, OrderType, TimeInForce } from '@qt/shared';

/**
 * What the paper matcher takes and emits. Amounts inside are bigint units of 10^-AMOUNT_SCALE (18), as
 * the ledger holds them; `toOrderView` / `toFillView` turn them into the decimal strings of the API.
 */

/**
 * An order as the order path hands it to the matcher (already through risk, id already assigned), in
 * units: parsed once where it entered (see account/order-intent.ts), never again here. `OrderIntent` is one.
 */
export interface MatchOrderRequest {
  orderId: string;
  accountId: string;
  clientOrderId?: string | null;
  venue: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  /** Base quantity and prices in amount units (10^-18); the instrument's lot and tick are checked here. */
  quantity: bigint;
  price?: bigint | null;
  stopPrice?: bigint | null;
  timeInForce?: TimeInForce;
  postOnly?: boolean;
  /** The account's fee tier on this venue (see fees.ts); `default` when omitted. */
  feeTier?: string;
}

/** Stable codes, so the API can map them to a message and scripts can branch on them. */
export type RejectReason =
  | 'ORDER_INVALID_TICK'
  | 'ORDER_INVALID_LOT'
  | 'ORDER_BELOW_MIN_NOTIONAL'
  | 'ORDER_INVALID_PRICE'
  | 'ORDER_DUPLICATE_ID'
  | 'POST_ONLY_WOULD_TAKE'
  | 'MARKET_UNKNOWN_INSTRUMENT'
  | 'MARKET_HALTED'
  | 'MARKET_NO_DATA';

export type ExpireReason =
  /** IOC (or a market order): what could not fill at once. */
  | 'IOC_UNFILLED'
  /** FOK: the whole quantity was not available at once, so nothing filled. */
  | 'FOK_NOT_FILLABLE';

export type CancelReason = 'CANCELED_BY_USER';

/** The state of one order after an event; amounts in units of 10^-18. */
export interface OrderSnapshot {
  id: string;
  accountId: string;
  clientOrderId: string | null;
  venue: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  quantity: bigint;
  price: bigint | null;
  stopPrice: bigint | null;
  status: OrderStatus;
  filledQuantity: bigint;
  /** Quote spent (buy) or received (sell), before fees. */
  filledQuote: bigint;
  /** filledQuote / filledQuantity, rounded half-even to 18 decimals; null before the first fill. */
  averagePrice: bigint | null;
  /** Fees charged so far, in `feeAsset` of the fills (the instrument's quote asset). */
  fees: bigint;
  reason: RejectReason | ExpireReason | CancelReason | null;
  triggered: boolean;
  createdAt: number;
  updatedAt: number;
  /** When the order reaches the (simulated) venue: createdAt + latency. Nothing fills before. */
  activeAt: number;
}

export interface PaperFill {
  /** `${orderId}:${n}`, n = 1, 2, ...: deterministic, so a persistence layer applies each fill once. */
  id: string;
  orderId: string;
  accountId: string;
  venue: string;
  symbol: string;
  side: OrderSide;
  price: bigint;
  quantity: bigint;
  /**
   * This fill's share of the order's quote: the order's cumulative price x quantity rounded once
   * (buy up, sell down), minus what earlier fills took; exact for any realistic tick and lot.
   */
  quote: bigint;
  /** The rate charged (maker or taker), units of 10^-18 of 1 (10 bps = 10^15): the ledger's `feeRate`. */
  feeRate: bigint;
  /** Likewise cumulative: ceil(sum of rate x quote), minus the fees of earlier fills. */
  fee: bigint;
  feeAsset: string;
  liquidity: Liquidity;
  /** Which model priced the fill (see README "Models"); not stored, for logs and tests. */
  pricedBy: FillPricing;
  time: number;
  /** The market trade that filled a resting order; null for fills that took the quote. */
  tradeId: string | null;
}

/**
 * `book`: a level of the live L2 book; `quote`: the quote's top (or a trade through it); `model`: a
 * modelled level (slippage.ts); `cap`: the max-slippage cap, for what the levels did not fill; `trade`: a
 * resting order filled by a market trade.
 */
export type FillPricing = 'book' | 'quote' | 'model' | 'cap' | 'trade';

export type MatchingEvent =
  | { type: 'orderAccepted'; time: number; order: OrderSnapshot }
  | { type: 'orderRejected'; time: number; order: OrderSnapshot; reason: RejectReason }
  | { type: 'orderTriggered'; time: number; order: OrderSnapshot; triggerPrice: bigint }
  | { type: 'orderFilled'; time: number; order: OrderSnapshot; fill: PaperFill }
  | { type: 'orderCanceled'; time: number; order: OrderSnapshot; reason: CancelReason }
  | { type: 'orderExpired'; time: number; order: OrderSnapshot; reason: ExpireReason };

export type MatchingEventType = MatchingEvent['type'];

/**
 * An open order as persisted, put back after a restart (`restoreOrder`): it rests again without
 * matching or emitting anything. Running totals come from the ledger's reservation, so later fills
 * continue its rounding and its fill numbering (`${orderId}:${fillCount + 1}`).
 */
export interface RestoreOrderInput {
  orderId: string;
  accountId: string;
  clientOrderId: string | null;
  venue: string;
  symbol: string;
  side: OrderSide;
  type: OrderType;
  timeInForce: TimeInForce;
  postOnly: boolean;
  feeTier?: string;
  quantity: bigint;
  price: bigint | null;
  stopPrice: bigint | null;
  filledQuantity: bigint;
  filledQuote: bigint;
  fees: bigint;
  notionalExact: bigint;
  feeExact: bigint;
  fillCount: number;
  /** A stop-limit already triggered rests at its limit; assumed when it has fills. */
  triggered?: boolean;
  createdAt: number;
  updatedAt: number;
}
