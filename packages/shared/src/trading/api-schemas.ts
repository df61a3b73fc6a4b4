import { z } from 'zod';
import { NUL_MESSAGE, withoutNul } from '../accounts/schemas.ts';
import { canonicalSymbol, venueId } from '../market/schemas.ts';
import { orderSchema, positiveDecimal } from './schemas.ts';

const asset = z.string().regex(/^[A-Z0-9]{1,20}$/, 'an asset code like USDT');

export const createPaperAccountInput = z.strictObject({
  name: z.string().trim().min(1).max(60).refine(withoutNul, NUL_MESSAGE),
  quoteCurrency: asset.default('USDT'),
  /**
   * Deposited in the quote currency right after the account is created, so a new account can trade at
   * once (one step instead of create, then deposit). Left out: the account starts empty, as before.
   */
  initialDeposit: positiveDecimal.optional(),
});

export const paperAccountSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  quoteCurrency: z.string(),
  status: z.enum(['active', 'reduce_only', 'halted']),
  createdAt: z.number().int(),
});
export type PaperAccountView = z.infer<typeof paperAccountSchema>;

export const accountIdInput = z.strictObject({ accountId: z.uuid() });

export const transferInput = z.strictObject({
  accountId: z.uuid(),
  asset,
  amount: positiveDecimal,
});

export const ledgerEntrySchema = z.strictObject({
  postingId: z.string(),
  type: z.enum(['deposit', 'withdrawal', 'order_lock', 'order_unlock', 'fill', 'fee']),
  asset: z.string(),
  /** Signed change to the account (free and locked buckets). */
  free: z.string(),
  locked: z.string(),
  orderId: z.string().nullable(),
  fillId: z.string().nullable(),
  time: z.number().int(),
});
export type LedgerEntryView = z.infer<typeof ledgerEntrySchema>;

export const pageInput = z.strictObject({
  accountId: z.uuid(),
  limit: z.number().int().min(1).max(500).default(100),
  /** Cursor from the previous page. */
  before: z.string().max(200).optional(),
});

export const pnlSchema = z.strictObject({
  quoteCurrency: z.string(),
  equity: z.string().nullable(),
  realizedPnl: z.string(),
  unrealizedPnl: z.string().nullable(),
  /** Assets that could not be valued (no price yet). */
  unpriced: z.array(z.string()),
});

export const listOrdersInput = z.strictObject({
  accountId: z.uuid(),
  status: z.enum(['open', 'closed', 'all']).default('open'),
  venue: venueId.optional(),
  symbol: canonicalSymbol.optional(),
  limit: z.number().int().min(1).max(500).default(100),
  before: z.string().max(200).optional(),
});

export const orderIdInput = z.strictObject({ accountId: z.uuid(), orderId: z.uuid() });

export const cancelAllInput = z.strictObject({
  accountId: z.uuid(),
  venue: venueId.optional(),
  symbol: canonicalSymbol.optional(),
});

export const ordersPage = z.strictObject({ orders: z.array(orderSchema), next: z.string().nullable() });

export const killSwitchInput = z.strictObject({
  scope: z.enum(['account', 'tenant']),
  /** Required for scope `account`. */
  accountId: z.uuid().optional(),
  halted: z.boolean(),
  reason: z.string().trim().max(200).optional(),
});
export type KillSwitchInput = z.infer<typeof killSwitchInput>;

export const killSwitchView = z.strictObject({
  scope: z.enum(['account', 'tenant']),
  accountId: z.string().nullable(),
  halted: z.boolean(),
  by: z.string(),
  at: z.number().int(),
  reason: z.string(),
});

/**
 * Moves a resting limit order to a new price (the chart's drag): the engine cancels it and places its
 * remaining quantity at `price` in one step on the account's queue. `clientOrderId` names the
 * replacement, so a retry after a lost answer returns the same replacement instead of failing.
 */
export const amendOrderInput = z.strictObject({
  accountId: z.uuid(),
  orderId: z.uuid(),
  price: positiveDecimal,
  clientOrderId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,64}$/)
    .optional(),
});
export type AmendOrderInput = z.infer<typeof amendOrderInput>;
