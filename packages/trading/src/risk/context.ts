import {
  AMOUNT_SCALE,
  type OrderSide,
  type OrderType,
  type PlaceOrderInput,
  parseScaled,
  type TimeInForce,
} from '@qt/shared';
import type { KillSwitchState } from './kill-switch.ts';
import type { RiskLimits } from './limits.ts';

/** What the risk engine looks at in an order. Amounts are bigint units of 10^-AMOUNT_SCALE. */
export interface RiskOrder {
  readonly symbol: string;
  readonly side: OrderSide;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  /** Base quantity, > 0. */
  readonly quantity: bigint;
  /** Limit price (limit, stop_limit), else null. */
  readonly price: bigint | null;
  /** Trigger price (stop_market, stop_limit), else null. */
  readonly stopPrice: bigint | null;
}

/** The API's validated input as a `RiskOrder` (the account is the context's). */
export function riskOrderFromInput(input: PlaceOrderInput): RiskOrder {
  const amount = (s: string | undefined) => (s === undefined ? null : parseScaled(s, AMOUNT_SCALE));
  return {
    symbol: input.symbol,
    side: input.side,
    type: input.type,
    timeInForce: input.timeInForce,
    quantity: parseScaled(input.quantity, AMOUNT_SCALE),
    price: amount(input.price),
    stopPrice: amount(input.stopPrice),
  };
}

/**
 * Everything the engine needs besides the order and its own per-account state, read by the caller (the
 * order service) from the ledger, the positions and the market for this one order. Plain data: the engine
 * does no I/O. Amounts are bigint units of 10^-AMOUNT_SCALE; quantities are in the order's base asset,
 * prices and notionals in its quote asset, equity in the account's currency.
 */
export interface RiskContext {
  readonly tenantId: string;
  readonly accountId: string;
  /** In effect for this account: `resolveRiskLimits(tier, overrides)`. */
  readonly limits: RiskLimits;
  /** Latest kill-switch change per scope, or null if never flipped. */
  readonly killSwitch: { readonly tenant: KillSwitchState | null; readonly account: KillSwitchState | null };
  /** Last trade price of the order's instrument, or null when none has been seen. */
  readonly lastPrice: bigint | null;
  /** Signed base quantity held in the order's instrument (negative = short). */
  readonly position: bigint;
  /** Unfilled base quantity of the account's open buy / sell orders on the instrument (>= 0 each). */
  readonly openBuyQuantity: bigint;
  readonly openSellQuantity: bigint;
  /** Open orders on the account, all instruments (stop orders waiting for their trigger included). */
  readonly openOrders: number;
  /** Equity now, marked to the last prices. */
  readonly equity: bigint;
  /**
   * Equity at 00:00 UTC today as the ledger knows it. When omitted, the engine uses its own snapshot: the
   * first equity it saw this UTC day (see `RiskState`).
   */
  readonly dayStartEquity?: bigint | undefined;
  /** Deposits minus withdrawals since 00:00 UTC, so moving money is not mistaken for a loss or a gain. */
  readonly netTransfersToday: bigint;
}
