import { z } from 'zod';
import { decimalString } from '../market/schemas.ts';
import { positiveDecimal } from './schemas.ts';

const bps = z.number().int().min(1).max(10_000);
const count = z.number().int().min(1).max(1_000_000);

/**
 * The risk `update` API's input: the account's overrides, replacing the previous ones (an absent field
 * goes back to the tier default). Amounts are decimal strings in the quote currency, counts and basis
 * points are integers. `null` ("no limit") is accepted only for the limits that protect the trader alone:
 * order notional, position notional and daily loss. The price band, open orders and order rate are always
 * on; a band of 10 000 bps (±100%) is as wide as it goes. Here (not in `@qt/trading`) because it is a
 * contract: the API validates with it and the trading domain converts it to its bigint limits.
 */
export const riskLimitsSchema = z.strictObject({
  maxOrderNotional: positiveDecimal.nullable().optional(),
  maxPositionNotional: positiveDecimal.nullable().optional(),
  maxOpenOrders: count.optional(),
  priceBandBps: bps.optional(),
  maxDailyLossBps: bps.nullable().optional(),
  maxOrdersPerSecond: count.optional(),
  maxOrdersPerMinute: count.optional(),
});
export type RiskLimitsInput = z.infer<typeof riskLimitsSchema>;

export const riskStatus = z.enum(['active', 'reduce_only', 'halted']);
export type RiskStatus = z.infer<typeof riskStatus>;

/** Limits in effect as the API shows them: amounts as decimal strings, `null` = no limit. */
export const riskLimitsView = z.strictObject({
  maxOrderNotional: decimalString.nullable(),
  maxPositionNotional: decimalString.nullable(),
  maxOpenOrders: z.number().int(),
  priceBandBps: z.number().int(),
  maxDailyLossBps: z.number().int().nullable(),
  maxOrdersPerSecond: z.number().int(),
  maxOrdersPerMinute: z.number().int(),
});
export type RiskLimitsView = z.infer<typeof riskLimitsView>;

/** The dashboard's risk panel and the risk `get` API's output. */
export const riskViewSchema = z.strictObject({
  accountId: z.string(),
  status: riskStatus,
  /** Set when status is `halted`: the switch that halts it (the tenant's wins over the account's). */
  halt: z
    .strictObject({
      scope: z.enum(['account', 'tenant']),
      by: z.string(),
      at: z.number().int(),
      reason: z.string(),
    })
    .nullable(),
  /** Set when the account is reduce-only; it ends at `until` (next 00:00 UTC). */
  reduceOnly: z
    .strictObject({
      cause: z.literal('RISK_DAILY_LOSS'),
      since: z.number().int(),
      until: z.number().int(),
      lossBps: z.number().int(),
    })
    .nullable(),
  limits: riskLimitsView,
  usage: z.strictObject({
    ordersLastSecond: z.number().int(),
    ordersLastMinute: z.number().int(),
    openOrders: z.number().int(),
    equity: decimalString,
    dayStartEquity: decimalString,
    /** base - equity; negative when the day is in profit. */
    dailyLoss: decimalString,
    /** dailyLoss as basis points of the day's starting capital (0 when it started with none). */
    dailyLossBps: z.number().int(),
  }),
});
export type RiskView = z.infer<typeof riskViewSchema>;
