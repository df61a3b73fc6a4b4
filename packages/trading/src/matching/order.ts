import type { OrderSide, OrderStatus, OrderType, TimeInForce } from '@qt/shared';
import { divRound } from '@qt/shared';
import { AMOUNT_ONE } from '../amounts.ts';
import type { PriceLevel } from './book-side.ts';
import type { CancelReason, ExpireReason, OrderSnapshot, RejectReason } from './types.ts';

/** Where an open order sits; `pending` = waiting for its latency to pass. */
export type OrderPlace = 'none' | 'pending' | 'resting' | 'stop';

/**
 * The matcher's mutable record of one order. It is also the node of its price level's FIFO list
 * (`prev`/`next`), so cancelling is O(1) and a level needs no array.
 */
export class BookOrder {
  readonly id: string;
  readonly accountId: string;
  readonly clientOrderId: string | null;
  readonly venue: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  readonly feeTier: string;
  quantity = 0n;
  /** Limit and stop prices in amount units (for snapshots) and book units (for matching). */
  price: bigint | null = null;
  stopPrice: bigint | null = null;
  limitUnits = Number.NaN;
  stopUnits = Number.NaN;
  status: OrderStatus = 'new';
  filledQuantity = 0n;
  filledQuote = 0n;
  fees = 0n;
  /** Sum of price x quantity (36 decimals) and of rate x quote (36 decimals), rounded once per fill. */
  notionalExact = 0n;
  feeExact = 0n;
  fillCount = 0;
  reason: RejectReason | ExpireReason | CancelReason | null = null;
  triggered = false;
  readonly createdAt: number;
  updatedAt: number;
  activeAt: number;
  place: OrderPlace = 'none';
  /** Queue model: resting is eligible once the level's traded flow passes this mark (see README). */
  queueMark = 0n;
  level: PriceLevel | null = null;
  prev: BookOrder | null = null;
  next: BookOrder | null = null;

  constructor(
    init: {
      id: string;
      accountId: string;
      clientOrderId: string | null;
      venue: string;
      symbol: string;
      side: OrderSide;
      type: OrderType;
      timeInForce: TimeInForce;
      postOnly: boolean;
      feeTier: string;
    },
    now: number,
  ) {
    this.id = init.id;
    this.accountId = init.accountId;
    this.clientOrderId = init.clientOrderId;
    this.venue = init.venue;
    this.symbol = init.symbol;
    this.side = init.side;
    this.type = init.type;
    this.timeInForce = init.timeInForce;
    this.postOnly = init.postOnly;
    this.feeTier = init.feeTier;
    this.createdAt = now;
    this.updatedAt = now;
    this.activeAt = now;
  }

  get remaining(): bigint {
    return this.quantity - this.filledQuantity;
  }

  snapshot(): OrderSnapshot {
    return {
      id: this.id,
      accountId: this.accountId,
      clientOrderId: this.clientOrderId,
      venue: this.venue,
      symbol: this.symbol,
      side: this.side,
      type: this.type,
      timeInForce: this.timeInForce,
      postOnly: this.postOnly,
      quantity: this.quantity,
      price: this.price,
      stopPrice: this.stopPrice,
      status: this.status,
      filledQuantity: this.filledQuantity,
      filledQuote: this.filledQuote,
      averagePrice:
        this.filledQuantity === 0n
          ? null
          : divRound(this.filledQuote * AMOUNT_ONE, this.filledQuantity, 'halfEven'),
      fees: this.fees,
      reason: this.reason,
      triggered: this.triggered,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      activeAt: this.activeAt,
    };
  }
}
