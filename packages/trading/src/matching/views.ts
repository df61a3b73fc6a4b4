import { AMOUNT_SCALE, type FillView, formatScaled, type OrderView } from '@qt/shared';
import type { OrderSnapshot, PaperFill } from './types.ts';

/** The matcher's bigint amounts as the API's decimal strings (orderSchema). */
export function toOrderView(o: OrderSnapshot): OrderView {
  return {
    id: o.id,
    accountId: o.accountId,
    clientOrderId: o.clientOrderId,
    venue: o.venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    timeInForce: o.timeInForce,
    postOnly: o.postOnly,
    quantity: amount(o.quantity),
    price: o.price === null ? null : amount(o.price),
    stopPrice: o.stopPrice === null ? null : amount(o.stopPrice),
    status: o.status,
    filledQuantity: amount(o.filledQuantity),
    filledQuote: amount(o.filledQuote),
    averagePrice: o.averagePrice === null ? null : amount(o.averagePrice),
    reason: o.reason,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

/** A fill as the API's decimal strings (fillSchema). */
export function toFillView(f: PaperFill): FillView {
  return {
    id: f.id,
    orderId: f.orderId,
    accountId: f.accountId,
    venue: f.venue,
    symbol: f.symbol,
    side: f.side,
    price: amount(f.price),
    quantity: amount(f.quantity),
    quote: amount(f.quote),
    fee: amount(f.fee),
    feeAsset: f.feeAsset,
    liquidity: f.liquidity,
    time: f.time,
  };
}

function amount(units: bigint): string {
  return formatScaled(units, AMOUNT_SCALE);
}
