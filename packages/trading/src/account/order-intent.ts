import type { OrderSide, OrderType, PlaceOrderInput, TimeInForce } from '@qt/shared';
import { parseAmount } from '../amounts.ts';

/**
 * An order in integer units, built once where it enters (the API's validated input, a backtest's
 * action). Risk, the ledger lock, the matcher and the stored row all read these fields; nothing parses
 * the order's text again. It is a `RiskOrder` and a `MatchOrderRequest` as it stands. The instrument's
 * lot and tick are checked by the matcher (an `orderRejected` event), where the instrument lives.
 */
export interface OrderIntent {
  readonly orderId: string;
  readonly accountId: string;
  readonly clientOrderId: string | null;
  readonly venue: string;
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly postOnly: boolean;
  /** Base quantity in amount units (10^-18). */
  readonly quantity: bigint;
  /** Limit price (limit, stop_limit), else null. */
  readonly price: bigint | null;
  /** Trigger price (stop_market, stop_limit), else null. */
  readonly stopPrice: bigint | null;
  /** The account's fee tier on the venue (fees.ts). */
  readonly feeTier: string;
}

/**
 * The API's validated input (decimal strings of at most 18 decimals, so parsing cannot fail) as an
 * intent with its order id.
 */
export function orderIntentOf(input: PlaceOrderInput, orderId: string, feeTier = 'default'): OrderIntent {
  return {
    orderId,
    accountId: input.accountId,
    clientOrderId: input.clientOrderId ?? null,
    venue: input.venue,
    symbol: input.symbol,
    side: input.side,
    type: input.type,
    timeInForce: input.timeInForce,
    postOnly: input.postOnly,
    quantity: parseAmount(input.quantity),
    price: input.price === undefined ? null : parseAmount(input.price),
    stopPrice: input.stopPrice === undefined ? null : parseAmount(input.stopPrice),
    feeTier,
  };
}
