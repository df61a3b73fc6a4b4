import type { Order } from '@qt/db';
import { divRound, type OrderView } from '@qt/shared';
import { formatAmount, AMOUNT_ONE as ONE } from '@qt/trading';
import { fromDecimal } from './amounts.ts';

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
    quantity: formatAmount(fromDecimal(row.quantity)),
    price: row.price === null ? null : formatAmount(fromDecimal(row.price)),
    stopPrice: row.stopPrice === null ? null : formatAmount(fromDecimal(row.stopPrice)),
    status: row.status,
    filledQuantity: formatAmount(filledQuantity),
    filledQuote: formatAmount(filledQuote),
    averagePrice:
      filledQuantity === 0n ? null : formatAmount(divRound(filledQuote * ONE, filledQuantity, 'halfEven')),
    reason: row.reason,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

export const OPEN_STATUSES = ['new', 'partially_filled'] as const;
