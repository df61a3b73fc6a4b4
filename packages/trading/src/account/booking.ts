import type { Ledger } from '../ledger/ledger.ts';
import { fillPosting, orderUnlockPosting } from '../ledger/order-postings.ts';
import type { Posting } from '../ledger/posting.ts';
import type { PaperFill } from '../matching/types.ts';

/**
 * How matcher events are booked, as pure functions of the book's ledger: the engine checks and stores
 * the posting, then applies it; a backtest applies it at once.
 */

/**
 * The posting of one matcher fill: `duplicate` when the ledger holds it already (a redelivery), and
 * `unknownOrder` when the ledger holds no reservation for its order.
 */
export function fillBooking(ledger: Ledger, fill: PaperFill): Posting | 'duplicate' | 'unknownOrder' {
  if (ledger.posting(`fill:${fill.id}`) !== undefined) return 'duplicate';
  const reservation = ledger.order(fill.orderId);
  if (reservation === undefined) return 'unknownOrder';
  return fillPosting(reservation, {
    fillId: fill.id,
    orderId: fill.orderId,
    price: fill.price,
    quantity: fill.quantity,
    feeRate: fill.feeRate,
    time: fill.time,
  });
}

/**
 * The release of what a canceled, expired or rejected order still holds; null when it holds nothing
 * (closed already, or never locked).
 */
export function unlockBooking(ledger: Ledger, orderId: string, time: number): Posting | null {
  const reservation = ledger.order(orderId);
  return reservation?.status === 'open' ? orderUnlockPosting(reservation, { orderId, time }) : null;
}
