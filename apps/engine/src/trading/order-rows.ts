import type { Order } from '@qt/db';
import { AMOUNT_SCALE, divRound, type OrderView, pow10n } from '@qt/shared';
import { fmt, fromDecimal } from './amounts.ts';

const ONE = pow10n(AMOUNT_SCALE);

/** An order row as the API's view (the same shape `toOrderView` gives for a live matcher snapshot). */
export function orderRowToView(row: Order): OrderView {
  const filledQuantity = fromDecimal(row.filledQuantity);
  const filledQuote = fromDecimal(row.filledQuote);
  return {
    id: row.id,
    accountId: row.accountId,
    clientOrderId: row.clientOrderId,
    venue: row.venue,
    symbol: row.symbol,
    side: row.side,
    type: row.type,
    timeInForce: row.timeInForce,
    postOnly: row.postOnly,
    quantity: fmt(fromDecimal(row.quantity)),
    price: row.price === null ? null : fmt(fromDecimal(row.price)),
    stopPrice: row.stopPrice === null ? null : fmt(fromDecimal(row.stopPrice)),
    status: row.status,
    filledQuantity: fmt(filledQuantity),
    filledQuote: fmt(filledQuote),
    averagePrice: filledQuantity === 0n ? null : fmt(divRound(filledQuote * ONE, filledQuantity, 'halfEven')),
    reason: row.reason,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

export const OPEN_STATUSES = ['new', 'partially_filled'] as const;
