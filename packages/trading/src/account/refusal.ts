import { AppError, type ErrorCode, isAppError } from '@qt/shared';
import { isLedgerError } from '../ledger/ledger-error.ts';
import type { RejectReason } from '../matching/types.ts';

/**
 * Why an order was refused before (or as) it reached the matcher: a stable code, a message that says
 * what to do, and details. The engine throws it as an `AppError`; a backtest records its code.
 */
export interface OrderRefusal {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A ledger's or an `AppError`'s refusal as an `OrderRefusal`; null for anything else (a bug: rethrow). */
export function refusalOf(err: unknown): OrderRefusal | null {
  if (isLedgerError(err)) return { code: err.code, message: err.message, details: { ...err.details } };
  if (isAppError(err)) return { code: err.code, message: err.message, details: { ...err.details } };
  return null;
}

/** A refusal the matcher (or the market's state) gave: its reason is the code. */
export function rejectionRefusal(reason: RejectReason): OrderRefusal {
  return { code: reason, message: rejectionMessage(reason), details: { reason } };
}

export function refusalError(r: OrderRefusal): AppError {
  return new AppError(r.code, r.message, { ...r.details });
}

/** A ledger refusal as the API's error, same code; anything else (an `AppError` too) passes through. */
export function asAppError(err: unknown): unknown {
  return isLedgerError(err) ? new AppError(err.code, err.message, { ...err.details }) : err;
}

/** What a person reads when the matcher refuses an order: what went wrong and what to do about it. */
export function rejectionMessage(reason: string): string {
  switch (reason) {
    case 'ORDER_INVALID_TICK':
      return "The price is not a multiple of the instrument's tick size. Round it to the tick.";
    case 'ORDER_INVALID_LOT':
      return "The quantity is not a multiple of the instrument's lot size. Round it to the lot.";
    case 'ORDER_BELOW_MIN_NOTIONAL':
      return "The order is smaller than the instrument's minimum notional. Increase the quantity.";
    case 'ORDER_INVALID_PRICE':
      return 'The price is not usable for this order type.';
    case 'POST_ONLY_WOULD_TAKE':
      return 'A post-only order would have taken liquidity at this price. Move the price away from the market.';
    case 'MARKET_UNKNOWN_INSTRUMENT':
      return 'This venue does not list that symbol for paper trading.';
    case 'MARKET_HALTED':
      return 'Trading on this instrument is halted. Try again when it resumes.';
    case 'MARKET_NO_DATA':
      return 'No market price for this instrument yet. Wait for market data, or use a limit order.';
    default:
      return `The order was rejected (${reason}).`;
  }
}
