import { z } from 'zod';
import type { Tier } from '../accounts/roles.ts';
import { canonicalSymbol, decimalString, venueId } from '../market/schemas.ts';

/**
 * Paper trading's public contract. Amounts cross every boundary as decimal strings; inside the domain
 * they are bigint units at AMOUNT_SCALE (see ../decimal), never binary floating point.
 */

/** Every balance, price, quantity, fee and PnL is held as integer units of 10^-18 inside the domain. */
export const AMOUNT_SCALE = 18;

export const orderSide = z.enum(['buy', 'sell']);
export type OrderSide = z.infer<typeof orderSide>;

export const orderType = z.enum(['market', 'limit', 'stop_market', 'stop_limit']);
export type OrderType = z.infer<typeof orderType>;

/** Time in force as venues name it; post-only is a flag on limit orders (maker or rejected). */
export const timeInForce = z.enum(['GTC', 'IOC', 'FOK']);
export type TimeInForce = z.infer<typeof timeInForce>;

/** Order states named like a venue's. A stop order is `new` until triggered. */
export const orderStatus = z.enum(['new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired']);
export type OrderStatus = z.infer<typeof orderStatus>;

export const liquidity = z.enum(['maker', 'taker']);
export type Liquidity = z.infer<typeof liquidity>;

export const positiveDecimal = decimalString.refine(
  (s) => !s.startsWith('-') && /[1-9]/.test(s),
  'must be > 0',
);
export const nonNegativeDecimal = decimalString.refine((s) => !s.startsWith('-'), 'must be >= 0');

/** What a person, a script or a strategy asks for. */
export const placeOrderInput = z
  .strictObject({
    accountId: z.uuid(),
    venue: venueId,
    symbol: canonicalSymbol,
    side: orderSide,
    type: orderType,
    quantity: positiveDecimal,
    /** Limit price (limit, stop_limit). */
    price: positiveDecimal.optional(),
    /** Trigger on the last trade price (stop_market, stop_limit). */
    stopPrice: positiveDecimal.optional(),
    timeInForce: timeInForce.default('GTC'),
    postOnly: z.boolean().default(false),
    /** Makes submission idempotent per account: the same id returns the same order. */
    clientOrderId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,64}$/)
      .optional(),
  })
  .superRefine((o, ctx) => {
    const needsPrice = o.type === 'limit' || o.type === 'stop_limit';
    const needsStop = o.type === 'stop_market' || o.type === 'stop_limit';
    if (needsPrice && !o.price)
      ctx.addIssue({ code: 'custom', path: ['price'], message: `a ${o.type} order needs a price` });
    if (!needsPrice && o.price)
      ctx.addIssue({ code: 'custom', path: ['price'], message: `a ${o.type} order takes no price` });
    if (needsStop && !o.stopPrice)
      ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `a ${o.type} order needs a stopPrice` });
    if (!needsStop && o.stopPrice)
      ctx.addIssue({ code: 'custom', path: ['stopPrice'], message: `a ${o.type} order takes no stopPrice` });
    if (o.postOnly && o.type !== 'limit')
      ctx.addIssue({ code: 'custom', path: ['postOnly'], message: 'post-only applies to limit orders' });
  });
export type PlaceOrderInput = z.infer<typeof placeOrderInput>;

export const orderSchema = z.strictObject({
  id: z.string(),
  accountId: z.string(),
  clientOrderId: z.string().nullable(),
  venue: venueId,
  symbol: canonicalSymbol,
  side: orderSide,
  type: orderType,
  timeInForce,
  postOnly: z.boolean(),
  quantity: decimalString,
  price: decimalString.nullable(),
  stopPrice: decimalString.nullable(),
  status: orderStatus,
  filledQuantity: decimalString,
  /** Quote spent (buy) or received (sell) so far, before fees. */
  filledQuote: decimalString,
  averagePrice: decimalString.nullable(),
  /** Why it was rejected or expired: a stable code (e.g. RISK_MAX_NOTIONAL, FOK_NOT_FILLABLE). */
  reason: z.string().nullable(),
  createdAt: z.number().int(),
  updatedAt: z.number().int(),
});
export type OrderView = z.infer<typeof orderSchema>;

/**
 * Most orders in one `orders.placeMany` call, per plan. A batch saves a script the round trips, not its
 * budgets: every order in it is charged to the order budget and passes the risk engine on its own.
 */
export const PLACE_MANY_MAX_ORDERS: Readonly<Record<Tier, number>> = { FREE: 10, PRO: 50, ENTERPRISE: 100 };
const placeManyLargest = Math.max(...Object.values(PLACE_MANY_MAX_ORDERS));

/**
 * A batch of orders for scripts. The whole batch is validated first (one malformed item refuses the call,
 * nothing is placed); then each order is placed on its own and answered on its own. Orders on one account
 * are placed in the batch's order (so a repeated clientOrderId answers the order placed before it).
 */
export const placeManyOrdersInput = z.strictObject({
  orders: z.array(placeOrderInput).min(1).max(placeManyLargest),
});
export type PlaceManyOrdersInput = z.infer<typeof placeManyOrdersInput>;

/** One order's outcome: placed (its view; a venue-style rejection is a placed order too) or refused. */
export const placeManyItemResult = z.discriminatedUnion('ok', [
  z.strictObject({ ok: z.literal(true), order: orderSchema }),
  z.strictObject({
    ok: z.literal(false),
    error: z.strictObject({
      /** The stable code `orders.place` would have failed with (e.g. RISK_ORDER_RATE, NOT_FOUND). */
      code: z.string(),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).nullable(),
    }),
  }),
]);
export type PlaceManyItemResult = z.infer<typeof placeManyItemResult>;

/** Outcomes in the order of the input's items. */
export const placeManyResult = z.strictObject({
  results: z.array(placeManyItemResult),
  placed: z.number().int(),
  refused: z.number().int(),
});
export type PlaceManyResult = z.infer<typeof placeManyResult>;

export const fillSchema = z.strictObject({
  id: z.string(),
  orderId: z.string(),
  accountId: z.string(),
  venue: venueId,
  symbol: canonicalSymbol,
  side: orderSide,
  price: decimalString,
  quantity: decimalString,
  quote: decimalString,
  fee: decimalString,
  feeAsset: z.string(),
  liquidity,
  time: z.number().int(),
});
export type FillView = z.infer<typeof fillSchema>;

export const balanceSchema = z.strictObject({
  asset: z.string(),
  free: decimalString,
  locked: decimalString,
  total: decimalString,
});
export type BalanceView = z.infer<typeof balanceSchema>;

export const positionSchema = z.strictObject({
  venue: venueId,
  symbol: canonicalSymbol,
  /** Signed base quantity (spot paper accounts: never negative). */
  quantity: decimalString,
  averageEntryPrice: decimalString.nullable(),
  realizedPnl: decimalString,
  unrealizedPnl: decimalString.nullable(),
  markPrice: decimalString.nullable(),
});
export type PositionView = z.infer<typeof positionSchema>;
