import { decimalString } from '@qt/shared';
import { z } from 'zod';
import { killSwitchScope } from './kill-switch.ts';

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
    .strictObject({ scope: killSwitchScope, by: z.string(), at: z.number().int(), reason: z.string() })
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
